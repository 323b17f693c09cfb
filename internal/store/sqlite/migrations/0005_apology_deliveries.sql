-- Delivery attempts of apologies. An apology is recorded with its case, in
-- one transaction, before it is sent; whether it then went out is a fact of
-- its own, appended here, because apologies are append-only. The latest
-- attempt is the apology's status; a failed one is retried with
-- `makegood apology send ID`.
CREATE TABLE apology_deliveries (
    id          INTEGER PRIMARY KEY,
    apology_id  INTEGER NOT NULL REFERENCES apologies (id),
    via         TEXT NOT NULL CHECK (via IN ('outbox', 'smtp')),
    status      TEXT NOT NULL CHECK (status IN ('sent', 'queued', 'failed')),
    message_id  TEXT,
    error       TEXT,
    at          TEXT NOT NULL
);
CREATE INDEX apology_deliveries_by_apology ON apology_deliveries (apology_id, id);

CREATE TRIGGER apology_deliveries_no_update BEFORE UPDATE ON apology_deliveries
BEGIN SELECT RAISE(ABORT, 'apology deliveries are append-only: record a new attempt'); END;
CREATE TRIGGER apology_deliveries_no_delete BEFORE DELETE ON apology_deliveries
BEGIN SELECT RAISE(ABORT, 'apology deliveries are append-only'); END;
