// Package ledgertest is the contract every storage engine keeps: one
// suite of every behaviour a ledger.Store promises (customers, credits and
// their idempotency, voids, applies, expiry, balances, history, imports,
// incidents and fixes, apologies and cases, compensation once, budgets,
// claims, thank-you notes, the Stripe sync's records, the report's
// figures, the export stream and the check), run through the interfaces
// alone, so that each engine's tests call Run and pass the same suite:
//
//	func TestContract(t *testing.T) {
//		ledgertest.Run(t, func(t *testing.T) ledger.Store {
//			st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "ledger.db"))
//			if err != nil {
//				t.Fatal(err)
//			}
//			t.Cleanup(func() { st.Close() })
//			return st
//		})
//	}
//
// Besides ledger.Store, an engine implements ledger.Maintainer,
// stripe.Ledger, report.Source and report.BookSource (internal/store's
// Ledger); the suite fails, naming the interface, for an engine that does
// not. After every test it checks the ledger (ledger.Maintainer.Check):
// whatever a test did, the ledger must be sound.
//
// What is an engine's own (its triggers typed in its SQL dialect, query
// plans, pragmas, migrations racing, index rebuilds) is tested in the
// engine's package.
package ledgertest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/makegood/makegood/internal/ledger"
	"github.com/makegood/makegood/internal/report"
	"github.com/makegood/makegood/internal/stripe"
)

// Opener opens a new, empty ledger for one test and closes it when the
// test ends (t.Cleanup).
type Opener func(t *testing.T) ledger.Store

type contractTest struct {
	name string
	fn   func(e *env)
}

// tests is the suite, in the order Run runs it.
func tests() []contractTest {
	var all []contractTest
	for _, group := range [][]contractTest{
		customerTests(), creditTests(), importTests(), incidentTests(), caseTests(),
		claimTests(), thanksTests(), stripeTests(), reportTests(), maintainTests(),
	} {
		all = append(all, group...)
	}
	return all
}

// Run runs the whole suite, each test on a new ledger from open.
func Run(t *testing.T, open Opener) {
	for _, tc := range tests() {
		t.Run(tc.name, func(t *testing.T) {
			e := &env{t: t, ctx: t.Context(), st: open(t), open: open}
			tc.fn(e)
			if !t.Failed() {
				e.sound()
			}
		})
	}
}

// t0 is the suite's "now": credits, incidents and notes are dated around it.
var t0 = time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)

// env is one test's ledger.
type env struct {
	t    *testing.T
	ctx  context.Context
	st   ledger.Store
	open Opener // for a test that needs a second ledger
}

func (e *env) must(err error) {
	e.t.Helper()
	if err != nil {
		e.t.Fatal(err)
	}
}

// maintainer, stripe, reportSource and books are the engine's other
// interfaces; a missing one fails the test that needs it.
func (e *env) maintainer() ledger.Maintainer {
	e.t.Helper()
	m, ok := e.st.(ledger.Maintainer)
	if !ok {
		e.t.Fatalf("the engine (%T) does not implement ledger.Maintainer", e.st)
	}
	return m
}

func (e *env) stripe() stripe.Ledger {
	e.t.Helper()
	l, ok := e.st.(stripe.Ledger)
	if !ok {
		e.t.Fatalf("the engine (%T) does not implement stripe.Ledger", e.st)
	}
	return l
}

func (e *env) reportSource() report.Source {
	e.t.Helper()
	s, ok := e.st.(report.Source)
	if !ok {
		e.t.Fatalf("the engine (%T) does not implement report.Source", e.st)
	}
	return s
}

func (e *env) books() report.BookSource {
	e.t.Helper()
	s, ok := e.st.(report.BookSource)
	if !ok {
		e.t.Fatalf("the engine (%T) does not implement report.BookSource", e.st)
	}
	return s
}

// sound fails the test unless the engine's check finds nothing wrong.
func (e *env) sound() {
	e.t.Helper()
	res, err := e.maintainer().Check(e.ctx)
	if err != nil {
		e.t.Fatalf("check: %v", err)
	}
	if !res.Sound() || res.SchemaVersion != res.Latest {
		e.t.Fatalf("the ledger is not sound after the test: schema %d of %d, %v", res.SchemaVersion, res.Latest, res.Findings)
	}
}

func (e *env) addCustomer(id, currency string) ledger.Customer {
	e.t.Helper()
	c := ledger.Customer{ID: id, Name: "Name of " + id, Currency: currency, Period: "month",
		PriceMinor: 4900, Tags: []string{"vip"}, CreatedAt: t0, UpdatedAt: t0}
	e.must(e.st.AddCustomer(e.ctx, c))
	return c
}

// issue issues nc (at t0, for an outage, unless it says otherwise), which
// must be new.
func (e *env) issue(nc ledger.NewCredit) ledger.Credit {
	e.t.Helper()
	if nc.IssuedAt.IsZero() {
		nc.IssuedAt = t0
	}
	if nc.Reason == "" {
		nc.Reason = ledger.ReasonOutage
	}
	c, created, err := e.st.IssueCredit(e.ctx, nc)
	e.must(err)
	if !created {
		e.t.Fatalf("credit %d was not created", c.ID)
	}
	return c
}

// openIncident opens an incident, filling in what n leaves out: a login
// outage that started ten hours before t0 and was reported an hour later.
func (e *env) openIncident(n ledger.NewIncident) ledger.Incident {
	e.t.Helper()
	if n.Title == "" {
		n.Title = "Login outage"
	}
	if n.What == "" {
		n.What = "Nobody could log in."
	}
	if n.StartedAt.IsZero() {
		n.StartedAt = t0.Add(-10 * time.Hour)
	}
	if n.ReportedAt.IsZero() {
		n.ReportedAt = n.StartedAt.Add(time.Hour)
	}
	if n.CreatedAt.IsZero() {
		n.CreatedAt = t0
	}
	inc, err := e.st.OpenIncident(e.ctx, n)
	e.must(err)
	return inc
}

// counts is how many of each kind of record the ledger holds, read
// through the interface.
type counts struct {
	Customers, Credits, Entries, Incidents, Affected, Fixes, Apologies, Deliveries, Notes, Imports, Claims int
}

func (e *env) counts() counts {
	e.t.Helper()
	var n counts
	cs, err := e.st.Customers(e.ctx)
	e.must(err)
	n.Customers = len(cs)
	for _, c := range cs {
		h, err := e.st.History(e.ctx, c.ID)
		e.must(err)
		n.Entries += len(h)
	}
	credits, err := e.st.Credits(e.ctx, ledger.CreditFilter{Now: t0})
	e.must(err)
	n.Credits = len(credits)
	incs, err := e.st.Incidents(e.ctx, ledger.IncidentFilter{})
	e.must(err)
	n.Incidents = len(incs)
	for _, inc := range incs {
		n.Affected += len(inc.Customers)
		fs, err := e.st.Fixes(e.ctx, inc.ID)
		e.must(err)
		n.Fixes += len(fs)
	}
	as, err := e.st.Apologies(e.ctx, ledger.ApologyFilter{})
	e.must(err)
	n.Apologies = len(as)
	for _, a := range as {
		ds, err := e.st.Deliveries(e.ctx, a.ID)
		e.must(err)
		n.Deliveries += len(ds)
	}
	notes, err := e.st.ThankYouNotes(e.ctx, ledger.ThanksFilter{})
	e.must(err)
	n.Notes = len(notes)
	imps, err := e.st.Imports(e.ctx)
	e.must(err)
	n.Imports = len(imps)
	claims, err := e.st.Claims(e.ctx, ledger.ClaimFilter{})
	e.must(err)
	n.Claims = len(claims)
	return n
}

// dump is everything the ledger holds, as the interface reads it: two
// dumps are equal when nothing was written in between.
func (e *env) dump() string {
	e.t.Helper()
	var b strings.Builder
	cs, err := e.st.Customers(e.ctx)
	e.must(err)
	for _, c := range cs {
		fmt.Fprintf(&b, "customer %+v\n", c)
		h, err := e.st.History(e.ctx, c.ID)
		e.must(err)
		for _, en := range h {
			fmt.Fprintf(&b, "  entry %+v\n", en)
		}
	}
	credits, err := e.st.Credits(e.ctx, ledger.CreditFilter{Now: t0})
	e.must(err)
	for _, c := range credits {
		fmt.Fprintf(&b, "credit %s\n", creditString(c))
	}
	incs, err := e.st.Incidents(e.ctx, ledger.IncidentFilter{})
	e.must(err)
	for _, inc := range incs {
		fmt.Fprintf(&b, "incident %s\n", incidentString(inc))
		fs, err := e.st.Fixes(e.ctx, inc.ID)
		e.must(err)
		fmt.Fprintf(&b, "  fixes %+v\n", fs)
	}
	as, err := e.st.Apologies(e.ctx, ledger.ApologyFilter{})
	e.must(err)
	for _, a := range as {
		fmt.Fprintf(&b, "apology %d %s %d %q %s %s %s\n", a.ID, a.Customer, a.Incident, a.Body, a.RecordedAt, a.Via, a.Status)
		ds, err := e.st.Deliveries(e.ctx, a.ID)
		e.must(err)
		fmt.Fprintf(&b, "  deliveries %+v\n", ds)
	}
	notes, err := e.st.ThankYouNotes(e.ctx, ledger.ThanksFilter{})
	e.must(err)
	for _, n := range notes {
		credit := ""
		if n.Credit != nil {
			credit = creditString(*n.Credit)
		}
		n.Credit = nil
		fmt.Fprintf(&b, "note %+v %s\n", n, credit)
	}
	imps, err := e.st.Imports(e.ctx)
	e.must(err)
	fmt.Fprintf(&b, "imports %+v\n", imps)
	claims, err := e.st.Claims(e.ctx, ledger.ClaimFilter{})
	e.must(err)
	for _, c := range claims {
		fmt.Fprintf(&b, "claim %+v %+v\n", c, c.Outcome)
	}
	return b.String()
}

func creditString(c ledger.Credit) string {
	s := fmt.Sprintf("%d %s %d %s %s %q %s key=%q remaining=%d incident=%d gesture=%q void=%q", c.ID, c.Customer, c.AmountMinor,
		c.Currency, c.Reason, c.Note, c.IssuedAt, c.IdempotencyKey, c.RemainingMinor, c.IncidentID, c.Gesture, c.VoidReason)
	if c.ExpiresAt != nil {
		s += " expires " + c.ExpiresAt.String()
	}
	if c.VoidedAt != nil {
		s += " voided " + c.VoidedAt.String()
	}
	return s
}

func incidentString(i ledger.Incident) string {
	s := fmt.Sprintf("%d %q %q %s %s %s %s %v impact=%d corrections=%d", i.ID, i.Title, i.What, i.Severity, i.StartedAt,
		i.ReportedAt, i.CreatedAt, i.Customers, i.ImpactBP, i.Corrections)
	if i.FixedAt != nil {
		s += " fixed " + i.FixedAt.String()
	}
	return s
}

// creditIDs lists the ids of the credits f selects, at t0 unless f says.
func (e *env) creditIDs(f ledger.CreditFilter) []int64 {
	e.t.Helper()
	if f.Now.IsZero() {
		f.Now = t0
	}
	cs, err := e.st.Credits(e.ctx, f)
	e.must(err)
	out := []int64{}
	for _, c := range cs {
		out = append(out, c.ID)
	}
	return out
}
