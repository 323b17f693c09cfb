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
	// Live shows an Input's verdict under it on every keystroke ("✓", or
	// "✗" and the validator's message), in place of the error huh shows
	// on Enter, so the message appears once.
	Live bool
}

// Note is a field that only shows text.
func Note(title, text string) Field { return Field{Kind: KindNote, Title: title, Description: text} }

// InputField asks for one line into v.
func InputField(title string, v *string, validate func(string) error) Field {
	return Field{Kind: KindInput, Title: title, Value: v, Validate: validate}
}

// LiveInputField asks for one line into v, checking it as it is typed:
// amounts, whose rules ("at most 2 decimals in USD") are easier to meet
// when the verdict shows before Enter.
func LiveInputField(title string, v *string, validate func(string) error) Field {
	return Field{Kind: KindInput, Title: title, Value: v, Validate: validate, Live: validate != nil}
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
// or Ctrl-C cancels, except that Esc in a list being filtered clears the
// filter. In accessible mode, the title is printed, the fields are asked
// line by line, and a last "Continue / ← Back" choice replaces the key.
func (h *Huh) Group(ctx context.Context, title string, fields []Field, allowBack bool) (bool, error) {
	if h.accessible {
		return h.groupAccessible(ctx, title, fields, allowBack)
	}
	hint := "esc: cancel"
	if allowBack {
		hint = BackHint
	}
	return h.fullScreen(ctx, title, hint, fields, allowBack)
}

// fullScreen runs fields as one drawn huh form, titled title with a
// description line, and reports whether the operator went back.
func (h *Huh) fullScreen(ctx context.Context, title, description string, fields []Field, allowBack bool) (bool, error) {
	h.askBackground()
	return newStepModel(title, description, fields, allowBack).run(ctx, h.in, h.out)
}

func newStepModel(title, description string, fields []Field, allowBack bool) *stepModel {
	m := &stepModel{allowBack: allowBack, tried: map[huh.Field]*bool{}}
	hf := make([]huh.Field, 0, len(fields))
	showErrors := false
	for _, f := range fields {
		var tried *bool
		if f.Kind == KindMultiSelect && f.Min > 0 {
			tried = new(bool)
		}
		field := huhField(f, true, tried)
		if tried != nil {
			m.tried[field] = tried
		}
		if m.first == nil && f.Kind != KindNote {
			m.first = field
		}
		// A live field shows its own verdict; huh's error line under the
		// form would say it a second time.
		if f.validates() && !f.Live {
			showErrors = true
		}
		hf = append(hf, field)
	}
	g := huh.NewGroup(hf...).WithShowErrors(showErrors)
	if title != "" {
		g = g.Title(title)
	}
	if description != "" {
		g = g.Description(description)
	}
	m.form = huh.NewForm(g).WithShowHelp(true).WithKeyMap(keyMap())
	m.form.SubmitCmd = tea.Quit
	m.form.CancelCmd = tea.Interrupt
	return m
}

// validates reports whether f can refuse an answer.
func (f Field) validates() bool {
	switch f.Kind {
	case KindInput, KindText, KindSelect:
		return f.Validate != nil
	case KindMultiSelect:
		return f.Min > 0
	}
	return false
}

// keyMap is huh's. Esc is not one of its keys: stepModel decides what Esc
// means (clear a filter, or cancel), since huh would quit on it even while
// a list is being filtered.
func keyMap() *huh.KeyMap {
	km := huh.NewDefaultKeyMap()
	km.Quit = key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("esc", "cancel"))
	// Esc while filtering clears the filter in one press (stepModel sends
	// huh's "set filter" and "clear filter" together); Enter keeps it.
	km.Select.SetFilter = key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "clear filter"), key.WithDisabled())
	km.MultiSelect.SetFilter = key.NewBinding(key.WithKeys("enter", "esc"), key.WithHelp("esc", "clear filter"), key.WithDisabled())
	return km
}

// stepModel runs a huh form as a bubbletea model of its own, so that keys
// huh handles one way can mean what the walk needs: shift+tab on the first
// field ends the step as "back" (huh ignores it there, and a step is a form
// of its own because what the next step shows depends on this one's
// answers); Esc cancels unless the focused list is filtering, where it
// clears the filter; a text area opens at the top of its text; and a
// multi-select says "choose at least one" only once the operator tried to
// go on without.
type stepModel struct {
	form      *huh.Form
	first     huh.Field
	allowBack bool
	back      bool
	cancelled bool
	// tried marks, per multi-select with a minimum, whether Enter was
	// pressed on it: its validator stays quiet until then.
	tried map[huh.Field]*bool
	// focused is the field that had the focus after the last message.
	focused huh.Field
}

func (m *stepModel) Init() tea.Cmd { return m.form.Init() }

func (m *stepModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if k, ok := msg.(tea.KeyMsg); ok {
		focused := m.form.GetFocusedField()
		switch k.String() {
		case "shift+tab":
			if m.allowBack && m.first != nil && focused == m.first {
				m.back = true
				return m, tea.Quit
			}
		case "esc":
			if !fieldTakes(focused, k) {
				m.cancelled = true
				return m, tea.Interrupt
			}
			// huh's first Esc stops typing the filter and keeps it, the
			// second clears it; one press does both, so the list is whole
			// again, as the help line says.
			cmd := m.update(msg)
			if fieldTakes(m.form.GetFocusedField(), k) {
				cmd = tea.Batch(cmd, m.update(msg))
			}
			return m, cmd
		case "enter", "tab":
			if t, ok := m.tried[focused]; ok {
				*t = true
			}
		}
	}
	cmd := m.update(msg)
	// A text area given a value has its cursor at the end, scrolled to the
	// bottom; the operator reads a draft from the top.
	if f := m.form.GetFocusedField(); f != m.focused {
		m.focused = f
		if _, ok := f.(*huh.Text); ok {
			cmd = tea.Batch(cmd, m.update(tea.KeyMsg{Type: tea.KeyCtrlHome}))
		}
	}
	return m, cmd
}

func (m *stepModel) update(msg tea.Msg) tea.Cmd {
	fm, cmd := m.form.Update(msg)
	if f, ok := fm.(*huh.Form); ok {
		m.form = f
	}
	return cmd
}

// fieldTakes reports whether the field has a key binding of its own for k
// in force, such as Esc to leave or clear a list's filter.
func fieldTakes(f huh.Field, k tea.KeyMsg) bool {
	if f == nil {
		return false
	}
	for _, b := range f.KeyBinds() {
		if key.Matches(k, b) {
			return true
		}
	}
	return false
}

func (m *stepModel) View() string {
	if m.back {
		return ""
	}
	return m.form.View()
}

func (m *stepModel) run(ctx context.Context, in io.Reader, out io.Writer) (bool, error) {
	opts := []tea.ProgramOption{tea.WithContext(ctx), tea.WithOutput(out)}
	if in != nil {
		opts = append(opts, tea.WithInput(in))
	}
	_, err := tea.NewProgram(m, opts...).Run()
	switch {
	case m.cancelled, m.form.State == huh.StateAborted, errors.Is(err, tea.ErrInterrupted),
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
			hf = append(hf, huhField(f, false, nil))
		}
		if allowBack {
			hf = append(hf, huhField(SelectField("Next", []Option{
				{Label: "Continue", Value: navContinue},
				{Label: "← Back to the previous step", Value: navBack},
			}, &nav), false, nil))
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

// huhField builds the huh field for f, bound to f's answer pointer. On the
// full screen it carries f's validator (accessible mode checks answers
// itself) and shows notes as typed. tried, for a multi-select with a
// minimum, keeps its "choose at least" quiet until Enter was pressed on it.
func huhField(f Field, fullScreen bool, tried *bool) huh.Field {
	validate := fullScreen
	switch f.Kind {
	case KindInput:
		in := huh.NewInput().Title(f.Title).Description(f.Description).Value(f.Value)
		if validate && f.Validate != nil {
			in = in.Validate(f.Validate)
			if f.Live {
				// huh validates on Enter; the description runs the check
				// on every keystroke, so "12.345" in USD is flagged while
				// typing.
				v, check := f.Value, f.Validate
				in = in.DescriptionFunc(func() string { return liveCheck(*v, check) }, v)
			}
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
				if len(v) < f.Min && (tried == nil || *tried) {
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
		text := f.Description
		if fullScreen {
			text = Literal(text)
		}
		return huh.NewNote().Title(f.Title).Description(text)
	}
}

// Literal escapes text for a huh note, which reads _, * and ` as
// Markdown-like styling and \ as an escape: an id such as cus_P1 or an
// apology with an asterisk must show as typed.
func Literal(text string) string {
	var b strings.Builder
	for _, r := range text {
		switch r {
		case '\\', '_', '*', '`':
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
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
