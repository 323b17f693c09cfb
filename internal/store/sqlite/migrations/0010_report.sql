-- Indexes for `makegood report`, which sums the whole ledger by month.
--
-- credit_entries_by_month groups entries by calendar month without a sort:
-- SQLite walks it in order and GROUP BY substr(at, 1, 7), kind, currency
-- needs no temporary B-tree, which for a million entries is the difference
-- between ~2.7 s and ~0.2 s. It ends in at (so a report cut off mid-month,
-- --to, is answered from the index alone) and amount_minor (covering).
-- Entries are written at the time they happen, so new rows land at the end
-- of the current month's range: appends, not random inserts.
CREATE INDEX credit_entries_by_month ON credit_entries (substr(at, 1, 7), kind, currency, at, amount_minor);

-- Expiring credits' entries by expiry: what each expiry took away from the
-- open balance (breakage). Partial, so credits without an expiry cost
-- nothing here.
CREATE INDEX credit_entries_by_expiry ON credit_entries (expires_at, currency, at, kind, amount_minor)
    WHERE expires_at IS NOT NULL;

-- Incidents by when they started: the report's months and its repeat
-- incidents of the last 12 months read a range of them, not all.
CREATE INDEX incidents_by_start ON incidents (started_at);
