-- At most once to a customer. Before a thank-you note or an apology
-- leaves (outbox, SMTP or a card list), the run claims it here in a
-- transaction of its own, committed before anything is sent; a second run
-- that finds the claim does not send. After the attempt its outcome is
-- appended in delivery_outcomes, in the same transaction as the note or
-- delivery it records. Both tables are append-only: a retry is a new
-- claim with the next attempt number.
CREATE TABLE delivery_claims (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('thanks', 'apology')),
    -- key is a thank-you note's occasion key ("anniversary:3") or an
    -- apology's id.
    key         TEXT NOT NULL CHECK (key <> ''),
    customer_id TEXT NOT NULL REFERENCES customers (id),
    attempt     INTEGER NOT NULL CHECK (attempt >= 1),
    via         TEXT NOT NULL CHECK (via IN ('outbox', 'smtp', 'print')),
    -- nonce names the outbox file and makes the Message-ID, so a later run
    -- finds what a killed one wrote.
    nonce       TEXT NOT NULL UNIQUE CHECK (nonce <> ''),
    claimed_at  TEXT NOT NULL,
    host        TEXT NOT NULL,
    pid         INTEGER NOT NULL,
    run         TEXT NOT NULL,
    -- Of two processes claiming the same attempt, one wins.
    UNIQUE (kind, key, customer_id, attempt)
);
CREATE INDEX delivery_claims_by_customer ON delivery_claims (customer_id, kind);

-- One outcome per claim, never changed. note_id or delivery_id points at
-- the record written with it; an unknown outcome has neither.
CREATE TABLE delivery_outcomes (
    claim_id    INTEGER PRIMARY KEY REFERENCES delivery_claims (id),
    status      TEXT NOT NULL CHECK (status IN ('sent', 'failed', 'unknown')),
    message_id  TEXT,
    error       TEXT NOT NULL DEFAULT '',
    by_hand     INTEGER NOT NULL DEFAULT 0 CHECK (by_hand IN (0, 1)),
    at          TEXT NOT NULL,
    note_id     INTEGER UNIQUE REFERENCES thank_you_notes (id),
    delivery_id INTEGER UNIQUE REFERENCES apology_deliveries (id),
    CHECK (status <> 'sent' OR error = ''),
    CHECK (note_id IS NULL OR delivery_id IS NULL)
);

CREATE TRIGGER delivery_claims_no_update BEFORE UPDATE ON delivery_claims
BEGIN SELECT RAISE(ABORT, 'delivery claims are append-only: a retry is a new claim'); END;
CREATE TRIGGER delivery_claims_no_delete BEFORE DELETE ON delivery_claims
BEGIN SELECT RAISE(ABORT, 'delivery claims are append-only'); END;
-- REPLACE and upserts delete the row they collide with without firing
-- DELETE triggers, so an insert that collides is refused before it can.
CREATE TRIGGER delivery_claims_no_replace BEFORE INSERT ON delivery_claims
WHEN EXISTS (SELECT 1 FROM delivery_claims WHERE id = NEW.id OR nonce = NEW.nonce
    OR (kind = NEW.kind AND key = NEW.key AND customer_id = NEW.customer_id AND attempt = NEW.attempt))
BEGIN SELECT RAISE(ABORT, 'delivery claims are append-only: this attempt is claimed already'); END;

CREATE TRIGGER delivery_outcomes_no_update BEFORE UPDATE ON delivery_outcomes
BEGIN SELECT RAISE(ABORT, 'delivery outcomes are append-only: an outcome is recorded once'); END;
CREATE TRIGGER delivery_outcomes_no_delete BEFORE DELETE ON delivery_outcomes
BEGIN SELECT RAISE(ABORT, 'delivery outcomes are append-only'); END;
CREATE TRIGGER delivery_outcomes_no_replace BEFORE INSERT ON delivery_outcomes
WHEN EXISTS (SELECT 1 FROM delivery_outcomes WHERE claim_id = NEW.claim_id
    OR note_id = NEW.note_id OR delivery_id = NEW.delivery_id)
BEGIN SELECT RAISE(ABORT, 'delivery outcomes are append-only: an outcome is recorded once'); END;
