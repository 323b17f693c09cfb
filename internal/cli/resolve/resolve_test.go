package resolve

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/makegood/makegood/internal/cli/clitest"
	"github.com/makegood/makegood/internal/cli/cmdutil"
)

// A new incident fixed at a time, for one customer: every decision but the
// compensation.
const newFixed = `--title "Login outage" --what "Nobody could log in" --customer a --fixed-at 2026-11-24T09:00:00Z`

func TestResolveFlags(t *testing.T) {
	tests := []struct {
		name    string
		tty     bool
		noInput bool
		args    string
		wantErr string
		check   func(*testing.T, *Options)
	}{
		// Every missing decision off a terminal names its flag.
		{name: "no incident", args: "", wantErr: "--incident or --title is required when not running interactively"},
		{name: "title without what", args: `--title T --customer a`, wantErr: "--what is required when not running interactively"},
		{name: "new incident without customer", args: `--title T --what W --fixed-at now --accept-suggestion`, wantErr: "--customer is required when not running interactively"},
		{name: "new incident without the fix", args: `--title T --what W --customer a --accept-suggestion`, wantErr: "--fixed-at or --not-fixed is required when not running interactively"},
		{name: "fixed without compensation", args: newFixed, wantErr: "--accept-suggestion, --pick, --amount, --gesture or --no-compensation is required when not running interactively"},
		{name: "resume fixed without compensation", args: `--incident 3 --fixed-at now`, wantErr: "--accept-suggestion, --pick, --amount, --gesture or --no-compensation is required"},
		{name: "no-input on a terminal is a script", tty: true, noInput: true, args: "", wantErr: "--incident or --title is required"},

		// Values wrong anywhere.
		{name: "bad incident id", args: `--incident x`, wantErr: `--incident: "x" is not an incident id`},
		{name: "bad via", args: newFixed + ` --accept-suggestion --via pigeon`, wantErr: `--via: "pigeon" is not a delivery; use one of outbox, smtp, none`},
		{name: "bad pick", args: newFixed + ` --pick lots`, wantErr: `--pick: "lots" is not an option kind`},
		{name: "bad severity", args: `--title T --what W --customer a --not-fixed --severity dire`, wantErr: `--severity: "dire" is not a severity`},
		{name: "empty gesture", args: newFixed + ` --gesture " "`, wantErr: "--gesture must not be empty"},
		{name: "what with incident", args: `--incident 3 --what W --not-fixed`, wantErr: "--what describes a new incident and goes with --title"},
		{name: "compensation before the fix", args: `--title T --what W --customer a --not-fixed --amount 5`, wantErr: "--amount cannot be used with --not-fixed"},
		{name: "keep-flagged without a file", args: newFixed + ` --accept-suggestion --keep-flagged`, wantErr: "--keep-flagged goes with --apology-file"},
		{name: "incident and title", args: `--incident 3 --title T`, wantErr: "[incident title] are set none of the others can be"},
		{name: "two fixes", args: `--title T --what W --customer a --fixed-at now --not-fixed`, wantErr: "[fixed-at not-fixed] are set none of the others can be"},
		{name: "two compensations", args: newFixed + ` --amount 5 --no-compensation`, wantErr: "none of the others can be"},

		// Complete decisions reach the run.
		{name: "new incident, not fixed", args: `--title T --what W --customer a --customer b --not-fixed --via smtp`, check: func(t *testing.T, o *Options) {
			if o.Title != "T" || o.What != "W" || strings.Join(o.Customers, ",") != "a,b" || !o.NotFixed || o.Via != "smtp" || o.CanPrompt {
				t.Fatalf("opts %+v", o)
			}
		}},
		{name: "every flag", args: newFixed + ` --started 2026-11-24T08:00:00Z --severity high --apology-file a.txt --keep-flagged --pick sla_credit --via none --json`, check: func(t *testing.T, o *Options) {
			if o.Started != "2026-11-24T08:00:00Z" || o.Severity != "high" || o.ApologyFile != "a.txt" || !o.KeepFlagged ||
				o.Pick != "sla_credit" || o.Via != "none" || !o.Output.JSON || o.FixedAt != "2026-11-24T09:00:00Z" {
				t.Fatalf("opts %+v", o)
			}
			if o.compensationFlag() != "pick" {
				t.Fatalf("compensation flag %q", o.compensationFlag())
			}
		}},
		{name: "resume leaves the rest to the ledger", args: `--incident 3`, check: func(t *testing.T, o *Options) {
			if o.Incident != 3 || o.compensationFlag() != "" {
				t.Fatalf("opts %+v", o)
			}
		}},
		{name: "resume and give", args: `--incident 3 --fixed-at now --gesture "a handwritten card"`, check: func(t *testing.T, o *Options) {
			if o.Incident != 3 || o.Gesture != "a handwritten card" || o.FixedAt != "now" {
				t.Fatalf("opts %+v", o)
			}
		}},
		{name: "a terminal may leave everything out", tty: true, args: "", check: func(t *testing.T, o *Options) {
			if !o.CanPrompt || o.Prompter() == nil {
				t.Fatalf("opts %+v", o)
			}
		}},
		{name: "accessible flag", tty: true, args: "--accessible", check: func(t *testing.T, o *Options) {
			if !o.Accessible {
				t.Fatal("--accessible not set")
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := clitest.New(t, nil)
			if tt.tty {
				e.Terminal()
			}
			e.F.Viper.Set("no_input", tt.noInput)
			var got *Options
			cmd := NewCmdResolve(e.F, func(o *Options) error { got = o; return nil })
			err := clitest.Run(cmd, tt.args)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want %q", err, tt.wantErr)
				}
				if code := cmdutil.ExitCode(err); code != cmdutil.ExitUsage {
					t.Fatalf("exit status %d, want 2", code)
				}
				if got != nil {
					t.Fatal("the run was reached despite the error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, got)
		})
	}
}

// A flag error opens no ledger: nothing is written, not even the file.
func TestResolveFlagErrorWritesNothing(t *testing.T) {
	e := clitest.New(t, nil)
	err := clitest.Run(NewCmdResolve(e.F, nil), newFixed)
	if cmdutil.ExitCode(err) != cmdutil.ExitUsage {
		t.Fatalf("err %v", err)
	}
	db := e.F.Viper.GetString("db")
	if _, statErr := os.Stat(db); !errors.Is(statErr, os.ErrNotExist) {
		t.Fatalf("%s exists after a flag error (%v)", filepath.Base(db), statErr)
	}
}

func TestResolveAccessibleFromEnvironment(t *testing.T) {
	for _, env := range []map[string]string{{"ACCESSIBLE": "1"}, {"TERM": "dumb"}} {
		e := clitest.New(t, env)
		e.Terminal()
		var got *Options
		if err := clitest.Run(NewCmdResolve(e.F, func(o *Options) error { got = o; return nil }), ""); err != nil {
			t.Fatal(err)
		}
		if !got.Accessible {
			t.Fatalf("%v does not turn on accessible mode", env)
		}
	}
}
