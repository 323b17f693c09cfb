-- Kept balances (internal/ledger, balances.go): for each customer,
-- currency and expiry, the sum of the amounts of the entries of credits
-- with that customer, currency and expiry, kept up in the statement that
-- writes the entries, so that a balance reads one row per customer,
-- currency and expiry instead of every entry. db check compares each with
-- the sum of its entries.
--
-- expires_at is the credits' expiry as credit_entries holds it, or
-- 'infinity' for credits that do not expire (credit_entries' NULL): the
-- primary key needs a value there, and one later than every time needs no
-- case of its own in a balance (expires_at > now).
CREATE TABLE credit_balances (
    customer_id  text COLLATE "C" NOT NULL,
    currency     text COLLATE "C" NOT NULL,
    expires_at   timestamptz NOT NULL,
    amount_minor bigint NOT NULL,
    PRIMARY KEY (customer_id, currency, expires_at)
);

INSERT INTO credit_balances (customer_id, currency, expires_at, amount_minor)
    SELECT customer_id, currency, COALESCE(expires_at, 'infinity'), SUM(amount_minor) FROM credit_entries
    WHERE amount_minor <> 0 GROUP BY 1, 2, 3;

-- Every statement that writes entries (an INSERT, a COPY, an import's
-- one INSERT … SELECT of a whole file) adds its entries' sums, one upsert
-- per customer, currency and expiry it touched: a statement-level trigger
-- over the statement's new rows, so that a million-row import costs one
-- grouped upsert, not a million. The upserts go in key order, so that two
-- writers touching several of the same balances lock them in one order
-- and never wait for each other in a circle; writers of different
-- customers touch different rows.
--
-- SECURITY DEFINER: the application role may read kept balances but not
-- change them (README, "Teams: PostgreSQL": no UPDATE but on customers);
-- the function changes them as the ledger's owner, in the schema of the
-- table that fired it (TG_TABLE_SCHEMA), with a search_path of its own so
-- that nothing the caller names first can stand in for what it uses.
CREATE FUNCTION makegood_keep_balances() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog AS $$
BEGIN
    EXECUTE format($q$INSERT INTO %I.credit_balances AS k (customer_id, currency, expires_at, amount_minor)
        SELECT customer_id, currency, COALESCE(expires_at, 'infinity'), SUM(amount_minor) FROM new_entries
        WHERE amount_minor <> 0 GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        ON CONFLICT (customer_id, currency, expires_at) DO UPDATE SET amount_minor = k.amount_minor + EXCLUDED.amount_minor$q$,
        TG_TABLE_SCHEMA);
    RETURN NULL;
END
$$;

CREATE TRIGGER credit_entries_keep_balance AFTER INSERT ON credit_entries
    REFERENCING NEW TABLE AS new_entries
    FOR EACH STATEMENT EXECUTE FUNCTION makegood_keep_balances();
