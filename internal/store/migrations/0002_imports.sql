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
