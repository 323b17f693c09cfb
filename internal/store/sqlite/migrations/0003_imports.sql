-- Each successful import of a file, so that the same file is not applied
-- twice by accident and an operator can see who imported what.
CREATE TABLE imports (
    id               INTEGER PRIMARY KEY,
    kind             TEXT NOT NULL CHECK (kind IN ('credits', 'customers')),
    at               TEXT NOT NULL,
    sha256           TEXT NOT NULL,
    source           TEXT NOT NULL DEFAULT '',
    rows             INTEGER NOT NULL CHECK (rows >= 0),
    written          INTEGER NOT NULL CHECK (written >= 0),
    already_recorded INTEGER NOT NULL CHECK (already_recorded >= 0),
    operator         TEXT NOT NULL DEFAULT ''
);
CREATE INDEX imports_by_hash ON imports (kind, sha256, id);

CREATE TRIGGER imports_no_update BEFORE UPDATE ON imports
BEGIN SELECT RAISE(ABORT, 'imports are append-only'); END;
CREATE TRIGGER imports_no_delete BEFORE DELETE ON imports
BEGIN SELECT RAISE(ABORT, 'imports are append-only'); END;

-- The balance index ended in amount_minor, so a bulk import inserted into
-- it at a random place within each customer: with a million entries that
-- is a page read and a page written per row. Ordering by credit_id before
-- amount_minor keeps it covering for balances and turns those inserts into
-- appends at the end of each customer's range (see docs/benchmarks.md).
DROP INDEX credit_entries_balance;
CREATE INDEX credit_entries_balance ON credit_entries (customer_id, currency, expires_at, credit_id, amount_minor);
