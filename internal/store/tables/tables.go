// Package tables names every table a ledger holds, with its columns as
// kinds both engines agree on, in the order makegood db copy writes them:
// each table after those it refers to. An engine reads a table's rows as
// Go values of these kinds and writes them back, whatever it stores them
// as (SQLite keeps times as text and booleans as 0 or 1; PostgreSQL has
// timestamptz and boolean).
package tables

// Kind is how a column's values travel between engines.
type Kind int

// Kinds, and the Go value of each (nil for NULL).
const (
	Int  Kind = iota // int64
	Text             // string
	Time             // time.Time, UTC, to the microsecond
	Date             // time.Time, UTC midnight
	Bool             // bool
	JSON             // string, a JSON document
)

// Column is one column of a table.
type Column struct {
	Name string
	Kind Kind
}

// Table is one table of the ledger.
type Table struct {
	Name    string
	Columns []Column
	// Key orders its rows, as it is read: its primary key.
	Key []string
	// Serial is the column whose new values come from a sequence
	// (PostgreSQL sets it past the copied rows); "" for none.
	Serial string
}

// ColumnNames are the table's columns, in order.
func (t Table) ColumnNames() []string {
	out := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		out[i] = c.Name
	}
	return out
}

// Identity is the table holding the ledger's identity, which a new ledger
// is made with rather than given afterwards.
const Identity = "ledger_identity"

func cols(kinds ...any) []Column {
	out := make([]Column, 0, len(kinds)/2)
	for i := 0; i < len(kinds); i += 2 {
		out = append(out, Column{Name: kinds[i].(string), Kind: kinds[i+1].(Kind)})
	}
	return out
}

// All is every table of the ledger at this makegood's schema version, in
// the order a copy writes them. A table an engine holds that is not here
// is a reason for db copy to stop: it would leave something behind.
func All() []Table {
	id := []string{"id"}
	return []Table{
		{Name: "customers", Key: id, Columns: cols("id", Text, "name", Text, "email", Text, "plan", Text,
			"price_minor", Int, "currency", Text, "period", Text, "since", Date, "locale", Text, "tags", JSON,
			"advocate", Int, "created_at", Time, "updated_at", Time, "stripe_id", Text)},
		{Name: Identity, Key: id, Columns: cols("id", Int, "uuid", Text)},
		{Name: "incidents", Key: id, Serial: "id", Columns: cols("id", Int, "title", Text, "what", Text, "severity", Text,
			"started_at", Time, "reported_at", Time, "created_at", Time, "impact_bp", Int, "case_key", Text)},
		{Name: "credits", Key: id, Serial: "id", Columns: cols("id", Int, "customer_id", Text, "amount_minor", Int,
			"currency", Text, "reason", Text, "note", Text, "issued_at", Time, "expires_at", Time,
			"idempotency_key", Text, "incident_id", Int, "gesture", Text)},
		{Name: "credit_entries", Key: id, Serial: "id", Columns: cols("id", Int, "credit_id", Int, "customer_id", Text,
			"currency", Text, "expires_at", Time, "kind", Text, "amount_minor", Int, "invoice", Text, "note", Text,
			"at", Time, "idempotency_key", Text)},
		{Name: "incident_customers", Key: []string{"incident_id", "customer_id"}, Columns: cols("incident_id", Int,
			"customer_id", Text, "added_at", Time)},
		{Name: "incident_fixes", Key: []string{"incident_id"}, Columns: cols("incident_id", Int, "fixed_at", Time,
			"recorded_at", Time)},
		{Name: "incident_fix_corrections", Key: id, Serial: "id", Columns: cols("id", Int, "incident_id", Int,
			"fixed_at", Time, "recorded_at", Time)},
		{Name: "apologies", Key: id, Serial: "id", Columns: cols("id", Int, "customer_id", Text, "incident_id", Int,
			"body", Text, "recorded_at", Time, "via", Text, "status", Text)},
		{Name: "apology_deliveries", Key: id, Serial: "id", Columns: cols("id", Int, "apology_id", Int, "via", Text,
			"status", Text, "message_id", Text, "error", Text, "at", Time)},
		{Name: "thank_you_notes", Key: id, Serial: "id", Columns: cols("id", Int, "customer_id", Text, "occasion", Text,
			"occasion_key", Text, "via", Text, "status", Text, "message_id", Text, "subject", Text, "error", Text,
			"at", Time, "credit_id", Int)},
		{Name: "imports", Key: id, Serial: "id", Columns: cols("id", Int, "kind", Text, "at", Time, "sha256", Text,
			"source", Text, "rows", Int, "written", Int, "already_recorded", Int, "operator", Text)},
		{Name: "delivery_claims", Key: id, Serial: "id", Columns: cols("id", Int, "kind", Text, "key", Text,
			"customer_id", Text, "attempt", Int, "via", Text, "nonce", Text, "claimed_at", Time, "host", Text,
			"pid", Int, "run", Text)},
		{Name: "delivery_outcomes", Key: []string{"claim_id"}, Columns: cols("claim_id", Int, "status", Text,
			"message_id", Text, "error", Text, "by_hand", Bool, "at", Time, "note_id", Int, "delivery_id", Int)},
		{Name: "stripe_pushes", Key: id, Serial: "id", Columns: cols("id", Int, "credit_id", Int, "kind", Text,
			"customer_id", Text, "stripe_customer", Text, "amount_minor", Int, "amount_stripe", Int, "currency", Text,
			"description", Text, "idempotency_key", Text, "intended_at", Time)},
		{Name: "stripe_push_results", Key: []string{"push_id"}, Columns: cols("push_id", Int, "transaction_id", Text,
			"how", Text, "at", Time)},
		{Name: "stripe_pulled", Key: []string{"transaction_id"}, Columns: cols("transaction_id", Text,
			"customer_id", Text, "stripe_customer", Text, "type", Text, "disposition", Text, "amount_stripe", Int,
			"amount_minor", Int, "currency", Text, "invoice", Text, "description", Text, "unallocated_minor", Int,
			"created_at", Time, "pulled_at", Time)},
		{Name: "stripe_pull_entries", Key: []string{"entry_id"}, Columns: cols("entry_id", Int, "transaction_id", Text,
			"credit_id", Int, "invoice", Text, "amount_minor", Int)},
		{Name: "stripe_pull_cursors", Key: id, Serial: "id", Columns: cols("id", Int, "stripe_customer", Text,
			"created_unix", Int, "at", Time)},
	}
}

// Kept are the tables a ledger keeps from its other tables, by its own
// triggers, as their rows are written (credit_balances: ledger,
// balances.go). db copy neither reads nor writes them: the target's
// triggers make them again from the rows copied, so they are right on the
// target whatever they were on the source, and db check on the copy
// compares them with its entries.
func Kept() []string { return []string{"credit_balances"} }

// Reader streams a ledger's tables, as an engine's CopyOut does: each row
// of each table of All, in All's order, each table's rows by its Key.
type Reader func(each func(t Table, row []any) error) error
