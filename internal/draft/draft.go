// Package draft writes apology drafts: what happened in plain words, that
// it is fixed (or being fixed right now), what the customer is given, and a
// thank-you. No excuses and no stock regret: the built-in template passes
// pkg/apology's check, and the operator's own words (the incident's "what")
// are the only thing that can bring an excuse in.
//
// Templates follow internal/tmpl: a "Subject: ..." line, a blank line, the
// body; overridable per locale as
// <configDir>/templates/apology/default.<locale>.tmpl.
package draft

import (
	"embed"
	"fmt"
	"strings"

	"github.com/makegood/makegood/internal/ledger"
	"github.com/makegood/makegood/internal/tmpl"
	"github.com/makegood/makegood/pkg/money"
)

// embedded is only read; go:embed needs a package-level variable.
//
//go:embed templates/*.tmpl
var embedded embed.FS

// Name is the template's name: default.tmpl, default.<locale>.tmpl.
const Name = "default"

// Data is what an apology template can use.
type Data struct {
	CustomerName string
	FirstName    string // first word of the name, for "Hi Ana,"; may be empty
	Title        string // the incident's title
	// What is what happened, as the operator wrote it for the incident,
	// ending with a full stop so a template can follow it with a sentence.
	What  string
	Fixed bool
	// Given lists what the customer is given for the incident, one phrase
	// each ("a credit of $25.00 toward your next invoice", "a handwritten
	// card"); GivenText joins them in English ("a, b and c"). Templates in
	// other languages range over Given.
	Given      []string
	GivenText  string
	SenderName string
}

// NewData gathers a draft's data. given are the credits and gestures linked
// to the incident for this customer; voided ones are left out, since the
// customer is not getting them.
func NewData(c ledger.Customer, inc ledger.Incident, given []ledger.Credit, sender string) Data {
	d := Data{
		CustomerName: strings.TrimSpace(c.Name),
		Title:        inc.Title,
		What:         sentence(inc.What),
		Fixed:        inc.FixedAt != nil,
		Given:        []string{},
		SenderName:   strings.TrimSpace(sender),
	}
	if f := strings.Fields(c.Name); len(f) > 0 {
		d.FirstName = f[0]
	}
	for _, g := range given {
		if g.VoidedAt != nil {
			continue
		}
		if g.IsGesture() {
			d.Given = append(d.Given, g.Gesture)
			continue
		}
		d.Given = append(d.Given, fmt.Sprintf("a credit of %s toward your next invoice", money.Format(g.AmountMinor, g.Currency)))
	}
	d.GivenText = joinEnglish(d.Given)
	return d
}

// sentence trims s and ends it with a full stop unless it already ends a
// sentence.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" || strings.ContainsAny(s[len(s)-1:], ".!?") {
		return s
	}
	return s + "."
}

func joinEnglish(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

func templates() tmpl.Set {
	return tmpl.Set{Kind: "apology", Builtin: embedded, Dir: "templates"}
}

// OverridePath is where an operator's apology template for locale ("" for
// every locale) lives under the config directory.
func OverridePath(configDir, locale string) string {
	return templates().OverridePath(configDir, Name, locale)
}

// Render writes the draft in the customer's locale, from the first template
// found of <overrideDir>/templates/apology/default.<locale>.tmpl (pt-BR,
// then pt), default.tmpl there, and the built-in template.
func Render(locale, overrideDir string, d Data) (subject, body string, err error) {
	return templates().Render(Name, locale, overrideDir, d)
}

// Text is a rendered draft as one message: the subject line, a blank line,
// the body, the form `apology record` stores.
func Text(subject, body string) string {
	return "Subject: " + subject + "\n\n" + body
}
