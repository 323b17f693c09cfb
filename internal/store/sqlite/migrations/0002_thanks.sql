-- Thank-you notes: one row per delivery attempt, written once. A retry after
-- a failure is a new row, so the history keeps every attempt.
CREATE TABLE thank_you_notes (
    id           INTEGER PRIMARY KEY,
    customer_id  TEXT NOT NULL REFERENCES customers (id),
    occasion     TEXT NOT NULL CHECK (occasion IN ('welcome', 'anniversary', 'milestone', 'after_recovery', 'just_because')),
    -- occasion_key names the exact occasion ("anniversary:3"): the
    -- never-twice rule is one sent note per customer and key.
    occasion_key TEXT NOT NULL CHECK (occasion_key <> ''),
    via          TEXT NOT NULL CHECK (via IN ('outbox', 'smtp', 'print')),
    status       TEXT NOT NULL CHECK (status IN ('sent', 'failed')),
    message_id   TEXT,
    subject      TEXT NOT NULL DEFAULT '',
    error        TEXT NOT NULL DEFAULT '',
    at           TEXT NOT NULL,
    credit_id    INTEGER REFERENCES credits (id),
    -- A failed note carries its error and never a credit: the credit is
    -- given only with a note that went out.
    CHECK (status = 'sent' OR (credit_id IS NULL AND message_id IS NULL AND error <> '')),
    CHECK (status = 'failed' OR error = '')
);
CREATE INDEX thank_you_notes_by_customer ON thank_you_notes (customer_id, id);
CREATE INDEX thank_you_notes_by_occasion ON thank_you_notes (occasion, id);
CREATE UNIQUE INDEX thank_you_notes_sent_once ON thank_you_notes (customer_id, occasion_key) WHERE status = 'sent';
CREATE UNIQUE INDEX thank_you_notes_one_credit ON thank_you_notes (credit_id) WHERE credit_id IS NOT NULL;

CREATE TRIGGER thank_you_notes_no_update BEFORE UPDATE ON thank_you_notes
BEGIN SELECT RAISE(ABORT, 'thank-you notes are append-only: a retry is a new note'); END;
CREATE TRIGGER thank_you_notes_no_delete BEFORE DELETE ON thank_you_notes
BEGIN SELECT RAISE(ABORT, 'thank-you notes are append-only'); END;
