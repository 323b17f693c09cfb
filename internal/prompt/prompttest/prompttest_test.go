package prompttest

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/makegood/makegood/internal/prompt"
)

func step(title *string, kind *string, keep *bool, who *[]string) []prompt.Field {
	return []prompt.Field{
		prompt.Note("Open incidents", "none"),
		prompt.InputField("Title", title, func(s string) error {
			if s == "" {
				return errors.New("is required")
			}
			return nil
		}),
		prompt.SelectField("Kind", []prompt.Option{{Label: "Outage", Value: "outage"}, {Label: "Bug", Value: "bug"}}, kind),
		prompt.MultiSelectField("Customers", []prompt.Option{{Label: "A", Value: "a"}, {Label: "B", Value: "b"}}, who, 1),
		prompt.ConfirmField("Keep", keep),
	}
}

func TestGroupAnswersInOrder(t *testing.T) {
	p := &Prompter{Answers: []Answer{{Title: "Title", Value: "Down"}, {Title: "Kind", Value: "bug"},
		{Title: "Customers", Value: "a,b"}, {Title: "Keep", Value: "y"}}}
	var title, kind string
	var keep bool
	var who []string
	back, err := p.Group(context.Background(), "Step 1 of 5 · What happened", step(&title, &kind, &keep, &who), false)
	if err != nil || back {
		t.Fatalf("back %v err %v", back, err)
	}
	if title != "Down" || kind != "bug" || !keep || strings.Join(who, ",") != "a,b" {
		t.Fatalf("got %q %q %v %v", title, kind, keep, who)
	}
	if len(p.Steps) != 1 || p.Steps[0] != "Step 1 of 5 · What happened" || len(p.Asked) != 4 {
		t.Fatalf("steps %q asked %q", p.Steps, p.Asked)
	}
}

func TestGroupBackAbortAndMistakes(t *testing.T) {
	tests := []struct {
		name      string
		allowBack bool
		answers   []Answer
		back      bool
		err       string
	}{
		{name: "back by step title", allowBack: true, answers: []Answer{{Title: "What happened", Back: true}}, back: true},
		{name: "back by field title after an answer", allowBack: true, answers: []Answer{{Title: "Title", Value: "x"}, {Title: "Kind", Back: true}}, back: true},
		{name: "back where there is none", answers: []Answer{{Title: "Title", Back: true}}, err: "offers no way back"},
		{name: "abort", answers: []Answer{{Title: "Title", Abort: true}}, err: prompt.ErrAborted.Error()},
		{name: "validation", answers: []Answer{{Title: "Title", Value: ""}}, err: "Title: is required"},
		{name: "not an option", answers: []Answer{{Title: "Title", Value: "x"}, {Title: "Kind", Value: "fire"}}, err: "not an option"},
		{name: "too few picked", answers: []Answer{{Title: "Title", Value: "x"}, {Title: "Kind", Value: "bug"}, {Title: "Customers", Value: ""}}, err: "choose at least 1"},
		{name: "wrong prompt", answers: []Answer{{Title: "Amount", Value: "x"}}, err: "does not match"},
		{name: "unscripted prompt", answers: nil, err: "unexpected prompt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &Prompter{Answers: tt.answers}
			var title, kind string
			var keep bool
			var who []string
			back, err := p.Group(context.Background(), "Step 1 of 5 · What happened", step(&title, &kind, &keep, &who), tt.allowBack)
			if back != tt.back || (err == nil) != (tt.err == "") || err != nil && !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("back %v err %v, want %v %q", back, err, tt.back, tt.err)
			}
		})
	}
}
