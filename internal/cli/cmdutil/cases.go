package cmdutil

import (
	"context"
	"fmt"
	"time"

	"github.com/makegood/makegood/internal/cli/view"
	"github.com/makegood/makegood/internal/ledger"
	"github.com/makegood/makegood/internal/thanks"
)

// CaseFacts gathers, for each affected customer of inc (or only customer,
// when not empty), the whole case: apologies and their delivery, what was
// given, and the after-recovery thank-you. incident show and customer show
// both tell it.
func CaseFacts(ctx context.Context, st ledger.Store, inc ledger.Incident, customer string, now time.Time) ([]view.CaseFacts, error) {
	apologies, err := st.Apologies(ctx, ledger.ApologyFilter{Incident: inc.ID, Customer: customer})
	if err != nil {
		return nil, err
	}
	given, err := st.Credits(ctx, ledger.CreditFilter{Incident: inc.ID, Customer: customer, Now: now})
	if err != nil {
		return nil, err
	}
	var out []view.CaseFacts
	for _, a := range ledger.Summarize(inc, apologies, given) {
		if customer != "" && a.Customer != customer {
			continue
		}
		f := view.CaseFacts{Incident: inc, Affected: a}
		for i := range apologies { // newest first
			if apologies[i].Customer == a.Customer {
				f.Latest = &apologies[i]
				break
			}
		}
		notes, err := st.ThankYouNotes(ctx, ledger.ThanksFilter{Customer: a.Customer,
			Key: thanks.AfterRecoveryKey(fmt.Sprint(inc.ID)), Status: ledger.NoteSent, Limit: 1})
		if err != nil {
			return nil, err
		}
		if len(notes) > 0 {
			f.Thanked = &notes[0]
		}
		out = append(out, f)
	}
	return out, nil
}
