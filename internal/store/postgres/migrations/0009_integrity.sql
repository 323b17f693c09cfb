-- The ledger refuses what it cannot hold.
--
-- 1. REPLACE and upserts. SQLite's 0009 adds BEFORE INSERT triggers that
-- refuse a taken id or key, because SQLite's REPLACE deletes the row in
-- the way without firing DELETE triggers. PostgreSQL has no REPLACE: a
-- taken id or key is refused by its constraint, and INSERT … ON CONFLICT
-- DO UPDATE by the statement-level UPDATE triggers every append-only
-- table has had since it was made.
--
-- 2. Sizes. No row may move more money than any credit can hold
-- (10^13 minor units: 1,000,000,000 in a currency of 4 decimals, the most
-- ISO 4217 has). Together with the per-currency bound the commands check
-- before writing (README, "Limits"), every sum stays within int64.
--
-- 3. credit_entries.idempotency_key keys an apply, so that a retried
-- `credit apply --idempotency-key K` returns the apply it made.
--
-- 4. incidents.case_key recognises `resolve --title` run again for the
-- same title, start and customers (internal/ledger CaseKey).

ALTER TABLE credit_entries ADD COLUMN idempotency_key text COLLATE "C";
CREATE UNIQUE INDEX credit_entries_by_key ON credit_entries (idempotency_key) WHERE idempotency_key IS NOT NULL;

ALTER TABLE incidents ADD COLUMN case_key text COLLATE "C";
CREATE UNIQUE INDEX incidents_by_case_key ON incidents (case_key) WHERE case_key IS NOT NULL;

ALTER TABLE credits ADD CONSTRAINT credits_amount_bound CHECK (amount_minor <= 10000000000000);
ALTER TABLE credit_entries ADD CONSTRAINT credit_entries_amount_bound
    CHECK (amount_minor BETWEEN -10000000000000 AND 10000000000000);
