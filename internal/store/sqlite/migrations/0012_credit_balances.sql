-- Kept balances (internal/ledger, balances.go): for each customer,
-- currency and expiry, the sum of the amounts of the entries of credits
-- with that customer, currency and expiry, kept up in the transaction
-- that writes each entry, so that a balance reads one row per customer,
-- currency and expiry instead of every entry. db check compares each with
-- the sum of its entries.
--
-- expires_at is the credits' expiry as credit_entries holds it, or '' for
-- credits that do not expire: the primary key needs a value there (a NULL
-- would be a key of its own every time).
CREATE TABLE credit_balances (
    customer_id  TEXT NOT NULL,
    currency     TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    amount_minor INTEGER NOT NULL,
    PRIMARY KEY (customer_id, currency, expires_at)
) WITHOUT ROWID;

INSERT INTO credit_balances (customer_id, currency, expires_at, amount_minor)
    SELECT customer_id, currency, COALESCE(expires_at, ''), SUM(amount_minor) FROM credit_entries
    WHERE amount_minor != 0 GROUP BY customer_id, currency, COALESCE(expires_at, '');

-- Every entry, however it is written. (A bulk import sets this trigger
-- aside with the insert-only ones and adds its entries' sums itself.)
CREATE TRIGGER credit_entries_keep_balance AFTER INSERT ON credit_entries
WHEN NEW.amount_minor != 0
BEGIN
    INSERT INTO credit_balances (customer_id, currency, expires_at, amount_minor)
    VALUES (NEW.customer_id, NEW.currency, COALESCE(NEW.expires_at, ''), NEW.amount_minor)
    ON CONFLICT (customer_id, currency, expires_at) DO UPDATE SET amount_minor = amount_minor + excluded.amount_minor;
END;
