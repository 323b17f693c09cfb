package apology

import (
	"strings"
	"testing"
)

// Apologies written for these tests, in the shapes evasive ones take: the
// passive voice that leaves out who did it, and hedges that make what
// happened smaller or less certain than the sender knows it was.

func TestPassiveVoiceAndHedging(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []string // Finding.String() without the suggestion
	}{
		{
			name: "a status-page classic",
			text: "Dear customer,\n\nYesterday evening some users may have experienced slow page loads.\nMistakes were made, and we are reviewing our processes.",
			want: []string{
				"3:19: hedging: some users",
				"3:30: hedging: may have experienced",
				"4:1: passive-voice: Mistakes were made",
			},
		},
		{
			name: "an error occurred, with an adjective in front",
			text: "An unexpected error occurred while your invoices were generated, so a small number of them went out twice.",
			want: []string{
				"1:15: passive-voice: error occurred",
				"1:69: hedging: a small number of",
			},
		},
		{
			name: "has occurred, across a line break",
			text: "We are writing because an outage has\noccurred on the reporting dashboard.",
			want: []string{"1:27: passive-voice: outage has occurred"},
		},
		{
			name: "a mistake was made and data was lost",
			text: "A mistake was made during Sunday's migration. Some data was lost; a handful of accounts are still being restored.",
			want: []string{
				"1:3: passive-voice: mistake was made",
				"1:52: passive-voice: data was lost",
				"1:67: hedging: a handful of",
			},
		},
		{
			name: "if you were affected",
			text: "If you were affected by Tuesday's sync failure, reply and we'll look at your account.",
			want: []string{"1:1: hedging: If you were affected"},
		},
		{
			name: "might have noticed, certain customers",
			text: "You might have noticed that certain customers could not export reports.",
			want: []string{"1:5: hedging: might have noticed", "1:29: hedging: certain customers"},
		},
		{
			name: "errors have been made, case and punctuation",
			text: "ERRORS HAVE BEEN MADE. We're sorry, a subset of orders shipped late.",
			want: []string{"1:1: passive-voice: ERRORS HAVE BEEN MADE", "1:37: hedging: a subset of"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Check(tt.text, DefaultRules())
			var short []string
			for _, f := range got {
				if f.Suggestion == "" {
					t.Errorf("%v has no suggestion", f)
				}
				f.Suggestion = ""
				short = append(short, f.String())
			}
			if strings.Join(short, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("Check found\n  %s\nwant\n  %s", strings.Join(short, "\n  "), strings.Join(tt.want, "\n  "))
			}
		})
	}
}

// Owning it in the active voice, with the number of people it hit, is
// clean; so are the everyday words the patterns are built from.
func TestActiveVoiceIsClean(t *testing.T) {
	for _, text := range []string{
		"We made a mistake in Sunday's migration and lost two days of your notes. We restored them from Saturday's backup at 14:00.",
		"Our deploy at 18:05 broke the export button for 312 customers, you among them. We rolled it back at 18:40.",
		"I broke the invoice run last night: your invoice went out twice. I have refunded the second one.",
		"You told us at 09:12 that sign-in failed. You were right: we had let a certificate expire. It is renewed.",
		"The errors you saw came from a bug in our code. We fixed it and added a test so it cannot happen again.",
		"Some of the work is done: your data is back. The rest, a new alert so we notice sooner, ships on Friday.",
	} {
		if got := Check(text, DefaultRules()); len(got) != 0 {
			t.Errorf("Check(%q) = %v, want clean", text, got)
		}
	}
}

// The new lists are data like the others: a configuration can replace one
// and keep the rest.
func TestEvasionListsAreData(t *testing.T) {
	r := DefaultRules()
	r.Hedging = []Phrase{{Pattern: "a tiny blip", Suggestion: "it was not tiny to them"}}
	r.PassiveVoice = nil
	got := Check("A tiny blip occurred. Mistakes were made.", r)
	if len(got) != 1 || got[0].Kind != KindHedging || got[0].Phrase != "A tiny blip" {
		t.Fatalf("Check with replaced lists = %v", got)
	}
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
	r.PassiveVoice = []Phrase{{Pattern: "... made"}}
	if err := r.Validate(); err == nil || !strings.Contains(err.Error(), "passive_voice[0].pattern") {
		t.Fatalf("Validate = %v, want it to name passive_voice[0].pattern", err)
	}
}
