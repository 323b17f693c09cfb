package thanks

import (
	"embed"
	"fmt"
	"strings"
	"time"

	"github.com/makegood/makegood/internal/tmpl"
)

// embedded is only read; go:embed needs a package-level variable.
//
//go:embed templates/*.tmpl
var embedded embed.FS

// TemplateData is what a note template can use. Fields a template does not
// know fail the render instead of printing "<no value>" to a customer.
type TemplateData struct {
	CustomerName string // full name as recorded
	FirstName    string // first word of the name, for "Hi Ana,"; may be empty
	Plan         string
	Tenure       string // in words: "3 years", "1 year and 2 months", "5 days"
	Years        int    // the anniversary being celebrated
	Credit       string // formatted credit such as "$10.00"; empty when none
	SenderName   string
	Milestone    string // the milestone's name, for milestone notes
	Incident     string // the incident's title, for after_recovery notes
}

// NewTemplateData fills what follows from the decision; the caller adds
// Credit and SenderName.
func NewTemplateData(item DueItem, now time.Time) TemplateData {
	c := item.Customer
	d := TemplateData{
		CustomerName: strings.TrimSpace(c.Name),
		Plan:         c.Plan,
		Years:        item.Years,
		Milestone:    item.Milestone,
		Incident:     item.Incident.Title,
	}
	if f := strings.Fields(c.Name); len(f) > 0 {
		d.FirstName = f[0]
	}
	if !c.Since.IsZero() {
		d.Tenure = TenureAt(c.Since, now).String()
	}
	return d
}

// templates are the thank-you notes: built in, overridable per locale under
// <configDir>/templates/thanks/.
func templates() tmpl.Set {
	return tmpl.Set{Kind: "thanks", Builtin: embedded, Dir: "templates"}
}

// OverridePath is where an operator's template for occasion (and locale,
// when not empty) lives under the config directory.
func OverridePath(configDir string, occasion Occasion, locale string) string {
	return templates().OverridePath(configDir, string(occasion), locale)
}

// Render writes the note for occasion in the customer's locale. It takes
// the first template found of
//
//	<overrideDir>/templates/thanks/<occasion>.<locale>.tmpl  (pt-BR, then pt)
//	<overrideDir>/templates/thanks/<occasion>.tmpl
//	the built-in English template
//
// A template file is a "Subject: ..." line, a blank line, then the body;
// both parts are text/template over TemplateData. overrideDir may be "".
func Render(occasion Occasion, locale, overrideDir string, data TemplateData) (subject, body string, err error) {
	if !occasion.valid() {
		return "", "", fmt.Errorf("unknown occasion %q", occasion)
	}
	return templates().Render(string(occasion), locale, overrideDir, data)
}
