package prompt

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
)

// These tests run a step's real huh form in a bubbletea program and read
// what it would draw (the model's View) between keys, so they can say what
// is on screen and what is not. The whole walk through a real terminal is
// tested with the command (cmd/makegood).

type snapMsg struct{}

// probe is a step whose View can be asked for from the test, through the
// program's own message loop, so no state is shared across goroutines.
type probe struct {
	*stepModel
	views chan string
}

func (p probe) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if _, ok := msg.(snapMsg); ok {
		p.views <- p.stepModel.View()
		return p, nil
	}
	_, cmd := p.stepModel.Update(msg)
	return p, cmd
}

type stepRun struct {
	t     *testing.T
	prog  *tea.Program
	views chan string
	done  chan error
	m     *stepModel
}

func runStep(t *testing.T, fields []Field, allowBack bool) *stepRun {
	t.Helper()
	m := newStepModel("Step 1 of 2 · Test", "esc: cancel", fields, allowBack)
	r := &stepRun{t: t, views: make(chan string), done: make(chan error, 1), m: m}
	r.prog = tea.NewProgram(probe{m, r.views}, tea.WithInput(nil), tea.WithOutput(io.Discard), tea.WithoutRenderer())
	go func() { _, err := r.prog.Run(); r.done <- err }()
	t.Cleanup(func() { r.prog.Kill() })
	r.prog.Send(tea.WindowSizeMsg{Width: 80, Height: 40})
	return r
}

func (r *stepRun) key(k tea.KeyMsg) { r.prog.Send(k) }

func (r *stepRun) typeText(s string) {
	for _, c := range s {
		r.key(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{c}})
	}
}

// waitFor returns what the step shows once it shows want.
func (r *stepRun) waitFor(want string) string {
	r.t.Helper()
	return r.waitUntil("shows "+strconvQuote(want), func(v string) bool { return strings.Contains(v, want) })
}

func strconvQuote(s string) string { return fmt.Sprintf("%q", s) }

// waitUntil returns what the step shows once ok says it is what the test
// waits for.
func (r *stepRun) waitUntil(what string, ok func(view string) bool) string {
	r.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	var v string
	for time.Now().Before(deadline) {
		r.prog.Send(snapMsg{})
		select {
		case v = <-r.views:
		case err := <-r.done:
			r.t.Fatalf("the step ended (%v) before it %s; last view:\n%s", err, what, v)
		}
		if ok(v) {
			return v
		}
		time.Sleep(5 * time.Millisecond)
	}
	r.t.Fatalf("the step never %s; it shows:\n%s", what, v)
	return ""
}

func TestNotesShowTextAsTyped(t *testing.T) {
	v := ""
	r := runStep(t, []Field{
		Note("Customer cus_P1", "Customer cus_P1 was charged twice; see `stripe` *now*, a\\b, _x_.\n\nSecond paragraph."),
		InputField("Amount", &v, nil),
	}, false)
	got := r.waitFor("Amount")
	for _, want := range []string{"Customer cus_P1 was charged twice; see `stripe` *now*, a\\b, _x_.", "Second paragraph."} {
		if !strings.Contains(got, want) {
			t.Errorf("the note lacks %q as typed:\n%s", want, got)
		}
	}
	lines := strings.Split(got, "\n")
	for i, l := range lines {
		if strings.Contains(l, "Second paragraph.") {
			if i < 2 || strings.TrimSpace(lines[i-1]) != "" || !strings.Contains(lines[i-2], "_x_.") {
				t.Errorf("the paragraph break is lost:\n%s", got)
			}
		}
	}
}

// Esc in a list being filtered clears the filter and leaves the step
// open; Esc with no filter cancels.
func TestEscClearsAFilterThenCancels(t *testing.T) {
	for _, kind := range []FieldKind{KindSelect, KindMultiSelect} {
		opts := []Option{{Label: "Ana (ana@example.com)", Value: "ana"}, {Label: "Bo (bo@example.com)", Value: "bo"}}
		one, some := "ana", []string{}
		f := SelectField("Customer", opts, &one)
		if kind == KindMultiSelect {
			f = MultiSelectField("Customers", opts, &some, 1)
		}
		r := runStep(t, []Field{f}, false)
		r.waitFor("Ana (ana@example.com)")
		r.typeText("/")
		r.waitFor("clear filter")
		r.typeText("bo")
		if v := r.waitFor("bo@example.com"); strings.Contains(v, "Ana (") {
			t.Fatalf("the filter does not filter:\n%s", v)
		}
		r.key(tea.KeyMsg{Type: tea.KeyEscape})
		v := r.waitFor("Ana (ana@example.com)") // the whole list again
		if strings.Contains(v, "/bo") {
			t.Fatalf("Esc left the filter in place:\n%s", v)
		}
		if r.m.cancelled {
			t.Fatal("Esc in a filter cancelled the step")
		}
		r.key(tea.KeyMsg{Type: tea.KeyEscape})
		select {
		case <-r.done:
		case <-time.After(5 * time.Second):
			t.Fatal("Esc without a filter did not cancel")
		}
		if !r.m.cancelled {
			t.Fatal("the step ended without being cancelled")
		}
	}
}

// A text area opens at the top of its text, where a draft starts.
func TestTextOpensAtTheTop(t *testing.T) {
	var lines []string
	for i := 1; i <= 30; i++ {
		lines = append(lines, fmt.Sprintf("line %02d", i))
	}
	v := strings.Join(lines, "\n")
	r := runStep(t, []Field{TextField("Apology", &v, nil)}, false)
	got := r.waitFor("line 01")
	if strings.Contains(got, "line 30") {
		t.Fatalf("the text area shows the end of the text:\n%s", got)
	}
	r.typeText("Hi. ")
	if got := r.waitFor("Hi. line 01"); !strings.Contains(got, "Apology") {
		t.Fatalf("typing does not start at the top:\n%s", got)
	}
	if !strings.HasPrefix(v, "Hi. line 01\n") {
		t.Fatalf("value %q", v[:20])
	}
}

// "Choose at least one" appears only once the operator tried to go on.
func TestChooseAtLeastOnlyAfterAnAttempt(t *testing.T) {
	var picked []string
	r := runStep(t, []Field{MultiSelectField("Who was affected?", []Option{{Label: "Ana", Value: "ana"}, {Label: "Bo", Value: "bo"}}, &picked, 1)}, false)
	if v := r.waitFor("Who was affected?"); strings.Contains(v, "choose at least") {
		t.Fatalf("the hint shows before any attempt:\n%s", v)
	}
	r.typeText("j") // moving about is not an attempt
	r.waitFor("> • Bo")
	if v := r.waitFor("Who was affected?"); strings.Contains(v, "choose at least") {
		t.Fatalf("the hint shows after moving:\n%s", v)
	}
	r.key(tea.KeyMsg{Type: tea.KeyEnter})
	r.waitFor("choose at least 1")
	r.typeText("x")
	if v := r.waitFor("✓"); strings.Contains(v, "choose at least") {
		t.Fatalf("the hint stays once one is picked:\n%s", v)
	}
}

// A live input shows its verdict as it is typed; Enter on a bad value
// refuses it without saying the same thing a second time.
func TestLiveInputErrorShownOnce(t *testing.T) {
	v := ""
	check := func(s string) error {
		if strings.Contains(s, ".345") {
			return errors.New(`"12.345" has more decimals than USD allows (2)`)
		}
		return nil
	}
	r := runStep(t, []Field{LiveInputField("Amount in USD", &v, check)}, false)
	r.typeText("12.34")
	r.waitFor("✓")
	r.typeText("5")
	r.waitFor("✗")
	r.key(tea.KeyMsg{Type: tea.KeyEnter})
	// Enter was refused: the help line gives way to the error, which is
	// the live one already on screen.
	got := r.waitUntil("refuses the amount", func(v string) bool { return !strings.Contains(v, "enter submit") })
	if n := strings.Count(got, "has more decimals"); n != 1 {
		t.Fatalf("the error shows %d times:\n%s", n, got)
	}
	select {
	case err := <-r.done:
		t.Fatalf("Enter on a bad amount ended the step: %v", err)
	default:
	}
}
