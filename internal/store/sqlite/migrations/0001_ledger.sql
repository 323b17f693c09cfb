-- Customers describe who pays; they may be edited.
CREATE TABLE customers (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL DEFAULT '',
    email       TEXT NOT NULL DEFAULT '',
    plan        TEXT NOT NULL DEFAULT '',
    price_minor INTEGER NOT NULL DEFAULT 0 CHECK (price_minor >= 0),
    currency    TEXT NOT NULL DEFAULT '',
    period      TEXT NOT NULL DEFAULT 'month' CHECK (period IN ('month', 'year')),
    since       TEXT,
    locale      TEXT NOT NULL DEFAULT '',
    tags        TEXT NOT NULL DEFAULT '[]',
    advocate    INTEGER NOT NULL DEFAULT 0 CHECK (advocate BETWEEN 0 AND 10),
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

-- A credit's facts, written once.
CREATE TABLE credits (
    id              INTEGER PRIMARY KEY,
    customer_id     TEXT NOT NULL REFERENCES customers (id),
    amount_minor    INTEGER NOT NULL CHECK (amount_minor >= 0),
    currency        TEXT NOT NULL,
    reason          TEXT NOT NULL,
    note            TEXT NOT NULL DEFAULT '',
    issued_at       TEXT NOT NULL,
    expires_at      TEXT,
    idempotency_key TEXT UNIQUE
);
CREATE INDEX credits_by_customer ON credits (customer_id, id);
CREATE INDEX credits_by_reason ON credits (reason, id);

-- Every movement of a credit: the issue (+), a void (-what remained) and
-- each use (-amount). customer_id, currency and expires_at are copied from
-- the credit so a balance is one indexed sum over this table.
CREATE TABLE credit_entries (
    id           INTEGER PRIMARY KEY,
    credit_id    INTEGER NOT NULL REFERENCES credits (id),
    customer_id  TEXT NOT NULL,
    currency     TEXT NOT NULL,
    expires_at   TEXT,
    kind         TEXT NOT NULL CHECK (kind IN ('issue', 'void', 'apply')),
    amount_minor INTEGER NOT NULL,
    invoice      TEXT NOT NULL DEFAULT '',
    note         TEXT NOT NULL DEFAULT '',
    at           TEXT NOT NULL
);
CREATE INDEX credit_entries_by_credit ON credit_entries (credit_id, kind, amount_minor);
CREATE INDEX credit_entries_balance ON credit_entries (customer_id, currency, expires_at, amount_minor);
CREATE UNIQUE INDEX credit_entries_one_issue ON credit_entries (credit_id) WHERE kind = 'issue';
CREATE UNIQUE INDEX credit_entries_one_void ON credit_entries (credit_id) WHERE kind = 'void';

-- The ledger is append-only in the database itself, so not even a hand-typed
-- statement in the sqlite3 shell can rewrite history.
CREATE TRIGGER credits_no_update BEFORE UPDATE ON credits
BEGIN SELECT RAISE(ABORT, 'credits are append-only: void or apply the credit instead'); END;
CREATE TRIGGER credits_no_delete BEFORE DELETE ON credits
BEGIN SELECT RAISE(ABORT, 'credits are append-only: void the credit instead'); END;
CREATE TRIGGER credit_entries_no_update BEFORE UPDATE ON credit_entries
BEGIN SELECT RAISE(ABORT, 'credit entries are append-only'); END;
CREATE TRIGGER credit_entries_no_delete BEFORE DELETE ON credit_entries
BEGIN SELECT RAISE(ABORT, 'credit entries are append-only'); END;
