package report

import (
	"fmt"
	"io"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/guptarohit/asciigraph"

	"github.com/makegood/makegood/pkg/money"
)

// Screen draws the report for a terminal of the given width (at most 100
// columns are used): line charts drawn with asciigraph, and under each the
// month's figures in a row aligned with the chart's ticks. escape makes
// ledger text safe to print (control characters escaped).
//
// asciigraph draws from plain float slices to a string with colours as
// ANSI codes it is told: no terminal detection or global renderer of its
// own, so the same report always draws the same screen and the golden
// test can hold it exactly.
func Screen(w io.Writer, r Report, width int, escape func(string) string) error {
	width = min(max(width, 60), 100)
	s := &screen{r: r, width: width, esc: escape}
	s.header()
	if len(r.Months) == 0 {
		s.line("No months in range.")
		return s.flush(w)
	}
	cur := ""
	if len(r.Currencies) > 0 {
		cur = r.Currencies[0]
	}
	s.goodwill(cur)
	s.liability(cur)
	s.response()
	s.incidents()
	s.people()
	return s.flush(w)
}

type screen struct {
	r     Report
	width int
	esc   func(string) string
	b     strings.Builder
	axis  int // the x axis's column in the last chart drawn
}

func (s *screen) line(format string, args ...any) {
	fmt.Fprintf(&s.b, format, args...)
	s.b.WriteByte('\n')
}

func (s *screen) flush(w io.Writer) error {
	_, err := io.WriteString(w, s.b.String())
	if err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}

const (
	bold  = "\x1b[1m"
	dim   = "\x1b[2m"
	reset = "\x1b[0m"
)

func (s *screen) title(text, detail string) {
	s.b.WriteByte('\n')
	pad := s.width - utf8.RuneCountInString(text) - utf8.RuneCountInString(detail)
	if detail == "" || pad < 2 {
		s.line("%s%s%s", bold, text, reset)
		if detail != "" {
			s.line("%s%s%s", dim, detail, reset)
		}
		return
	}
	s.line("%s%s%s%s%s%s%s", bold, text, reset, strings.Repeat(" ", pad), dim, detail, reset)
}

func (s *screen) header() {
	r := s.r
	span := ""
	if len(r.Months) > 0 {
		span = monthName(r.Months[0], true) + " – " + monthName(r.Months[len(r.Months)-1], true)
	}
	to, _ := time.Parse(time.RFC3339, r.To)
	s.line("%smakegood report%s · %s · to %s", bold, reset, span, to.Format(time.DateOnly))
	if len(r.Currencies) > 1 {
		s.line("%sCharts in %s; also %s (--currency to chart one).%s", dim, r.Currencies[0],
			strings.Join(r.Currencies[1:], ", "), reset)
	}
}

func monthName(m string, year bool) string {
	t, err := time.Parse("2006-01", m)
	if err != nil {
		return m
	}
	if year {
		return t.Format("Jan 2006")
	}
	return t.Format("Jan")
}

// chart is one asciigraph plot over the report's months with the month's
// figures in rows under it, each under its tick.
type chart struct {
	series  [][]float64
	colors  []asciigraph.AnsiColor
	chars   []asciigraph.CharSet
	legends []string
	yfmt    func(float64) string
	lower   *float64
	rows    [][2]string // label, then cells joined by \x00
}

// spacing is the columns between months that fit width.
func (s *screen) spacing() int {
	n := len(s.r.Months)
	if n <= 1 {
		return 1
	}
	// The gutter and axis, and room for the last month's cell.
	return max(1, min(7, (s.width-gutter-8)/(n-1)))
}

func (s *screen) plot(c chart) {
	n := len(s.r.Months)
	k := s.spacing()
	months := s.r.Months
	opts := []asciigraph.Option{
		asciigraph.Width((n-1)*k + 1), asciigraph.Height(5), asciigraph.Offset(2),
		asciigraph.XAxisRange(0, float64(n-1)), asciigraph.XAxisTickCount(n),
		asciigraph.XAxisValueFormatter(func(v float64) string {
			i := int(math.Round(v))
			if i < 0 || i >= n {
				return ""
			}
			if k < 4 && i%3 != 0 {
				return ""
			}
			return monthName(months[i], false)
		}),
		// A fixed-width gutter, so the rows' labels fit beside their cells.
		asciigraph.YAxisValueFormatter(func(v float64) string { return fmt.Sprintf("%*s", gutter, c.yfmt(v)) }),
		asciigraph.SeriesColors(c.colors...),
		asciigraph.AxisColor(asciigraph.Gray), asciigraph.LabelColor(asciigraph.Gray),
	}
	if c.chars != nil {
		opts = append(opts, asciigraph.SeriesChars(c.chars...))
	}
	if c.lower != nil {
		opts = append(opts, asciigraph.LowerBound(*c.lower))
	}
	if n == 1 {
		for i := range c.series {
			c.series[i] = append(c.series[i], c.series[i][0])
		}
	}
	g := asciigraph.PlotMany(c.series, opts...)
	s.b.WriteString(g)
	s.b.WriteByte('\n')
	s.axis = axisColumn(g)
	for _, row := range c.rows {
		s.row(s.axis, k, row[0], strings.Split(row[1], "\x00"))
	}
	if c.legends != nil {
		var parts []string
		for i, l := range c.legends {
			ch := c.chars[i].Horizontal
			parts = append(parts, c.colors[i].String()+ch+ch+reset+" "+l)
		}
		s.line("%s%s", strings.Repeat(" ", s.axis+1), strings.Join(parts, "  "))
	}
}

// gutter is the width of the charts' y-axis labels.
const gutter = 8

// axisColumn finds where the x axis starts ("└"), counted in runes of the
// line without colour codes.
func axisColumn(g string) int {
	for _, l := range strings.Split(g, "\n") {
		plain := stripANSI(l)
		if i := strings.Index(plain, "└"); i >= 0 {
			return utf8.RuneCountInString(plain[:i])
		}
	}
	return 0
}

func stripANSI(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == 0x1b {
			for i < len(s) && s[i] != 'm' {
				i++
			}
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// row writes a label in the chart's gutter and each cell from its month's
// tick on. A cell that would touch the next one is left out: the JSON and
// the HTML page have every figure.
func (s *screen) row(axis, k int, label string, cells []string) {
	line := []rune(strings.Repeat(" ", s.width+8))
	copy(line, []rune(fitRunes(label, max(axis-1, 3))))
	for i, c := range cells {
		start := axis + 1 + i*k
		rs := []rune(c)
		if len(rs) > k-1 && i < len(cells)-1 || start+len(rs) > len(line) {
			rs = []rune("…")
		}
		copy(line[start:], rs)
	}
	s.line("%s%s%s", dim, strings.TrimRight(string(line), " "), reset)
}

func fitRunes(s string, n int) string {
	rs := []rune(s)
	if len(rs) <= n {
		return s
	}
	return string(rs[:n])
}

// compact writes an amount short enough for a cell: 950, 9.5, 12k, 1.2M.
// Rounded half up, in integers.
func compact(minor int64, currency string) string {
	d, err := money.Digits(currency)
	if err != nil {
		d = 0
	}
	scale := int64(1)
	for range d {
		scale *= 10
	}
	neg := minor < 0
	if neg {
		minor = -minor
	}
	tenths := (minor*10 + scale/2) / scale // major units × 10
	var out string
	switch {
	case tenths == 0:
		out = "0"
	case tenths < 100 && d > 0:
		out = fmt.Sprintf("%d.%d", tenths/10, tenths%10)
	case tenths < 10_000:
		out = fmt.Sprintf("%d", (tenths+5)/10)
	case tenths < 100_000:
		t := (tenths + 500) / 1000 // hundreds
		out = fmt.Sprintf("%d.%dk", t/10, t%10)
	case tenths < 10_000_000:
		out = fmt.Sprintf("%dk", (tenths+5000)/10000)
	case tenths < 100_000_000:
		t := (tenths + 500_000) / 1_000_000
		out = fmt.Sprintf("%d.%dM", t/10, t%10)
	default:
		out = fmt.Sprintf("%dM", (tenths+5_000_000)/10_000_000)
	}
	if neg {
		return "-" + out
	}
	return out
}

// major is minor units as a float in major units, for chart geometry only.
func major(minor int64, currency string) float64 {
	d, err := money.Digits(currency)
	if err != nil {
		d = 0
	}
	return float64(minor) / math.Pow10(d)
}

func yMoney(currency string) func(float64) string {
	d, err := money.Digits(currency)
	if err != nil {
		d = 0
	}
	scale := math.Pow10(d)
	return func(v float64) string { return compact(int64(math.Round(v*scale)), currency) }
}

func (s *screen) goodwill(cur string) {
	if cur == "" {
		s.title("Goodwill given per month", fmt.Sprintf("%d gestures", s.gestures()))
		s.line("No credits or customers' prices in this range.")
		return
	}
	var issued, rev []float64
	var cellMRR, cellShare, cellGest []string
	var total, totalMRR int64
	for _, g := range s.r.Goodwill {
		if g.Currency != cur {
			continue
		}
		issued = append(issued, major(g.IssuedMinor, cur))
		rev = append(rev, major(g.MRRMinor, cur))
		total += g.IssuedMinor
		totalMRR += g.MRRMinor
		cellMRR = append(cellMRR, compact(g.MRRMinor, cur))
		share := "–"
		if g.ShareOfMRRBP != nil {
			share = shortPercent(*g.ShareOfMRRBP)
		}
		cellShare = append(cellShare, share)
	}
	for _, g := range s.r.Gestures {
		cellGest = append(cellGest, fmt.Sprint(g.Gestures))
	}
	detail := money.Format(total, cur) + " given"
	if bp, ok := basisPoints(total, totalMRR); ok {
		detail += " · " + shortPercent(bp) + " of MRR"
	}
	detail += fmt.Sprintf(" · %d gestures", s.gestures())
	s.title("Goodwill given per month, "+cur, detail)
	zero := 0.0
	s.plot(chart{series: [][]float64{issued}, colors: []asciigraph.AnsiColor{asciigraph.Green},
		yfmt: yMoney(cur), lower: &zero,
		rows: [][2]string{{"MRR", strings.Join(cellMRR, "\x00")}, {"share", strings.Join(cellShare, "\x00")},
			{"gestures", strings.Join(cellGest, "\x00")}}})
	_ = rev
}

func (s *screen) gestures() int64 {
	var n int64
	for _, g := range s.r.Gestures {
		n += g.Gestures
	}
	return n
}

// shortPercent writes basis points as a percentage that fits a cell:
// 0.5%, 12%, 340%.
func shortPercent(bp int64) string {
	if bp < 1000 {
		t := (bp + 5) / 10
		return fmt.Sprintf("%d.%d%%", t/10, t%10)
	}
	return fmt.Sprintf("%d%%", (bp+50)/100)
}

func (s *screen) liability(cur string) {
	if cur == "" {
		return
	}
	var out []float64
	var used, voided, expired []string
	var last LiabilityMonth
	for _, l := range s.r.Liability {
		if l.Currency != cur {
			continue
		}
		out = append(out, major(l.OutstandingMinor, cur))
		used = append(used, compact(l.UsedMinor, cur))
		voided = append(voided, compact(l.VoidedMinor, cur))
		expired = append(expired, compact(l.ExpiredMinor, cur))
		last = l
	}
	s.title("Owed to customers at each month's end, "+cur, money.Format(last.OutstandingMinor, cur)+" outstanding")
	zero := 0.0
	s.plot(chart{series: [][]float64{out}, colors: []asciigraph.AnsiColor{asciigraph.Blue},
		yfmt: yMoney(cur), lower: &zero,
		rows: [][2]string{{"used", strings.Join(used, "\x00")}, {"voided", strings.Join(voided, "\x00")},
			{"expired", strings.Join(expired, "\x00")}}})
}

// logSeconds is the chart height of a duration: log10 of seconds, so one
// chart holds a minute and a day.
func logSeconds(sec *int64) float64 {
	if sec == nil {
		return math.NaN()
	}
	return math.Log10(float64(max(*sec, 1)))
}

// Short writes a duration in its largest unit: 45s, 12m, 3h, 2d.
func Short(sec int64) string {
	switch {
	case sec < 60:
		return fmt.Sprintf("%ds", sec)
	case sec < 3600:
		return fmt.Sprintf("%dm", (sec+30)/60)
	case sec < 86400:
		return fmt.Sprintf("%dh", (sec+1800)/3600)
	default:
		return fmt.Sprintf("%dd", (sec+43200)/86400)
	}
}

func (s *screen) response() {
	rt := s.r.ResponseTimes
	var apo, fix, apoT, fixT []float64
	var apo90, fix90 []string
	any := false
	for _, m := range rt.Months {
		apo = append(apo, logSeconds(m.ApologyMedianSeconds))
		fix = append(fix, logSeconds(m.FixMedianSeconds))
		apoT = append(apoT, logSeconds(&rt.ApologyTargetSeconds))
		fixT = append(fixT, logSeconds(&rt.FixTargetSeconds))
		apo90 = append(apo90, optShort(m.ApologyP90Seconds))
		fix90 = append(fix90, optShort(m.FixP90Seconds))
		any = any || m.ApologyMedianSeconds != nil || m.FixMedianSeconds != nil
	}
	s.title("Time to apology and to fix, median per month",
		fmt.Sprintf("rule of thumb ┄ apology %s, fix %s", Short(rt.ApologyTargetSeconds), Short(rt.FixTargetSeconds)))
	if !any {
		s.line("No incidents with an apology or a fix in this range.")
		return
	}
	dotted := asciigraph.CreateCharSet("┄")
	s.plot(chart{series: [][]float64{apo, fix, apoT, fixT},
		colors:  []asciigraph.AnsiColor{asciigraph.Yellow, asciigraph.Cyan, asciigraph.Yellow, asciigraph.Cyan},
		chars:   []asciigraph.CharSet{asciigraph.DefaultCharSet, asciigraph.DefaultCharSet, dotted, dotted},
		legends: []string{"apology", "fix", "targets: apology", "fix"},
		yfmt:    func(v float64) string { return Short(int64(math.Round(math.Pow(10, v)))) },
		rows:    [][2]string{{"p90 apo", strings.Join(apo90, "\x00")}, {"p90 fix", strings.Join(fix90, "\x00")}}})
}

func optShort(sec *int64) string {
	if sec == nil {
		return "–"
	}
	return Short(*sec)
}

func (s *screen) incidents() {
	var crit, high, norm, low, total []string
	var sum int
	for _, m := range s.r.Incidents {
		crit = append(crit, count(m.Critical))
		high = append(high, count(m.High))
		norm = append(norm, count(m.Normal))
		low = append(low, count(m.Low))
		total = append(total, fmt.Sprint(m.Total))
		sum += m.Total
	}
	s.title("Incidents per month by severity", fmt.Sprintf("%d in all", sum))
	// The tick row: month names where the charts have their ticks.
	k := s.spacing()
	axis := s.axis
	if axis == 0 {
		axis = gutter + 1
	}
	var names []string
	for i, m := range s.r.Months {
		if k < 4 && i%3 != 0 {
			names = append(names, "")
			continue
		}
		names = append(names, monthName(m, false))
	}
	s.row(axis, k, "", names)
	for _, r := range []struct {
		label string
		cells []string
	}{{"critical", crit}, {"high", high}, {"normal", norm}, {"low", low}, {"total", total}} {
		s.row(axis, k, r.label, r.cells)
	}
}

func count(n int) string {
	if n == 0 {
		return "·"
	}
	return fmt.Sprint(n)
}

// people writes two columns: who keeps getting hurt, and thank-you notes.
func (s *screen) people() {
	half := s.width / 2
	var left, right []string
	rp := s.r.Repeats
	left = append(left, fmt.Sprintf("%sRepeat incidents, 12 months%s", bold, reset))
	if len(rp.Customers) == 0 {
		left = append(left, "Nobody hurt twice.")
	}
	const shown = 6
	for i, c := range rp.Customers {
		if i == shown {
			left = append(left, fmt.Sprintf("%s… and %d more (--json)%s", dim, len(rp.Customers)-shown, reset))
			break
		}
		last, _ := time.Parse(time.RFC3339, c.LastIncident)
		left = append(left, fmt.Sprintf("%-*s %3d  %s", half-18, fitRunes(s.esc(c.Customer), half-18), c.Incidents, last.Format("2006-01-02")))
	}
	th := s.r.Thanks
	right = append(right, fmt.Sprintf("%sThank-you notes%s %s%d sent%s", bold, reset, dim, th.SentTotal, reset))
	var sent []string
	for _, o := range th.Sent {
		if o.Notes > 0 {
			sent = append(sent, fmt.Sprintf("%s %d", o.Occasion, o.Notes))
		}
	}
	if len(sent) == 0 {
		sent = append(sent, "none in this range")
	}
	right = append(right, wrap(strings.Join(sent, " · "), s.width-half-1)...)
	right = append(right, fmt.Sprintf("Due now %d · overdue %d (%d+ days)", th.DueCount, th.OverdueCount, th.OverdueDays))
	for i, d := range th.Due {
		if i == 3 {
			right = append(right, fmt.Sprintf("%s… makegood thanks due%s", dim, reset))
			break
		}
		days := ""
		if d.DaysDue != nil {
			days = fmt.Sprintf(" %dd", *d.DaysDue)
		}
		mark := " "
		if d.Overdue {
			mark = "!"
		}
		room := s.width - half - 3 - utf8.RuneCountInString(d.Key) - len(days)
		right = append(right, fmt.Sprintf("%s %s %s%s", mark, fitRunes(s.esc(d.Customer), max(room, 6)), d.Key, days))
	}
	s.b.WriteByte('\n')
	for i := range max(len(left), len(right)) {
		l, r := "", ""
		if i < len(left) {
			l = left[i]
		}
		if i < len(right) {
			r = right[i]
		}
		pad := half - utf8.RuneCountInString(stripANSI(l))
		s.line("%s", strings.TrimRight(l+strings.Repeat(" ", max(pad, 1))+r, " "))
	}
}

func wrap(s string, width int) []string {
	var out []string
	line := ""
	for _, w := range strings.Split(s, " · ") {
		switch {
		case line == "":
			line = w
		case utf8.RuneCountInString(line)+3+utf8.RuneCountInString(w) <= width:
			line += " · " + w
		default:
			out = append(out, line)
			line = w
		}
	}
	return append(out, line)
}
