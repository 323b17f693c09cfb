package stripe

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/makegood/makegood/internal/cli/cmdutil"
	"github.com/makegood/makegood/internal/iostreams"
	"github.com/makegood/makegood/internal/stripe"
	"github.com/makegood/makegood/pkg/money"
)

// PullOptions holds `stripe pull`'s inputs.
type PullOptions struct {
	IO       *iostreams.IOStreams
	Sync     func(context.Context) (*stripe.Sync, error)
	Since    string
	Customer string
	Output   cmdutil.OutputFlags
}

// NewCmdPull builds `stripe pull`.
func NewCmdPull(f *cmdutil.Factory, runF func(*PullOptions) error) *cobra.Command {
	opts := &PullOptions{IO: f.IOStreams, Sync: Syncer(f)}
	cmd := &cobra.Command{
		Use:   "pull",
		Short: "Record what Stripe invoices used of pushed credits",
		Long: `Read each pushed customer's balance transactions since the last pull and
record what is new:

  - applied_to_invoice (an invoice used the balance): apply entries on the
    customer's pushed credits, the earliest expiry first, then the oldest,
    with the invoice id;
  - unapplied_from_invoice (the invoice was voided): the reverse, back on
    the credits that invoice used;
  - anything else, such as an adjustment made in the dashboard: reported,
    never imported.

Pulling again records nothing new. --since TIME reads again from TIME
(RFC 3339 or YYYY-MM-DD); what is already recorded is skipped.`,
		Example: `  makegood stripe pull
  makegood stripe pull --since 2026-11-01 --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if _, err := parseSince(opts.Since); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return pullRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Since, "since", "", "Read transactions created from this time on (RFC 3339 or YYYY-MM-DD)")
	cmd.Flags().StringVar(&opts.Customer, "customer", "", "Only this customer")
	cmdutil.AddJSONFlag(cmd, &opts.Output)
	return cmd
}

type entryJSON struct {
	CreditID    int64  `json:"credit_id"`
	Amount      string `json:"amount"`
	AmountMinor int64  `json:"amount_minor"`
}

type pulledJSON struct {
	Customer         string      `json:"customer"`
	StripeCustomer   string      `json:"stripe_customer"`
	TransactionID    string      `json:"transaction_id"`
	Type             string      `json:"type"`
	Disposition      string      `json:"disposition"`
	Amount           string      `json:"amount"`
	AmountMinor      int64       `json:"amount_minor"`
	Currency         string      `json:"currency"`
	Invoice          string      `json:"invoice"`
	Description      string      `json:"description"`
	Created          string      `json:"created"`
	Entries          []entryJSON `json:"entries"`
	Unallocated      string      `json:"unallocated"`
	UnallocatedMinor int64       `json:"unallocated_minor"`
}

type pullResultJSON struct {
	Recorded []pulledJSON `json:"recorded"`
	Foreign  []pulledJSON `json:"foreign"`
	Answered []pushJSON   `json:"answered_pushes"`
}

func pullRun(ctx context.Context, opts *PullOptions) error {
	since, err := parseSince(opts.Since)
	if err != nil {
		return err
	}
	s, err := opts.Sync(ctx)
	if err != nil {
		return err
	}
	res, err := s.Pull(ctx, opts.Customer, since)
	if err != nil {
		return err
	}
	if opts.Output.JSON {
		out := pullResultJSON{Recorded: []pulledJSON{}, Foreign: []pulledJSON{}, Answered: []pushJSON{}}
		for _, p := range res.Pulled {
			j := pulledJSON{Customer: p.Customer, StripeCustomer: p.StripeCustomer, TransactionID: p.ID, Type: p.Type,
				Disposition: p.Disposition, Amount: amountJSON(p.AmountMinor, p.Currency), AmountMinor: p.AmountMinor,
				Currency: p.Currency, Invoice: p.Invoice, Description: p.Description, Created: p.Created.UTC().Format(time.RFC3339),
				Entries: []entryJSON{}, Unallocated: amountJSON(p.UnallocatedMinor, p.Currency), UnallocatedMinor: p.UnallocatedMinor}
			for _, e := range p.Entries {
				j.Entries = append(j.Entries, entryJSON{CreditID: e.CreditID, Amount: amountJSON(e.AmountMinor, p.Currency), AmountMinor: e.AmountMinor})
			}
			if p.Disposition == stripe.PulledForeign {
				out.Foreign = append(out.Foreign, j)
			} else {
				out.Recorded = append(out.Recorded, j)
			}
		}
		for _, p := range res.Answered {
			out.Answered = append(out.Answered, pushJSON{CreditID: p.CreditID, Customer: p.Customer, StripeCustomer: p.StripeCustomer,
				Kind: p.Kind, Amount: amountJSON(signed(p), p.Currency), AmountMinor: signed(p), Currency: p.Currency,
				StripeAmount: p.AmountStripe, Description: p.Description, IdempotencyKey: p.IdempotencyKey,
				TransactionID: p.TransactionID, How: p.How})
		}
		if err := cmdutil.WriteJSON(opts.IO.Out, out); err != nil {
			return err
		}
	} else if len(res.Pulled) > 0 {
		t := cmdutil.NewTable(opts.IO, false, "CUSTOMER", "TRANSACTION", "TYPE", "AMOUNT", "INVOICE", "RECORDED")
		for _, p := range res.Pulled {
			t.Append(p.Customer, p.ID, p.Type, money.Format(p.AmountMinor, p.Currency), p.Invoice, recorded(p))
		}
		if err := t.Render(); err != nil {
			return err
		}
	}
	var applied, returned, foreign int
	for _, p := range res.Pulled {
		switch p.Disposition {
		case stripe.PulledApplied:
			applied++
		case stripe.PulledUnapplied:
			returned++
		default:
			foreign++
		}
		if p.UnallocatedMinor != 0 {
			fmt.Fprintf(opts.IO.ErrOut, "%s: %s of %s matched no open pushed credit of %s\n", p.ID,
				money.Format(p.UnallocatedMinor, p.Currency), p.Type, p.Customer)
		}
	}
	for _, p := range res.Answered {
		fmt.Fprintf(opts.IO.ErrOut, "Found the answer to the %s push of credit %d: %s\n", p.Kind, p.CreditID, p.TransactionID)
	}
	fmt.Fprintf(opts.IO.ErrOut, "Recorded %s and %s; %s reported, not imported.\n",
		count(applied, "invoice use", "invoice uses"), count(returned, "return", "returns"),
		count(foreign, "foreign transaction", "foreign transactions"))
	return nil
}

func recorded(p stripe.Pulled) string {
	if p.Disposition == stripe.PulledForeign {
		return "foreign: reported, not imported"
	}
	var parts []string
	for _, e := range p.Entries {
		parts = append(parts, fmt.Sprintf("credit %d %s", e.CreditID, money.Format(e.AmountMinor, p.Currency)))
	}
	if p.UnallocatedMinor != 0 {
		parts = append(parts, "unallocated "+money.Format(p.UnallocatedMinor, p.Currency))
	}
	return strings.Join(parts, ", ")
}
