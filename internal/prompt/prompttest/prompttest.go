// Package prompttest answers prompts from a script, so command logic can be
// tested without a terminal.
package prompttest

import (
	"context"
	"fmt"
	"strings"

	"github.com/makegood/makegood/internal/prompt"
)

// Answer is the scripted reply to the question whose title contains Title.
type Answer struct {
	Title string
	Value string // for Confirm: "y" or "n"; for Select: the option's value; for MultiSelect: values joined by commas
	Abort bool   // reply as if the operator pressed Ctrl-C
	Back  bool   // in a step: go back to the previous step
}

// Prompter replays Answers in order and fails the question that does not
// match, so a test notices a prompt it did not expect.
type Prompter struct {
	Answers []Answer
	Asked   []string
	Steps   []string
	// Notes are the texts of the notes steps showed, in order, as
	// "title: text".
	Notes []string
}

var _ prompt.Prompter = (*Prompter)(nil)

func (p *Prompter) next(title string, validate func(string) error) (string, error) {
	p.Asked = append(p.Asked, title)
	if len(p.Answers) == 0 {
		return "", fmt.Errorf("prompttest: unexpected prompt %q", title)
	}
	a := p.Answers[0]
	p.Answers = p.Answers[1:]
	if !strings.Contains(title, a.Title) {
		return "", fmt.Errorf("prompttest: prompt %q does not match scripted %q", title, a.Title)
	}
	if a.Abort {
		return "", prompt.ErrAborted
	}
	if validate != nil {
		if err := validate(a.Value); err != nil {
			return "", fmt.Errorf("prompttest: answer %q to %q fails validation: %w", a.Value, title, err)
		}
	}
	return a.Value, nil
}

func (p *Prompter) Input(_ context.Context, title, _ string, validate func(string) error) (string, error) {
	return p.next(title, validate)
}

func (p *Prompter) Text(_ context.Context, title, _ string, validate func(string) error) (string, error) {
	return p.next(title, validate)
}

func (p *Prompter) Select(_ context.Context, title string, options []prompt.Option, _ string) (string, error) {
	v, err := p.next(title, nil)
	if err != nil {
		return "", err
	}
	for _, o := range options {
		if o.Value == v {
			return v, nil
		}
	}
	return "", fmt.Errorf("prompttest: %q is not an option of %q", v, title)
}

func (p *Prompter) Confirm(_ context.Context, title string, _ bool) (bool, error) {
	v, err := p.next(title, nil)
	return v == "y", err
}

var _ prompt.Stepper = (*Prompter)(nil)

// Group answers a step's fields in order, one Answer each (notes take none).
// An Answer with Back ends the step as if the operator went back; its Title
// may name the step or the field it interrupts. Steps lists every step's
// title in the order shown.
func (p *Prompter) Group(_ context.Context, title string, fields []prompt.Field, allowBack bool) (bool, error) {
	p.Steps = append(p.Steps, title)
	for _, f := range fields {
		if f.Kind == prompt.KindNote {
			p.Notes = append(p.Notes, f.Title+": "+f.Description)
			continue
		}
		p.Asked = append(p.Asked, f.Title)
		if len(p.Answers) == 0 {
			return false, fmt.Errorf("prompttest: unexpected prompt %q in step %q", f.Title, title)
		}
		a := p.Answers[0]
		p.Answers = p.Answers[1:]
		if !strings.Contains(f.Title, a.Title) && !(a.Back && strings.Contains(title, a.Title)) {
			return false, fmt.Errorf("prompttest: prompt %q in step %q does not match scripted %q", f.Title, title, a.Title)
		}
		switch {
		case a.Abort:
			return false, prompt.ErrAborted
		case a.Back && !allowBack:
			return false, fmt.Errorf("prompttest: step %q offers no way back", title)
		case a.Back:
			return true, nil
		}
		if err := answer(f, a.Value); err != nil {
			return false, fmt.Errorf("prompttest: answer %q to %q: %w", a.Value, f.Title, err)
		}
	}
	return false, nil
}

// answer stores v into f the way the form would, refusing what the form
// would refuse.
func answer(f prompt.Field, v string) error {
	switch f.Kind {
	case prompt.KindConfirm:
		if v != "y" && v != "n" {
			return fmt.Errorf("a confirm takes y or n")
		}
		*f.Yes = v == "y"
		return nil
	case prompt.KindSelect:
		if !hasOption(f.Options, v) {
			return fmt.Errorf("not an option")
		}
		*f.Value = v
	case prompt.KindMultiSelect:
		var vs []string
		if v != "" {
			vs = strings.Split(v, ",")
		}
		for _, s := range vs {
			if !hasOption(f.Options, s) {
				return fmt.Errorf("%q is not an option", s)
			}
		}
		*f.Values = vs
	default:
		*f.Value = v
	}
	return f.Check()
}

func hasOption(options []prompt.Option, v string) bool {
	for _, o := range options {
		if o.Value == v {
			return true
		}
	}
	return false
}
