-- Indexes for `makegood report`, which sums the whole ledger by month.
--
-- credit_entries_by_month groups entries by calendar month (UTC) in index
-- order, so GROUP BY needs no sort; it ends in at (so a report cut off
-- mid-month, --to, is answered from the index) and carries amount_minor
-- (covering). Entries are written at the time they happen, so new rows
-- land at the end of the current month's range.
CREATE INDEX credit_entries_by_month ON credit_entries
    ((date_trunc('month', at AT TIME ZONE 'UTC')), kind, currency, at) INCLUDE (amount_minor);

-- Expiring credits' entries by expiry: what each expiry took away from the
-- open balance (breakage). Partial, so credits without an expiry cost
-- nothing here.
CREATE INDEX credit_entries_by_expiry ON credit_entries (expires_at, currency, at, kind) INCLUDE (amount_minor)
    WHERE expires_at IS NOT NULL;

-- Incidents by when they started: the report's months and its repeat
-- incidents of the last 12 months read a range of them, not all.
CREATE INDEX incidents_by_start ON incidents (started_at);
