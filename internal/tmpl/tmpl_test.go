package tmpl

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

func TestLocaleChain(t *testing.T) {
	for in, want := range map[string]string{
		"pt-BR":          "pt-BR pt",
		"pt_br":          "pt-BR pt",
		"pt_BR.UTF-8":    "pt-BR pt",
		"zh-hant-tw":     "zh-Hant-TW zh-Hant zh",
		"EN":             "en",
		"":               "",
		"../etc":         "",
		"pt-":            "",
		"pt BR":          "",
		"ελ":             "",
		"x-aaaaaaaaaaaa": "",
	} {
		if got := strings.Join(LocaleChain(in), " "); got != want {
			t.Errorf("LocaleChain(%q) = %q, want %q", in, got, want)
		}
	}
}

// The lookup order, with built-in locale variants as well as overrides:
// override for the locale, its language, the override without locale, then
// the built-ins in the same order.
func TestSetLookupOrder(t *testing.T) {
	builtin := fstest.MapFS{
		"t/note.tmpl":    {Data: []byte("Subject: built-in\n\nbuilt-in {{.}}\n")},
		"t/note.de.tmpl": {Data: []byte("Subject: eingebaut\n\neingebaut {{.}}\n")},
	}
	set := Set{Kind: "notes", Builtin: builtin, Dir: "t"}
	dir := t.TempDir()
	write := func(name, content string) {
		t.Helper()
		p := filepath.Join(dir, "templates", "notes", name)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("note.fr.tmpl", "Subject: fr\n\nfr {{.}}\n")
	write("note.fr-CA.tmpl", "Subject: fr-CA\n\nfr-CA {{.}}\n")
	for _, tt := range []struct{ locale, dir, subject, label string }{
		{"fr-CA", dir, "fr-CA", filepath.Join(dir, "templates", "notes", "note.fr-CA.tmpl")},
		{"fr_BE", dir, "fr", filepath.Join(dir, "templates", "notes", "note.fr.tmpl")},
		{"de-AT", dir, "eingebaut", "built-in note.de.tmpl"},
		{"en", dir, "built-in", "built-in note.tmpl"},
		{"fr", "", "built-in", "built-in note.tmpl"},
	} {
		_, label, err := set.Find("note", tt.locale, tt.dir)
		if err != nil || label != tt.label {
			t.Errorf("Find(%q, %q) label %q err %v, want %q", tt.locale, tt.dir, label, err, tt.label)
		}
		subject, body, err := set.Render("note", tt.locale, tt.dir, "x")
		if err != nil || subject != tt.subject || !strings.HasSuffix(body, " x\n") {
			t.Errorf("Render(%q, %q) = %q %q %v, want subject %q", tt.locale, tt.dir, subject, body, err, tt.subject)
		}
	}
	write("note.tmpl", "Subject: generic override\n\nbody\n")
	if s, _, err := set.Render("note", "de", dir, nil); err != nil || s != "generic override" {
		t.Errorf("an override without locale beats a built-in locale variant: %q %v", s, err)
	}
	if _, _, err := set.Render("other", "", dir, nil); err == nil || !strings.Contains(err.Error(), `no notes template "other"`) {
		t.Errorf("missing template: %v", err)
	}
}

func TestRenderTidiesAndChecks(t *testing.T) {
	subject, body, err := Render("x", "\ufeffSubject:  Hi {{.}}  \r\n\r\n{{if false}}gone{{end}}\r\n\r\n\r\nline   \r\nend\r\n", "Ana")
	if err != nil {
		t.Fatal(err)
	}
	if subject != "Hi Ana" || body != "line\nend\n" {
		t.Fatalf("subject %q body %q", subject, body)
	}
	for src, want := range map[string]string{
		"Hello\n\nbody":              `line 1 must be "Subject: ..."`,
		"Subject: x\nbody":           "line 2 must be blank",
		"Subject: {{.Missing}}\n\nb": "x:1",
		"Subject: \n\nbody":          "subject renders empty",
		"Subject: x\n\n{{.Nope}}":    "x:3",
	} {
		if _, _, err := Render("x", src, struct{}{}); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v, want %q", src, err, want)
		}
	}
}

// TestOverrideTemplateIsBounded: an override template larger than a
// message is refused before it is read whole (a /dev/zero or a log file
// put there by mistake), naming the file, rather than sent or read into
// memory; one at the bound is read.
func TestOverrideTemplateIsBounded(t *testing.T) {
	set := Set{Kind: "notes", Builtin: fstest.MapFS{"t/note.tmpl": {Data: []byte("Subject: built-in\n\nbuilt-in\n")}}, Dir: "t"}
	dir := t.TempDir()
	p := set.OverridePath(dir, "note", "")
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		t.Fatal(err)
	}
	head := "Subject: big\n\n"
	fits := head + strings.Repeat("x", MaxTemplateBytes-len(head))
	if err := os.WriteFile(p, []byte(fits), 0o600); err != nil {
		t.Fatal(err)
	}
	if src, label, err := set.Find("note", "", dir); err != nil || len(src) != MaxTemplateBytes || label != p {
		t.Fatalf("a template of exactly %d bytes: %d bytes from %q, %v", MaxTemplateBytes, len(src), label, err)
	}
	if err := os.WriteFile(p, []byte(fits+"x"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err := set.Find("note", "", dir)
	if err == nil || !strings.Contains(err.Error(), "template") || !strings.Contains(err.Error(), p) {
		t.Fatalf("a template one byte over the bound: %v, want an error naming the template and its path", err)
	}
}
