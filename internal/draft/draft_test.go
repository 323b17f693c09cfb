package draft

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/makegood/makegood/internal/ledger"
	"github.com/makegood/makegood/pkg/apology"
)

var now = time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)

func incident(fixed bool) ledger.Incident {
	inc := ledger.Incident{ID: 3, Title: "Login outage",
		What:      "On Monday a change we deployed broke logins, and you could not sign in for nine hours",
		StartedAt: now.Add(-10 * time.Hour), ReportedAt: now.Add(-9 * time.Hour)}
	if fixed {
		at := now.Add(-time.Hour)
		inc.FixedAt = &at
	}
	return inc
}

func credit(minor int64, currency string) ledger.Credit {
	return ledger.Credit{AmountMinor: minor, Currency: currency, RemainingMinor: minor}
}

func gesture(text string) ledger.Credit { return ledger.Credit{Gesture: text} }

// Every combination the built-in template can produce must pass the check
// with the default rules: no excuses, no stock regret.
func TestEveryDefaultDraftPassesTheCheck(t *testing.T) {
	voided := credit(9900, "USD")
	voided.VoidedAt = &now
	givens := map[string][]ledger.Credit{
		"nothing":        nil,
		"money":          {credit(2500, "USD")},
		"gesture":        {gesture("a handwritten thank-you card")},
		"money+gestures": {credit(2500, "USD"), gesture("a free month of the next plan up"), gesture("a handwritten thank-you card")},
		"only voided":    {voided},
		"zero-decimal":   {credit(3000, "JPY")},
	}
	customers := map[string]ledger.Customer{
		"named":   {ID: "a", Name: "Ana Souza"},
		"unnamed": {ID: "b"},
	}
	for _, fixed := range []bool{true, false} {
		for gname, given := range givens {
			for cname, c := range customers {
				for _, sender := range []string{"", "Zoë"} {
					d := NewData(c, incident(fixed), given, sender)
					subject, body, err := Render("", "", d)
					if err != nil {
						t.Fatal(err)
					}
					name := strings.Join([]string{map[bool]string{true: "fixed", false: "open"}[fixed], gname, cname, sender}, "/")
					text := Text(subject, body)
					if fs := apology.Check(text, apology.DefaultRules()); len(fs) != 0 {
						t.Errorf("%s: findings %v in\n%s", name, fs, text)
					}
					checkDraft(t, name, d, subject, body)
				}
			}
		}
	}
}

func checkDraft(t *testing.T, name string, d Data, subject, body string) {
	t.Helper()
	if !strings.Contains(subject, "Login outage") {
		t.Errorf("%s: subject %q lacks the incident", name, subject)
	}
	if !strings.Contains(body, "you could not sign in for nine hours.") {
		t.Errorf("%s: body lacks what happened, ending a sentence:\n%s", name, body)
	}
	if d.Fixed != strings.Contains(body, "It is fixed") || !d.Fixed != strings.Contains(body, "fixing it right now") {
		t.Errorf("%s: fixed=%v but body says:\n%s", name, d.Fixed, body)
	}
	if len(d.Given) > 0 != strings.Contains(body, "To make up for it, we are giving you") {
		t.Errorf("%s: given %v but body says:\n%s", name, d.Given, body)
	}
	for _, g := range d.Given {
		if !strings.Contains(body, g) {
			t.Errorf("%s: body lacks %q:\n%s", name, g, body)
		}
	}
	if !strings.Contains(body, "Thank you") {
		t.Errorf("%s: no thank-you:\n%s", name, body)
	}
	greeting := "Hi,\n"
	if d.FirstName != "" {
		greeting = "Hi " + d.FirstName + ",\n"
	}
	signature := "\nThe team\n"
	if d.SenderName != "" {
		signature = "\n" + d.SenderName + "\n"
	}
	if !strings.HasPrefix(body, greeting) || !strings.HasSuffix(body, signature) {
		t.Errorf("%s: greeting or signature wrong:\n%s", name, body)
	}
	if strings.Contains(body, "\n\n\n") || strings.Contains(body, "<no value>") {
		t.Errorf("%s: untidy:\n%s", name, body)
	}
	// Short and direct: a few sentences, not a letter.
	if n := len(strings.Fields(body)); n > 110 {
		t.Errorf("%s: %d words", name, n)
	}
}

func TestNewData(t *testing.T) {
	voided := credit(100, "USD")
	voided.VoidedAt = &now
	d := NewData(ledger.Customer{Name: "  Ana  Souza "}, incident(true),
		[]ledger.Credit{credit(2500, "USD"), voided, gesture("a card"), credit(1250, "KWD")}, " Zoë ")
	if d.FirstName != "Ana" || d.CustomerName != "Ana  Souza" || d.SenderName != "Zoë" || !d.Fixed {
		t.Errorf("names: %+v", d)
	}
	want := "a credit of $25.00 toward your next invoice, a card and a credit of KWD 1.250 toward your next invoice"
	if d.GivenText != want || len(d.Given) != 3 {
		t.Errorf("given %q, want %q", d.GivenText, want)
	}
	for in, want := range map[string]string{"It broke": "It broke.", "It broke!": "It broke!", " Why? ": "Why?", "": ""} {
		if got := sentence(in); got != want {
			t.Errorf("sentence(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLocaleOverride(t *testing.T) {
	dir := t.TempDir()
	p := OverridePath(dir, "pt")
	if p != filepath.Join(dir, "templates", "apology", "default.pt.tmpl") {
		t.Fatalf("override path %s", p)
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		t.Fatal(err)
	}
	src := "Subject: Desculpe: {{.Title}}\n\nOlá {{.FirstName}}. {{.What}}\n{{range .Given}}- {{.}}\n{{end}}"
	if err := os.WriteFile(p, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	d := NewData(ledger.Customer{Name: "Ana"}, incident(true), []ledger.Credit{gesture("um cartão")}, "")
	subject, body, err := Render("pt-BR", dir, d)
	if err != nil || subject != "Desculpe: Login outage" || !strings.Contains(body, "- um cartão\n") {
		t.Fatalf("pt-BR: %q %q %v", subject, body, err)
	}
	subject, _, err = Render("de", dir, d)
	if err != nil || subject != "Fixed: Login outage" {
		t.Fatalf("de falls back to the built-in: %q %v", subject, err)
	}
}
