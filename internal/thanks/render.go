package thanks

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"text/template"
	"time"
	"unicode"
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

// OverridePath is where an operator's template for occasion (and locale,
// when not empty) lives under the config directory.
func OverridePath(configDir string, occasion Occasion, locale string) string {
	name := string(occasion)
	if locale != "" {
		name += "." + locale
	}
	return filepath.Join(configDir, "templates", "thanks", name+".tmpl")
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
	src, name, err := findTemplate(occasion, locale, overrideDir)
	if err != nil {
		return "", "", err
	}
	return renderSource(name, src, data)
}

func findTemplate(occasion Occasion, locale, overrideDir string) (src, name string, err error) {
	candidates := append(localeChain(locale), "")
	if overrideDir != "" {
		for _, loc := range candidates {
			path := OverridePath(overrideDir, occasion, loc)
			b, err := os.ReadFile(path)
			if err == nil {
				return string(b), path, nil
			}
			// A template that exists but cannot be read is the operator's
			// to fix; quietly sending the default instead would hide it.
			if !errors.Is(err, fs.ErrNotExist) {
				return "", "", fmt.Errorf("read template: %w", err)
			}
		}
	}
	for _, loc := range candidates {
		name := string(occasion)
		if loc != "" {
			name += "." + loc
		}
		path := "templates/" + name + ".tmpl"
		if b, err := embedded.ReadFile(path); err == nil {
			return string(b), "built-in " + name + ".tmpl", nil
		}
	}
	return "", "", fmt.Errorf("no template for occasion %s", occasion)
}

// localeChain turns "pt_BR.UTF-8" or "pt-br" into ["pt-BR", "pt"]. Anything
// that is not a plain tag gives no candidates: a locale comes from customer
// data and must never become a path like "../../x".
func localeChain(locale string) []string {
	locale = strings.TrimSpace(locale)
	if i := strings.IndexAny(locale, ".@"); i >= 0 {
		locale = locale[:i] // POSIX "pt_BR.UTF-8@euro"
	}
	if locale == "" {
		return nil
	}
	parts := strings.Split(strings.ReplaceAll(locale, "_", "-"), "-")
	for i, p := range parts {
		if p == "" || len(p) > 8 {
			return nil
		}
		for _, r := range p {
			if r > unicode.MaxASCII || !(unicode.IsLetter(r) || unicode.IsDigit(r)) {
				return nil
			}
		}
		switch {
		case i == 0:
			p = strings.ToLower(p)
		case len(p) == 2:
			p = strings.ToUpper(p) // region: BR
		case len(p) == 4:
			p = strings.ToUpper(p[:1]) + strings.ToLower(p[1:]) // script: Hant
		default:
			p = strings.ToLower(p)
		}
		parts[i] = p
	}
	var chain []string
	for n := len(parts); n > 0; n-- {
		chain = append(chain, strings.Join(parts[:n], "-"))
	}
	return chain
}

func renderSource(name, src string, data TemplateData) (subject, body string, err error) {
	src = strings.TrimPrefix(src, "\ufeff")
	src = strings.ReplaceAll(src, "\r\n", "\n")
	first, rest, _ := strings.Cut(src, "\n")
	const prefix = "subject:"
	if len(first) < len(prefix) || !strings.EqualFold(first[:len(prefix)], prefix) {
		return "", "", fmt.Errorf("template %s: line 1 must be \"Subject: ...\"", name)
	}
	blank, bodySrc, _ := strings.Cut(rest, "\n")
	if strings.TrimSpace(blank) != "" {
		return "", "", fmt.Errorf("template %s: line 2 must be blank, separating the subject from the body", name)
	}
	subject, err = execute(name, first[len(prefix):], data)
	if err != nil {
		return "", "", err
	}
	subject = strings.TrimSpace(subject)
	if strings.ContainsAny(subject, "\r\n") {
		return "", "", fmt.Errorf("template %s: the subject renders with a line break", name)
	}
	if subject == "" {
		return "", "", fmt.Errorf("template %s: the subject renders empty", name)
	}
	// The two newlines keep text/template's line numbers equal to the file's.
	body, err = execute(name, "\n\n"+bodySrc, data)
	if err != nil {
		return "", "", err
	}
	return subject, tidy(body), nil
}

// tidy drops trailing spaces and collapses runs of blank lines, which
// conditional blocks leave behind, so template authors need not fight
// whitespace.
func tidy(body string) string {
	lines := strings.Split(strings.TrimSpace(body), "\n")
	out := lines[:0]
	for _, l := range lines {
		l = strings.TrimRight(l, " \t")
		if l == "" && len(out) > 0 && out[len(out)-1] == "" {
			continue
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n") + "\n"
}

func execute(name, src string, data TemplateData) (string, error) {
	t, err := template.New(name).Option("missingkey=error").Parse(src)
	if err != nil {
		return "", err // text/template already names the file and line
	}
	var b strings.Builder
	if err := t.Execute(&b, data); err != nil {
		return "", err
	}
	return b.String(), nil
}
