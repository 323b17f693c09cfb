package sqlite

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/makegood/makegood/internal/ledger"
)

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

func record(t *testing.T, s *Ledger, n ledger.NewThankYouNote) ledger.ThankYouNote {
	t.Helper()
	got, err := s.RecordThankYou(context.Background(), n)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestRecordThankYouRoundTrip(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	addCustomer(t, s, "a", "USD")
	at := time.Date(2026, 11, 24, 10, 0, 1, 500000000, time.FixedZone("CET", 3600))
	n := sentNote("a", "anniversary:3")
	n.At = at
	rec := record(t, s, n)
	if rec.ID != 1 || rec.Credit != nil || !rec.At.Equal(at) || rec.At.Location() != time.UTC {
		t.Fatalf("recorded %+v", rec)
	}
	got, err := s.ThankYouNotes(ctx, ledger.ThanksFilter{})
	if err != nil {
		t.Fatal(err)
	}
	want := ledger.ThankYouNote{ID: 1, Customer: "a", Occasion: "anniversary", Key: "anniversary:3", Via: "outbox",
		Status: "sent", MessageID: "<a.anniversary:3@example.com>", Subject: "Thank you", At: at.UTC()}
	if len(got) != 1 || got[0].Credit != nil || got[0].At != want.At {
		t.Fatalf("listed %+v", got)
	}
	got[0].At = want.At
	if got[0] != want {
		t.Fatalf("listed %+v\nwant     %+v", got[0], want)
	}
}

// The database refuses a second sent note for the same customer and key,
// whatever the command does; failed attempts do not count.
func TestThankYouNeverTwice(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	addCustomer(t, s, "a", "USD")
	addCustomer(t, s, "b", "USD")
	record(t, s, failedNote("a", "welcome", "550 no such user"))
	record(t, s, failedNote("a", "welcome", "550 no such user")) // a second failure is fine
	record(t, s, sentNote("a", "welcome"))                       // and so is the retry that works
	record(t, s, sentNote("b", "welcome"))                       // another customer
	record(t, s, sentNote("a", "anniversary:1"))                 // another occasion

	_, err := s.RecordThankYou(ctx, sentNote("a", "welcome"))
	if !errors.Is(err, ledger.ErrConflict) || !strings.Contains(err.Error(), `customer "a" was already thanked for welcome`) {
		t.Fatalf("second sent welcome: %v", err)
	}
	if n := count(t, s, "thank_you_notes"); n != 5 {
		t.Fatalf("%d notes, want 5", n)
	}
}

func TestThankYouCreditInSameTransaction(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	addCustomer(t, s, "a", "USD")
	n := sentNote("a", "just_because:2026-11-24")
	n.Credit = &ledger.NewCredit{Customer: "a", AmountMinor: 1000, Currency: "USD", Reason: "goodwill",
		Note: "thank-you: just_because:2026-11-24", IssuedAt: t0}
	rec := record(t, s, n)
	if rec.Credit == nil || rec.Credit.ID != 1 || rec.Credit.AmountMinor != 1000 {
		t.Fatalf("note %+v credit %+v", rec, rec.Credit)
	}
	got, err := s.ThankYouNotes(ctx, ledger.ThanksFilter{Customer: "a"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Credit == nil || got[0].Credit.ID != 1 || got[0].Credit.RemainingMinor != 1000 ||
		got[0].Credit.Reason != "goodwill" {
		t.Fatalf("listed %+v", got)
	}
	bals, err := s.Balances(ctx, "a", t0)
	if err != nil || len(bals) != 1 || bals[0].BalanceMinor != 1000 {
		t.Fatalf("balances %+v %v", bals, err)
	}

	// A note that may not be recorded takes its credit down with it.
	_, err = s.RecordThankYou(ctx, n)
	if !errors.Is(err, ledger.ErrConflict) {
		t.Fatalf("second note: %v", err)
	}
	if c, e := count(t, s, "credits"), count(t, s, "credit_entries"); c != 1 || e != 1 {
		t.Fatalf("credits %d entries %d after a refused note, want 1 and 1", c, e)
	}

	// A failed note never carries a credit.
	f := failedNote("a", "welcome", "refused")
	f.Credit = n.Credit
	if _, err := s.RecordThankYou(ctx, f); err == nil || !strings.Contains(err.Error(), "cannot carry a credit") {
		t.Fatalf("failed note with credit: %v", err)
	}
	if c, notes := count(t, s, "credits"), count(t, s, "thank_you_notes"); c != 1 || notes != 1 {
		t.Fatalf("credits %d notes %d, want 1 and 1", c, notes)
	}
}

func TestThankYouUnknownCustomer(t *testing.T) {
	s := openTest(t)
	_, err := s.RecordThankYou(context.Background(), sentNote("ghost", "welcome"))
	if !errors.Is(err, ledger.ErrNotFound) {
		t.Fatalf("err = %v, want not found", err)
	}
}

func TestThankYouNotesAreAppendOnly(t *testing.T) {
	s := openTest(t)
	addCustomer(t, s, "a", "USD")
	record(t, s, failedNote("a", "welcome", "refused"))
	for _, stmt := range []string{
		"UPDATE thank_you_notes SET status = 'sent', error = ''",
		"DELETE FROM thank_you_notes",
	} {
		if _, err := s.DB().Exec(stmt); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: err = %v, want an append-only refusal", stmt, err)
		}
	}
	// The table's checks keep a note's facts consistent even for hand-typed rows.
	for _, stmt := range []string{
		`INSERT INTO thank_you_notes (customer_id, occasion, occasion_key, via, status, error, at) VALUES ('a', 'welcome', 'welcome', 'smtp', 'failed', '', 'x')`,
		`INSERT INTO thank_you_notes (customer_id, occasion, occasion_key, via, status, error, at) VALUES ('a', 'birthday', 'birthday', 'smtp', 'sent', '', 'x')`,
		`INSERT INTO thank_you_notes (customer_id, occasion, occasion_key, via, status, error, at) VALUES ('a', 'welcome', 'welcome', 'fax', 'sent', '', 'x')`,
		`INSERT INTO thank_you_notes (customer_id, occasion, occasion_key, via, status, error, at) VALUES ('a', 'welcome', 'welcome', 'smtp', 'sent', 'oops', 'x')`,
	} {
		if _, err := s.DB().Exec(stmt); err == nil || !strings.Contains(err.Error(), "CHECK constraint failed") {
			t.Errorf("%s: err = %v, want a CHECK failure", stmt, err)
		}
	}
	if n := count(t, s, "thank_you_notes"); n != 1 {
		t.Fatalf("%d notes after refused statements", n)
	}
}

func TestThankYouFilters(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	addCustomer(t, s, "a", "USD")
	addCustomer(t, s, "b", "USD")
	record(t, s, sentNote("a", "welcome"))                 // 1
	record(t, s, failedNote("b", "welcome", "refused"))    // 2
	record(t, s, sentNote("b", "welcome"))                 // 3
	record(t, s, sentNote("a", "anniversary:1"))           // 4
	record(t, s, sentNote("b", "milestone:launch"))        // 5
	record(t, s, sentNote("a", "just_because:2026-11-24")) // 6
	for _, tt := range []struct {
		f    ledger.ThanksFilter
		want string
	}{
		{ledger.ThanksFilter{}, "6 5 4 3 2 1"},
		{ledger.ThanksFilter{Limit: 2}, "6 5"},
		{ledger.ThanksFilter{Customer: "b"}, "5 3 2"},
		{ledger.ThanksFilter{Occasion: "welcome"}, "3 2 1"},
		{ledger.ThanksFilter{Customer: "b", Occasion: "welcome", Status: "sent"}, "3"},
		{ledger.ThanksFilter{Status: "failed"}, "2"},
		{ledger.ThanksFilter{Key: "milestone:launch"}, "5"},
		{ledger.ThanksFilter{Customer: "nobody"}, ""},
	} {
		got, err := s.ThankYouNotes(ctx, tt.f)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, n := range got {
			ids = append(ids, strconv.FormatInt(n.ID, 10))
		}
		if strings.Join(ids, " ") != tt.want {
			t.Errorf("%+v: ids %v, want %s", tt.f, ids, tt.want)
		}
	}
}

func TestCreditsByIDInBatches(t *testing.T) {
	s := openTest(t)
	addCustomer(t, s, "a", "USD")
	var ids []int64
	for i := range 5 {
		ids = append(ids, issue(t, s, ledger.NewCredit{Customer: "a", AmountMinor: int64(100 * (i + 1)), Currency: "USD"}).ID)
	}
	got, err := creditsByID(context.Background(), s.DB(), append(ids, 999), 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 5 {
		t.Fatalf("%d credits, want 5", len(got))
	}
	for i, id := range ids {
		if got[id].AmountMinor != int64(100*(i+1)) {
			t.Errorf("credit %d: %+v", id, got[id])
		}
	}
}
