package sqlite

import (
	"context"
	"strings"
	"testing"

	"github.com/makegood/makegood/internal/ledger"
)

var claimer = ledger.Claimer{Host: "h", PID: 7, Run: "r"}

func running(ledger.Claimer) (bool, bool) { return true, true }

// TestClaimAttemptsAreUnique: the database itself refuses a second claim
// of an attempt, typed in SQL, past the code's own check.
func TestClaimAttemptsAreUnique(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	addCustomer(t, s, "a", "USD")
	if _, err := s.Claim(ctx, ledger.NewClaim{Message: ledger.ThanksMessage("a", "welcome"), Via: ledger.ViaSMTP, Nonce: "N1",
		At: t0, By: claimer, Alive: running}); err != nil {
		t.Fatal(err)
	}
	_, err := s.DB().Exec(`INSERT INTO delivery_claims (kind, key, customer_id, attempt, via, nonce, claimed_at, host, pid, run)
		VALUES ('thanks', 'welcome', 'a', 1, 'outbox', 'N9', 'x', 'h', 1, 'r')`)
	if err == nil || !strings.Contains(err.Error(), "append-only") {
		t.Fatalf("duplicate attempt: %v", err)
	}
	for _, q := range []string{`UPDATE delivery_claims SET attempt = 2`, `DELETE FROM delivery_claims`} {
		if _, err := s.DB().Exec(q); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: %v", q, err)
		}
	}
}
