package report

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
)

// Plain writes the report as plain tables, one per figure, with a title
// line and a header row, columns aligned with spaces: what `report` prints
// when stdout is not a terminal, or with NO_COLOR or TERM=dumb. Amounts are
// decimal strings as in the JSON; durations are whole seconds.
func Plain(w io.Writer, r Report, escape func(string) string) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	section := func(title string, header ...string) {
		fmt.Fprintf(tw, "\n# %s\n", title)
		fmt.Fprintln(tw, strings.Join(header, "\t"))
	}
	row := func(cells ...string) {
		for i, c := range cells {
			cells[i] = strings.NewReplacer("\t", " ", "\n", " ", "\r", " ").Replace(c)
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	fmt.Fprintf(tw, "makegood report\tfrom %s\tto %s\n", r.From, r.To)

	section("goodwill given per month", "month", "currency", "credits", "issued", "mrr", "share_of_mrr_percent")
	for _, g := range r.Goodwill {
		row(g.Month, g.Currency, i64(g.Credits), g.Issued, g.MRR, deref(g.ShareOfMRR))
	}
	section("gestures per month", "month", "gestures")
	for _, g := range r.Gestures {
		row(g.Month, i64(g.Gestures))
	}
	section("owed to customers (outstanding at month end) and how it moved", "month", "currency", "outstanding", "issued", "used", "voided", "expired")
	for _, l := range r.Liability {
		row(l.Month, l.Currency, l.Outstanding, l.Issued, l.Used, l.Voided, l.Expired)
	}
	rt := r.ResponseTimes
	section(fmt.Sprintf("time to apology and to fix, seconds (rule of thumb: apology %d, fix %d)",
		rt.ApologyTargetSeconds, rt.FixTargetSeconds),
		"month", "incidents", "apologized", "apology_median", "apology_p90", "apology_within_target",
		"fixed", "open", "fix_median", "fix_p90", "fix_within_target")
	for _, m := range rt.Months {
		row(m.Month, strconv.Itoa(m.Incidents), strconv.Itoa(m.Apologized), optI64(m.ApologyMedianSeconds),
			optI64(m.ApologyP90Seconds), strconv.Itoa(m.ApologiesWithinTarget), strconv.Itoa(m.Fixed),
			strconv.Itoa(m.Open), optI64(m.FixMedianSeconds), optI64(m.FixP90Seconds), strconv.Itoa(m.FixesWithinTarget))
	}
	section("incidents per month by severity", "month", "critical", "high", "normal", "low", "total")
	for _, m := range r.Incidents {
		row(m.Month, strconv.Itoa(m.Critical), strconv.Itoa(m.High), strconv.Itoa(m.Normal), strconv.Itoa(m.Low), strconv.Itoa(m.Total))
	}
	section(fmt.Sprintf("customers with %d or more incidents since %s", r.Repeats.MinIncidents, r.Repeats.Since),
		"customer", "name", "incidents", "last_incident_at")
	for _, c := range r.Repeats.Customers {
		row(escape(c.Customer), escape(deref(c.Name)), strconv.Itoa(c.Incidents), c.LastIncident)
	}
	section("thank-you notes sent per occasion", "occasion", "notes")
	for _, o := range r.Thanks.Sent {
		row(o.Occasion, strconv.Itoa(o.Notes))
	}
	section(fmt.Sprintf("due a thank-you note now (overdue after %d days)", r.Thanks.OverdueDays),
		"customer", "name", "key", "since", "days_due", "overdue", "why")
	for _, d := range r.Thanks.Due {
		days := ""
		if d.DaysDue != nil {
			days = strconv.Itoa(*d.DaysDue)
		}
		row(escape(d.Customer), escape(deref(d.Name)), escape(d.Key), deref(d.Since), days, strconv.FormatBool(d.Overdue), escape(d.Why))
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}

func i64(n int64) string { return strconv.FormatInt(n, 10) }

func optI64(n *int64) string {
	if n == nil {
		return ""
	}
	return i64(*n)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
