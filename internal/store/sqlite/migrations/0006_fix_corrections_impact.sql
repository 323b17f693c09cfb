-- Corrections of recorded fixes, and how much of the service an incident
-- took away.
--
-- A fix is a fact recorded once (incident_fixes). A fix recorded with the
-- wrong time is not edited: a correction is appended here, and the latest
-- correction of an incident is its fix time in every figure (status, time
-- to fix, downtime, goodwill). The original row stays, so the ledger shows
-- what was first recorded and when it was put right.
CREATE TABLE incident_fix_corrections (
    id          INTEGER PRIMARY KEY,
    incident_id INTEGER NOT NULL REFERENCES incident_fixes (incident_id),
    fixed_at    TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE INDEX incident_fix_corrections_by_incident ON incident_fix_corrections (incident_id, id);

CREATE TRIGGER incident_fix_corrections_no_update BEFORE UPDATE ON incident_fix_corrections
BEGIN SELECT RAISE(ABORT, 'fix corrections are append-only: append another with makegood incident fix ID --at TIME --correct'); END;
CREATE TRIGGER incident_fix_corrections_no_delete BEFORE DELETE ON incident_fix_corrections
BEGIN SELECT RAISE(ABORT, 'fix corrections are append-only'); END;
-- INSERT OR REPLACE would delete the row it replaces without firing the
-- delete trigger (recursive triggers are off), so a new row may not reuse
-- an id.
CREATE TRIGGER incident_fix_corrections_no_replace BEFORE INSERT ON incident_fix_corrections
WHEN EXISTS (SELECT 1 FROM incident_fix_corrections WHERE id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'fix corrections are append-only: append another, do not replace one'); END;

-- "Degraded, not down": the share of the service lost, in basis points
-- (3000 = 30%). Incidents recorded before this column were outages.
ALTER TABLE incidents ADD COLUMN impact_bp INTEGER NOT NULL DEFAULT 10000
    CHECK (impact_bp BETWEEN 1 AND 10000);
