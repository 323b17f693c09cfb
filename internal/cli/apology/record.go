package apology

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/makegood/makegood/internal/cli/cmdutil"
	"github.com/makegood/makegood/internal/cli/view"
	"github.com/makegood/makegood/internal/draft"
	"github.com/makegood/makegood/internal/iostreams"
	"github.com/makegood/makegood/internal/ledger"
	"github.com/makegood/makegood/internal/prompt"
	"github.com/makegood/makegood/pkg/apology"
)

// RecordOptions holds `apology record`'s inputs.
type RecordOptions struct {
	IO        *iostreams.IOStreams
	Store     func(context.Context) (ledger.Store, error)
	Prompter  func() prompt.Prompter
	Now       func() time.Time
	CanPrompt bool
	Drafting

	Customer string
	Incident string
	File     string
	Via      string
	Status   string
	At       string
	Output   cmdutil.OutputFlags
}

// NewCmdRecord builds `apology record`.
func NewCmdRecord(f *cmdutil.Factory, runF func(*RecordOptions) error) *cobra.Command {
	opts := &RecordOptions{IO: f.IOStreams, Store: f.Store, Prompter: f.Prompt, Now: f.Now}
	cmd := &cobra.Command{
		Use:   "record",
		Short: "Record the apology actually sent to a customer",
		Long: `Keep the apology you sent to one customer about one incident: the text from
--file (or - for standard input), how it went (--via email, chat, phone, …)
and when (--at, default now). At a terminal without --file, the draft opens
for editing first. The time it is recorded at is what incident show counts
as the time to apology.

Apologies are append-only: a correction is a new apology. The text is
checked like apology check, and findings are printed to stderr as warnings;
it is recorded anyway, since it is what was sent.

--status says where it stands: sent (the default: you sent it yourself),
queued (to be sent: apology send ID delivers it by the outbox or SMTP) or
failed (you tried and it did not arrive: apology send ID tries again).`,
		Example: `  makegood apology record --customer alice@example.com --incident 3 --file sent.txt
  makegood apology draft --customer alice@example.com --incident 3 | makegood apology record --customer alice@example.com --incident 3 --file -`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.CanPrompt = f.CanPrompt()
			if !opts.CanPrompt {
				if opts.Customer == "" {
					return cmdutil.RequiredError("--customer")
				}
				if opts.Incident == "" {
					return cmdutil.RequiredError("--incident")
				}
				if opts.File == "" {
					return cmdutil.RequiredError("--file")
				}
			}
			if err := opts.load(f); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return recordRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Customer, "customer", "", "Customer ID")
	fl.StringVar(&opts.Incident, "incident", "", "Incident ID")
	fl.StringVar(&opts.File, "file", "", "The apology as sent, or - for standard input")
	fl.StringVar(&opts.Via, "via", "email", "How it was sent: email, chat, phone, …")
	fl.StringVar(&opts.Status, "status", ledger.ApologySent, "sent (by you), queued (for apology send to send) or failed")
	fl.StringVar(&opts.At, "at", "", "When it was sent (default: now)")
	cmdutil.AddJSONFlag(cmd, &opts.Output)
	_ = cmd.RegisterFlagCompletionFunc("status", cobra.FixedCompletions(ledger.ApologyStatuses(), cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func recordRun(ctx context.Context, opts *RecordOptions) error {
	st, err := opts.Store(ctx)
	if err != nil {
		return err
	}
	a, err := resolveAbout(ctx, st, opts.Prompter, opts.Customer, opts.Incident)
	if err != nil {
		return err
	}
	// The store reads an empty via as email; a flag given empty is a typo.
	if err := ledger.ValidateID("--via", opts.Via); err != nil {
		return err
	}
	now := opts.Now()
	at := now
	if opts.At != "" {
		if at, err = ledger.ParsePastTime("--at", opts.At, now); err != nil {
			return err
		}
	}
	if err := a.incident.CheckAfterStart("--at", at); err != nil {
		return err
	}

	var body string
	field := "--file"
	if opts.File != "" {
		if body, err = readText(opts.IO, field, opts.File); err != nil {
			return err
		}
	} else {
		subject, draftBody, err := renderDraft(ctx, st, a, opts.ConfigDir, opts.SenderName, now)
		if err != nil {
			return err
		}
		field = "apology"
		if body, err = opts.Prompter().Text(ctx, "The apology as sent (edit the draft)", draft.Text(subject, draftBody),
			func(s string) error {
				return ledger.ValidateApologyBody("apology", s)
			}); err != nil {
			return err
		}
	}
	n := ledger.NewApology{Customer: a.customer.ID, Incident: a.incident.ID, Body: strings.TrimRight(body, " \t\r\n") + "\n",
		RecordedAt: at, Via: opts.Via, Status: opts.Status}
	if err := n.Validate(field); err != nil {
		return err
	}
	warnFindings(opts.IO, apology.Check(n.Body, opts.Rules), "the apology")
	rec, err := st.RecordApology(ctx, n)
	if err != nil {
		return err
	}
	if rec.Status == ledger.ApologyQueued || rec.Status == ledger.ApologyFailed {
		fmt.Fprintf(opts.IO.ErrOut, "Send it with: makegood apology send %d\n", rec.ID)
	}
	switch {
	case opts.Output.JSON:
		return cmdutil.WriteJSON(opts.IO.Out, view.NewApology(rec))
	case opts.IO.IsStdoutTTY():
		_, err = fmt.Fprintf(opts.IO.Out, "Recorded apology %d to %s for incident %d, %s after it was reported.\n",
			rec.ID, cmdutil.CustomerLabel(a.customer), a.incident.ID, view.Duration(rec.RecordedAt.Sub(a.incident.ReportedAt)))
	default:
		_, err = fmt.Fprintln(opts.IO.Out, rec.ID)
	}
	return err
}
