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
	Value string // for Confirm: "y" or "n"; for Select: the option's value
	Abort bool   // reply as if the operator pressed Ctrl-C
}

// Prompter replays Answers in order and fails the question that does not
// match, so a test notices a prompt it did not expect.
type Prompter struct {
	Answers []Answer
	Asked   []string
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
