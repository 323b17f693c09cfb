package stripe

// Reasons a customer's Stripe balance can differ from makegood's, in the
// order status explains them.
const (
	ExplainUnpushed         = "unpushed_credits"  // open credits Stripe has not been sent (or has not answered)
	ExplainPendingReversals = "pending_reversals" // voided or expired pushed credits whose reversal is not sent
	ExplainUnrecordedPushes = "unrecorded_pushes" // pushes Stripe accepted whose answer makegood did not record
	ExplainUnpulledUses     = "unpulled_uses"     // invoice uses (and returns) not pulled yet
	ExplainForeign          = "foreign_adjustments"
	ExplainUnallocated      = "unallocated_uses" // pulled uses that matched no open pushed credit
	ExplainUnexplained      = "unexplained"
)

// BalanceFacts is what status compares for one customer and currency. Every
// amount is in the ledger's minor units and in credit terms: positive is
// money the customer has to spend on invoices (Stripe's balance negated).
type BalanceFacts struct {
	Customer       string
	StripeCustomer string
	Currency       string
	LedgerMinor    int64 // makegood's open balance
	StripeMinor    int64 // what Stripe's customer balance gives the customer

	UnpushedMinor        int64 // open credits not answered by Stripe
	PendingReversalMinor int64 // held by Stripe for credits makegood voided or saw expire
	UnrecordedPushMinor  int64 // credit terms: makegood's own transactions Stripe holds but the ledger has no answer for
	UnpulledUsesMinor    int64 // used by invoices less returned, not yet pulled
	ForeignMinor         int64 // credit terms: adjustments makegood did not make, pulled or not
	UnallocatedMinor     int64 // uses pulled that matched no open pushed credit, less their returns
}

// Part is one reason for a difference, with its effect on Stripe's side
// (positive: Stripe gives the customer more than makegood).
type Part struct {
	Kind        string
	EffectMinor int64
}

// Difference is Stripe's balance less makegood's, in credit terms.
func (f BalanceFacts) Difference() int64 { return f.StripeMinor - f.LedgerMinor }

// Explain lists what accounts for the difference; an unexplained rest comes
// last. It returns nothing when the balances agree.
func (f BalanceFacts) Explain() []Part {
	d := f.Difference()
	if d == 0 {
		return nil
	}
	parts := []Part{
		{ExplainUnpushed, -f.UnpushedMinor},
		{ExplainPendingReversals, f.PendingReversalMinor},
		{ExplainUnrecordedPushes, f.UnrecordedPushMinor},
		{ExplainUnpulledUses, -f.UnpulledUsesMinor},
		{ExplainForeign, f.ForeignMinor},
		{ExplainUnallocated, -f.UnallocatedMinor},
	}
	var out []Part
	rest := d
	for _, p := range parts {
		if p.EffectMinor != 0 {
			out = append(out, p)
			rest -= p.EffectMinor
		}
	}
	if rest != 0 {
		out = append(out, Part{ExplainUnexplained, rest})
	}
	return out
}
