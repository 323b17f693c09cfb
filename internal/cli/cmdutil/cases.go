package cmdutil

import (
	"context"
	"fmt"
	"time"

	"github.com/makegood/makegood/internal/cli/view"
	"github.com/makegood/makegood/internal/ledger"
	"github.com/makegood/makegood/internal/procs"
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
	LiveApologyStatuses(apologies, now)
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

// LiveApologyStatuses sets each apology's status as of now. The store
// cannot tell a claim being sent from one whose run died (it would say
// "sending" for both); this process can, by the claimer's liveness, so a
// dead run's apology reads "unknown" wherever apologies are shown.
func LiveApologyStatuses(as []ledger.Apology, now time.Time) {
	alive := procs.Liveness(procs.Self())
	for i := range as {
		as[i].Status = ledger.ApologyStatus(as[i].DeliveryState(now, alive))
	}
}

// KnownFilters checks that the customer and incident a list is filtered by
// are in the ledger, so `credit list --customer ghost` says the customer is
// unknown (exit status 2), as `customer show ghost` does, instead of
// listing nothing as if ghost had no credits. Empty and zero mean no
// filter.
func KnownFilters(ctx context.Context, st ledger.Store, customer string, incident int64) error {
	if customer != "" {
		if _, err := st.Customer(ctx, customer); err != nil {
			return err
		}
	}
	if incident != 0 {
		if _, err := st.Incident(ctx, incident); err != nil {
			return err
		}
	}
	return nil
}
