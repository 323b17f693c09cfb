-- Stripe: the ledger's own identity, customers' Stripe ids, pushes of
-- credits as Customer Balance Transactions, and what pulls brought back.
-- Every table here is append-only. A BEFORE INSERT trigger refuses a
-- duplicate of each unique fact, because INSERT OR REPLACE deletes the old
-- row without firing DELETE triggers.

-- A random UUID written once, when this migration runs. Idempotency-Keys
-- are derived from it and a credit id, so every process on this ledger
-- sends the same key for the same push, and another ledger never does.
CREATE TABLE ledger_identity (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    uuid TEXT NOT NULL
);
INSERT INTO ledger_identity (id, uuid) SELECT 1, lower(
    hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' ||
    substr('89ab', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)));
CREATE TRIGGER ledger_identity_no_update BEFORE UPDATE ON ledger_identity
BEGIN SELECT RAISE(ABORT, 'the ledger identity is written once'); END;
CREATE TRIGGER ledger_identity_no_delete BEFORE DELETE ON ledger_identity
BEGIN SELECT RAISE(ABORT, 'the ledger identity is written once'); END;
CREATE TRIGGER ledger_identity_no_replace BEFORE INSERT ON ledger_identity
WHEN EXISTS (SELECT 1 FROM ledger_identity)
BEGIN SELECT RAISE(ABORT, 'the ledger identity is written once'); END;

-- A customer's Stripe id (cus_…), set by makegood stripe customers import.
ALTER TABLE customers ADD COLUMN stripe_id TEXT;
CREATE UNIQUE INDEX customers_by_stripe_id ON customers (stripe_id) WHERE stripe_id IS NOT NULL;

-- A push makegood means to send, committed before the request goes out
-- (claim before send): a process killed at any point leaves either no claim,
-- or a claim whose fixed key and amount the next run sends again.
-- amount_stripe is signed as sent, in Stripe's minor units; currency is
-- Stripe's lower-case form.
CREATE TABLE stripe_pushes (
    id              INTEGER PRIMARY KEY,
    credit_id       INTEGER NOT NULL REFERENCES credits (id),
    kind            TEXT NOT NULL CHECK (kind IN ('credit', 'reversal')),
    customer_id     TEXT NOT NULL REFERENCES customers (id),
    stripe_customer TEXT NOT NULL,
    amount_minor    INTEGER NOT NULL,
    amount_stripe   INTEGER NOT NULL,
    currency        TEXT NOT NULL,
    description     TEXT NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    intended_at     TEXT NOT NULL,
    UNIQUE (credit_id, kind)
);
CREATE INDEX stripe_pushes_by_customer ON stripe_pushes (stripe_customer, id);
CREATE TRIGGER stripe_pushes_no_update BEFORE UPDATE ON stripe_pushes
BEGIN SELECT RAISE(ABORT, 'stripe pushes are append-only'); END;
CREATE TRIGGER stripe_pushes_no_delete BEFORE DELETE ON stripe_pushes
BEGIN SELECT RAISE(ABORT, 'stripe pushes are append-only'); END;
CREATE TRIGGER stripe_pushes_no_replace BEFORE INSERT ON stripe_pushes
WHEN EXISTS (SELECT 1 FROM stripe_pushes WHERE (credit_id = NEW.credit_id AND kind = NEW.kind)
    OR idempotency_key = NEW.idempotency_key)
BEGIN SELECT RAISE(ABORT, 'this credit was already claimed for that push'); END;

-- What Stripe answered: the balance transaction a push created. how is
-- 'sent' (first answer), 'replayed' (Stripe answered a repeated key) or
-- 'metadata' (found by its metadata after the key could have expired).
CREATE TABLE stripe_push_results (
    push_id        INTEGER PRIMARY KEY REFERENCES stripe_pushes (id),
    transaction_id TEXT NOT NULL UNIQUE,
    how            TEXT NOT NULL CHECK (how IN ('sent', 'replayed', 'metadata')),
    at             TEXT NOT NULL
);
CREATE TRIGGER stripe_push_results_no_update BEFORE UPDATE ON stripe_push_results
BEGIN SELECT RAISE(ABORT, 'stripe push results are append-only'); END;
CREATE TRIGGER stripe_push_results_no_delete BEFORE DELETE ON stripe_push_results
BEGIN SELECT RAISE(ABORT, 'stripe push results are append-only'); END;
CREATE TRIGGER stripe_push_results_no_replace BEFORE INSERT ON stripe_push_results
WHEN EXISTS (SELECT 1 FROM stripe_push_results WHERE push_id = NEW.push_id OR transaction_id = NEW.transaction_id)
BEGIN SELECT RAISE(ABORT, 'this push already has its result'); END;

-- Each balance transaction a pull has seen that makegood did not create:
-- uses by invoices ('applied'), their return when an invoice is voided
-- ('unapplied'), and anything else ('foreign', reported and never
-- imported). unallocated_minor is what matched no open pushed credit.
CREATE TABLE stripe_pulled (
    transaction_id    TEXT PRIMARY KEY,
    customer_id       TEXT NOT NULL REFERENCES customers (id),
    stripe_customer   TEXT NOT NULL,
    type              TEXT NOT NULL,
    disposition       TEXT NOT NULL CHECK (disposition IN ('applied', 'unapplied', 'foreign')),
    amount_stripe     INTEGER NOT NULL,
    amount_minor      INTEGER NOT NULL,
    currency          TEXT NOT NULL,
    invoice           TEXT NOT NULL DEFAULT '',
    description       TEXT NOT NULL DEFAULT '',
    unallocated_minor INTEGER NOT NULL DEFAULT 0,
    created_at        TEXT NOT NULL,
    pulled_at         TEXT NOT NULL
);
CREATE INDEX stripe_pulled_by_customer ON stripe_pulled (customer_id, created_at);
CREATE TRIGGER stripe_pulled_no_update BEFORE UPDATE ON stripe_pulled
BEGIN SELECT RAISE(ABORT, 'stripe pulls are append-only'); END;
CREATE TRIGGER stripe_pulled_no_delete BEFORE DELETE ON stripe_pulled
BEGIN SELECT RAISE(ABORT, 'stripe pulls are append-only'); END;
CREATE TRIGGER stripe_pulled_no_replace BEFORE INSERT ON stripe_pulled
WHEN EXISTS (SELECT 1 FROM stripe_pulled WHERE transaction_id = NEW.transaction_id)
BEGIN SELECT RAISE(ABORT, 'this balance transaction was already pulled'); END;

-- The credit entries a pulled transaction wrote, so that a voided invoice
-- gives back exactly what it used, credit by credit.
CREATE TABLE stripe_pull_entries (
    entry_id       INTEGER PRIMARY KEY REFERENCES credit_entries (id),
    transaction_id TEXT NOT NULL REFERENCES stripe_pulled (transaction_id),
    credit_id      INTEGER NOT NULL REFERENCES credits (id),
    invoice        TEXT NOT NULL,
    amount_minor   INTEGER NOT NULL
);
CREATE INDEX stripe_pull_entries_by_invoice ON stripe_pull_entries (invoice, entry_id);
CREATE TRIGGER stripe_pull_entries_no_update BEFORE UPDATE ON stripe_pull_entries
BEGIN SELECT RAISE(ABORT, 'stripe pull entries are append-only'); END;
CREATE TRIGGER stripe_pull_entries_no_delete BEFORE DELETE ON stripe_pull_entries
BEGIN SELECT RAISE(ABORT, 'stripe pull entries are append-only'); END;
CREATE TRIGGER stripe_pull_entries_no_replace BEFORE INSERT ON stripe_pull_entries
WHEN EXISTS (SELECT 1 FROM stripe_pull_entries WHERE entry_id = NEW.entry_id)
BEGIN SELECT RAISE(ABORT, 'this credit entry was already linked to a pull'); END;

-- How far each customer's balance transactions have been read: the
-- creation time (Unix seconds) of the newest one seen. The latest row per
-- customer is the cursor; a pull reads from it again (created >= cursor)
-- and skips what it already holds, so a transaction created in the same
-- second as the cursor is never missed.
CREATE TABLE stripe_pull_cursors (
    id              INTEGER PRIMARY KEY,
    stripe_customer TEXT NOT NULL,
    created_unix    INTEGER NOT NULL,
    at              TEXT NOT NULL
);
CREATE INDEX stripe_pull_cursors_by_customer ON stripe_pull_cursors (stripe_customer, id);
CREATE TRIGGER stripe_pull_cursors_no_update BEFORE UPDATE ON stripe_pull_cursors
BEGIN SELECT RAISE(ABORT, 'stripe pull cursors are append-only: append a newer one'); END;
CREATE TRIGGER stripe_pull_cursors_no_delete BEFORE DELETE ON stripe_pull_cursors
BEGIN SELECT RAISE(ABORT, 'stripe pull cursors are append-only'); END;
CREATE TRIGGER stripe_pull_cursors_no_replace BEFORE INSERT ON stripe_pull_cursors
WHEN EXISTS (SELECT 1 FROM stripe_pull_cursors WHERE id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'stripe pull cursors are append-only'); END;
