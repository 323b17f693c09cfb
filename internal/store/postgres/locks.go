package postgres

import (
	"context"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
)

// The advisory locks a write transaction takes before it decides from
// what it reads: pg_advisory_xact_lock(space, hash of the thing), held
// until the transaction ends. Two transactions that decide about the same
// thing queue on its lock, and under READ COMMITTED the second one's next
// statement sees what the first committed: the same as SQLite's single
// writer gives, for that thing, while writers of other things go on.
//
// A transaction takes its locks in the order of the spaces below (and
// within a space, for several things, in sorted order), so that no two
// transactions wait for each other in a circle. Where a path cannot keep
// to it, PostgreSQL finds the deadlock and gives one transaction up, and
// tx runs that one again (retryable). Hashes may collide: then two
// unrelated writers queue for nothing, which costs time, never
// correctness. Advisory locks belong to the database, so ledgers in two
// schemas of one database share them, with the same harmless effect.
type lockSpace int32

const (
	// lockMigrations: one process migrates a new ledger at a time.
	lockMigrations lockSpace = iota + 1
	// lockImportFile (kind, sha256): an import checks it is not a repeat
	// of one committed meanwhile.
	lockImportFile
	// lockCase (case key): resolve --title opens its incident once.
	lockCase
	// lockIncident (id): its fix is recorded once.
	lockIncident
	// lockAffected (incident, customer): one compensation per customer
	// and incident, and the apologies a case saw.
	lockAffected
	// lockMessage (kind, customer, key): one claim per attempt, one sent
	// thank-you note per occasion.
	lockMessage
	// lockCreditKey (idempotency key): a key issues one credit.
	lockCreditKey
	// lockBudget (currency): the monthly budget is checked against every
	// other budgeted credit.
	lockBudget
	// lockPull (Stripe customer): one pull of a customer at a time.
	lockPull
	// lockCredit (id): no void or use beyond what remains, one void.
	lockCredit
	// lockApplyKey (idempotency key): a key makes one apply.
	lockApplyKey
	// lockCurrencyTotal (currency): taken just before commit by each
	// transaction that issued in the currency, to check the currency's
	// total with every other issuer's committed (see checkTotals).
	lockCurrencyTotal
)

// lockKey is the lock of thing in space: the 32-bit FNV-1a hash of its
// parts.
func lockKey(parts ...string) int32 {
	h := fnv.New32a()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return int32(h.Sum32())
}

// advisoryLock takes the transaction-level lock of each thing named by
// parts in space; several things are locked in sorted order, and no
// things, nothing.
func advisoryLock(ctx context.Context, q querier, space lockSpace, things ...[]string) error {
	keys := make([]int32, 0, len(things))
	for _, parts := range things {
		keys = append(keys, lockKey(parts...))
	}
	slices.Sort(keys)
	keys = slices.Compact(keys)
	for _, k := range keys {
		if _, err := q.Exec(ctx, `SELECT pg_advisory_xact_lock($1::int4, $2::int4)`, int32(space), k); err != nil {
			return fmt.Errorf("lock: %w", err)
		}
	}
	return nil
}

// lock takes one thing's lock.
func lock(ctx context.Context, q querier, space lockSpace, parts ...string) error {
	return advisoryLock(ctx, q, space, parts)
}

func id(n int64) string { return strconv.FormatInt(n, 10) }
