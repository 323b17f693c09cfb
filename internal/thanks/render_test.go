package thanks

import (
	"github.com/makegood/makegood/internal/ledger"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func sampleData() TemplateData {
	return TemplateData{
		CustomerName: "Ana Souza", FirstName: "Ana", Plan: "Pro", Tenure: "3 years", Years: 3,
		SenderName: "Zoë", Milestone: "1,000 customers", Incident: "Login outage",
	}
}

func writeTemplate(t *testing.T, dir, name, content string) {
	t.Helper()
	p := filepath.Join(dir, "templates", "thanks", name)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestBuiltInTemplates(t *testing.T) {
	for _, occ := range Occasions() {
		for _, credit := range []string{"", "$10.00"} {
			d := sampleData()
			d.Credit = credit
			subject, body, err := Render(occ, "", "", d)
			if err != nil {
				t.Fatalf("%s: %v", occ, err)
			}
			if subject == "" || strings.ContainsAny(subject, "\r\n") {
				t.Errorf("%s: subject %q", occ, subject)
			}
			if !strings.HasPrefix(body, "Hi Ana,\n\n") || !strings.HasSuffix(body, "\nZoë\n") {
				t.Errorf("%s: body does not greet and sign:\n%s", occ, body)
			}
			if strings.Contains(body, "\n\n\n") || strings.Contains(body, "<no value>") {
				t.Errorf("%s: untidy body:\n%s", occ, body)
			}
			if words := len(strings.Fields(body)); words > 120 {
				t.Errorf("%s: %d words; notes should be short", occ, words)
			}
			if strings.Contains(body, "$10.00") != (credit != "") {
				t.Errorf("%s credit %q: body:\n%s", occ, credit, body)
			}
			if credit != "" && !strings.Contains(strings.ToLower(body), "no strings attached") {
				t.Errorf("%s: a credit comes with no strings attached:\n%s", occ, body)
			}
		}
	}
	s, b, _ := Render(Anniversary, "", "", sampleData())
	if s != "3 years together — thank you, Ana" || !strings.Contains(b, "3 years since you joined us on Pro") {
		t.Errorf("anniversary: %q\n%s", s, b)
	}
	_, b, _ = Render(Milestone, "", "", sampleData())
	if !strings.Contains(b, "1,000 customers") {
		t.Errorf("milestone body lacks the milestone:\n%s", b)
	}
	_, b, _ = Render(AfterRecovery, "", "", sampleData())
	if !strings.Contains(b, `"Login outage"`) {
		t.Errorf("after_recovery body lacks the incident:\n%s", b)
	}
}

func TestBuiltInTemplatesWithoutOptionalFields(t *testing.T) {
	for _, occ := range Occasions() {
		d := TemplateData{Tenure: "5 days", Milestone: "launch"}
		subject, body, err := Render(occ, "", "", d)
		if err != nil {
			t.Fatalf("%s: %v", occ, err)
		}
		if strings.Contains(subject, ", ,") || strings.HasSuffix(subject, ", ") || !strings.HasPrefix(body, "Hi,\n") || !strings.HasSuffix(body, "The team\n") {
			t.Errorf("%s: %q\n%s", occ, subject, body)
		}
	}
}

func TestRenderLocaleFallbackAndOverride(t *testing.T) {
	dir := t.TempDir()
	writeTemplate(t, dir, "welcome.pt.tmpl", "Subject: Bem-vinda, {{.FirstName}}\n\nOlá {{.FirstName}} (pt)\n")
	writeTemplate(t, dir, "welcome.pt-BR.tmpl", "Subject: Bem-vinda, {{.FirstName}}!\n\nOi {{.FirstName}} (pt-BR)\n")
	writeTemplate(t, dir, "anniversary.tmpl", "Subject: {{.Years}} anos\n\nOverride generic\n")
	writeTemplate(t, dir, "anniversary.pt.tmpl", "Subject: {{.Years}} anos!\r\n\r\nParabéns (pt)\r\n")

	tests := []struct {
		occ     Occasion
		locale  string
		dir     string
		subject string
		body    string
	}{
		{Welcome, "pt-BR", dir, "Bem-vinda, Ana!", "(pt-BR)"},
		{Welcome, "pt_br.UTF-8", dir, "Bem-vinda, Ana!", "(pt-BR)"},
		{Welcome, "pt-PT", dir, "Bem-vinda, Ana", "(pt)"},
		{Welcome, "pt", dir, "Bem-vinda, Ana", "(pt)"},
		{Welcome, "PT", dir, "Bem-vinda, Ana", "(pt)"},
		{Welcome, "de-DE", dir, "Welcome, Ana — and thank you", "Thank you for choosing us"},
		{Welcome, "", dir, "Welcome, Ana — and thank you", "Thank you for choosing us"},
		{Welcome, "pt-BR", "", "Welcome, Ana — and thank you", "Thank you for choosing us"},
		{Anniversary, "pt-BR", dir, "3 anos!", "Parabéns (pt)"},
		{Anniversary, "en", dir, "3 anos", "Override generic"},
		// a locale is customer data: nothing in it may become a path
		{Anniversary, "../../../etc/passwd", dir, "3 anos", "Override generic"},
		{Anniversary, "pt/../x", dir, "3 anos", "Override generic"},
		{Anniversary, "pt\x00", dir, "3 anos", "Override generic"},
	}
	for _, tt := range tests {
		subject, body, err := Render(tt.occ, tt.locale, tt.dir, sampleData())
		if err != nil {
			t.Errorf("%s %q: %v", tt.occ, tt.locale, err)
			continue
		}
		if subject != tt.subject || !strings.Contains(body, tt.body) {
			t.Errorf("%s %q: got %q\n%s\nwant %q / %q", tt.occ, tt.locale, subject, body, tt.subject, tt.body)
		}
	}
}

func TestRenderErrors(t *testing.T) {
	dir := t.TempDir()
	writeTemplate(t, dir, "welcome.tmpl", "Subject: Hi {{.FirstName}}\n\nDear {{.Nickname}}\n")
	writeTemplate(t, dir, "milestone.tmpl", "Hello\n\nbody\n")
	writeTemplate(t, dir, "anniversary.tmpl", "Subject: x\nbody straight after\n")
	writeTemplate(t, dir, "just_because.tmpl", "Subject: {{.FirstName}\n\nbody\n")
	writeTemplate(t, dir, "after_recovery.tmpl", "Subject: {{if .Credit}}{{end}}\n\nbody\n")
	tests := []struct {
		occ  Occasion
		data TemplateData
		want []string
	}{
		{Welcome, sampleData(), []string{"welcome.tmpl:3", "Nickname"}},
		{Milestone, sampleData(), []string{"milestone.tmpl", `line 1 must be "Subject: ..."`}},
		{Anniversary, sampleData(), []string{"anniversary.tmpl", "line 2 must be blank"}},
		{JustBecause, sampleData(), []string{"just_because.tmpl:1"}},
		{AfterRecovery, sampleData(), []string{"after_recovery.tmpl", "subject renders empty"}},
		{Occasion("birthday"), sampleData(), []string{"unknown occasion"}},
	}
	for _, tt := range tests {
		_, _, err := Render(tt.occ, "", dir, tt.data)
		if err == nil {
			t.Errorf("%s: no error", tt.occ)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: err = %v, want %q", tt.occ, err, w)
			}
		}
	}

	// A name with a line break must not turn into a second header line.
	d := sampleData()
	d.FirstName = "Ana\nBcc: x@y"
	if _, _, err := Render(JustBecause, "", "", d); err == nil || !strings.Contains(err.Error(), "line break") {
		t.Errorf("subject with a line break: err = %v", err)
	}
}

func TestRenderUnreadableOverride(t *testing.T) {
	dir := t.TempDir()
	// A directory where the template file should be: exists, cannot be read.
	if err := os.MkdirAll(filepath.Join(dir, "templates", "thanks", "welcome.tmpl"), 0o700); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Render(Welcome, "", dir, sampleData()); err == nil {
		t.Error("unreadable override silently replaced by the default")
	}
}

func TestNewTemplateData(t *testing.T) {
	item := DueItem{
		Customer: ledger.Customer{Name: "  Ana  Souza ", Plan: "pro", Since: date("2024-09-24")},
		Occasion: Anniversary, Years: 1,
	}
	d := NewTemplateData(item, at("2025-11-24"))
	if d.CustomerName != "Ana  Souza" || d.FirstName != "Ana" || d.Plan != "pro" || d.Tenure != "1 year and 2 months" || d.Years != 1 {
		t.Errorf("NewTemplateData = %+v", d)
	}
	item = DueItem{Customer: ledger.Customer{}, Incident: Recovery{Title: "Outage"}, Milestone: "launch"}
	d = NewTemplateData(item, at("2025-11-24"))
	if d.FirstName != "" || d.Tenure != "" || d.Incident != "Outage" || d.Milestone != "launch" {
		t.Errorf("NewTemplateData = %+v", d)
	}
}
