package ledgertest

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/makegood/makegood/internal/ledger"
)

func thanksTests() []contractTest {
	return []contractTest{
		{"RecordThankYouRoundTrip", testRecordThankYouRoundTrip},
		{"ThankYouNeverTwice", testThankYouNeverTwice},
		{"ThankYouCreditInSameTransaction", testThankYouCreditInSameTransaction},
		{"ThankYouUnknownCustomer", testThankYouUnknownCustomer},
		{"ThankYouFilters", testThankYouFilters},
	}
}

func sentNote(customer, key string) ledger.NewThankYouNote {
	occ, _, _ := strings.Cut(key, ":")
	return ledger.NewThankYouNote{Customer: customer, Occasion: occ, Key: key, Via: ledger.ViaOutbox,
		Status: ledger.NoteSent, MessageID: "<" + customer + "." + key + "@example.com>", Subject: "Thank you", At: t0}
}

func failedNote(customer, key, why string) ledger.NewThankYouNote {
	n := sentNote(customer, key)
	n.Status, n.MessageID, n.Error, n.Via = ledger.NoteFailed, "", why, ledger.ViaSMTP
	return n
}

func (e *env) record(n ledger.NewThankYouNote) ledger.ThankYouNote {
	e.t.Helper()
	got, err := e.st.RecordThankYou(e.ctx, n)
	e.must(err)
	return got
}

func testRecordThankYouRoundTrip(e *env) {
	t := e.t
	e.addCustomer("a", "USD")
	at := time.Date(2026, 11, 24, 10, 0, 1, 500000000, time.FixedZone("CET", 3600))
	n := sentNote("a", "anniversary:3")
	n.At = at
	rec := e.record(n)
	if rec.ID == 0 || rec.Credit != nil || !rec.At.Equal(at) || rec.At.Location() != time.UTC {
		t.Fatalf("recorded %+v", rec)
	}
	got, err := e.st.ThankYouNotes(e.ctx, ledger.ThanksFilter{})
	e.must(err)
	want := ledger.ThankYouNote{ID: rec.ID, Customer: "a", Occasion: "anniversary", Key: "anniversary:3", Via: "outbox",
		Status: "sent", MessageID: "<a.anniversary:3@example.com>", Subject: "Thank you", At: at.UTC()}
	if len(got) != 1 || got[0].Credit != nil || !got[0].At.Equal(want.At) || got[0].At.Location() != time.UTC {
		t.Fatalf("listed %+v", got)
	}
	got[0].At = want.At
	if got[0] != want {
		t.Fatalf("listed %+v\nwant     %+v", got[0], want)
	}
	f := e.record(failedNote("a", "welcome", "550 no such user"))
	notes, err := e.st.ThankYouNotes(e.ctx, ledger.ThanksFilter{Status: ledger.NoteFailed})
	if err != nil || len(notes) != 1 || notes[0].ID != f.ID || notes[0].Error != "550 no such user" || notes[0].MessageID != "" || notes[0].Via != ledger.ViaSMTP {
		t.Fatalf("a failed note read back: %+v %v", notes, err)
	}
}

// testThankYouNeverTwice: the ledger refuses a second sent note for the
// same customer and key, whatever the command does; failed attempts do
// not count.
func testThankYouNeverTwice(e *env) {
	t := e.t
	e.addCustomer("a", "USD")
	e.addCustomer("b", "USD")
	e.record(failedNote("a", "welcome", "550 no such user"))
	e.record(failedNote("a", "welcome", "550 no such user")) // a second failure is fine
	e.record(sentNote("a", "welcome"))                       // and so is the retry that works
	e.record(sentNote("b", "welcome"))                       // another customer
	e.record(sentNote("a", "anniversary:1"))                 // another occasion

	_, err := e.st.RecordThankYou(e.ctx, sentNote("a", "welcome"))
	if !errors.Is(err, ledger.ErrConflict) || !strings.Contains(err.Error(), `customer "a" was already thanked for welcome`) {
		t.Fatalf("second sent welcome: %v", err)
	}
	if n := e.counts(); n.Notes != 5 {
		t.Fatalf("%d notes, want 5", n.Notes)
	}
}

func testThankYouCreditInSameTransaction(e *env) {
	t := e.t
	e.addCustomer("a", "USD")
	n := sentNote("a", "just_because:2026-11-24")
	n.Credit = &ledger.NewCredit{Customer: "a", AmountMinor: 1000, Currency: "USD", Reason: "goodwill",
		Note: "thank-you: just_because:2026-11-24", IssuedAt: t0}
	rec := e.record(n)
	if rec.Credit == nil || rec.Credit.ID == 0 || rec.Credit.AmountMinor != 1000 {
		t.Fatalf("note %+v credit %+v", rec, rec.Credit)
	}
	got, err := e.st.ThankYouNotes(e.ctx, ledger.ThanksFilter{Customer: "a"})
	e.must(err)
	if len(got) != 1 || got[0].Credit == nil || got[0].Credit.ID != rec.Credit.ID || got[0].Credit.RemainingMinor != 1000 ||
		got[0].Credit.Reason != "goodwill" {
		t.Fatalf("listed %+v", got)
	}
	bals, err := e.st.Balances(e.ctx, "a", t0)
	if err != nil || len(bals) != 1 || bals[0].BalanceMinor != 1000 {
		t.Fatalf("balances %+v %v", bals, err)
	}

	// A note that may not be recorded takes its credit down with it.
	before := e.dump()
	if _, err := e.st.RecordThankYou(e.ctx, n); !errors.Is(err, ledger.ErrConflict) {
		t.Fatalf("second note: %v", err)
	}
	// A failed note never carries a credit.
	f := failedNote("a", "welcome", "refused")
	f.Credit = n.Credit
	if _, err := e.st.RecordThankYou(e.ctx, f); err == nil || !strings.Contains(err.Error(), "cannot carry a credit") {
		t.Fatalf("failed note with credit: %v", err)
	}
	// Nor one for another customer, nor a credit the ledger refuses.
	other := sentNote("a", "welcome")
	other.Credit = &ledger.NewCredit{Customer: "b", AmountMinor: 1000, Currency: "USD", Reason: "goodwill", IssuedAt: t0}
	if _, err := e.st.RecordThankYou(e.ctx, other); err == nil {
		t.Fatal("a note carried another customer's credit")
	}
	other.Credit = &ledger.NewCredit{Customer: "a", AmountMinor: 0, Currency: "USD", Reason: "goodwill", IssuedAt: t0}
	var fe *ledger.FieldError
	if _, err := e.st.RecordThankYou(e.ctx, other); !errors.As(err, &fe) || fe.Field != "amount" {
		t.Fatalf("a note with a credit of nothing: %v", err)
	}
	if after := e.dump(); after != before {
		t.Fatalf("refused notes wrote:\n%s\nwas:\n%s", after, before)
	}
}

func testThankYouUnknownCustomer(e *env) {
	if _, err := e.st.RecordThankYou(e.ctx, sentNote("ghost", "welcome")); !errors.Is(err, ledger.ErrNotFound) {
		e.t.Fatalf("err = %v, want not found", err)
	}
	if _, err := e.st.RecordThankYou(e.ctx, failedNote("ghost", "welcome", "x")); !errors.Is(err, ledger.ErrNotFound) {
		e.t.Fatalf("a failed note: err = %v, want not found", err)
	}
}

func testThankYouFilters(e *env) {
	t := e.t
	e.addCustomer("a", "USD")
	e.addCustomer("b", "USD")
	var id []int64
	for _, n := range []ledger.NewThankYouNote{
		sentNote("a", "welcome"),
		failedNote("b", "welcome", "refused"),
		sentNote("b", "welcome"),
		sentNote("a", "anniversary:1"),
		sentNote("b", "milestone:launch"),
		sentNote("a", "just_because:2026-11-24"),
	} {
		id = append(id, e.record(n).ID)
	}
	ids := func(i ...int) string {
		var s []string
		for _, n := range i {
			s = append(s, strconv.FormatInt(id[n], 10))
		}
		return strings.Join(s, " ")
	}
	for _, tt := range []struct {
		f    ledger.ThanksFilter
		want string
	}{
		{ledger.ThanksFilter{}, ids(5, 4, 3, 2, 1, 0)},
		{ledger.ThanksFilter{Limit: 2}, ids(5, 4)},
		{ledger.ThanksFilter{Customer: "b"}, ids(4, 2, 1)},
		{ledger.ThanksFilter{Occasion: "welcome"}, ids(2, 1, 0)},
		{ledger.ThanksFilter{Customer: "b", Occasion: "welcome", Status: "sent"}, ids(2)},
		{ledger.ThanksFilter{Status: "failed"}, ids(1)},
		{ledger.ThanksFilter{Key: "milestone:launch"}, ids(4)},
		{ledger.ThanksFilter{Customer: "nobody"}, ""},
	} {
		got, err := e.st.ThankYouNotes(e.ctx, tt.f)
		e.must(err)
		var s []string
		for _, n := range got {
			s = append(s, strconv.FormatInt(n.ID, 10))
		}
		if strings.Join(s, " ") != tt.want {
			t.Errorf("%+v: ids %v, want %s", tt.f, s, tt.want)
		}
	}
}
