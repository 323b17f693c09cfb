// Package tmpl finds and renders the message templates makegood writes to
// customers: thank-you notes and apology drafts. A template file is a
// "Subject: ..." line, a blank line, then the body, both text/template.
// Operators override the built-in templates, per locale, in the config
// directory.
package tmpl

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"strings"
	"text/template"
	"unicode"

	"github.com/makegood/makegood/internal/fileutil"
)

// Set is one kind of message with its built-in templates.
type Set struct {
	// Kind names the folder of overrides: <configDir>/templates/<Kind>/.
	Kind string
	// Builtin holds the built-in templates as Dir/<name>[.<locale>].tmpl.
	Builtin fs.FS
	Dir     string
}

// OverridePath is where an operator's template for name (and locale, when
// not empty) lives under the config directory.
func (s Set) OverridePath(configDir, name, locale string) string {
	return filepath.Join(configDir, "templates", s.Kind, fileName(name, locale))
}

func fileName(name, locale string) string {
	if locale != "" {
		name += "." + locale
	}
	return name + ".tmpl"
}

// Render writes the message called name in the customer's locale. It takes
// the first template found of
//
//	<overrideDir>/templates/<kind>/<name>.<locale>.tmpl  (pt-BR, then pt)
//	<overrideDir>/templates/<kind>/<name>.tmpl
//	the built-in <name>.<locale>.tmpl, then <name>.tmpl
//
// overrideDir may be "". data is what the template sees; a field it does
// not have fails the render instead of printing "<no value>" to a customer.
func (s Set) Render(name, locale, overrideDir string, data any) (subject, body string, err error) {
	src, label, err := s.Find(name, locale, overrideDir)
	if err != nil {
		return "", "", err
	}
	return Render(label, src, data)
}

// MaxTemplateBytes bounds an override template: a message, not a book.
const MaxTemplateBytes = 1 << 20

// Find returns the source of the template Render would use and a label
// for messages: its path, or "built-in <file>".
func (s Set) Find(name, locale, overrideDir string) (src, label string, err error) {
	candidates := append(LocaleChain(locale), "")
	if overrideDir != "" {
		for _, loc := range candidates {
			p := s.OverridePath(overrideDir, name, loc)
			b, err := fileutil.ReadBounded("template", p, MaxTemplateBytes)
			if err == nil {
				return string(b), p, nil
			}
			// A template that exists but cannot be read is the operator's
			// to fix; quietly sending the default instead would hide it.
			if !errors.Is(err, fs.ErrNotExist) {
				return "", "", fmt.Errorf("read template: %w", err)
			}
		}
	}
	for _, loc := range candidates {
		file := fileName(name, loc)
		if b, err := fs.ReadFile(s.Builtin, path.Join(s.Dir, file)); err == nil {
			return string(b), "built-in " + file, nil
		}
	}
	return "", "", fmt.Errorf("no %s template %q", s.Kind, name)
}

// LocaleChain turns "pt_BR.UTF-8" or "pt-br" into ["pt-BR", "pt"]. Anything
// that is not a plain tag gives no candidates: a locale comes from customer
// data and must never become a path like "../../x".
func LocaleChain(locale string) []string {
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

// Render renders a template's source: the subject line, then the body.
// label names the template in errors.
func Render(label, src string, data any) (subject, body string, err error) {
	src = strings.TrimPrefix(src, "\ufeff")
	src = strings.ReplaceAll(src, "\r\n", "\n")
	first, rest, _ := strings.Cut(src, "\n")
	const prefix = "subject:"
	if len(first) < len(prefix) || !strings.EqualFold(first[:len(prefix)], prefix) {
		return "", "", fmt.Errorf("template %s: line 1 must be \"Subject: ...\"", label)
	}
	blank, bodySrc, _ := strings.Cut(rest, "\n")
	if strings.TrimSpace(blank) != "" {
		return "", "", fmt.Errorf("template %s: line 2 must be blank, separating the subject from the body", label)
	}
	subject, err = execute(label, first[len(prefix):], data)
	if err != nil {
		return "", "", err
	}
	subject = strings.TrimSpace(subject)
	if strings.ContainsAny(subject, "\r\n") {
		return "", "", fmt.Errorf("template %s: the subject renders with a line break", label)
	}
	if subject == "" {
		return "", "", fmt.Errorf("template %s: the subject renders empty", label)
	}
	// The two newlines keep text/template's line numbers equal to the file's.
	body, err = execute(label, "\n\n"+bodySrc, data)
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

func execute(label, src string, data any) (string, error) {
	t, err := template.New(label).Option("missingkey=error").Parse(src)
	if err != nil {
		return "", err // text/template already names the file and line
	}
	var b strings.Builder
	if err := t.Execute(&b, data); err != nil {
		return "", err
	}
	return b.String(), nil
}
