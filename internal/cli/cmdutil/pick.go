package cmdutil

import (
	"context"
	"errors"
	"fmt"

	"github.com/makegood/makegood/internal/ledger"
	"github.com/makegood/makegood/internal/prompt"
)

// CustomerLabel is how prompts and sentences name a customer: "Alice
// (alice@example.com)", or the id alone when there is no name.
func CustomerLabel(c ledger.Customer) string {
	if c.Name != "" {
		return Escape(fmt.Sprintf("%s (%s)", c.Name, c.ID))
	}
	return Escape(c.ID)
}

// PickCustomer asks for one of the ledger's customers.
func PickCustomer(ctx context.Context, p prompt.Prompter, st ledger.Store) (string, error) {
	cs, err := st.Customers(ctx)
	if err != nil {
		return "", err
	}
	if len(cs) == 0 {
		return "", errors.New("the ledger has no customers yet; add one with makegood customer add")
	}
	options := make([]prompt.Option, len(cs))
	for i, c := range cs {
		options[i] = prompt.Option{Label: CustomerLabel(c), Value: c.ID}
	}
	return p.Select(ctx, "Customer (type / to filter)", options, cs[0].ID)
}

// IncidentOptions lists a customer's most recent incidents for a Select,
// newest first; the values are incident ids.
func IncidentOptions(ctx context.Context, st ledger.Store, customer string) ([]prompt.Option, error) {
	incs, err := st.Incidents(ctx, ledger.IncidentFilter{Customer: customer, Limit: 20})
	if err != nil {
		return nil, err
	}
	options := make([]prompt.Option, len(incs))
	for i, inc := range incs {
		options[i] = prompt.Option{Label: fmt.Sprintf("%d: %s (%s)", inc.ID, inc.Title, inc.Status()),
			Value: fmt.Sprint(inc.ID)}
	}
	return options, nil
}
