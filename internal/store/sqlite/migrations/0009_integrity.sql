-- The ledger refuses what it cannot hold.
--
-- 1. REPLACE and upserts. SQLite's REPLACE resolves a conflict by deleting
-- the row in the way, and that delete fires no DELETE trigger (unless a
-- connection turns recursive_triggers on, which the sqlite3 shell does
-- not): `REPLACE INTO credits VALUES (1, …)` rewrote history past the
-- append-only triggers. BEFORE INSERT triggers now refuse any row whose
-- id or unique key is taken, before conflict resolution gets to run. An
-- upsert (INSERT … ON CONFLICT DO UPDATE) meets the same triggers first.
--
-- They raise FAIL, not ABORT: ABORT undoes the statement's earlier rows,
-- so SQLite would keep a statement journal for every multi-row INSERT on
-- these tables, which is most of a bulk import's time (docs/benchmarks.md).
-- FAIL leaves a statement's earlier rows, which are new rows, and new rows
-- are what the ledger takes anyway; the refused row is never written.
-- Code never reaches these triggers: it checks ids and keys first, inside
-- its write transaction.
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

ALTER TABLE credit_entries ADD COLUMN idempotency_key TEXT;
CREATE UNIQUE INDEX credit_entries_by_key ON credit_entries (idempotency_key) WHERE idempotency_key IS NOT NULL;

ALTER TABLE incidents ADD COLUMN case_key TEXT;
CREATE UNIQUE INDEX incidents_by_case_key ON incidents (case_key) WHERE case_key IS NOT NULL;

CREATE TRIGGER credits_insert_only BEFORE INSERT ON credits
BEGIN
    SELECT RAISE(ABORT, 'credits are append-only: that credit id is taken (REPLACE and upserts are refused)')
    WHERE EXISTS (SELECT 1 FROM credits WHERE id = NEW.id);
    SELECT RAISE(ABORT, 'credits are append-only: that idempotency key is taken (REPLACE and upserts are refused)')
    WHERE NEW.idempotency_key IS NOT NULL AND EXISTS (SELECT 1 FROM credits WHERE idempotency_key = NEW.idempotency_key);
    SELECT RAISE(ABORT, 'credit amount_minor is out of bounds')
    WHERE NEW.amount_minor > 10000000000000;
END;

CREATE TRIGGER credit_entries_insert_only BEFORE INSERT ON credit_entries
BEGIN
    SELECT RAISE(ABORT, 'credit entries are append-only: that entry id is taken (REPLACE and upserts are refused)')
    WHERE EXISTS (SELECT 1 FROM credit_entries WHERE id = NEW.id);
    SELECT RAISE(ABORT, 'credit entries are append-only: the credit has that entry already (REPLACE and upserts are refused)')
    WHERE NEW.kind IN ('issue', 'void')
      AND EXISTS (SELECT 1 FROM credit_entries WHERE credit_id = NEW.credit_id AND kind = NEW.kind);
    SELECT RAISE(ABORT, 'credit entries are append-only: that idempotency key is taken (REPLACE and upserts are refused)')
    WHERE NEW.idempotency_key IS NOT NULL
      AND EXISTS (SELECT 1 FROM credit_entries WHERE idempotency_key = NEW.idempotency_key);
    SELECT RAISE(ABORT, 'credit entry amount_minor is out of bounds')
    WHERE NEW.amount_minor NOT BETWEEN -10000000000000 AND 10000000000000;
END;

CREATE TRIGGER thank_you_notes_insert_only BEFORE INSERT ON thank_you_notes
BEGIN
    SELECT RAISE(ABORT, 'thank-you notes are append-only: that note id is taken (REPLACE and upserts are refused)')
    WHERE EXISTS (SELECT 1 FROM thank_you_notes WHERE id = NEW.id);
    SELECT RAISE(ABORT, 'thank-you notes are append-only: that note was sent already (REPLACE and upserts are refused)')
    WHERE NEW.status = 'sent' AND EXISTS (SELECT 1 FROM thank_you_notes
        WHERE customer_id = NEW.customer_id AND occasion_key = NEW.occasion_key AND status = 'sent');
    SELECT RAISE(ABORT, 'thank-you notes are append-only: that credit has a note already (REPLACE and upserts are refused)')
    WHERE NEW.credit_id IS NOT NULL AND EXISTS (SELECT 1 FROM thank_you_notes WHERE credit_id = NEW.credit_id);
END;

CREATE TRIGGER imports_insert_only BEFORE INSERT ON imports
BEGIN
    SELECT RAISE(ABORT, 'imports are append-only: that import id is taken (REPLACE and upserts are refused)')
    WHERE EXISTS (SELECT 1 FROM imports WHERE id = NEW.id);
END;

CREATE TRIGGER incidents_insert_only BEFORE INSERT ON incidents
BEGIN
    SELECT RAISE(ABORT, 'incidents are append-only: that incident id is taken (REPLACE and upserts are refused)')
    WHERE EXISTS (SELECT 1 FROM incidents WHERE id = NEW.id);
    SELECT RAISE(ABORT, 'incidents are append-only: that case key is taken (REPLACE and upserts are refused)')
    WHERE NEW.case_key IS NOT NULL AND EXISTS (SELECT 1 FROM incidents WHERE case_key = NEW.case_key);
END;

CREATE TRIGGER incident_customers_insert_only BEFORE INSERT ON incident_customers
BEGIN
    SELECT RAISE(ABORT, 'incident customers are append-only: that customer is recorded for the incident already (REPLACE and upserts are refused)')
    WHERE EXISTS (SELECT 1 FROM incident_customers WHERE incident_id = NEW.incident_id AND customer_id = NEW.customer_id);
END;

CREATE TRIGGER incident_fixes_insert_only BEFORE INSERT ON incident_fixes
BEGIN
    SELECT RAISE(ABORT, 'incident fixes are append-only: a fix is recorded once (REPLACE and upserts are refused)')
    WHERE EXISTS (SELECT 1 FROM incident_fixes WHERE incident_id = NEW.incident_id);
END;

CREATE TRIGGER apologies_insert_only BEFORE INSERT ON apologies
BEGIN
    SELECT RAISE(ABORT, 'apologies are append-only: that apology id is taken (REPLACE and upserts are refused)')
    WHERE EXISTS (SELECT 1 FROM apologies WHERE id = NEW.id);
END;

CREATE TRIGGER apology_deliveries_insert_only BEFORE INSERT ON apology_deliveries
BEGIN
    SELECT RAISE(ABORT, 'apology deliveries are append-only: that delivery id is taken (REPLACE and upserts are refused)')
    WHERE EXISTS (SELECT 1 FROM apology_deliveries WHERE id = NEW.id);
END;
