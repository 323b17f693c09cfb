package cmdutil

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/makegood/makegood/internal/ledger"
	"github.com/makegood/makegood/internal/store"
	"github.com/makegood/makegood/internal/thanks"
	"github.com/makegood/makegood/pkg/money"
)

// A Completer lists the values a shell may complete an argument or flag
// to, from the ledger: "value\tdescription", as cobra takes them.
type Completer func(ctx context.Context, st ledger.Store, cmd *cobra.Command) ([]string, error)

// maxCompletions keeps a completion of credits or incidents to the newest
// ones: a shell offering ten thousand ids helps no one.
const maxCompletions = 100

// CompleteWith makes a Completer into the function cobra calls for
// ValidArgsFunction and RegisterFlagCompletionFunc. It never creates a
// ledger (pressing Tab must not write a file) and never fails: an error
// means no suggestions, and the shell falls back to nothing rather than
// to file names.
func (f *Factory) CompleteWith(c Completer) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		const none = cobra.ShellCompDirectiveNoFileComp
		ctx := cmd.Context()
		if ctx == nil {
			ctx = context.Background()
		}
		st, ok := f.existingStore(ctx)
		if !ok {
			return nil, none
		}
		all, err := c(ctx, st, cmd)
		if err != nil {
			return nil, none
		}
		var out []cobra.Completion
		for _, v := range all {
			if strings.HasPrefix(v, toComplete) {
				out = append(out, v)
			}
		}
		dir := none | cobra.ShellCompDirectiveKeepOrder
		if len(out) > 0 && !slices.ContainsFunc(out, func(s string) bool { return !strings.HasSuffix(value(s), ":") }) {
			dir |= cobra.ShellCompDirectiveNoSpace // milestone: wants its name typed next
		}
		return out, dir
	}
}

// CompleteList completes the last element of a comma-separated list
// (--customers a,b,c), keeping what was typed before it and leaving out
// what is already in the list.
func (f *Factory) CompleteList(c Completer) cobra.CompletionFunc {
	one := f.CompleteWith(c)
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		i := strings.LastIndex(toComplete, ",")
		done, last := toComplete[:i+1], toComplete[i+1:]
		chosen := strings.Split(done, ",")
		vals, dir := one(cmd, args, last)
		out := vals[:0]
		for _, v := range vals {
			if !slices.Contains(chosen, value(v)) {
				out = append(out, done+v)
			}
		}
		return out, dir | cobra.ShellCompDirectiveNoSpace
	}
}

// existingStore opens the ledger for completion only if it is already
// there.
func (f *Factory) existingStore(ctx context.Context) (ledger.Store, bool) {
	loc, err := f.Location()
	if err != nil {
		return nil, false
	}
	if ok, err := store.Exists(ctx, loc); err != nil || !ok {
		return nil, false
	}
	st, err := f.Store(ctx)
	return st, err == nil
}

func value(s string) string {
	v, _, _ := strings.Cut(s, "\t")
	return v
}

// described is a completion with its description, which the shell shows
// beside the value; it is ledger text, so escaped, and on one line.
func described(v, desc string) string {
	if desc == "" {
		return v
	}
	return v + "\t" + Escape(desc)
}

// CompleteCustomers completes customer ids, with their names.
func CompleteCustomers(ctx context.Context, st ledger.Store, _ *cobra.Command) ([]string, error) {
	cs, err := st.Customers(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = described(c.ID, c.Name)
	}
	return out, nil
}

// CompleteCredits completes credit ids, newest first, each described by
// its amount, customer and status; only the command's --customer's when
// it has one.
func CompleteCredits(ctx context.Context, st ledger.Store, cmd *cobra.Command) ([]string, error) {
	return creditIDs(ctx, st, cmd, "")
}

// CompleteOpenCredits completes the credits that can still be voided or
// applied.
func CompleteOpenCredits(ctx context.Context, st ledger.Store, cmd *cobra.Command) ([]string, error) {
	return creditIDs(ctx, st, cmd, ledger.StatusOpen)
}

func creditIDs(ctx context.Context, st ledger.Store, cmd *cobra.Command, status string) ([]string, error) {
	f := ledger.CreditFilter{Status: status, Limit: maxCompletions, Customer: flagValue(cmd, "customer")}
	cs, err := st.Credits(ctx, f)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(cs))
	for i, c := range cs {
		what := c.Gesture
		if !c.IsGesture() {
			what = money.Format(c.AmountMinor, c.Currency)
		}
		out[i] = described(strconv.FormatInt(c.ID, 10), fmt.Sprintf("%s to %s, %s", what, c.Customer, c.Reason))
	}
	return out, nil
}

// CompleteIncidents completes incident ids, newest first, with their
// titles.
func CompleteIncidents(ctx context.Context, st ledger.Store, _ *cobra.Command) ([]string, error) {
	incs, err := st.Incidents(ctx, ledger.IncidentFilter{Limit: maxCompletions})
	if err != nil {
		return nil, err
	}
	out := make([]string, len(incs))
	for i, inc := range incs {
		out[i] = described(strconv.FormatInt(inc.ID, 10), fmt.Sprintf("%s (%s)", inc.Title, inc.Status()))
	}
	return out, nil
}

// CompleteApologies completes apology ids, newest first.
func CompleteApologies(ctx context.Context, st ledger.Store, _ *cobra.Command) ([]string, error) {
	as, err := st.Apologies(ctx, ledger.ApologyFilter{Limit: maxCompletions})
	if err != nil {
		return nil, err
	}
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = described(strconv.FormatInt(a.ID, 10), fmt.Sprintf("to %s for incident %d (%s)", a.Customer, a.Incident, a.Status))
	}
	return out, nil
}

// CompleteOccasions completes thank-you occasions: the five kinds, and the
// milestones the ledger already knows (milestone:launch).
func CompleteOccasions(ctx context.Context, st ledger.Store, _ *cobra.Command) ([]string, error) {
	var out []string
	for _, o := range thanks.Occasions() {
		if o == thanks.Milestone {
			out = append(out, string(o)+":")
			continue
		}
		out = append(out, string(o))
	}
	ns, err := st.ThankYouNotes(ctx, ledger.ThanksFilter{Occasion: string(thanks.Milestone)})
	if err != nil {
		return nil, err
	}
	for _, n := range ns {
		if !slices.Contains(out, n.Key) {
			out = append(out, n.Key)
		}
	}
	return out, nil
}

// CompleteCurrencies completes ISO 4217 codes: first the ones the ledger's
// customers pay in, then every other.
func CompleteCurrencies(ctx context.Context, st ledger.Store, _ *cobra.Command) ([]string, error) {
	cs, err := st.Customers(ctx)
	if err != nil {
		return nil, err
	}
	var used []string
	for _, c := range cs {
		if c.Currency != "" && !slices.Contains(used, c.Currency) {
			used = append(used, c.Currency)
		}
	}
	slices.Sort(used)
	out := make([]string, 0, len(used)+200)
	for _, c := range used {
		out = append(out, described(c, "used in the ledger"))
	}
	for _, c := range money.Codes() {
		if !slices.Contains(used, c) {
			out = append(out, c)
		}
	}
	return out, nil
}

// flagValue is a string flag's value, or "" when the command has no such
// flag.
func flagValue(cmd *cobra.Command, name string) string {
	if cmd == nil {
		return ""
	}
	fl := cmd.Flags().Lookup(name)
	if fl == nil || fl.Value.Type() != "string" {
		return ""
	}
	return fl.Value.String()
}
