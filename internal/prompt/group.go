package prompt

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/huh"
)

// FieldKind says how a Field is asked.
type FieldKind int

// The kinds of field a step can hold.
const (
	KindNote        FieldKind = iota // text to read; asks nothing
	KindInput                        // one line
	KindText                         // several lines
	KindSelect                       // one of Options
	KindMultiSelect                  // some of Options
	KindConfirm                      // yes or no
)

// Field is one question of a step. The pointer for its kind (Value, Values
// or Yes) carries the default in and the answer out, so a step shown again
// after Back keeps what the operator typed.
type Field struct {
	Kind        FieldKind
	Title       string
	Description string

	Value    *string   // Input, Text, Select
	Values   *[]string // MultiSelect
	Yes      *bool     // Confirm
	Options  []Option  // Select, MultiSelect
	Validate func(string) error
	// Min is the least number of options a MultiSelect needs.
	Min int
}

// Note is a field that only shows text.
func Note(title, text string) Field { return Field{Kind: KindNote, Title: title, Description: text} }

// InputField asks for one line into v.
func InputField(title string, v *string, validate func(string) error) Field {
	return Field{Kind: KindInput, Title: title, Value: v, Validate: validate}
}

// TextField asks for several lines into v.
func TextField(title string, v *string, validate func(string) error) Field {
	return Field{Kind: KindText, Title: title, Value: v, Validate: validate}
}

// SelectField asks for one of options into v; *v preselects one.
func SelectField(title string, options []Option, v *string) Field {
	return Field{Kind: KindSelect, Title: title, Options: options, Value: v}
}

// MultiSelectField asks for at least min of options into v.
func MultiSelectField(title string, options []Option, v *[]string, min int) Field {
	return Field{Kind: KindMultiSelect, Title: title, Options: options, Values: v, Min: min}
}

// ConfirmField asks yes or no into v.
func ConfirmField(title string, v *bool) Field {
	return Field{Kind: KindConfirm, Title: title, Yes: v}
}

// Check reports whether the field's current answer is acceptable. huh
// enforces validators while the form is on screen, but its accessible mode
// takes defaults without them when input ends, so Group checks again.
func (f Field) Check() error {
	switch f.Kind {
	case KindInput, KindText, KindSelect:
		if f.Validate != nil {
			if err := f.Validate(*f.Value); err != nil {
				return fmt.Errorf("%s: %w", f.Title, err)
			}
		}
	case KindMultiSelect:
		if len(*f.Values) < f.Min {
			return fmt.Errorf("%s: choose at least %d", f.Title, f.Min)
		}
	}
	return nil
}

// Stepper asks a whole step of a multi-step walk at once: a titled group of
// fields. When allowBack is true the operator may go back to the previous
// step instead of answering; Group then returns back == true and the
// fields' answers so far are kept in their pointers.
type Stepper interface {
	Group(ctx context.Context, title string, fields []Field, allowBack bool) (back bool, err error)
}

// ErrInputEnded is returned when the terminal's input closes mid-step
// (Ctrl-D in accessible mode): answers taken from defaults are not answers.
var ErrInputEnded = errors.New("input ended; nothing was written")

// BackHint is how the full-screen form says that going back is possible.
const BackHint = "shift+tab on the first field: back to the previous step · esc: cancel"

// Back-navigation choices, asked last in accessible mode where huh has no
// keys to go back.
const (
	navContinue = "continue"
	navBack     = "back"
)

var _ Stepper = (*Huh)(nil)

// Group shows one step as one huh group titled with title (for example
// "Step 2 of 5 · Apologize"). On the full screen, shift+tab on the step's
// first field goes back, mirroring huh's own shift+tab between fields; Esc
// or Ctrl-C cancels. In accessible mode, the title is printed, the fields
// are asked line by line, and a last "Continue / ← Back" choice replaces
// the key.
func (h *Huh) Group(ctx context.Context, title string, fields []Field, allowBack bool) (bool, error) {
	if h.accessible {
		return h.groupAccessible(ctx, title, fields, allowBack)
	}
	hf := make([]huh.Field, 0, len(fields))
	for _, f := range fields {
		hf = append(hf, huhField(f, true))
	}
	g := huh.NewGroup(hf...).Title(title)
	if allowBack {
		g = g.Description(BackHint)
	} else {
		g = g.Description("esc: cancel")
	}
	form := huh.NewForm(g).WithShowHelp(true).WithKeyMap(keyMap())
	m := &stepModel{form: form, allowBack: allowBack}
	if len(hf) > 0 {
		m.first = hf[0]
	}
	back, err := m.run(ctx, h.in, h.out)
	if err != nil {
		return false, err
	}
	return back, nil
}

// keyMap is huh's, with Esc cancelling as well as Ctrl-C. A select's
// filter is then left with Enter, which also picks the highlighted option.
func keyMap() *huh.KeyMap {
	km := huh.NewDefaultKeyMap()
	km.Quit = key.NewBinding(key.WithKeys("ctrl+c", "esc"), key.WithHelp("esc", "cancel"))
	return km
}

// stepModel runs a huh form as a bubbletea model of its own, so that
// shift+tab on the first field can end the step as "back": huh ignores that
// key on a form's first field, and a step is a form of its own because what
// the next step shows depends on the answers to this one.
type stepModel struct {
	form      *huh.Form
	first     huh.Field
	allowBack bool
	back      bool
}

func (m *stepModel) Init() tea.Cmd { return m.form.Init() }

func (m *stepModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if k, ok := msg.(tea.KeyMsg); ok && m.allowBack && k.String() == "shift+tab" &&
		m.first != nil && m.form.GetFocusedField() == m.first {
		m.back = true
		return m, tea.Quit
	}
	fm, cmd := m.form.Update(msg)
	if f, ok := fm.(*huh.Form); ok {
		m.form = f
	}
	return m, cmd
}

func (m *stepModel) View() string {
	if m.back {
		return ""
	}
	return m.form.View()
}

func (m *stepModel) run(ctx context.Context, in io.Reader, out io.Writer) (bool, error) {
	m.form.SubmitCmd = tea.Quit
	m.form.CancelCmd = tea.Interrupt
	opts := []tea.ProgramOption{tea.WithContext(ctx), tea.WithOutput(out)}
	if in != nil {
		opts = append(opts, tea.WithInput(in))
	}
	_, err := tea.NewProgram(m, opts...).Run()
	switch {
	case m.form.State == huh.StateAborted, errors.Is(err, tea.ErrInterrupted),
		errors.Is(err, tea.ErrProgramKilled), ctx.Err() != nil:
		return false, ErrAborted
	case err != nil:
		return false, fmt.Errorf("show form: %w", err)
	}
	return m.back, nil
}

func (h *Huh) groupAccessible(ctx context.Context, title string, fields []Field, allowBack bool) (bool, error) {
	for {
		in := &eofReader{r: h.in}
		nav := navContinue
		hf := make([]huh.Field, 0, len(fields)+1)
		for _, f := range fields {
			// Validators stay out of huh here: at end of input it would
			// retry a failing one for ever. Check below asks again.
			hf = append(hf, huhField(f, false))
		}
		if allowBack {
			hf = append(hf, huhField(SelectField("Next", []Option{
				{Label: "Continue", Value: navContinue},
				{Label: "← Back to the previous step", Value: navBack},
			}, &nav), false))
		}
		if _, err := fmt.Fprintf(h.out, "\n%s\n%s\n\n", title, strings.Repeat("─", min(len([]rune(title)), 60))); err != nil {
			return false, fmt.Errorf("write prompt: %w", err)
		}
		form := huh.NewForm(huh.NewGroup(hf...)).WithAccessible(true).WithInput(in).WithOutput(h.out)
		done := make(chan error, 1)
		// The accessible form reads stdin without watching ctx; Ctrl-C
		// (SIGINT, which cancels ctx) must not wait for another line.
		go func() { done <- form.RunWithContext(ctx) }()
		select {
		case <-ctx.Done():
			return false, ErrAborted
		case err := <-done:
			if err != nil {
				return false, fmt.Errorf("ask: %w", err)
			}
		}
		if in.eof {
			return false, ErrInputEnded
		}
		if nav == navBack {
			return true, nil
		}
		var problems []string
		for _, f := range fields {
			if err := f.Check(); err != nil {
				problems = append(problems, err.Error())
			}
		}
		if len(problems) == 0 {
			return false, nil
		}
		if _, err := fmt.Fprintf(h.out, "Please answer again:\n  %s\n", strings.Join(problems, "\n  ")); err != nil {
			return false, fmt.Errorf("write prompt: %w", err)
		}
	}
}

// huhField builds the huh field for f, bound to f's answer pointer.
func huhField(f Field, validate bool) huh.Field {
	switch f.Kind {
	case KindInput:
		in := huh.NewInput().Title(f.Title).Description(f.Description).Value(f.Value)
		if validate && f.Validate != nil {
			in = in.Validate(f.Validate)
		}
		return in
	case KindText:
		t := huh.NewText().Title(f.Title).Description(f.Description).Value(f.Value).
			Lines(min(max(strings.Count(*f.Value, "\n")+2, 5), 14)).CharLimit(0)
		if validate && f.Validate != nil {
			t = t.Validate(f.Validate)
		}
		return t
	case KindSelect:
		s := huh.NewSelect[string]().Title(f.Title).Description(f.Description).
			Options(huhOptions(f.Options)...).Value(f.Value)
		if len(f.Options) > 10 {
			s = s.Height(12)
		}
		if validate && f.Validate != nil {
			s = s.Validate(f.Validate)
		}
		return s
	case KindMultiSelect:
		ms := huh.NewMultiSelect[string]().Title(f.Title).Description(f.Description).
			Options(huhOptions(f.Options)...).Value(f.Values)
		if len(f.Options) > 10 {
			ms = ms.Height(12)
		}
		if validate && f.Min > 0 {
			ms = ms.Validate(func(v []string) error {
				if len(v) < f.Min {
					return fmt.Errorf("choose at least %d", f.Min)
				}
				return nil
			})
		}
		return ms
	case KindConfirm:
		return huh.NewConfirm().Title(f.Title).Description(f.Description).
			Affirmative("Yes").Negative("No").Value(f.Yes)
	default:
		return huh.NewNote().Title(f.Title).Description(f.Description)
	}
}

func huhOptions(options []Option) []huh.Option[string] {
	out := make([]huh.Option[string], len(options))
	for i, o := range options {
		out[i] = huh.NewOption(o.Label, o.Value)
	}
	return out
}

// eofReader notes that input ended, which huh's accessible mode hides.
type eofReader struct {
	r   io.Reader
	eof bool
}

func (e *eofReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if errors.Is(err, io.EOF) {
		e.eof = true
	}
	return n, err
}
