package view

import (
	"sort"

	"github.com/makegood/makegood/internal/ledger"
	"github.com/makegood/makegood/pkg/money"
)

// Import is the JSON shape of one recorded import.
type Import struct {
	ID              int64   `json:"id"`
	Kind            string  `json:"kind"`
	At              string  `json:"at"`
	Source          string  `json:"source"`
	Rows            int     `json:"rows"`
	Written         int     `json:"written"`
	AlreadyRecorded int     `json:"already_recorded"`
	Operator        *string `json:"operator"`
	SHA256          string  `json:"sha256"`
}

// NewImport shapes imp.
func NewImport(imp ledger.Import) Import {
	return Import{ID: imp.ID, Kind: imp.Kind, At: Time(imp.At), Source: imp.Source, Rows: imp.Rows,
		Written: imp.Written, AlreadyRecorded: imp.AlreadyRecorded, Operator: optString(imp.Operator), SHA256: imp.SHA256}
}

// Total is one currency's sum in an import summary.
type Total struct {
	Currency    string `json:"currency"`
	Amount      string `json:"amount"`
	AmountMinor int64  `json:"amount_minor"`
}

// CreditImport is the JSON summary of credit issue --from-file.
type CreditImport struct {
	Issued          int     `json:"issued"`
	AlreadyRecorded int     `json:"already_recorded"`
	Totals          []Total `json:"totals"`
}

// NewCreditImport shapes a summary; totals maps currency to minor units
// and comes out sorted by currency.
func NewCreditImport(issued, already int, totals map[string]int64) CreditImport {
	out := CreditImport{Issued: issued, AlreadyRecorded: already, Totals: []Total{}}
	for cur, minor := range totals {
		out.Totals = append(out.Totals, Total{Currency: cur, Amount: money.DecimalString(minor, cur), AmountMinor: minor})
	}
	sort.Slice(out.Totals, func(i, j int) bool { return out.Totals[i].Currency < out.Totals[j].Currency })
	return out
}

// CustomerImport is the JSON summary of customer import.
type CustomerImport struct {
	Created   int `json:"created"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
}
