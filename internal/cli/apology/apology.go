// Package apology implements `makegood apology`: drafting an apology from a
// template, recording the apology actually sent, listing them, and checking
// a text for excuses and stock phrases.
package apology

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/makegood/makegood/internal/cli/apology/shared"
	"github.com/makegood/makegood/internal/cli/cmdutil"
	"github.com/makegood/makegood/internal/fileutil"
	"github.com/makegood/makegood/internal/iostreams"
	"github.com/makegood/makegood/internal/ledger"
	"github.com/makegood/makegood/internal/prompt"
	"github.com/makegood/makegood/pkg/apology"
)

// NewCmdApology builds `makegood apology` and its verbs.
func NewCmdApology(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "apology <command>",
		Short: "Draft, check, record and list apologies",
		Long: `Apologize without excuse. apology draft writes a short, direct apology for one
customer and one incident; apology check flags blame-shifting ("our
provider", "another team", "circumstances beyond our control") and stock
phrases ("we apologize for any inconvenience"); apology record keeps what
was actually sent, so incident show can tell how fast each customer heard
from you; apology send delivers one recorded to be sent (or failed, or of
unknown outcome: --resend-unknown), or marks it sent by hand (--mark-sent),
never twice.`,
	}
	cmd.AddCommand(
		NewCmdDraft(f, nil),
		NewCmdCheck(f, nil),
		NewCmdRecord(f, nil),
		NewCmdList(f, nil),
		NewCmdSend(f, nil),
	)
	return cmd
}

// Drafting is the configuration drafts are written with: where template
// overrides live, the sign-off, and the rules drafts are checked against.
type Drafting struct {
	ConfigDir  string
	SenderName string // sender.name in the config file
	Rules      apology.Rules
}

func (d *Drafting) load(f *cmdutil.Factory) error {
	cfg, err := f.Config()
	if err != nil {
		return err
	}
	if d.Rules, err = shared.LoadRules(cfg); err != nil {
		return err
	}
	d.ConfigDir, d.SenderName = f.ConfigDir(), cfg.GetString("sender.name")
	return nil
}

// maxInput bounds what check and record read: far more than any apology,
// little enough that a wrong file named by mistake is refused quickly.
const maxInput = 1 << 20

// readText reads the text a command works on: the file named, or standard
// input for "-". Errors name field.
func readText(ios *iostreams.IOStreams, field, name string) (string, error) {
	var (
		b   []byte
		err error
	)
	if name == "-" {
		b, err = fileutil.ReadAllBounded(field, "standard input", ios.In, maxInput)
	} else {
		b, err = fileutil.ReadBounded(field, name, maxInput)
	}
	return string(b), err
}

// warnFindings prints findings to stderr as warnings, for commands whose
// text is checked on the way past rather than as their answer.
func warnFindings(ios *iostreams.IOStreams, findings []apology.Finding, what string) {
	if len(findings) == 0 {
		return
	}
	fmt.Fprintf(ios.ErrOut, "warning: %s has %d finding(s); see makegood apology check:\n", what, len(findings))
	for _, fd := range findings {
		fmt.Fprintf(ios.ErrOut, "  %s\n", fd)
	}
}

// about is the customer and the incident an apology is about.
type about struct {
	customer ledger.Customer
	incident ledger.Incident
}

// resolveAbout reads --customer and --incident, asking at a terminal for
// what is missing (callers refuse missing flags off a terminal first).
func resolveAbout(ctx context.Context, st ledger.Store, p func() prompt.Prompter, customer, incident string) (about, error) {
	var a about
	var err error
	if customer == "" {
		if customer, err = cmdutil.PickCustomer(ctx, p(), st); err != nil {
			return a, err
		}
	}
	if err := ledger.ValidateID("--customer", customer); err != nil {
		return a, err
	}
	if a.customer, err = st.Customer(ctx, customer); err != nil {
		return a, err
	}
	if incident == "" {
		options, err := cmdutil.IncidentOptions(ctx, st, customer)
		if err != nil {
			return a, err
		}
		if len(options) == 0 {
			return a, ledger.Fieldf("--incident", "no incident affected %s yet; open one with makegood incident open", customer)
		}
		if incident, err = p().Select(ctx, "Incident", options, options[0].Value); err != nil {
			return a, err
		}
	}
	id, err := ledger.ParseIncidentID("--incident", incident)
	if err != nil {
		return a, err
	}
	a.incident, err = st.Incident(ctx, id)
	return a, err
}
