package stripe_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/makegood/makegood/internal/ledger"
	"github.com/makegood/makegood/internal/store/sqlite"
	"github.com/makegood/makegood/internal/stripe"
	"github.com/makegood/makegood/internal/stripe/stripetest"
)

const testKey = "sk_test_51FakeKeyForMakegoodTests0123"

var t0 = time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)

type env struct {
	t     *testing.T
	fake  *stripetest.Server
	st    *sqlite.Ledger
	sync  *stripe.Sync
	now   time.Time
	ctx   context.Context
	lid   string
	retry int
}

func newEnv(t *testing.T, retries int) *env {
	t.Helper()
	e := &env{t: t, fake: stripetest.New(t), now: t0, ctx: context.Background(), retry: retries}
	e.fake.Key = testKey
	e.fake.SetClock(func() time.Time { return e.now })
	st, err := sqlite.Open(e.ctx, filepath.Join(t.TempDir(), "ledger.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e.st = st
	e.sync = &stripe.Sync{Ledger: st, API: e.client(testKey), Now: func() time.Time { return e.now }}
	if e.lid, err = st.LedgerID(e.ctx); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *env) client(key string) *stripe.Client {
	c, err := stripe.NewClient(stripe.Config{APIKey: key, APIBase: e.fake.URL, Timeout: 500 * time.Millisecond, MaxRetries: e.retry})
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// customer makes a Stripe customer with a $49/month subscription and
// imports it into the ledger.
func (e *env) customer(id, email string) {
	e.t.Helper()
	e.fake.AddCustomer(id, email, "Name of "+id, t0.AddDate(-1, 0, 0), "usd")
	e.fake.AddSubscription(id, "active", t0.AddDate(-1, 0, 0),
		stripetest.Item{Currency: "usd", UnitAmount: 4900, Quantity: 1, Interval: "month", Nickname: "pro"})
	if _, err := e.sync.ImportCustomers(e.ctx, false); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) issue(customer string, amount int64, expires *time.Time) ledger.Credit {
	e.t.Helper()
	c, _, err := e.st.IssueCredit(e.ctx, ledger.NewCredit{Customer: customer, AmountMinor: amount, Currency: "USD",
		Reason: "outage", Note: "Dashboard down", IssuedAt: e.now, ExpiresAt: expires})
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

func (e *env) push() stripe.PushResult {
	e.t.Helper()
	res, err := e.sync.Push(e.ctx, "", false)
	if err != nil {
		e.t.Fatalf("push: %v", err)
	}
	return res
}

func (e *env) pull() stripe.PullResult {
	e.t.Helper()
	res, err := e.sync.Pull(e.ctx, "", time.Time{})
	if err != nil {
		e.t.Fatalf("pull: %v", err)
	}
	return res
}

func (e *env) remaining(id int64) int64 {
	e.t.Helper()
	c, err := e.st.Credit(e.ctx, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return c.RemainingMinor
}

// status returns the one status line of customer (USD).
func (e *env) status(customer string) stripe.StatusLine {
	e.t.Helper()
	lines, err := e.sync.Status(e.ctx, customer)
	if err != nil {
		e.t.Fatalf("status: %v", err)
	}
	if len(lines) != 1 {
		e.t.Fatalf("status lines = %+v, want one", lines)
	}
	return lines[0]
}

func (e *env) posts() int {
	n := 0
	for _, r := range e.fake.Requests() {
		if r.Method == "POST" {
			n++
		}
	}
	return n
}

func inStep(t *testing.T, l stripe.StatusLine) {
	t.Helper()
	if l.Difference() != 0 || len(l.Parts) != 0 {
		t.Errorf("status: makegood %d, Stripe %d, parts %v; want them in step", l.LedgerMinor, l.StripeMinor, l.Parts)
	}
}

func TestImportCustomers(t *testing.T) {
	e := newEnv(t, -1)
	// A ledger customer added by email before Stripe was connected.
	if err := e.st.AddCustomer(e.ctx, ledger.Customer{ID: "alice@example.com", Email: "Alice@example.com", Tags: []string{"vip"},
		Period: "month", CreatedAt: t0, UpdatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	e.fake.AddCustomer("cus_A", "alice@example.com", "Alice Liddell", time.Date(2023, 11, 20, 14, 3, 0, 0, time.UTC), "usd")
	e.fake.SetLocales("cus_A", "fr-FR")
	e.fake.AddSubscription("cus_A", "active", t0, stripetest.Item{Currency: "usd", UnitAmount: 4900, Quantity: 2,
		Interval: "month", Nickname: "pro"})
	e.fake.AddCustomer("cus_B", "bob@example.com", "Bob", time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC), "")
	e.fake.AddSubscription("cus_B", "canceled", t0, stripetest.Item{Currency: "eur", UnitAmount: 100, Interval: "month"})
	e.fake.AddSubscription("cus_B", "trialing", t0, stripetest.Item{Currency: "isk", UnitAmount: 990000, Interval: "year",
		LookupKey: "team_yearly"})
	e.fake.AddCustomer("cus_C", "carol@example.com", "Carol", t0, "")
	e.fake.AddSubscription("cus_C", "active", t0, stripetest.Item{Currency: "usd", UnitAmount: 100, Interval: "week"})
	for i := range 120 { // more than a page of 100
		e.fake.AddCustomer("", "", "", t0.Add(time.Duration(i)*time.Second), "")
	}

	dry, err := e.sync.ImportCustomers(e.ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	if dry.Created != 122 || dry.Updated != 1 || dry.Unchanged != 0 {
		t.Errorf("dry run = %+v", dry)
	}
	if cs, _ := e.st.Customers(e.ctx); len(cs) != 1 {
		t.Fatalf("a dry run wrote %d customers", len(cs))
	}
	res, err := e.sync.ImportCustomers(e.ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if res.Created != 122 || res.Updated != 1 {
		t.Errorf("import = %+v", res)
	}
	a, err := e.st.Customer(e.ctx, "alice@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if a.StripeID != "cus_A" || a.Name != "Alice Liddell" || a.Plan != "pro" || a.PriceMinor != 9800 || a.Currency != "USD" ||
		a.Period != "month" || a.Since.Format("2006-01-02") != "2023-11-20" || a.Locale != "fr-FR" || len(a.Tags) != 1 {
		t.Errorf("alice = %+v", a)
	}
	b, err := e.st.Customer(e.ctx, "cus_B")
	if err != nil {
		t.Fatal(err)
	}
	// ISK: Stripe's 990000 is 9,900 krónur, ISO 4217's 9900.
	if b.StripeID != "cus_B" || b.Plan != "team_yearly" || b.PriceMinor != 9900 || b.Currency != "ISK" || b.Period != "year" {
		t.Errorf("bob = %+v", b)
	}
	c, err := e.st.Customer(e.ctx, "cus_C")
	if err != nil {
		t.Fatal(err)
	}
	if c.Plan != "" || c.PriceMinor != 0 {
		t.Errorf("a weekly price was taken: %+v", c)
	}
	again, err := e.sync.ImportCustomers(e.ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if again.Created != 0 || again.Updated != 0 || again.Unchanged != 123 {
		t.Errorf("second import = %+v, want everything unchanged", again)
	}
}

func TestPushPullStatusLoop(t *testing.T) {
	e := newEnv(t, -1)
	e.customer("cus_A", "a@example.com")
	c := e.issue("cus_A", 2500, nil)
	st := e.status("cus_A")
	if st.Difference() != -2500 || len(st.Parts) != 1 || st.Parts[0].Kind != stripe.ExplainUnpushed {
		t.Errorf("before push: %+v", st)
	}

	res := e.push()
	if len(res.Pushes) != 1 || res.Pushes[0].How != stripe.HowSent || !strings.HasPrefix(res.Pushes[0].TransactionID, "cbtxn_") {
		t.Fatalf("push = %+v", res)
	}
	if b := e.fake.Balance("cus_A", "usd"); b != -2500 {
		t.Errorf("Stripe balance = %d, want -2500", b)
	}
	txns := e.fake.Txns("cus_A")
	if len(txns) != 1 || txns[0].Amount != -2500 || txns[0].Currency != "usd" ||
		txns[0].Description != "makegood credit 1 (outage): Dashboard down" ||
		txns[0].Metadata["makegood_credit_id"] != "1" || txns[0].Metadata["makegood_ledger"] != e.lid {
		t.Errorf("Stripe holds %+v", txns)
	}
	key := stripe.IdempotencyKey(e.lid, c.ID, stripe.KindCredit)
	if r := e.fake.Requests(); r[len(r)-1].IdempotencyKey != key {
		t.Errorf("sent key %q, want %q", r[len(r)-1].IdempotencyKey, key)
	}
	inStep(t, e.status("cus_A"))
	if err := ledger.RefuseHandApply(e.ctx, e.st, c.ID); err == nil || !strings.Contains(err.Error(), "makegood stripe pull") {
		t.Errorf("applying a pushed credit by hand: %v", err)
	}

	// Pushing again sends nothing.
	posts := e.posts()
	if res := e.push(); len(res.Pushes) != 0 || e.posts() != posts {
		t.Errorf("a second push sent %+v", res)
	}

	e.now = e.now.Add(24 * time.Hour)
	inv, applied := e.fake.Invoice("cus_A", "usd", 4900)
	if applied != 2500 {
		t.Fatalf("the invoice used %d", applied)
	}
	st = e.status("cus_A")
	if st.Difference() != -2500 || len(st.Parts) != 1 || st.Parts[0].Kind != stripe.ExplainUnpulledUses {
		t.Errorf("before pull: %+v", st)
	}
	pr := e.pull()
	if len(pr.Pulled) != 1 || pr.Pulled[0].Invoice != inv || pr.Pulled[0].Disposition != stripe.PulledApplied {
		t.Fatalf("pull = %+v", pr)
	}
	if r := e.remaining(c.ID); r != 0 {
		t.Errorf("remaining after the invoice = %d", r)
	}
	hist, _ := e.st.History(e.ctx, "cus_A")
	if hist[0].Kind != ledger.EntryApply || hist[0].Invoice != inv || hist[0].AmountMinor != -2500 {
		t.Errorf("history = %+v", hist[0])
	}
	inStep(t, e.status("cus_A"))
	if pr := e.pull(); len(pr.Pulled) != 0 {
		t.Errorf("a second pull recorded %+v", pr.Pulled)
	}

	// The invoice is voided: its use comes back.
	e.now = e.now.Add(time.Hour)
	e.fake.VoidInvoice(inv)
	pr = e.pull()
	if len(pr.Pulled) != 1 || pr.Pulled[0].Disposition != stripe.PulledUnapplied || len(pr.Pulled[0].Entries) != 1 ||
		pr.Pulled[0].Entries[0].AmountMinor != 2500 {
		t.Fatalf("pull after void = %+v", pr)
	}
	if r := e.remaining(c.ID); r != 2500 {
		t.Errorf("remaining after the invoice was voided = %d", r)
	}
	inStep(t, e.status("cus_A"))
	if pr := e.pull(); len(pr.Pulled) != 0 {
		t.Errorf("a third pull recorded %+v", pr.Pulled)
	}
}

func TestUseSpreadsOverCreditsEarliestExpiryFirst(t *testing.T) {
	e := newEnv(t, -1)
	e.customer("cus_A", "a@example.com")
	old := e.issue("cus_A", 1000, nil)
	e.now = e.now.Add(time.Hour)
	soon := e.issue("cus_A", 1000, ptr(t0.AddDate(0, 1, 0)))
	e.push()
	e.fake.Invoice("cus_A", "usd", 1500)
	e.pull()
	if r := e.remaining(soon.ID); r != 0 {
		t.Errorf("the credit expiring first has %d left", r)
	}
	if r := e.remaining(old.ID); r != 500 {
		t.Errorf("the older credit has %d left, want 500", r)
	}
	inStep(t, e.status("cus_A"))
}

func ptr(t time.Time) *time.Time { return &t }

func TestVoidAfterPushSendsTheReversal(t *testing.T) {
	e := newEnv(t, -1)
	e.customer("cus_A", "a@example.com")
	c := e.issue("cus_A", 2500, nil)
	e.push()
	e.fake.Invoice("cus_A", "usd", 1000)
	e.pull()
	if _, err := e.st.VoidCredit(e.ctx, c.ID, "issued twice", e.now); err != nil {
		t.Fatal(err)
	}
	st := e.status("cus_A")
	if len(st.Parts) != 1 || st.Parts[0].Kind != stripe.ExplainPendingReversals || st.Parts[0].EffectMinor != 1500 {
		t.Errorf("status after the void = %+v", st)
	}
	res := e.push()
	if len(res.Pushes) != 1 || res.Pushes[0].Kind != stripe.KindReversal || res.Pushes[0].AmountStripe != 1500 ||
		res.Pushes[0].IdempotencyKey != stripe.IdempotencyKey(e.lid, c.ID, stripe.KindReversal) {
		t.Fatalf("push after the void = %+v", res)
	}
	if b := e.fake.Balance("cus_A", "usd"); b != 0 {
		t.Errorf("Stripe balance = %d, want 0", b)
	}
	inStep(t, e.status("cus_A"))
	if res := e.push(); len(res.Pushes) != 0 {
		t.Errorf("the reversal was pushed again: %+v", res)
	}
	if pr := e.pull(); len(pr.Pulled) != 0 {
		t.Errorf("pull recorded makegood's own reversal: %+v", pr.Pulled)
	}
}

func TestExpiryAfterPushSendsTheReversal(t *testing.T) {
	e := newEnv(t, -1)
	e.customer("cus_A", "a@example.com")
	c := e.issue("cus_A", 2500, ptr(t0.AddDate(0, 0, 30)))
	e.push()
	e.now = t0.AddDate(0, 0, 31)
	res := e.push()
	if len(res.Pushes) != 1 || res.Pushes[0].Kind != stripe.KindReversal || res.Pushes[0].AmountStripe != 2500 ||
		res.Pushes[0].CreditID != c.ID {
		t.Fatalf("push after the expiry = %+v", res)
	}
	if b := e.fake.Balance("cus_A", "usd"); b != 0 {
		t.Errorf("Stripe balance = %d, want 0", b)
	}
	inStep(t, e.status("cus_A"))
}

func TestForeignAdjustmentIsReportedNotImported(t *testing.T) {
	e := newEnv(t, -1)
	e.customer("cus_A", "a@example.com")
	c := e.issue("cus_A", 2500, nil)
	e.push()
	e.fake.Adjust("cus_A", -500, "usd", "sorry from the dashboard")
	st := e.status("cus_A")
	if st.Difference() != 500 || len(st.Parts) != 1 || st.Parts[0].Kind != stripe.ExplainForeign {
		t.Errorf("status = %+v", st)
	}
	pr := e.pull()
	if len(pr.Pulled) != 1 || pr.Pulled[0].Disposition != stripe.PulledForeign {
		t.Fatalf("pull = %+v", pr)
	}
	if r := e.remaining(c.ID); r != 2500 {
		t.Errorf("a foreign adjustment changed the credit: %d", r)
	}
	if bals, _ := e.st.Balances(e.ctx, "cus_A", e.now); len(bals) != 1 || bals[0].BalanceMinor != 2500 {
		t.Errorf("balances = %+v", bals)
	}
	st = e.status("cus_A")
	if st.Difference() != 500 || len(st.Parts) != 1 || st.Parts[0].Kind != stripe.ExplainForeign || st.Parts[0].EffectMinor != 500 {
		t.Errorf("status after pull = %+v", st)
	}
	if pr := e.pull(); len(pr.Pulled) != 0 {
		t.Errorf("the adjustment was reported twice: %+v", pr.Pulled)
	}
}

func TestRetriesKeepTheKey(t *testing.T) {
	for _, status := range []int{500, 503, 429, 409} {
		e := newEnv(t, 3)
		e.customer("cus_A", "a@example.com")
		e.issue("cus_A", 2500, nil)
		e.fake.Fail("POST", 2, status)
		res := e.push()
		if len(res.Pushes) != 1 {
			t.Fatalf("%d: push = %+v", status, res)
		}
		var keys []string
		for _, r := range e.fake.Requests() {
			if r.Method == "POST" {
				keys = append(keys, r.IdempotencyKey)
			}
		}
		if len(keys) != 3 || keys[0] != keys[1] || keys[1] != keys[2] {
			t.Errorf("%d: POSTs carried keys %q, want three with one key", status, keys)
		}
		if n := len(e.fake.Txns("cus_A")); n != 1 {
			t.Errorf("%d: Stripe holds %d transactions", status, n)
		}
	}
}

func TestAnswerDroppedIsReplayedInTheSameRun(t *testing.T) {
	e := newEnv(t, 2)
	e.customer("cus_A", "a@example.com")
	e.issue("cus_A", 2500, nil)
	e.fake.Drop("POST", 1)
	res := e.push()
	if len(res.Pushes) != 1 || res.Pushes[0].How != stripe.HowReplayed {
		t.Fatalf("push = %+v", res)
	}
	if n := len(e.fake.Txns("cus_A")); n != 1 {
		t.Errorf("Stripe holds %d transactions", n)
	}
}

func TestTimeoutIsFinishedByTheNextRun(t *testing.T) {
	e := newEnv(t, -1)
	e.customer("cus_A", "a@example.com")
	e.issue("cus_A", 2500, nil)
	e.issue("cus_A", 1000, nil)
	e.fake.Hang("POST", 1)
	if _, err := e.sync.Push(e.ctx, "", false); err == nil {
		t.Fatal("a push that timed out succeeded")
	}
	pending, _ := e.st.PendingPushes(e.ctx, "")
	if len(pending) != 2 {
		t.Fatalf("pending = %+v", pending)
	}
	e.fake.Drop("POST", 3) // accepted, answer lost
	if _, err := e.sync.Push(e.ctx, "", false); err == nil {
		t.Fatal("a push whose answer was dropped succeeded without retries")
	}
	e.fake.ClearFaults()
	res := e.push()
	if len(res.Pushes) != 2 || res.Pushes[0].How != stripe.HowReplayed || res.Pushes[1].How != stripe.HowSent {
		t.Fatalf("third run = %+v", res)
	}
	if txns := e.fake.Txns("cus_A"); len(txns) != 2 {
		t.Errorf("Stripe holds %+v", txns)
	}
	inStep(t, e.status("cus_A"))
}

func TestAcceptedPushIsFoundByMetadataAfterTheKeyExpired(t *testing.T) {
	e := newEnv(t, -1)
	e.customer("cus_A", "a@example.com")
	e.issue("cus_A", 2500, nil)
	// net/http itself resends a request carrying an Idempotency-Key once
	// when a reused connection drops, so drop a few.
	e.fake.Drop("POST", 3)
	if _, err := e.sync.Push(e.ctx, "", false); err == nil {
		t.Fatal("a push whose answer was dropped succeeded without retries")
	}
	e.fake.ClearFaults()
	st := e.status("cus_A")
	if st.Difference() != 0 {
		t.Errorf("status with an unrecorded push = %+v", st)
	}
	e.fake.ExpireKeys()
	e.now = e.now.Add(25 * time.Hour)
	posts := e.posts()
	res := e.push()
	if len(res.Pushes) != 1 || res.Pushes[0].How != stripe.HowMetadata {
		t.Fatalf("push = %+v", res)
	}
	if e.posts() != posts {
		t.Error("the push was sent again")
	}
	if n := len(e.fake.Txns("cus_A")); n != 1 {
		t.Errorf("Stripe holds %d transactions", n)
	}
}

func TestPullRecordsAPushWhoseAnswerWasLost(t *testing.T) {
	e := newEnv(t, -1)
	e.customer("cus_A", "a@example.com")
	c := e.issue("cus_A", 2500, nil)
	e.fake.Drop("POST", 3)
	if _, err := e.sync.Push(e.ctx, "", false); err == nil {
		t.Fatal("a push whose answer was dropped succeeded without retries")
	}
	e.fake.ClearFaults()
	pr := e.pull()
	if len(pr.Answered) != 1 || pr.Answered[0].CreditID != c.ID || len(pr.Pulled) != 0 {
		t.Fatalf("pull = %+v", pr)
	}
	if pending, _ := e.st.PendingPushes(e.ctx, ""); len(pending) != 0 {
		t.Errorf("still pending: %+v", pending)
	}
}

func TestStripeErrorsCarryMessageAndRequestIDNotTheKey(t *testing.T) {
	e := newEnv(t, -1)
	e.customer("cus_A", "a@example.com")
	e.issue("cus_A", 2500, nil)
	wrong := "sk_test_51WrongKeyThatMustNeverBePrinted99"
	s := &stripe.Sync{Ledger: e.st, API: e.client(wrong), Now: e.sync.Now}
	_, err := s.Push(e.ctx, "", false)
	var se *stripe.Error
	if !errors.As(err, &se) || se.Status != 401 || !strings.HasPrefix(se.RequestID, "req_") {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(err.Error(), wrong) || !strings.Contains(err.Error(), "Invalid API Key") ||
		!strings.Contains(err.Error(), se.RequestID) {
		t.Errorf("err = %q", err)
	}
	e.fake.Fail("POST", 5, 500)
	_, err = e.sync.Push(e.ctx, "", false)
	if !errors.As(err, &se) || se.Status != 500 || !strings.Contains(err.Error(), "An injected failure") {
		t.Errorf("err = %v", err)
	}
}

func TestRedact(t *testing.T) {
	got := stripe.Redact("key sk_live_abcDEF123 and rk_test_zz9 and mine "+testKey, testKey)
	if strings.Contains(got, "abcDEF123") || strings.Contains(got, "zz9") || strings.Contains(got, testKey) {
		t.Errorf("Redact = %q", got)
	}
}

func TestPullSinceLaterThanTheCursorSkipsNothing(t *testing.T) {
	e := newEnv(t, -1)
	e.customer("cus_A", "a@example.com")
	c := e.issue("cus_A", 2500, nil)
	e.push()
	e.now = e.now.Add(time.Hour)
	e.fake.Invoice("cus_A", "usd", 1000)
	res, err := e.sync.Pull(e.ctx, "", e.now.Add(48*time.Hour))
	if err != nil || len(res.Pulled) != 0 {
		t.Fatalf("pull --since later = %+v, %v", res, err)
	}
	if pr := e.pull(); len(pr.Pulled) != 1 || e.remaining(c.ID) != 1500 {
		t.Errorf("the use before --since was skipped: %+v, remaining %d", pr.Pulled, e.remaining(c.ID))
	}
}
