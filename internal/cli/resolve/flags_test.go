package resolve

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/makegood/makegood/internal/cli/cmdutil"
	"github.com/makegood/makegood/internal/ledger"
	"github.com/makegood/makegood/pkg/goodwill"
)

// flagOpts builds Options as NewCmdResolve would for args given as name →
// value ("" for a bool flag).
func flagOpts(t *testing.T, args map[string]string) *Options {
	t.Helper()
	o := &Options{Changed: func(name string) bool { _, ok := args[name]; return ok }}
	for k, v := range args {
		switch k {
		case "title":
			o.Title = v
		case "what":
			o.What = v
		case "started":
			o.Started = v
		case "customer":
			o.Customers = strings.Split(v, ",")
		case "apology-file":
			o.ApologyFile = v
		case "keep-flagged":
			o.KeepFlagged = true
		case "fixed-at":
			o.FixedAt = v
		case "not-fixed":
			o.NotFixed = true
		case "accept-suggestion":
			o.AcceptSuggestion = true
		case "pick":
			o.Pick = v
		case "amount":
			o.Amount = v
		case "gesture":
			o.Gesture = v
		case "no-compensation":
			o.NoCompensation = true
		case "via":
			o.Via = v
		default:
			t.Fatalf("flag %q", k)
		}
	}
	return o
}

func TestPlanFromFlags(t *testing.T) {
	dir := t.TempDir()
	flagged := filepath.Join(dir, "flagged.txt")
	if err := os.WriteFile(flagged, []byte("Hi,\n\nDue to our provider, logins failed.\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	clean := filepath.Join(dir, "clean.txt")
	if err := os.WriteFile(clean, []byte("Hi,\n\nLogins failed for a day. Our mistake; fixed now.\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	fixedAt := now.Add(-time.Hour)
	openInc := func() *Plan {
		return &Plan{Incident: ledger.Incident{ID: 7, Title: "Login outage", What: "Logins failed", Severity: "normal",
			StartedAt: now.Add(-25 * time.Hour), ReportedAt: now.Add(-24 * time.Hour)}}
	}
	saved := func() *Plan {
		p := openInc()
		at := now.Add(-23 * time.Hour)
		p.Targets = []*Target{{Customer: alice, Apologized: &at}}
		return p
	}
	fixedSaved := func() *Plan {
		p := saved()
		p.Incident.FixedAt = &fixedAt
		return p
	}
	base := map[string]string{"title": "Login outage", "what": "Logins failed", "started": now.Add(-24 * time.Hour).Format(time.RFC3339), "customer": alice.ID}
	with := func(extra map[string]string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	tests := []struct {
		name    string
		base    func() *Plan
		args    map[string]string
		wantErr string
		check   func(*testing.T, *Plan)
	}{
		{name: "accept the recommendation", args: with(map[string]string{"fixed-at": "now", "accept-suggestion": ""}), check: func(t *testing.T, p *Plan) {
			g := p.Targets[0].Give
			if p.Action != ActionRecord || g.Kind != goodwill.KindRecommended || g.Amount.Minor != 2500 || p.Via != ViaOutbox {
				t.Fatalf("plan %+v give %+v", p, g)
			}
			if a := p.Targets[0].Apology; !strings.Contains(a, "it is fixed") || !strings.Contains(a, "a credit of $25.00") {
				t.Fatalf("apology %q is not the draft written with the fix and the gift", a)
			}
		}},
		{name: "pick another option", args: with(map[string]string{"fixed-at": "now", "pick": "next_invoice", "via": "smtp"}), check: func(t *testing.T, p *Plan) {
			if g := p.Targets[0].Give; g.Kind != goodwill.KindNextInvoice || g.Amount.Minor != 4900 || p.Via != ViaSMTP {
				t.Fatalf("give %+v via %q", g, p.Via)
			}
		}},
		{name: "amount in each customer's currency", args: with(map[string]string{"customer": alice.ID + "," + bob.ID, "apology-file": clean, "fixed-at": "now", "amount": "10"}), check: func(t *testing.T, p *Plan) {
			if a, b := p.Targets[0].Give.Amount, p.Targets[1].Give.Amount; a.Currency != "USD" || a.Minor != 1000 || b.Currency != "EUR" || b.Minor != 1000 {
				t.Fatalf("amounts %+v %+v", a, b)
			}
		}},
		{name: "not fixed saves", args: with(map[string]string{"not-fixed": ""}), check: func(t *testing.T, p *Plan) {
			if p.Action != ActionSave || p.Fixed || p.Targets[0].Apology == "" {
				t.Fatalf("plan %+v", p)
			}
		}},
		{name: "resume a saved case", base: saved, args: map[string]string{"fixed-at": fixedAt.Format(time.RFC3339), "gesture": "a handwritten card"}, check: func(t *testing.T, p *Plan) {
			if p.FixedAt != fixedAt || p.Targets[0].Give.Gesture != "a handwritten card" || p.Targets[0].Apology != "" {
				t.Fatalf("plan %+v target %+v", p, p.Targets[0])
			}
		}},
		{name: "resume a fixed case", base: fixedSaved, args: map[string]string{"no-compensation": ""}, check: func(t *testing.T, p *Plan) {
			if !p.Fixed || p.FixedAt != fixedAt || p.Targets[0].Give.Kind != GiveNothing {
				t.Fatalf("plan %+v", p)
			}
		}},
		{name: "flagged file kept knowingly", args: with(map[string]string{"apology-file": flagged, "keep-flagged": "", "fixed-at": "now", "accept-suggestion": ""}), check: func(t *testing.T, p *Plan) {
			if len(p.Targets[0].Kept) != 1 {
				t.Fatalf("kept %+v", p.Targets[0].Kept)
			}
		}},

		// Decisions the ledger makes necessary.
		{name: "incident without customers", base: openInc, args: map[string]string{"not-fixed": ""}, wantErr: "--customer is required when not running interactively"},
		{name: "open incident needs the fix", base: saved, args: map[string]string{}, wantErr: "--fixed-at or --not-fixed is required when not running interactively"},
		{name: "fixed incident needs the compensation", base: fixedSaved, args: map[string]string{}, wantErr: compensationRequired + " is required when not running interactively"},
		{name: "fixed twice", base: fixedSaved, args: map[string]string{"fixed-at": "now", "accept-suggestion": ""}, wantErr: "--fixed-at: incident #7 was already fixed"},
		{name: "nothing left to save", base: saved, args: map[string]string{"not-fixed": ""}, wantErr: "--not-fixed: incident #7 is saved already"},

		// Bad values.
		{name: "flagged file", args: with(map[string]string{"apology-file": flagged, "fixed-at": "now", "accept-suggestion": ""}), wantErr: "line 3: --apology-file: apology check flagged 1 phrase(s)"},
		{name: "missing file", args: with(map[string]string{"apology-file": filepath.Join(dir, "nope"), "not-fixed": ""}), wantErr: "--apology-file: open"},
		{name: "unknown customer", args: with(map[string]string{"customer": "zed", "not-fixed": ""}), wantErr: `--customer: customer "zed" is not in the ledger`},
		{name: "fix in the future", args: with(map[string]string{"fixed-at": now.Add(time.Hour).Format(time.RFC3339), "accept-suggestion": ""}), wantErr: "--fixed-at: " + now.Add(time.Hour).Format(time.RFC3339) + " is in the future"},
		{name: "fix before the start", args: with(map[string]string{"fixed-at": "2020-01-01", "accept-suggestion": ""}), wantErr: "is before the incident started"},
		{name: "bad amount", args: with(map[string]string{"fixed-at": "now", "amount": "1.234"}), wantErr: "--amount"},
		{name: "no such option", args: with(map[string]string{"fixed-at": "now", "pick": "make_whole", "customer": bob.ID, "apology-file": clean, "started": now.Format(time.RFC3339)}), wantErr: "--pick: goodwill suggest has no make_whole option"},
		{name: "no price for a suggestion", args: with(map[string]string{"customer": "dan", "fixed-at": "now", "accept-suggestion": ""}), wantErr: "--accept-suggestion: no suggestion for Dan (dan)"},
		{name: "empty what", args: with(map[string]string{"what": " ", "not-fixed": ""}), wantErr: "--what: must not be empty"},
	}
	dan := alice
	dan.ID, dan.Name, dan.PriceMinor = "dan", "Dan", 0
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := &memSource{customers: []ledger.Customer{alice, bob, dan}}
			var base *Plan
			if tt.base != nil {
				base = tt.base()
			}
			p, err := planFromFlags(context.Background(), src, flagOpts(t, tt.args), now, base, "USD", ViaOutbox, strings.NewReader(""))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want %q", err, tt.wantErr)
				}
				if cmdutil.ExitCode(err) != cmdutil.ExitUsage {
					t.Fatalf("exit status %d for %v", cmdutil.ExitCode(err), err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, p)
		})
	}
}
