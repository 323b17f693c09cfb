package ledger

import (
	"strings"
	"testing"
	"time"
)

func TestSummarize(t *testing.T) {
	t0 := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	inc := Incident{ID: 1, ReportedAt: t0, Customers: []string{"a", "b", "c"}}
	apologies := []Apology{
		{Customer: "a", Incident: 1, RecordedAt: t0.Add(-time.Hour)},                         // before the report: not counted as the first
		{Customer: "a", Incident: 1, RecordedAt: t0.Add(3 * time.Hour)},                      // listed newest first
		{Customer: "a", Incident: 1, RecordedAt: t0.Add(2 * time.Hour)},                      // the first after the report
		{Customer: "b", Incident: 1, RecordedAt: t0.Add(time.Minute), Status: ApologyFailed}, // not delivered
		{Customer: "b", Incident: 2, RecordedAt: t0.Add(time.Minute)},                        // another incident
		{Customer: "z", Incident: 1, RecordedAt: t0},                                         // not affected
	}
	credits := []Credit{{ID: 5, Customer: "a", IncidentID: 1}, {ID: 3, Customer: "a", IncidentID: 1},
		{ID: 4, Customer: "a"}, {ID: 6, Customer: "c", IncidentID: 2}}
	got := Summarize(inc, apologies, credits)
	if len(got) != 3 {
		t.Fatalf("summaries %+v", got)
	}
	a, b, c := got[0], got[1], got[2]
	if a.Customer != "a" || a.Apologies != 3 || *a.TimeToApology != 2*time.Hour || !a.FirstApology.Equal(t0.Add(2*time.Hour)) ||
		len(a.Given) != 2 || a.Given[0].ID != 3 || a.Given[1].ID != 5 {
		t.Errorf("a: %+v", a)
	}
	if b.Apologies != 1 || b.FirstApology != nil || b.TimeToApology != nil {
		t.Errorf("b: %+v", b)
	}
	if c.Apologies != 0 || len(c.Given) != 0 || c.Given == nil {
		t.Errorf("c: %+v", c)
	}
}

func TestIncidentFigures(t *testing.T) {
	t0 := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	fixed := t0.Add(-time.Hour)
	// Found and fixed before anyone reported it: time to fix is 0.
	inc := Incident{StartedAt: t0.Add(-3 * time.Hour), ReportedAt: t0, FixedAt: &fixed}
	if d, ok := inc.TimeToFix(); !ok || d != 0 {
		t.Errorf("time to fix %s %v", d, ok)
	}
	if d := inc.Downtime(t0.Add(time.Hour)); d != 2*time.Hour {
		t.Errorf("downtime %s", d)
	}
	if d := (Incident{StartedAt: t0}).Downtime(t0.Add(-time.Hour)); d != 0 {
		t.Errorf("downtime before the start %s", d)
	}
}

func TestIncidentValidation(t *testing.T) {
	for in, want := range map[string]string{"0": "not an incident id", "-1": "not an incident id", "x": "not an incident id", "": "not an incident id"} {
		if _, err := ParseIncidentID("--incident", in); err == nil || !strings.Contains(err.Error(), "--incident: ") || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseIncidentID(%q): %v", in, err)
		}
	}
	if id, err := ParseIncidentID("--incident", "42"); err != nil || id != 42 {
		t.Errorf("ParseIncidentID(42) = %d %v", id, err)
	}
	for in, want := range map[string]string{"": "must not be empty", " a": "spaces", "a\nb": "one line",
		strings.Repeat("x", MaxTextLen+1): "at most", "a\x00": "control"} {
		if err := ValidateGesture("--gesture", in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ValidateGesture(%q): %v, want %q", in, err, want)
		}
	}
	if err := ValidateGesture("--gesture", "a handwritten card"); err != nil {
		t.Error(err)
	}
	for _, a := range []NewApology{
		{Customer: "", Incident: 1, Body: "x"},
		{Customer: "a", Incident: 0, Body: "x"},
		{Customer: "a", Incident: 1, Body: "\n "},
		{Customer: "a", Incident: 1, Body: "x", Status: "lost"},
		{Customer: "a", Incident: 1, Body: "x", Via: " email"},
	} {
		if err := a.Validate("--file"); err == nil {
			t.Errorf("%+v: no error", a)
		}
	}
}
