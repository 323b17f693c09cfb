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
	"github.com/makegood/makegood/internal/mail"
)

// SendOptions holds `apology send`'s inputs.
type SendOptions struct {
	IO    *iostreams.IOStreams
	Store func(context.Context) (ledger.Store, error)
	Now   func() time.Time
	Mail  func() (mail.Config, error)

	ID            int64
	Via           string
	ResendUnknown bool
	MarkSent      bool
	Output        cmdutil.OutputFlags
}

// NewCmdSend builds `apology send ID`: deliver a recorded apology that did
// not go out, typically after resolve reported a failure.
func NewCmdSend(f *cmdutil.Factory, runF func(*SendOptions) error) *cobra.Command {
	opts := &SendOptions{IO: f.IOStreams, Store: f.Store, Now: f.Now, Mail: f.MailConfig}
	cmd := &cobra.Command{
		Use:   "send ID",
		Short: "Deliver a recorded apology that has not gone out, or mark it sent",
		Long: `Deliver a recorded apology that has not gone out, by the outbox or SMTP, and
record the attempt: by default the way the last attempt went, else mail.via.

What it does depends on the apology's status (apology list shows it):

  queued     recorded to be sent (resolve, apology record --status queued):
             sends it
  failed     the last attempt failed: sends it again
  unknown    a run claimed it and stopped (killed, or the server dropped
             the connection before answering) without knowing whether it
             arrived: refuses, since it may have; --resend-unknown sends it
             anyway, --mark-sent records that it did arrive
  sending    another run is delivering it now: refuses
  in_outbox  written to the outbox: send that file, then --mark-sent
  sent       refuses: an apology is never sent twice

Each attempt is claimed in the ledger before anything leaves, so parallel
runs deliver it once. A run killed while writing to the outbox is settled
by the next one: the file, if it was written whole, is recorded, never
written twice. --mark-sent records the apology as sent by hand, for one you
sent some other way.`,
		Example: `  makegood apology send 3
  makegood apology send 3 --via smtp --json
  makegood apology send 3 --resend-unknown
  makegood apology send 3 --mark-sent`,
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
			if opts.MarkSent && opts.ResendUnknown {
				return cmdutil.FlagErrorf("--mark-sent and --resend-unknown contradict each other: choose one")
			}
			if runF != nil {
				return runF(opts)
			}
			return sendRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Via, "via", "", "outbox or smtp (default: as the last attempt, then config mail.via)")
	fl.BoolVar(&opts.ResendUnknown, "resend-unknown", false, "Send it even though an earlier attempt's outcome is unknown (it may arrive twice)")
	fl.BoolVar(&opts.MarkSent, "mark-sent", false, "Record it as sent by hand, without sending anything")
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
	// A retry goes the way the last attempt went, unless told otherwise.
	via := opts.Via
	if via == "" {
		via = lastVia(a)
	}
	if via == "" {
		via = mc.Via
	}
	if via != ledger.ViaSMTP {
		via = ledger.ViaOutbox
	}
	c, err := st.Customer(ctx, a.Customer)
	if err != nil {
		return err
	}
	co := apologymail.NewCourier(st, mc, via, opts.Now, opts.ResendUnknown)
	var res apologymail.Result
	if opts.MarkSent {
		res, err = apologymail.Mark(ctx, st, co, a)
	} else {
		inc, err := st.Incident(ctx, a.Incident)
		if err != nil {
			return err
		}
		sender, err := cmdutil.MailSender(mc, via, opts.Now)
		if err != nil {
			return err
		}
		res, err = apologymail.Deliver(ctx, st, co, sender, mc, c, a, inc.Title)
		if err != nil {
			return err
		}
	}
	if err != nil {
		return err
	}
	if res.Refused != nil && opts.MarkSent {
		return fmt.Errorf("apology %d is not marked as sent: %w", a.ID, res.Refused)
	}
	if res.Refused != nil {
		return fmt.Errorf("apology %d is not sent: %w", a.ID, res.Refused)
	}
	if opts.Output.JSON {
		if err := cmdutil.WriteJSON(opts.IO.Out, deliveryView(a.ID, res)); err != nil {
			return err
		}
	}
	to, _ := c.MailAddress()
	switch res.Outcome {
	case ledger.OutcomeFailed:
		return fmt.Errorf("deliver apology %d to %s: %w; it stays not sent: retry with makegood apology send %d", a.ID, to, res.Err, a.ID)
	case ledger.OutcomeUnknown:
		return fmt.Errorf("apology %d to %s: the outcome is unknown: %w\nIt is not sent again unless you say so: makegood apology send %d --resend-unknown, "+
			"or makegood apology send %d --mark-sent once you know it arrived", a.ID, to, res.Err, a.ID, a.ID)
	}
	if opts.Output.JSON {
		return nil
	}
	what := statusWords(res.Delivery.Status)
	switch {
	case opts.MarkSent && res.Delivery.ByHand:
		what = "marked as sent"
	case res.Recovered:
		what += " (an earlier run wrote it and stopped before recording it; it is recorded now, not written again)"
	}
	_, err = fmt.Fprintf(opts.IO.Out, "Apology %d to %s %s.\n", a.ID, cmdutil.CustomerLabel(c), what)
	return err
}

// lastVia is how the apology's last attempt went, "" when there was none.
func lastVia(a ledger.Apology) string {
	if a.LastClaim != nil {
		return a.LastClaim.Via
	}
	return a.Prior.Via
}

// deliveryView is the JSON of the attempt: the delivery recorded, or for an
// unknown outcome the claim's.
func deliveryView(id int64, res apologymail.Result) view.Delivery {
	if res.Delivery != nil {
		return view.NewDelivery(*res.Delivery)
	}
	v := view.Delivery{Apology: id, Via: res.Claim.Via, Status: res.Outcome}
	if res.Err != nil {
		e := res.Err.Error()
		retry := fmt.Sprintf("makegood apology send %d --resend-unknown", id)
		v.Error, v.Retry = &e, &retry
	}
	return v
}

func statusWords(status string) string {
	switch status {
	case ledger.DeliverySent:
		return "sent"
	case ledger.DeliveryQueued:
		return "queued in the outbox"
	}
	return strings.ReplaceAll(status, "_", " ")
}
