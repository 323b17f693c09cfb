package stripe

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/makegood/makegood/internal/ledger"
)

// Sync runs the Stripe commands against one ledger and one Stripe account.
type Sync struct {
	Ledger Ledger
	API    *Client
	Now    func() time.Time
}

// stripeCustomers maps ledger customer ids to Stripe ids, for the customers
// that have one; only names one customer when only is not "".
func (s *Sync) stripeCustomers(ctx context.Context, only string) (map[string]string, []string, error) {
	cs, err := s.Ledger.Customers(ctx)
	if err != nil {
		return nil, nil, err
	}
	out := map[string]string{}
	var ids []string
	found := false
	for _, c := range cs {
		if only != "" && c.ID != only {
			continue
		}
		found = true
		if sid := c.StripeCustomerID(); sid != "" {
			out[c.ID] = sid
			ids = append(ids, c.ID)
		}
	}
	if only != "" {
		if !found {
			return nil, nil, &ledger.NotFoundError{Kind: "customer", ID: only}
		}
		if len(ids) == 0 {
			return nil, nil, ledger.Fieldf("--customer", "customer %q has no Stripe id: run makegood stripe customers import, or use the cus_… id", only)
		}
	}
	return out, ids, nil
}

// scope is what Push, Pull and Status start from: the ledger's identity,
// and the customers with a Stripe id (stripeCustomers).
func (s *Sync) scope(ctx context.Context, only string) (ledgerID string, sids map[string]string, ids []string, err error) {
	if ledgerID, err = s.Ledger.LedgerID(ctx); err != nil {
		return "", nil, nil, err
	}
	sids, ids, err = s.stripeCustomers(ctx, only)
	return ledgerID, sids, ids, err
}

// candidates lists the money credits of the customers ids, each with its
// customer's Stripe id.
func (s *Sync) candidates(ctx context.Context, sids map[string]string, ids []string) ([]Candidate, error) {
	cands, err := s.Ledger.Candidates(ctx, ids)
	if err != nil {
		return nil, err
	}
	for i := range cands {
		cands[i].StripeCustomer = sids[cands[i].Credit.Customer]
	}
	return cands, nil
}

// ImportResult is what a customers import did, or would do.
type ImportResult struct {
	Customers []ImportedCustomer
	Created   int
	Updated   int
	Unchanged int
}

// ImportCustomers reads every Stripe customer and subscription and creates
// or updates the ledger's customers in one transaction (none with dryRun).
func (s *Sync) ImportCustomers(ctx context.Context, dryRun bool) (ImportResult, error) {
	scs, err := s.API.Customers(ctx)
	if err != nil {
		return ImportResult{}, err
	}
	subs, err := s.API.Subscriptions(ctx)
	if err != nil {
		return ImportResult{}, err
	}
	existing, err := s.Ledger.Customers(ctx)
	if err != nil {
		return ImportResult{}, err
	}
	changes, lines, err := PlanCustomers(existing, scs, CurrentSubscriptions(subs), s.Now())
	if err != nil {
		return ImportResult{}, err
	}
	res := ImportResult{Customers: lines}
	for _, l := range lines {
		switch l.Action {
		case ActionCreated:
			res.Created++
		case ActionUpdated:
			res.Updated++
		default:
			res.Unchanged++
		}
	}
	if dryRun || len(changes) == 0 {
		return res, nil
	}
	return res, s.Ledger.SaveStripeCustomers(ctx, changes)
}

// PushResult is what a push sent (or, dry, would send).
type PushResult struct {
	// Pushes are the pushes answered in this run (or planned, dry), in
	// the order they were sent.
	Pushes   []Push
	Problems []Problem
	DryRun   bool
}

// Push claims every push the ledger calls for, then sends every unanswered
// claim with its fixed key and records each answer. A claim old enough that
// Stripe may have dropped its key is first looked for among the customer's
// transactions by its metadata. It stops at the first Stripe error: what was
// answered is recorded, and a re-run carries on from there.
func (s *Sync) Push(ctx context.Context, customer string, dryRun bool) (PushResult, error) {
	res := PushResult{DryRun: dryRun}
	ledgerID, sids, ids, err := s.scope(ctx, customer)
	if err != nil {
		return res, err
	}
	cands, err := s.candidates(ctx, sids, ids)
	if err != nil {
		return res, err
	}
	now := s.Now()
	planned, problems := PlanPushes(ledgerID, cands, now)
	res.Problems = problems
	pending, err := s.Ledger.PendingPushes(ctx, customer)
	if err != nil {
		return res, err
	}
	if dryRun {
		res.Pushes = append(pending, planned...)
		return res, nil
	}
	if len(planned) > 0 {
		if _, err := s.Ledger.ClaimPushes(ctx, planned); err != nil {
			return res, err
		}
		if pending, err = s.Ledger.PendingPushes(ctx, customer); err != nil {
			return res, err
		}
	}
	pending, err = s.recoverByMetadata(ctx, ledgerID, pending, &res)
	if err != nil {
		return res, err
	}
	for _, p := range pending {
		txn, replayed, err := s.API.CreateTxn(ctx, ledgerID, p)
		if err != nil {
			return res, fmt.Errorf("push credit %d to %s: %w", p.CreditID, p.StripeCustomer, err)
		}
		p.TransactionID, p.How = txn.ID, HowSent
		if replayed {
			p.How = HowReplayed
		}
		if err := s.Ledger.ConfirmPush(ctx, p.ID, txn.ID, p.How, s.Now()); err != nil {
			return res, err
		}
		res.Pushes = append(res.Pushes, p)
	}
	return res, nil
}

// recoverByMetadata looks, for each claim older than KeyLifetime, for the
// transaction it may already have created, and records it; it returns the
// claims still to send.
func (s *Sync) recoverByMetadata(ctx context.Context, ledgerID string, pending []Push, res *PushResult) ([]Push, error) {
	now := s.Now()
	oldest := map[string]time.Time{}
	for _, p := range pending {
		if NeedsLookup(p, now) {
			if t, ok := oldest[p.StripeCustomer]; !ok || p.IntendedAt.Before(t) {
				oldest[p.StripeCustomer] = p.IntendedAt
			}
		}
	}
	if len(oldest) == 0 {
		return pending, nil
	}
	found := map[string]Txn{}
	for sid, since := range oldest {
		// A transaction cannot be older than its claim; an hour's margin
		// covers clocks that disagree.
		txns, err := s.API.Txns(ctx, sid, since.Add(-time.Hour).Unix())
		if err != nil {
			return nil, fmt.Errorf("look for earlier pushes to %s: %w", sid, err)
		}
		for _, t := range txns {
			if t.Metadata[MetaLedger] == ledgerID {
				found[sid+"/"+t.Metadata[MetaCreditID]+"/"+t.Metadata[MetaPush]] = t
			}
		}
	}
	var rest []Push
	for _, p := range pending {
		t, ok := found[p.StripeCustomer+"/"+strconv.FormatInt(p.CreditID, 10)+"/"+p.Kind]
		if !ok || !NeedsLookup(p, now) {
			rest = append(rest, p)
			continue
		}
		if t.Amount != p.AmountStripe {
			return nil, fmt.Errorf("credit %d: Stripe holds %s for its %s push with amount %d, but makegood meant %d: check it in the Stripe dashboard",
				p.CreditID, t.ID, p.Kind, t.Amount, p.AmountStripe)
		}
		if err := s.Ledger.ConfirmPush(ctx, p.ID, t.ID, HowMetadata, now); err != nil {
			return nil, err
		}
		p.TransactionID, p.How = t.ID, HowMetadata
		res.Pushes = append(res.Pushes, p)
	}
	return rest, nil
}

// Pulled is one balance transaction a pull saw and recorded, with the
// ledger customer it belongs to.
type Pulled struct {
	Customer       string
	StripeCustomer string
	PulledTxn
}

// PullResult is what a pull recorded.
type PullResult struct {
	Pulled []Pulled
	// Answered are pushes whose answer was lost and that the pull found
	// among the transactions (makegood's own, by metadata).
	Answered []Push
}

// Pull reads each pushed customer's balance transactions since its cursor
// (or since, when not zero) and records the new ones: a use by an invoice
// as apply entries on the customer's pushed credits, its return when the
// invoice is voided as the reverse, anything else as foreign (reported,
// never imported). Each customer is one transaction.
func (s *Sync) Pull(ctx context.Context, customer string, since time.Time) (PullResult, error) {
	var res PullResult
	ledgerID, sids, ids, err := s.scope(ctx, customer)
	if err != nil {
		return res, err
	}
	cands, err := s.candidates(ctx, sids, ids)
	if err != nil {
		return res, err
	}
	var pushed []string
	for _, c := range cands {
		if c.Pushed() && !slices.Contains(pushed, c.Credit.Customer) {
			pushed = append(pushed, c.Credit.Customer)
		}
	}
	slices.Sort(pushed)
	pending, err := s.Ledger.PendingPushes(ctx, customer)
	if err != nil {
		return res, err
	}
	for _, cust := range pushed {
		if err := s.pullCustomer(ctx, ledgerID, cust, sids[cust], since, pending, &res); err != nil {
			return res, err
		}
	}
	return res, nil
}

func (s *Sync) pullCustomer(ctx context.Context, ledgerID, cust, sid string, since time.Time, pending []Push, res *PullResult) error {
	stored, _, err := s.Ledger.PullCursor(ctx, sid)
	if err != nil {
		return err
	}
	from := stored
	if !since.IsZero() {
		from = since.Unix()
	}
	txns, err := s.API.Txns(ctx, sid, from)
	if err != nil {
		return fmt.Errorf("pull %s: %w", sid, err)
	}
	// The cursor moves only as far as what was read: a --since later than
	// it must not skip what lies between.
	cursor := stored
	ids := make([]string, len(txns))
	for i, t := range txns {
		ids[i] = t.ID
		cursor = max(cursor, t.Created.Unix())
	}
	known, err := s.Ledger.Known(ctx, ids)
	if err != nil {
		return err
	}
	pushables, err := s.Ledger.Pushables(ctx, cust)
	if err != nil {
		return err
	}
	uses := map[string][]InvoiceUse{}
	rec := PullRecord{Customer: cust, StripeCustomer: sid, CursorUnix: cursor, At: s.Now()}
	for _, t := range txns {
		if known[t.ID] {
			continue
		}
		if t.Metadata[MetaLedger] == ledgerID {
			// makegood's own push, whose answer was lost: record it now
			// if its claim is waiting, and never count it as foreign.
			for _, p := range pending {
				if p.StripeCustomer == sid && strconv.FormatInt(p.CreditID, 10) == t.Metadata[MetaCreditID] &&
					p.Kind == t.Metadata[MetaPush] && p.AmountStripe == t.Amount {
					if err := s.Ledger.ConfirmPush(ctx, p.ID, t.ID, HowMetadata, s.Now()); err != nil {
						return err
					}
					p.TransactionID, p.How = t.ID, HowMetadata
					res.Answered = append(res.Answered, p)
				}
			}
			continue
		}
		cur, err := ledgerCurrency(t.Currency)
		if err != nil {
			return fmt.Errorf("transaction %s: %w", t.ID, err)
		}
		minor, err := FromStripe(t.Amount, cur)
		if err != nil {
			return fmt.Errorf("transaction %s: %w", t.ID, err)
		}
		pt := PulledTxn{ID: t.ID, Type: t.Type, AmountStripe: t.Amount, AmountMinor: minor, Currency: cur,
			Invoice: t.Invoice, Description: t.Desc, Created: t.Created}
		switch {
		case t.Type == "applied_to_invoice" && minor > 0 && t.Invoice != "":
			pt.Disposition = PulledApplied
			pt.Entries, pt.UnallocatedMinor = Allocate(minor, cur, t.Created, pushables)
			for _, a := range pt.Entries {
				adjust(pushables, a)
			}
			if _, ok := uses[t.Invoice]; !ok {
				if uses[t.Invoice], err = s.Ledger.InvoiceUses(ctx, cust, t.Invoice); err != nil {
					return err
				}
			}
			uses[t.Invoice] = addUses(uses[t.Invoice], pt.Entries)
		case t.Type == "unapplied_from_invoice" && minor < 0 && t.Invoice != "":
			pt.Disposition = PulledUnapplied
			if _, ok := uses[t.Invoice]; !ok {
				if uses[t.Invoice], err = s.Ledger.InvoiceUses(ctx, cust, t.Invoice); err != nil {
					return err
				}
			}
			pt.Entries, pt.UnallocatedMinor = Return(-minor, uses[t.Invoice])
			for _, a := range pt.Entries {
				adjust(pushables, a)
			}
			uses[t.Invoice] = addUses(uses[t.Invoice], pt.Entries)
		default:
			pt.Disposition = PulledForeign
		}
		rec.Txns = append(rec.Txns, pt)
		res.Pulled = append(res.Pulled, Pulled{Customer: cust, StripeCustomer: sid, PulledTxn: pt})
	}
	if len(rec.Txns) == 0 && len(txns) == 0 {
		return nil
	}
	return s.Ledger.RecordPull(ctx, rec)
}

func adjust(ps []Pushable, a Allocation) {
	for i := range ps {
		if ps[i].CreditID == a.CreditID {
			ps[i].RemainingMinor += a.AmountMinor
		}
	}
}

// addUses adds allocations (negative: used) to an invoice's uses.
func addUses(uses []InvoiceUse, as []Allocation) []InvoiceUse {
	for _, a := range as {
		i := slices.IndexFunc(uses, func(u InvoiceUse) bool { return u.CreditID == a.CreditID })
		if i < 0 {
			uses = append(uses, InvoiceUse{CreditID: a.CreditID})
			i = len(uses) - 1
		}
		uses[i].UsedMinor -= a.AmountMinor
	}
	return uses
}

// StatusLine is one customer and currency in stripe status.
type StatusLine struct {
	BalanceFacts
	Parts []Part
}

// Status compares makegood's open balance of each customer with a Stripe id
// to Stripe's, and explains any difference.
func (s *Sync) Status(ctx context.Context, customer string) ([]StatusLine, error) {
	ledgerID, sids, ids, err := s.scope(ctx, customer)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	var out []StatusLine
	for _, cust := range ids {
		lines, err := s.status(ctx, ledgerID, cust, sids[cust], now)
		if err != nil {
			return nil, err
		}
		out = append(out, lines...)
	}
	return out, nil
}

func (s *Sync) status(ctx context.Context, ledgerID, cust, sid string, now time.Time) ([]StatusLine, error) {
	sc, err := s.API.Customer(ctx, sid)
	if err != nil {
		return nil, fmt.Errorf("status of %s: %w", sid, err)
	}
	facts := map[string]*BalanceFacts{}
	get := func(cur string) *BalanceFacts {
		if f, ok := facts[cur]; ok {
			return f
		}
		f := &BalanceFacts{Customer: cust, StripeCustomer: sid, Currency: cur}
		facts[cur] = f
		return f
	}
	if sc.Currency != "" {
		cur, err := ledgerCurrency(string(sc.Currency))
		if err != nil {
			return nil, fmt.Errorf("status of %s: %w", sid, err)
		}
		b, err := FromStripe(sc.Balance, cur)
		if err != nil {
			return nil, fmt.Errorf("status of %s: %w", sid, err)
		}
		get(cur).StripeMinor = -b
	}
	for code, v := range sc.InvoiceCreditBalance {
		cur, err := ledgerCurrency(code)
		if err != nil || facts[cur] != nil {
			continue
		}
		// invoice_credit_balance is positive for money the customer has.
		if b, err := FromStripe(v, cur); err == nil {
			get(cur).StripeMinor = b
		}
	}
	bals, err := s.Ledger.Balances(ctx, cust, now)
	if err != nil {
		return nil, err
	}
	for _, b := range bals {
		get(b.Currency).LedgerMinor = b.BalanceMinor
	}
	cands, err := s.Ledger.Candidates(ctx, []string{cust})
	if err != nil {
		return nil, err
	}
	earliest := time.Time{}
	for _, c := range cands {
		cr := c.Credit
		credit, pushed := c.push(KindCredit)
		answered := pushed && credit.TransactionID != ""
		if pushed && !answered && (earliest.IsZero() || credit.IntendedAt.Before(earliest)) {
			earliest = credit.IntendedAt
		}
		rev, reversed := c.push(KindReversal)
		if reversed && rev.TransactionID == "" && (earliest.IsZero() || rev.IntendedAt.Before(earliest)) {
			earliest = rev.IntendedAt
		}
		switch st := cr.Status(now); {
		case st == ledger.StatusOpen && !answered:
			get(cr.Currency).UnpushedMinor += cr.RemainingMinor
		case (st == ledger.StatusVoid || st == ledger.StatusExpired) && answered && (!reversed || rev.TransactionID == ""):
			get(cr.Currency).PendingReversalMinor += c.HeldMinor
		}
	}
	totals, err := s.Ledger.PulledTotals(ctx, cust)
	if err != nil {
		return nil, err
	}
	for cur, t := range totals {
		f := get(cur)
		f.ForeignMinor += t.ForeignMinor
		f.UnallocatedMinor += t.UnallocatedMinor
	}
	from, _, err := s.Ledger.PullCursor(ctx, sid)
	if err != nil {
		return nil, err
	}
	if !earliest.IsZero() {
		from = min(from, earliest.Add(-time.Hour).Unix())
	}
	txns, err := s.API.Txns(ctx, sid, from)
	if err != nil {
		return nil, fmt.Errorf("status of %s: %w", sid, err)
	}
	ids := make([]string, len(txns))
	for i, t := range txns {
		ids[i] = t.ID
	}
	known, err := s.Ledger.Known(ctx, ids)
	if err != nil {
		return nil, err
	}
	for _, t := range txns {
		if known[t.ID] {
			continue
		}
		cur, err := ledgerCurrency(t.Currency)
		if err != nil {
			continue
		}
		minor, err := FromStripe(t.Amount, cur)
		if err != nil {
			continue
		}
		f := get(cur)
		switch {
		case t.Metadata[MetaLedger] == ledgerID:
			f.UnrecordedPushMinor -= minor
		case t.Type == "applied_to_invoice" || t.Type == "unapplied_from_invoice":
			f.UnpulledUsesMinor += minor
		default:
			f.ForeignMinor -= minor
		}
	}
	curs := make([]string, 0, len(facts))
	for cur := range facts {
		curs = append(curs, cur)
	}
	slices.Sort(curs)
	out := make([]StatusLine, 0, len(curs))
	for _, cur := range curs {
		f := *facts[cur]
		out = append(out, StatusLine{BalanceFacts: f, Parts: f.Explain()})
	}
	return out, nil
}
