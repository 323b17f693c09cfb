package sqlite

import (
	"context"
	"strings"
	"testing"

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
