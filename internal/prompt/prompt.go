// Package prompt asks the operator questions. Commands depend on the small
// Prompter interface, so their logic is tested with scripted answers while
// the huh implementation runs on a real terminal.
package prompt

import (
	"context"
	"errors"
	"io"

	"github.com/charmbracelet/huh"
)

// ErrAborted is returned when the operator presses Ctrl-C or Esc.
var ErrAborted = errors.New("cancelled; nothing was written")

// Option is one choice in a Select.
type Option struct {
	Label string
	Value string
}

// Prompter asks one question at a time.
type Prompter interface {
	Input(ctx context.Context, title, def string, validate func(string) error) (string, error)
	Text(ctx context.Context, title, def string, validate func(string) error) (string, error)
	Select(ctx context.Context, title string, options []Option, def string) (string, error)
	Confirm(ctx context.Context, title string, def bool) (bool, error)
}

// Huh is a Prompter drawing huh forms on a terminal.
type Huh struct {
	in         io.Reader
	out        io.Writer
	accessible bool
}

// NewHuh returns a Prompter on the given terminal streams. In accessible
// mode huh asks plain line-by-line questions, for screen readers, dumb
// terminals and very narrow windows.
func NewHuh(in io.Reader, out io.Writer, accessible bool) *Huh {
	return &Huh{in: in, out: out, accessible: accessible}
}

// Run runs a whole form, for commands with several steps in one screen.
func (h *Huh) Run(ctx context.Context, form *huh.Form) error {
	err := form.WithInput(h.in).WithOutput(h.out).WithAccessible(h.accessible).
		WithShowHelp(true).RunWithContext(ctx)
	if errors.Is(err, huh.ErrUserAborted) || errors.Is(err, context.Canceled) {
		return ErrAborted
	}
	return err
}

func (h *Huh) run(ctx context.Context, field huh.Field) error {
	return h.Run(ctx, huh.NewForm(huh.NewGroup(field)))
}

// Input asks for one line.
func (h *Huh) Input(ctx context.Context, title, def string, validate func(string) error) (string, error) {
	v := def
	in := huh.NewInput().Title(title).Value(&v)
	if validate != nil {
		// huh validates on Enter; the description re-runs the check on
		// every keystroke, so "12.345" in USD is flagged while typing.
		in = in.Validate(validate).DescriptionFunc(func() string { return liveCheck(v, validate) }, &v)
	}
	err := h.run(ctx, in)
	return v, err
}

// liveCheck is the one-line verdict shown under an input as it is typed.
func liveCheck(v string, validate func(string) error) string {
	if v == "" {
		return ""
	}
	if err := validate(v); err != nil {
		return "✗ " + err.Error()
	}
	return "✓"
}

// Text asks for several lines.
func (h *Huh) Text(ctx context.Context, title, def string, validate func(string) error) (string, error) {
	v := def
	t := huh.NewText().Title(title).Value(&v)
	if validate != nil {
		t = t.Validate(validate)
	}
	err := h.run(ctx, t)
	return v, err
}

// Select asks for one of options; long lists can be filtered by typing "/".
func (h *Huh) Select(ctx context.Context, title string, options []Option, def string) (string, error) {
	v := def
	s := huh.NewSelect[string]().Title(title).Options(huhOptions(options)...).Value(&v).Filtering(false)
	if len(options) > 10 {
		s = s.Height(12)
	}
	err := h.run(ctx, s)
	return v, err
}

// Confirm asks a yes/no question.
func (h *Huh) Confirm(ctx context.Context, title string, def bool) (bool, error) {
	v := def
	err := h.run(ctx, huh.NewConfirm().Title(title).Affirmative("Yes").Negative("No").Value(&v))
	return v, err
}
