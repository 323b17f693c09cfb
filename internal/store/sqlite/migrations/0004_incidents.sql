-- Incidents, the customers they affected, their fixes, the apologies sent
-- for them, and the link from credits and gestures to them.
--
-- Everything here is append-only, like the credit ledger. An incident's
-- description could in principle be edited, but time-to-fix and
-- time-to-apology are only worth reading if nobody can move the clock after
-- the fact, and nothing needs an edit yet. A fix is a fact too: it is
-- recorded once, in incident_fixes, rather than by updating the incident.

CREATE TABLE incidents (
    id          INTEGER PRIMARY KEY,
    title       TEXT NOT NULL CHECK (title <> ''),
    what        TEXT NOT NULL CHECK (what <> ''),
    severity    TEXT NOT NULL DEFAULT 'normal'
                CHECK (severity IN ('low', 'normal', 'high', 'critical')),
    started_at  TEXT NOT NULL,
    -- Times are fixed-width UTC text, so they compare correctly as text.
    reported_at TEXT NOT NULL CHECK (reported_at >= started_at),
    created_at  TEXT NOT NULL
);

-- Who an incident affected. Customers can be added later (a credit or an
-- apology for an incident adds its customer), never removed.
CREATE TABLE incident_customers (
    incident_id INTEGER NOT NULL REFERENCES incidents (id),
    customer_id TEXT NOT NULL REFERENCES customers (id),
    added_at    TEXT NOT NULL,
    PRIMARY KEY (incident_id, customer_id)
);
CREATE INDEX incident_customers_by_customer ON incident_customers (customer_id, incident_id);

-- At most one fix per incident: the primary key refuses a second.
CREATE TABLE incident_fixes (
    incident_id INTEGER PRIMARY KEY REFERENCES incidents (id),
    fixed_at    TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);

-- The words actually sent to one customer about one incident.
CREATE TABLE apologies (
    id          INTEGER PRIMARY KEY,
    customer_id TEXT NOT NULL REFERENCES customers (id),
    incident_id INTEGER NOT NULL REFERENCES incidents (id),
    body        TEXT NOT NULL CHECK (body <> ''),
    recorded_at TEXT NOT NULL,
    via         TEXT NOT NULL DEFAULT 'email' CHECK (via <> ''),
    status      TEXT NOT NULL DEFAULT 'sent' CHECK (status IN ('sent', 'queued', 'failed'))
);
CREATE INDEX apologies_by_incident ON apologies (incident_id, customer_id, recorded_at);
CREATE INDEX apologies_by_customer ON apologies (customer_id, id);

-- Credits and gestures may name the incident they make good for. A gesture
-- is a credit row without money: its text in gesture, amount 0, so every
-- sum over credit entries (balances) ignores it without a special case.
ALTER TABLE credits ADD COLUMN incident_id INTEGER REFERENCES incidents (id);
ALTER TABLE credits ADD COLUMN gesture TEXT
    CHECK (gesture IS NULL OR (gesture <> '' AND amount_minor = 0));
CREATE INDEX credits_by_incident ON credits (incident_id, customer_id) WHERE incident_id IS NOT NULL;

CREATE TRIGGER incidents_no_update BEFORE UPDATE ON incidents
BEGIN SELECT RAISE(ABORT, 'incidents are append-only: record a fix with makegood incident fix'); END;
CREATE TRIGGER incidents_no_delete BEFORE DELETE ON incidents
BEGIN SELECT RAISE(ABORT, 'incidents are append-only'); END;
CREATE TRIGGER incident_customers_no_update BEFORE UPDATE ON incident_customers
BEGIN SELECT RAISE(ABORT, 'incident customers are append-only'); END;
CREATE TRIGGER incident_customers_no_delete BEFORE DELETE ON incident_customers
BEGIN SELECT RAISE(ABORT, 'incident customers are append-only'); END;
CREATE TRIGGER incident_fixes_no_update BEFORE UPDATE ON incident_fixes
BEGIN SELECT RAISE(ABORT, 'incident fixes are append-only: a fix is recorded once'); END;
CREATE TRIGGER incident_fixes_no_delete BEFORE DELETE ON incident_fixes
BEGIN SELECT RAISE(ABORT, 'incident fixes are append-only: a fix is recorded once'); END;
CREATE TRIGGER apologies_no_update BEFORE UPDATE ON apologies
BEGIN SELECT RAISE(ABORT, 'apologies are append-only: record the corrected apology as a new one'); END;
CREATE TRIGGER apologies_no_delete BEFORE DELETE ON apologies
BEGIN SELECT RAISE(ABORT, 'apologies are append-only'); END;
