// Package prompt asks the operator questions. Commands depend on the small
// Prompter interface, so their logic is tested with scripted answers while
// the huh implementation runs on a real terminal.
package prompt

import (
	"context"
	"errors"
	"io"
	"os"
	"sync"

	"github.com/charmbracelet/huh"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
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
	background sync.Once
}

// NewHuh returns a Prompter on the given terminal streams. In accessible
// mode huh asks plain line-by-line questions, for screen readers, dumb
// terminals and very narrow windows.
func NewHuh(in io.Reader, out io.Writer, accessible bool) *Huh {
	return &Huh{in: in, out: out, accessible: accessible}
}

// askBackground tells lipgloss whether the terminal's background is dark,
// asking the terminal once (OSC 11, termenv's query, which skips tmux,
// screen, dumb terminals and a background process), just before the
// first form is drawn and before bubbletea takes the terminal, so that
// huh's adaptive colours suit a light terminal as well as a dark one.
// bubbletea v1 would ask at package init, for every command, forms or
// not; internal/quietinit stops that, and lipgloss keeps its default
// (dark) until this sets the answer.
func (h *Huh) askBackground() {
	h.background.Do(func() {
		if f, ok := h.out.(*os.File); ok {
			lipgloss.SetHasDarkBackground(termenv.NewOutput(f).HasDarkBackground())
		}
	})
}

// Run runs a whole form, for commands with several steps in one screen.
func (h *Huh) Run(ctx context.Context, form *huh.Form) error {
	if !h.accessible {
		h.askBackground()
	}
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

// ask shows one field. On the full screen it runs like a step of the walk
// (Esc cancels except in a filter, text opens at the top); accessible mode
// uses huh's own line-by-line prompt, validators included.
func (h *Huh) ask(ctx context.Context, f Field, accessible func() huh.Field) error {
	if h.accessible {
		return h.run(ctx, accessible())
	}
	_, err := h.fullScreen(ctx, "", "", []Field{f}, false)
	return err
}

// Input asks for one line. A validator's verdict shows under it as it is
// typed, and Enter refuses what it refuses.
func (h *Huh) Input(ctx context.Context, title, def string, validate func(string) error) (string, error) {
	v := def
	err := h.ask(ctx, LiveInputField(title, &v, validate), func() huh.Field {
		in := huh.NewInput().Title(title).Value(&v)
		if validate != nil {
			in = in.Validate(validate)
		}
		return in
	})
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
	err := h.ask(ctx, TextField(title, &v, validate), func() huh.Field {
		t := huh.NewText().Title(title).Value(&v)
		if validate != nil {
			t = t.Validate(validate)
		}
		return t
	})
	return v, err
}

// Select asks for one of options; long lists can be filtered by typing "/".
func (h *Huh) Select(ctx context.Context, title string, options []Option, def string) (string, error) {
	v := def
	err := h.ask(ctx, SelectField(title, options, &v), func() huh.Field {
		return huh.NewSelect[string]().Title(title).Options(huhOptions(options)...).Value(&v)
	})
	return v, err
}

// Confirm asks a yes/no question.
func (h *Huh) Confirm(ctx context.Context, title string, def bool) (bool, error) {
	v := def
	err := h.ask(ctx, ConfirmField(title, &v), func() huh.Field {
		return huh.NewConfirm().Title(title).Affirmative("Yes").Negative("No").Value(&v)
	})
	return v, err
}
