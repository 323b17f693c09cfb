package ledger

import (
	"fmt"
	"slices"
	"time"
)

// ResolutionWrites are what an engine reads and writes, inside the write
// transaction of a resolution, for RecordResolution. Each keeps the
// engine's integrity checks (a fix recorded once, a compensation given
// once); RecordResolution decides what is written, in which order.
type ResolutionWrites struct {
	// Incident reads an incident with its affected customers.
	Incident func(id int64) (Incident, error)
	// AddAffected adds customer to the incident's affected customers
	// unless they are among them.
	AddAffected func(incident int64, customer string, at time.Time) error
	// InsertFix records the incident's fix.
	InsertFix func(inc Incident, fixedAt, recordedAt time.Time) error
	// InsertApology records an apology.
	InsertApology func(a NewApology) (Apology, error)
	// IssueCredit issues a credit; created is false when it was given
	// already (a compensation, an idempotency key).
	IssueCredit func(nc NewCredit) (c Credit, created bool, err error)
}

// RecordResolution records r with w, in the rules' order: the customer
// becomes affected; the fix, unless the incident has one; the apology;
// then the one credit or gesture, linked to the customer and incident as
// their compensation. Both engines call it inside one transaction, with
// the locks their engine needs held (see Resolution).
func RecordResolution(r Resolution, w ResolutionWrites) (ResolutionResult, error) {
	out := ResolutionResult{}
	inc, err := w.Incident(r.Incident)
	if err != nil {
		return out, err
	}
	if err := w.AddAffected(inc.ID, r.Customer, r.At); err != nil {
		return out, err
	}
	if r.FixedAt != nil && inc.FixedAt == nil {
		if err := w.InsertFix(inc, *r.FixedAt, r.At); err != nil {
			return out, err
		}
		out.FixRecorded = true
	}
	if r.Apology != nil {
		a := *r.Apology
		a.Customer, a.Incident = r.Customer, inc.ID
		if err := a.Validate("apology"); err != nil {
			return out, err
		}
		rec, err := w.InsertApology(a)
		if err != nil {
			return out, err
		}
		out.Apology = &rec
	}
	if err := r.CheckCredits(); err != nil {
		return out, err
	}
	for _, nc := range r.Credits {
		nc.Customer, nc.IncidentID, nc.NewCustomer = r.Customer, inc.ID, nil
		nc.Compensation, nc.IdempotencyKey = true, ""
		c, created, err := w.IssueCredit(nc)
		if err != nil {
			return out, err
		}
		out.Credits = append(out.Credits, c)
		out.Created = append(out.Created, created)
	}
	out.Incident, err = w.Incident(inc.ID)
	return out, err
}

// CaseWrites are what an engine reads and writes, inside the write
// transaction of a case, for RecordCase.
type CaseWrites struct {
	ResolutionWrites
	// InsertCustomer adds a new customer.
	InsertCustomer func(c Customer) error
	// InsertIncident opens the case's incident; existing is true when its
	// CaseKey was recorded already and id is that incident's.
	InsertIncident func(n NewIncident) (id int64, existing bool, err error)
	// Lock, when set, takes the locks resolving customers (sorted, each
	// once) of the incident needs, before anything another run may have
	// recorded is read. An engine whose transaction holds the whole
	// ledger's write lock leaves it nil.
	Lock func(incident int64, customers []string) error
	// Apologies counts the apologies to customer for incident.
	Apologies func(incident int64, customer string) (int, error)
}

// RecordCase records c with w, in the rules' order: new customers first,
// then the incident (new, or the one named), the locks, and each
// resolution in turn; a resolution's apology is left out when the ledger
// no longer holds as many as the run saw (Resolution.ApologiesSeen).
func RecordCase(c Case, w CaseWrites) (CaseResult, error) {
	out := CaseResult{}
	for _, nc := range c.NewCustomers {
		if err := w.InsertCustomer(nc); err != nil {
			return out, err
		}
	}
	iid := c.Incident
	if c.NewIncident != nil {
		var err error
		if iid, out.Existing, err = w.InsertIncident(*c.NewIncident); err != nil {
			return out, err
		}
	}
	if w.Lock != nil {
		// Every run recording this case takes the same locks, in the
		// same order, before it reads what another may have recorded.
		var customers []string
		for _, r := range c.Resolutions {
			customers = append(customers, r.Customer)
		}
		slices.Sort(customers)
		if err := w.Lock(iid, slices.Compact(customers)); err != nil {
			return out, err
		}
	}
	for _, r := range c.Resolutions {
		r.Incident = iid
		if r.Apology != nil {
			// Another run may have recorded it since this one read the
			// case.
			n, err := w.Apologies(iid, r.Customer)
			if err != nil {
				return out, err
			}
			if n != r.ApologiesSeen {
				r.Apology = nil
			}
		}
		res, err := RecordResolution(r, w.ResolutionWrites)
		if err != nil {
			return out, fmt.Errorf("customer %s: %w", r.Customer, err)
		}
		out.Resolutions = append(out.Resolutions, res)
	}
	var err error
	out.Incident, err = w.Incident(iid)
	return out, err
}
