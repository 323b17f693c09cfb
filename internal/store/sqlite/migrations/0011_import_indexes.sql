-- Indexes a big import can keep up cheaply or build by sorting
-- (docs/benchmarks.md, "Fair floors").
--
-- 1. credits.idempotency_key was a column constraint (UNIQUE), whose
-- index SQLite makes itself and no statement can drop. Keys from another
-- system (UUIDs) land at random places in that index, and once it
-- outgrows the page cache nearly every imported row costs a page read and
-- a page write there: a million rows with random keys took 24 s against
-- 17 s with keys in order. The same uniqueness is now a named index,
-- credits_by_key, which a big import drops and builds again by sorting
-- before it commits, as it does the customer-led indexes. SQLite cannot
-- drop a column constraint, so the table is built again (the procedure of
-- https://sqlite.org/lang_altertable.html#otheralter: makegood runs its
-- migrations with foreign key checks off and checks every reference
-- before committing). Ids, rows, the other indexes and the triggers stay
-- as they were.
--
-- 2. The report's two indexes (migration 0010) ended in amount_minor after
-- the entry's time. An import's entries all have one time, so they went
-- into those indexes at random places ordered by amount, as the balance
-- index once did (migration 0003). With the entry's id before the amount
-- each import appends at the end of its month (and of its expiry) like
-- any other write; the report reads them in the same order and still from
-- the index alone.

CREATE TABLE credits_new (
    id              INTEGER PRIMARY KEY,
    customer_id     TEXT NOT NULL REFERENCES customers (id),
    amount_minor    INTEGER NOT NULL CHECK (amount_minor >= 0),
    currency        TEXT NOT NULL,
    reason          TEXT NOT NULL,
    note            TEXT NOT NULL DEFAULT '',
    issued_at       TEXT NOT NULL,
    expires_at      TEXT,
    idempotency_key TEXT,
    incident_id     INTEGER REFERENCES incidents (id),
    gesture         TEXT CHECK (gesture IS NULL OR (gesture <> '' AND amount_minor = 0))
);
INSERT INTO credits_new (id, customer_id, amount_minor, currency, reason, note, issued_at, expires_at,
        idempotency_key, incident_id, gesture)
    SELECT id, customer_id, amount_minor, currency, reason, note, issued_at, expires_at,
        idempotency_key, incident_id, gesture FROM credits ORDER BY id;
DROP TABLE credits;
ALTER TABLE credits_new RENAME TO credits;

CREATE UNIQUE INDEX credits_by_key ON credits (idempotency_key);
CREATE INDEX credits_by_customer ON credits (customer_id, id);
CREATE INDEX credits_by_reason ON credits (reason, id);
CREATE INDEX credits_by_incident ON credits (incident_id, customer_id) WHERE incident_id IS NOT NULL;

CREATE TRIGGER credits_no_update BEFORE UPDATE ON credits
BEGIN SELECT RAISE(ABORT, 'credits are append-only: void or apply the credit instead'); END;
CREATE TRIGGER credits_no_delete BEFORE DELETE ON credits
BEGIN SELECT RAISE(ABORT, 'credits are append-only: void the credit instead'); END;
CREATE TRIGGER credits_insert_only BEFORE INSERT ON credits
BEGIN
    SELECT RAISE(ABORT, 'credits are append-only: that credit id is taken (REPLACE and upserts are refused)')
    WHERE EXISTS (SELECT 1 FROM credits WHERE id = NEW.id);
    SELECT RAISE(ABORT, 'credits are append-only: that idempotency key is taken (REPLACE and upserts are refused)')
    WHERE NEW.idempotency_key IS NOT NULL AND EXISTS (SELECT 1 FROM credits WHERE idempotency_key = NEW.idempotency_key);
    SELECT RAISE(ABORT, 'credit amount_minor is out of bounds')
    WHERE NEW.amount_minor > 10000000000000;
END;

DROP INDEX credit_entries_by_month;
CREATE INDEX credit_entries_by_month ON credit_entries (substr(at, 1, 7), kind, currency, at, id, amount_minor);
DROP INDEX credit_entries_by_expiry;
CREATE INDEX credit_entries_by_expiry ON credit_entries (expires_at, currency, at, kind, id, amount_minor)
    WHERE expires_at IS NOT NULL;
