package thanks

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/makegood/makegood/internal/cli/clitest"
	"github.com/makegood/makegood/internal/cli/cmdutil"
	"github.com/makegood/makegood/internal/ledger"
	"github.com/makegood/makegood/internal/mail/mailtest"
	"github.com/makegood/makegood/internal/prompt/prompttest"
	"github.com/makegood/makegood/internal/thanks"
)

func TestSendFlags(t *testing.T) {
	tests := []struct {
		name     string
		tty      bool
		args     string
		config   map[string]any
		wantErr  string
		wantOpts func(*testing.T, *SendOptions)
	}{
		{name: "who is required off a terminal", args: "", wantErr: "--customer, --due or --segment is required when not running interactively"},
		{name: "a terminal may ask who", tty: true, args: "", wantOpts: func(t *testing.T, o *SendOptions) {
			if !o.CanPrompt || o.Customer != "" || o.Due || o.Segment != "" {
				t.Fatalf("opts %+v", o)
			}
		}},
		{name: "one way of choosing", args: "--customer a --due", wantErr: "none of the others can be"},
		{name: "customer and segment", args: "--customer a --segment tag=vip", wantErr: "none of the others can be"},
		{name: "every flag", args: "--customer a --occasion just_because --with-credit 10.00 --via SMTP --dry-run --yes --json",
			wantOpts: func(t *testing.T, o *SendOptions) {
				if o.Customer != "a" || o.occasion.occasion != thanks.JustBecause || o.WithCredit != "10.00" ||
					o.Via != "smtp" || !o.DryRun || !o.Yes || !o.Output.JSON || o.CanPrompt {
					t.Fatalf("opts %+v", o)
				}
			}},
		{name: "segment and milestone", args: "--segment 'tenure>=2y,tag=vip' --occasion milestone:Launch -y",
			wantOpts: func(t *testing.T, o *SendOptions) {
				if o.segment.String() != "tenure>=2y,tag=vip" || o.occasion.occasion != thanks.Milestone ||
					o.occasion.milestone != "Launch" || !o.Yes {
					t.Fatalf("opts %+v", o)
				}
			}},
		{name: "incident", args: "--segment tag=affected --occasion after-recovery --incident 'login outage'",
			wantOpts: func(t *testing.T, o *SendOptions) {
				if o.occasion.occasion != thanks.AfterRecovery || o.Incident != "login outage" {
					t.Fatalf("opts %+v", o)
				}
			}},
		{name: "windows from config", args: "--due", config: map[string]any{"thanks.welcome_days": 7, "thanks.just_because_days": "90"},
			wantOpts: func(t *testing.T, o *SendOptions) {
				if o.Windows.WelcomeDays != 7 || o.Windows.JustBecauseDays != 90 || o.Windows.AnniversaryDays != 0 {
					t.Fatalf("windows %+v", o.Windows)
				}
			}},
		{name: "bad window", args: "--due", config: map[string]any{"thanks.anniversary_days": "a month"}, wantErr: `thanks.anniversary_days "a month"`},
		{name: "bad segment", args: "--segment tenure>=2x", wantErr: `--segment: segment term 1 "tenure>=2x" at column 1: unknown tenure unit "x"`},
		{name: "bad occasion", args: "--due --occasion birthday", wantErr: `--occasion: unknown occasion "birthday"`},
		{name: "milestone needs a name", args: "--due --occasion milestone", wantErr: "--occasion: a milestone needs a name"},
		{name: "bad customer", args: "--customer ' a'", wantErr: "--customer: must not start or end with spaces"},
		{name: "empty customer", args: "--customer ''", wantErr: "--customer: must not be empty"},
		{name: "empty segment", args: "--segment ''", wantErr: "--segment: segment is empty"},
		{name: "incident needs after_recovery", args: "--customer a --incident x", wantErr: "--incident: goes with --occasion after_recovery"},
		{name: "incident not with due", args: "--due --occasion after_recovery --incident x", wantErr: "--incident: needs the customers it affected"},
		{name: "empty incident", args: "--customer a --incident ''", wantErr: "--incident: must not be empty"},
		{name: "bad via", args: "--due --via fax", wantErr: `--via: "fax" is not one of outbox, smtp, print`},
		{name: "print has its own output", args: "--due --via print --json", wantErr: "--json cannot be used with --via print"},
		{name: "empty credit", args: "--due --with-credit ''", wantErr: "--with-credit: must not be empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			if tt.tty {
				e.Terminal()
			}
			for k, v := range tt.config {
				e.F.Viper.Set(k, v)
			}
			var got *SendOptions
			err := clitest.Run(NewCmdSend(e.F, func(o *SendOptions) error { got = o; return nil }), tt.args)
			if tt.wantErr != "" {
				wantExit(t, err, 2, tt.wantErr)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.wantOpts(t, got)
		})
	}
}

// The SMTP password has no flag: it may only come from the environment or
// the config file.
func TestSendHasNoPasswordFlag(t *testing.T) {
	cmd := NewCmdSend(newEnv(t).F, nil)
	for _, name := range []string{"password", "smtp-password", "pass"} {
		if cmd.Flags().Lookup(name) != nil {
			t.Errorf("--%s exists", name)
		}
	}
}

func send(e *clitest.Env, args string) error {
	e.Stdout.Reset()
	e.Stderr.Reset()
	return clitest.Run(NewCmdSend(e.F, nil), args)
}

func TestSendDueToOutboxNeverTwice(t *testing.T) {
	e := newEnv(t)
	st := seed(t, e, ana, bo, cy)
	if err := send(e, "--due --yes"); err != nil {
		t.Fatalf("%v\n%s", err, e.Stderr)
	}
	msgs := outbox(t, outboxDir(e))
	if len(msgs) != 2 {
		t.Fatalf("outbox has %d messages, want ana's and bo's", len(msgs))
	}
	a := msgs["ana@example.com"]
	if got := subject(t, a); got != "3 years together — thank you, Ana" {
		t.Errorf("subject %q", got)
	}
	if from, _ := a.Header.AddressList("From"); len(from) != 1 || from[0].Name != "Zoë" || from[0].Address != "zoe@makegood.example" {
		t.Errorf("From %v", from)
	}
	if b := body(t, a); !strings.HasPrefix(b, "Hi Ana,\n") || !strings.Contains(b, "3 years since you joined us on Pro") ||
		!strings.HasSuffix(b, "Zoë\n") || strings.Contains(b, "account") {
		t.Errorf("body:\n%s", b)
	}
	// bo's id is an address and his email field is empty: the id is used.
	if b := msgs["bo@example.com"]; b == nil || subject(t, b) != "Welcome, Bo — and thank you" {
		t.Errorf("bo: %v", b)
	}
	ns := notes(t, st, ledger.ThanksFilter{})
	if got := summary(ns); got != "ana anniversary:3 outbox sent\nbo@example.com welcome outbox sent" {
		t.Fatalf("notes:\n%s", got)
	}
	if ns[1].MessageID != a.Header.Get("Message-Id") || ns[1].Subject != "3 years together — thank you, Ana" {
		t.Errorf("note %+v vs Message-Id %s", ns[1], a.Header.Get("Message-Id"))
	}
	wantOut := "1\tana\tanniversary\toutbox\tsent\t" + ns[1].MessageID + "\n2\tbo@example.com\twelcome\toutbox\tsent\t" + ns[0].MessageID + "\n"
	if e.Stdout.String() != wantOut {
		t.Errorf("stdout %q, want %q", e.Stdout, wantOut)
	}
	if !strings.Contains(e.Stderr.String(), "Sent 2 thank-you notes via outbox; 0 skipped (already thanked); 0 failed.\nThe notes are in "+outboxDir(e)) {
		t.Errorf("stderr %q", e.Stderr)
	}

	// The weekly cron runs again: nobody hears twice.
	if err := send(e, "--due --yes --json"); err != nil {
		t.Fatal(err)
	}
	var res map[string]any
	decodeJSON(t, e.Stdout.String(), &res)
	if res["sent"] != 0.0 || res["skipped"] != 2.0 || res["failed"] != 0.0 || len(res["notes"].([]any)) != 0 {
		t.Fatalf("second run %v", res)
	}
	if n := len(outbox(t, outboxDir(e))); n != 2 {
		t.Fatalf("outbox has %d messages after the second run", n)
	}
	if n := len(notes(t, st, ledger.ThanksFilter{})); n != 2 {
		t.Fatalf("%d notes after the second run", n)
	}
}

func TestSendSeveralNeedsYesOffTerminal(t *testing.T) {
	e := newEnv(t)
	st := seed(t, e, ana, bo)
	err := send(e, "--due")
	wantExit(t, err, 2, "--yes is required when not running interactively")
	if n := len(notes(t, st, ledger.ThanksFilter{})); n != 0 {
		t.Fatalf("%d notes written", n)
	}
	if _, err := os.Stat(outboxDir(e)); !os.IsNotExist(err) {
		t.Fatalf("outbox created: %v", err)
	}
	// One recipient needs no confirmation.
	if err := send(e, "--customer ana"); err != nil {
		t.Fatal(err)
	}
}

func TestSendConfirmsAtTerminalWithProgress(t *testing.T) {
	e := newEnv(t)
	st := seed(t, e, ana, bo)
	e.Terminal()
	p := &prompttest.Prompter{Answers: []prompttest.Answer{{Title: "Send 2 thank-you notes via outbox, each with a credit of 5?", Value: "n"}}}
	e.F.Prompter = p
	err := send(e, "--due --with-credit 5")
	if !errors.Is(err, cmdutil.ErrCancel) {
		t.Fatalf("declined: %v", err)
	}
	if n, c := len(notes(t, st, ledger.ThanksFilter{})), len(credits(t, st)); n != 0 || c != 0 {
		t.Fatalf("declined, yet %d notes and %d credits", n, c)
	}
	p.Answers = []prompttest.Answer{{Title: "Send 2 thank-you notes", Value: "y"}}
	if err := send(e, "--due --with-credit 5"); err != nil {
		t.Fatal(err)
	}
	if got := summary(notes(t, st, ledger.ThanksFilter{})); got != "ana anniversary:3 outbox sent\nbo@example.com welcome outbox sent" {
		t.Fatalf("notes:\n%s", got)
	}
	// The bar is drawn on stderr and cleared when done.
	stderr := e.Stderr.String()
	if !strings.Contains(stderr, "Sending thank-you notes") || !strings.Contains(stderr, "/2)") {
		t.Fatalf("no progress bar on stderr:\n%q", stderr)
	}
	if !strings.Contains(stderr, "Sent 2 thank-you notes") {
		t.Fatalf("stderr %q", stderr)
	}
	// At a terminal the Message-IDs are for --wide: without them the
	// table fits 80 columns.
	if out := e.Stdout.String(); !strings.Contains(out, "STATUS") || strings.Contains(out, "MESSAGE-ID") {
		t.Fatalf("the table at the terminal:\n%s", out)
	}
}

func TestSendPicksWhoAtTerminal(t *testing.T) {
	e := newEnv(t)
	st := seed(t, e, ana, cy)
	e.Terminal()
	e.F.Prompter = &prompttest.Prompter{Answers: []prompttest.Answer{{Title: "Who would you like to thank?", Value: "cy"}}}
	if err := send(e, "--occasion just_because"); err != nil {
		t.Fatal(err)
	}
	if got := summary(notes(t, st, ledger.ThanksFilter{})); got != "cy just_because:2026-11-24 outbox sent" {
		t.Fatalf("notes:\n%s", got)
	}
}

func TestSendWithCreditJSON(t *testing.T) {
	e := newEnv(t)
	st := seed(t, e, ana)
	if err := send(e, "--customer ana --occasion just_because --with-credit 10 --json"); err != nil {
		t.Fatal(err)
	}
	var res map[string]any
	decodeJSON(t, e.Stdout.String(), &res)
	if got := strings.Join(keys(res), ","); got != "deferred,failed,notes,sent,skipped,unknown" {
		t.Fatalf("keys %s", got)
	}
	ns := notes(t, st, ledger.ThanksFilter{})
	note := res["notes"].([]any)[0].(map[string]any)
	if got := strings.Join(keys(note), ","); got != "customer,id,message_id,occasion,status,via" {
		t.Fatalf("note keys %s", got)
	}
	want := map[string]any{"id": 1.0, "customer": "ana", "occasion": "just_because", "via": "outbox", "status": "sent",
		"message_id": ns[0].MessageID}
	for k, v := range want {
		if note[k] != v {
			t.Errorf("%s = %v, want %v", k, note[k], v)
		}
	}
	if res["sent"] != 1.0 || res["skipped"] != 0.0 || res["failed"] != 0.0 {
		t.Errorf("counts %v", res)
	}
	// The credit is in the ledger, tied to the note, and in the note's text.
	cs := credits(t, st)
	if len(cs) != 1 || cs[0].AmountMinor != 1000 || cs[0].Currency != "USD" || cs[0].Reason != "goodwill" ||
		cs[0].Note != "thank-you note: just_because:2026-11-24" {
		t.Fatalf("credits %+v", cs)
	}
	if ns[0].Credit == nil || ns[0].Credit.ID != cs[0].ID {
		t.Fatalf("note credit %+v", ns[0].Credit)
	}
	if b := body(t, outbox(t, outboxDir(e))["ana@example.com"]); !strings.Contains(b, "I've added $10.00 to your account. No strings attached") {
		t.Fatalf("body:\n%s", b)
	}
	// The cool-down keeps the same customer from another just-because note.
	if err := send(e, "--customer ana --occasion just_because --with-credit 10"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(e.Stderr.String(), "Skipped Ana Souza (ana), just_because: already thanked just because today") {
		t.Fatalf("stderr %q", e.Stderr)
	}
	if n := len(credits(t, st)); n != 1 {
		t.Fatalf("%d credits after the skipped run", n)
	}
}

func TestSendCreditCurrency(t *testing.T) {
	e := newEnv(t)
	nocur := ledger.Customer{ID: "x@example.com", Since: date("2026-11-23")}
	st := seed(t, e, ana, nocur)
	for _, tt := range []struct{ args, want string }{
		{"--due --yes --with-credit 10", `--with-credit: customer "x@example.com" has no currency and no currency is configured`},
		{"--due --yes --with-credit 10.001", `--with-credit: for customer "ana"`},
		{"--due --yes --with-credit -1", `--with-credit: for customer "ana"`},
	} {
		wantExit(t, send(e, tt.args), 2, tt.want)
	}
	if n, c := len(notes(t, st, ledger.ThanksFilter{})), len(credits(t, st)); n != 0 || c != 0 {
		t.Fatalf("bad amounts wrote %d notes and %d credits", n, c)
	}
	if _, err := os.Stat(outboxDir(e)); !os.IsNotExist(err) {
		t.Fatal("bad amounts wrote to the outbox")
	}
	e.F.Viper.Set("currency", "gbp")
	if err := send(e, "--due --yes --with-credit 10"); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range credits(t, st) {
		got = append(got, c.Customer+" "+c.Currency)
	}
	if strings.Join(got, ",") != "x@example.com GBP,ana USD" {
		t.Fatalf("credits %v", got)
	}
}

// smtpEnv points the Factory at a real SMTP server in this process.
func smtpEnv(t *testing.T, e *clitest.Env, o mailtest.Options) *mailtest.Server {
	t.Helper()
	o.TLS = "none"
	srv := mailtest.Start(t, o)
	e.F.Viper.Set("smtp.host", srv.Host)
	e.F.Viper.Set("smtp.port", srv.Port)
	e.F.Viper.Set("smtp.tls", "none")
	e.F.Viper.Set("smtp.insecure", true)
	e.F.Viper.Set("smtp.timeout", "5s")
	if o.User != "" {
		e.F.Viper.Set("smtp.username", o.User)
		e.F.Viper.Set("smtp.password", o.Pass)
	}
	return srv
}

const password = "s3cret-Pa55-for-tests"

func TestSendSMTPRefusedRecipientThenRetry(t *testing.T) {
	e := newEnv(t)
	st := seed(t, e, ana, bo, cy)
	srv := smtpEnv(t, e, mailtest.Options{User: "zoe", Pass: password, Refuse: []string{"ana@example.com"}})

	err := send(e, "--segment tag=vip --occasion just_because --with-credit 5 --via smtp --yes --json")
	wantExit(t, err, 1, "")
	var res SendJSON
	decodeJSON(t, e.Stdout.String(), &res)
	if res.Sent != 1 || res.Failed != 1 || res.Skipped != 0 || len(res.Notes) != 2 {
		t.Fatalf("result %+v", res)
	}
	if n := res.Notes[0]; n.Customer != "ana" || n.Status != "failed" || n.MessageID != nil || n.ID == nil || *n.ID != 1 {
		t.Fatalf("ana %+v", n)
	}
	if n := res.Notes[1]; n.Customer != "cy" || n.Status != "sent" || n.MessageID == nil || n.Via != "smtp" {
		t.Fatalf("cy %+v", n)
	}
	if !strings.Contains(e.Stderr.String(), "Failed: ana (just_because:2026-11-24): mail: smtp delivery to ana@example.com") ||
		!strings.Contains(e.Stderr.String(), "550") {
		t.Fatalf("stderr %q", e.Stderr)
	}
	got := srv.Received()
	if len(got) != 1 || got[0].To[0] != "cy@example.com" {
		t.Fatalf("server received %+v", got)
	}
	// Only the note that went out carries a credit.
	if cs := credits(t, st); len(cs) != 1 || cs[0].Customer != "cy" {
		t.Fatalf("credits %+v", cs)
	}
	failed := notes(t, st, ledger.ThanksFilter{Status: "failed"})
	if len(failed) != 1 || !strings.Contains(failed[0].Error, "550") || failed[0].Credit != nil {
		t.Fatalf("failed notes %+v", failed)
	}

	// The mailbox is fixed; the same command now sends only ana's.
	srv.Accept("ana@example.com")
	if err := send(e, "--segment tag=vip --occasion just_because --with-credit 5 --via smtp --yes --json"); err != nil {
		t.Fatalf("%v\n%s", err, e.Stderr)
	}
	res = SendJSON{}
	decodeJSON(t, e.Stdout.String(), &res)
	if res.Sent != 1 || res.Skipped != 1 || res.Failed != 0 || res.Notes[0].Customer != "ana" {
		t.Fatalf("retry %+v", res)
	}
	if got := srv.Received(); len(got) != 2 || got[1].To[0] != "ana@example.com" {
		t.Fatalf("server received %+v", got)
	}
	if got := summary(notes(t, st, ledger.ThanksFilter{})); got != "ana just_because:2026-11-24 smtp failed\ncy just_because:2026-11-24 smtp sent\nana just_because:2026-11-24 smtp sent" {
		t.Fatalf("notes:\n%s", got)
	}
	if cs := credits(t, st); len(cs) != 2 {
		t.Fatalf("credits %+v", cs)
	}
	for _, out := range []string{e.Stdout.String(), e.Stderr.String()} {
		if strings.Contains(out, password) {
			t.Fatal("output shows the SMTP password")
		}
	}
}

// A server that takes the whole note and hangs up without answering may
// have accepted it: the note is unknown, with no record and no credit, and
// no later run sends it again unless told to.
func TestSendSMTPDroppedBeforeAnswerIsUnknown(t *testing.T) {
	e := newEnv(t)
	st := seed(t, e, ana)
	srv := smtpEnv(t, e, mailtest.Options{DropBeforeReply: true})
	err := send(e, "--customer ana --occasion just_because --with-credit 5 --via smtp")
	wantExit(t, err, 1, "")
	if !strings.Contains(e.Stderr.String(), "Unknown: ana (just_because:2026-11-24): mail: smtp delivery to ana@example.com") ||
		!strings.Contains(e.Stderr.String(), "may have accepted") {
		t.Fatalf("stderr %q", e.Stderr)
	}
	if ns := notes(t, st, ledger.ThanksFilter{}); len(ns) != 0 {
		t.Fatalf("notes %+v for a note nobody knows about", ns)
	}
	if n := len(credits(t, st)); n != 0 {
		t.Fatalf("%d credits for a note that may not have arrived", n)
	}
	cs, err := st.Claims(context.Background(), ledger.ClaimFilter{})
	if err != nil || len(cs) != 1 || cs[0].Outcome == nil || cs[0].Outcome.Status != ledger.OutcomeUnknown {
		t.Fatalf("claims %+v, %v", cs, err)
	}
	// The next run holds it, and says why.
	wantExit(t, send(e, "--customer ana --occasion just_because --with-credit 5 --via smtp"), 1, "")
	if !strings.Contains(e.Stderr.String(), "Unknown: Ana Souza (ana) (just_because:2026-11-24): attempt 1 by smtp") ||
		!strings.Contains(e.Stderr.String(), "--resend-unknown") {
		t.Fatalf("stderr %q", e.Stderr)
	}
	if n := len(srv.Received()); n != 1 {
		t.Fatalf("server got %d messages, want the first only", n)
	}
	// Told to, it sends it again.
	srv.Close()
	srv = smtpEnv(t, e, mailtest.Options{})
	if err := send(e, "--customer ana --occasion just_because --with-credit 5 --via smtp --resend-unknown"); err != nil {
		t.Fatal(err)
	}
	if n := len(srv.Received()); n != 1 {
		t.Fatalf("server got %d messages", n)
	}
	if got := summary(notes(t, st, ledger.ThanksFilter{})); got != "ana just_because:2026-11-24 smtp sent" {
		t.Fatalf("notes:\n%s", got)
	}
	if n := len(credits(t, st)); n != 1 {
		t.Fatalf("%d credits", n)
	}
}

// The server answers 250 and hangs up: delivered, recorded as sent.
func TestSendSMTPDroppedAfterAcceptIsSent(t *testing.T) {
	e := newEnv(t)
	st := seed(t, e, ana)
	srv := smtpEnv(t, e, mailtest.Options{DropAfterAccept: true})
	if err := send(e, "--customer ana --occasion just_because --via smtp"); err != nil {
		t.Fatal(err)
	}
	if got := summary(notes(t, st, ledger.ThanksFilter{})); got != "ana just_because:2026-11-24 smtp sent" {
		t.Fatalf("notes:\n%s", got)
	}
	if err := send(e, "--customer ana --occasion just_because --via smtp"); err != nil {
		t.Fatal(err)
	}
	if n := len(srv.Received()); n != 1 {
		t.Fatalf("server got %d messages", n)
	}
}

// --mark-sent records without sending, and settles an unknown note.
func TestSendMarkSent(t *testing.T) {
	e := newEnv(t)
	st := seed(t, e, ana, cy)
	srv := smtpEnv(t, e, mailtest.Options{DropBeforeReply: true})
	wantExit(t, send(e, "--customer ana --occasion milestone:launch --via smtp"), 1, "")
	if err := send(e, "--customer ana --occasion milestone:launch --via smtp --mark-sent --with-credit 2"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(e.Stderr.String(), "Marked 1 thank-you note as sent by hand") {
		t.Fatalf("stderr %q", e.Stderr)
	}
	ns := notes(t, st, ledger.ThanksFilter{})
	if got := summary(ns); got != "ana milestone:launch smtp sent" || ns[0].Credit == nil {
		t.Fatalf("notes:\n%s %+v", got, ns)
	}
	cs, _ := st.Claims(context.Background(), ledger.ClaimFilter{})
	if len(cs) != 2 || cs[1].Outcome == nil || !cs[1].Outcome.ByHand || cs[1].Attempt != 2 {
		t.Fatalf("claims %+v", cs)
	}
	// Sent is sent: neither marked nor sent again.
	if err := send(e, "--customer ana --occasion milestone:launch --via smtp --mark-sent"); err != nil {
		t.Fatal(err)
	}
	if err := send(e, "--customer ana --occasion milestone:launch --via smtp"); err != nil {
		t.Fatal(err)
	}
	if n := len(notes(t, st, ledger.ThanksFilter{})); n != 1 || len(srv.Received()) != 1 {
		t.Fatalf("%d notes, %d received", n, len(srv.Received()))
	}
	// A note nobody tried can be marked too.
	if err := send(e, "--customer cy --occasion milestone:launch --mark-sent"); err != nil {
		t.Fatal(err)
	}
	if n := len(notes(t, st, ledger.ThanksFilter{Customer: "cy", Status: "sent"})); n != 1 {
		t.Fatalf("cy has %d sent notes", n)
	}
	if files, _ := filepath.Glob(filepath.Join(outboxDir(e), "*.eml")); len(files) != 0 {
		t.Fatalf("marking wrote %v", files)
	}
}

func TestSendSMTPBadConfigSendsNothing(t *testing.T) {
	e := newEnv(t)
	st := seed(t, e, ana)
	e.F.Viper.Set("smtp.host", "127.0.0.1")
	e.F.Viper.Set("smtp.username", "zoe")
	e.F.Viper.Set("smtp.password", password)
	e.F.Viper.Set("smtp.tls", "none") // without smtp.insecure
	for _, args := range []string{"--customer ana --via smtp", "--customer ana --via smtp --dry-run"} {
		err := send(e, args)
		wantExit(t, err, 2, "smtp.insecure: true")
		if strings.Contains(err.Error(), password) {
			t.Fatal("error shows the password")
		}
	}
	if n := len(notes(t, st, ledger.ThanksFilter{})); n != 0 {
		t.Fatalf("%d notes", n)
	}
}

// An interrupted run records the note in flight and stops; the rest are
// left for the next run.
func TestSendInterrupted(t *testing.T) {
	e := newEnv(t)
	st := seed(t, e, ana, cy)
	stall := make(chan struct{})
	defer close(stall)
	smtpEnv(t, e, mailtest.Options{StallData: stall})
	var opts *SendOptions
	if err := clitest.Run(NewCmdSend(e.F, func(o *SendOptions) error { opts = o; return nil }),
		"--segment tag=vip --occasion just_because --with-credit 1 --via smtp --yes"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	err := sendRun(ctx, opts)
	if !errors.Is(err, context.DeadlineExceeded) || cmdutil.ExitCode(err) != 1 {
		t.Fatalf("err = %v", err)
	}
	// Interrupted while waiting for the server's answer to the whole note:
	// it may have been accepted, so it is unknown (no note, no credit).
	if got := summary(notes(t, st, ledger.ThanksFilter{})); got != "" {
		t.Fatalf("notes:\n%s", got)
	}
	if cs, _ := st.Claims(context.Background(), ledger.ClaimFilter{}); len(cs) != 1 || cs[0].Outcome == nil ||
		cs[0].Outcome.Status != ledger.OutcomeUnknown || cs[0].Message.Customer != "ana" {
		t.Fatalf("claims %+v", cs)
	}
	if !strings.Contains(e.Stderr.String(), "Stopped before 1 note; run the same command again") {
		t.Fatalf("stderr %q", e.Stderr)
	}
	if n := len(credits(t, st)); n != 0 {
		t.Fatalf("%d credits", n)
	}
}

func TestSendDryRunSendsNothing(t *testing.T) {
	e := newEnv(t)
	st := seed(t, e, ana, bo)
	srv := smtpEnv(t, e, mailtest.Options{User: "zoe", Pass: password})
	if err := send(e, "--due --via smtp --with-credit 3 --dry-run"); err != nil {
		t.Fatal(err)
	}
	out := e.Stdout.String()
	for _, want := range []string{
		"From: Zoë <zoe@makegood.example>\nTo: Ana Souza <ana@example.com>\nSubject: 3 years together — thank you, Ana\n",
		"X-Makegood-Occasion: anniversary\n\nHi Ana,\n",
		"I've added $3.00 to your account.",
		"To: Bo <bo@example.com>\nSubject: Welcome, Bo — and thank you\n",
		"I've added €3.00 to your account",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("dry run lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(e.Stderr.String(), "Dry run: would send 2 notes via smtp; 0 skipped (already thanked); 0 would fail. Nothing was sent or recorded.") {
		t.Errorf("stderr %q", e.Stderr)
	}
	if strings.Contains(out+e.Stderr.String(), password) {
		t.Error("dry run shows the password")
	}
	if len(srv.Received()) != 0 || len(srv.Auths()) != 0 {
		t.Fatal("dry run talked to the server")
	}
	if n, c := len(notes(t, st, ledger.ThanksFilter{})), len(credits(t, st)); n != 0 || c != 0 {
		t.Fatalf("dry run wrote %d notes and %d credits", n, c)
	}

	// With --json, stdout is the summary and the messages go to stderr.
	if err := send(e, "--due --dry-run --json"); err != nil {
		t.Fatal(err)
	}
	var res map[string]any
	decodeJSON(t, e.Stdout.String(), &res)
	ns := res["notes"].([]any)
	if res["sent"] != 0.0 || len(ns) != 2 {
		t.Fatalf("dry-run JSON %v", res)
	}
	n0 := ns[0].(map[string]any)
	if n0["id"] != nil || n0["message_id"] != nil || n0["status"] != "would_send" || n0["via"] != "outbox" {
		t.Fatalf("dry-run note %v", n0)
	}
	if !strings.Contains(e.Stderr.String(), "Subject: Welcome, Bo") {
		t.Fatalf("stderr %q", e.Stderr)
	}
	if _, err := os.Stat(outboxDir(e)); !os.IsNotExist(err) {
		t.Fatal("dry run wrote to the outbox")
	}
}

func TestSendViaPrint(t *testing.T) {
	e := newEnv(t)
	st := seed(t, e, ana, bo, cy)
	if err := send(e, "--segment tenure>=1y --occasion milestone:launch --via print --with-credit 2 --yes"); err != nil {
		t.Fatal(err)
	}
	want := "customer,name,occasion,suggested_line\n" +
		"ana,Ana Souza,milestone,\"launch — thank you, Ana; I've added $2.00 to your account\"\n" +
		"cy,Cy Young,milestone,\"launch — thank you, Cy; I've added $2.00 to your account\"\n"
	if got := e.Stdout.String(); got != want {
		t.Fatalf("cards:\n%s\nwant:\n%s", got, want)
	}
	if strings.Contains(e.Stdout.String(), "@") {
		t.Fatal("the card list has addresses")
	}
	if got := summary(notes(t, st, ledger.ThanksFilter{})); got != "ana milestone:launch print sent\ncy milestone:launch print sent" {
		t.Fatalf("notes:\n%s", got)
	}
	if !strings.Contains(e.Stderr.String(), "Listed 2 thank-you notes via print") {
		t.Fatalf("stderr %q", e.Stderr)
	}
	if _, err := os.Stat(outboxDir(e)); !os.IsNotExist(err) {
		t.Fatal("print wrote to the outbox")
	}
	// Printed cards count: the list is not printed again.
	if err := send(e, "--segment tenure>=1y --occasion milestone:launch --via print --yes"); err != nil {
		t.Fatal(err)
	}
	if e.Stdout.Len() != 0 || !strings.Contains(e.Stderr.String(), "2 skipped") {
		t.Fatalf("second print: %q %q", e.Stdout, e.Stderr)
	}
	// Printing needs no sender address.
	e.F.Viper.Set("sender.email", "")
	if err := send(e, "--customer bo@example.com --via print"); err != nil {
		t.Fatal(err)
	}
	if e.Stdout.String() != "customer,name,occasion,suggested_line\nbo@example.com,Bo,welcome,\"Welcome, Bo — and thank you\"\n" {
		t.Fatalf("cards %q", e.Stdout)
	}
}

func TestSendSegment(t *testing.T) {
	e := newEnv(t)
	st := seed(t, e, ana, bo, cy)
	if err := send(e, "--segment 'tag=vip,price>=10' --occasion just_because --yes"); err != nil {
		t.Fatal(err)
	}
	if got := summary(notes(t, st, ledger.ThanksFilter{})); got != "ana just_because:2026-11-24 outbox sent" {
		t.Fatalf("notes:\n%s", got)
	}
	if err := send(e, "--segment plan=enterprise --occasion just_because --yes"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(e.Stderr.String(), "No customers match --segment plan=enterprise") {
		t.Fatalf("stderr %q", e.Stderr)
	}
}

func TestSendCustomerNotDueSaysWhy(t *testing.T) {
	e := newEnv(t)
	st := seed(t, e, cy)
	if err := send(e, "--customer cy"); err != nil {
		t.Fatal(err)
	}
	stderr := e.Stderr.String()
	for _, want := range []string{
		"Not due: Cy Young (cy), welcome: joined 2024-03-01, 998 days ago; the welcome window is 14 days.",
		"Not due: Cy Young (cy), anniversary: 2 years since 2024-03-01; that anniversary (2026-03-01) was more than 30 days ago; next on 2027-03-01.",
		"No one to thank",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if e.Stdout.Len() != 0 || len(notes(t, st, ledger.ThanksFilter{})) != 0 {
		t.Fatal("something was sent")
	}
	wantExit(t, send(e, "--customer nobody"), 2, `customer "nobody" not found`)
}

func TestSendAfterRecoveryWithIncident(t *testing.T) {
	e := newEnv(t)
	e.F.Viper.Set("thanks.cooldown", 0) // two incidents, one day
	affected := []string{"affected"}
	a, c := ana, cy
	a.Tags, c.Tags = affected, affected
	st := seed(t, e, a, c, bo)
	if err := send(e, "--segment tag=affected --occasion after_recovery --incident 'the login outage' --yes"); err != nil {
		t.Fatal(err)
	}
	msgs := outbox(t, outboxDir(e))
	if len(msgs) != 2 || !strings.Contains(body(t, msgs["cy@example.com"]), `Now that "the login outage" is behind us`) {
		t.Fatalf("outbox %v", msgs)
	}
	if got := summary(notes(t, st, ledger.ThanksFilter{})); got != "ana after_recovery:the login outage outbox sent\ncy after_recovery:the login outage outbox sent" {
		t.Fatalf("notes:\n%s", got)
	}
	if err := send(e, "--customer cy --occasion after_recovery --incident 'the login outage'"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(e.Stderr.String(), `Skipped Cy Young (cy), after_recovery: already thanked after incident "the login outage" on 2026-11-24.`) {
		t.Fatalf("stderr %q", e.Stderr)
	}
	// Another incident is another occasion.
	if err := send(e, "--customer cy --occasion after_recovery --incident 'the billing bug'"); err != nil {
		t.Fatal(err)
	}
	if n := len(notes(t, st, ledger.ThanksFilter{Customer: "cy"})); n != 2 {
		t.Fatalf("cy has %d notes", n)
	}
}

func TestSendTemplateOverride(t *testing.T) {
	e := newEnv(t)
	e.F.Viper.Set("thanks.cooldown", "0d") // two notes, one day
	pt := ana
	pt.Locale = "pt_BR"
	st := seed(t, e, pt)
	cfgDir := t.TempDir()
	e.F.Viper.Set("config", filepath.Join(cfgDir, "config.yaml"))
	tmpl := thanks.OverridePath(cfgDir, thanks.Anniversary, "pt")
	if err := os.MkdirAll(filepath.Dir(tmpl), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tmpl, []byte("Subject: {{.Tenure}} juntos, {{.FirstName}}\n\nOlá {{.FirstName}}, obrigado.\n{{.SenderName}}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	broken := thanks.OverridePath(cfgDir, thanks.JustBecause, "")
	if err := os.WriteFile(broken, []byte("Subject: {{.Nope}}\n\nx\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := send(e, "--customer ana"); err != nil {
		t.Fatal(err)
	}
	m := outbox(t, outboxDir(e))["ana@example.com"]
	if subject(t, m) != "3 years juntos, Ana" || body(t, m) != "Olá Ana, obrigado.\nZoë\n" {
		t.Fatalf("subject %q body %q", subject(t, m), body(t, m))
	}
	// A broken template stops the run before anything is sent.
	wantExit(t, send(e, "--customer ana --occasion just_because"), 2, "just_because note for ana")
	if n := len(notes(t, st, ledger.ThanksFilter{})); n != 1 {
		t.Fatalf("%d notes", n)
	}
}

// TestSendShowsMessageIDsWideOrPiped: the Message-ID column, too wide for
// 80 columns, is shown at a terminal with --wide, and always when piped.
func TestSendShowsMessageIDsWideOrPiped(t *testing.T) {
	e := newEnv(t)
	st := seed(t, e, ana, bo)
	if err := send(e, "--customer ana"); err != nil {
		t.Fatal(err)
	}
	ns := notes(t, st, ledger.ThanksFilter{Customer: "ana"})
	if len(ns) != 1 || ns[0].MessageID == "" || !strings.Contains(e.Stdout.String(), "\t"+ns[0].MessageID) {
		t.Fatalf("piped, the row lacks the Message-ID %+v:\n%s", ns, e.Stdout)
	}
	e.Stdout.Reset()
	e.Terminal()
	if err := send(e, "--customer bo@example.com --wide"); err != nil {
		t.Fatal(err)
	}
	ns = notes(t, st, ledger.ThanksFilter{Customer: "bo@example.com"})
	if out := e.Stdout.String(); len(ns) != 1 || !strings.Contains(out, "MESSAGE-ID") || !strings.Contains(out, ns[0].MessageID) {
		t.Fatalf("--wide at a terminal:\n%s", out)
	}
}
