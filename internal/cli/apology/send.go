package apology

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/makegood/makegood/internal/apologymail"
	"github.com/makegood/makegood/internal/cli/cmdutil"
	"github.com/makegood/makegood/internal/cli/view"
	"github.com/makegood/makegood/internal/iostreams"
	"github.com/makegood/makegood/internal/ledger"
)

// SendOptions holds `apology send`'s inputs.
type SendOptions struct {
	IO    *iostreams.IOStreams
	Store func(context.Context) (ledger.Store, error)
	Now   func() time.Time
	Mail  func() (cmdutil.MailConfig, error)

	ID     int64
	Via    string
	Output cmdutil.OutputFlags
}

// NewCmdSend builds `apology send ID`: deliver a recorded apology that did
// not go out, typically after resolve reported a failure.
func NewCmdSend(f *cmdutil.Factory, runF func(*SendOptions) error) *cobra.Command {
	opts := &SendOptions{IO: f.IOStreams, Store: f.Store, Now: f.Now, Mail: f.MailConfig}
	cmd := &cobra.Command{
		Use:   "send ID",
		Short: "Deliver a recorded apology that has not gone out",
		Long: `Deliver a recorded apology whose delivery failed (or that was never sent),
by the outbox or SMTP, and record the attempt: by default the way the last
attempt went. An apology already sent or in the outbox is not sent twice.`,
		Example: `  makegood apology send 3
  makegood apology send 3 --via smtp --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseApologyID(args[0])
			if err != nil {
				return err
			}
			opts.ID = id
			if opts.Via != "" && !slices.Contains([]string{ledger.ViaOutbox, ledger.ViaSMTP}, opts.Via) {
				return cmdutil.FlagErrorf("--via: %q is not a delivery; use outbox or smtp", opts.Via)
			}
			if runF != nil {
				return runF(opts)
			}
			return sendRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Via, "via", "", "outbox or smtp (default: as the last attempt, then config mail.via)")
	cmdutil.AddJSONFlag(cmd, &opts.Output)
	return cmd
}

func parseApologyID(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, ledger.Fieldf("ID", "%q is not an apology id (a positive number, as apology list shows)", s)
	}
	return id, nil
}

func sendRun(ctx context.Context, opts *SendOptions) error {
	mc, err := opts.Mail()
	if err != nil {
		return err
	}
	st, err := opts.Store(ctx)
	if err != nil {
		return err
	}
	a, err := st.Apology(ctx, opts.ID)
	if err != nil {
		return err
	}
	// A retry goes the way the failed attempt went, unless told otherwise.
	via := opts.Via
	if via == "" {
		ds, err := st.Deliveries(ctx, a.ID)
		if err != nil {
			return err
		}
		if len(ds) > 0 {
			via = ds[len(ds)-1].Via
		} else {
			via = mc.Via
		}
	}
	if via != ledger.ViaSMTP {
		via = ledger.ViaOutbox
	}
	if a.Status == ledger.DeliverySent || a.Status == ledger.DeliveryQueued {
		return ledger.Conflictf("apology %d is %s already; it is not sent twice", a.ID, statusWords(a.Status))
	}
	c, err := st.Customer(ctx, a.Customer)
	if err != nil {
		return err
	}
	if c.Email == "" {
		return ledger.Fieldf("customer "+c.ID, "has no email address: add one with `makegood customer edit %s --email …`", c.ID)
	}
	inc, err := st.Incident(ctx, a.Incident)
	if err != nil {
		return err
	}
	sender, err := mc.Sender(via, opts.Now)
	if err != nil {
		return err
	}
	d, sendErr := apologymail.Deliver(ctx, st, sender, mc, via, c, a, inc.Title, opts.Now())
	if opts.Output.JSON {
		if err := cmdutil.WriteJSON(opts.IO.Out, view.NewDelivery(d)); err != nil {
			return err
		}
	}
	if sendErr != nil {
		return fmt.Errorf("deliver apology %d to %s: %w; it stays not sent: retry with makegood apology send %d", a.ID, c.Email, sendErr, a.ID)
	}
	if !opts.Output.JSON {
		fmt.Fprintf(opts.IO.Out, "Apology %d to %s %s.\n", a.ID, cmdutil.CustomerLabel(c), statusWords(d.Status))
	}
	return nil
}

func statusWords(status string) string {
	switch status {
	case ledger.DeliverySent:
		return "sent"
	case ledger.DeliveryQueued:
		return "in the outbox"
	}
	return strings.ReplaceAll(status, "_", " ")
}
