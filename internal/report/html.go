package report

import (
	"fmt"
	"html/template"
	"io"
	"math"
	"strings"

	"github.com/go-analyze/charts"

	"github.com/makegood/makegood/pkg/money"
)

// HTML writes the report as one self-contained page: the charts are
// inline SVG drawn by go-analyze/charts, the styles are in the page, and
// there is no script and no link to anything, so it opens offline, on a
// phone (the SVGs scale to the screen) and prints (print styles drop the
// colours behind text and keep each figure on one page). Text from the
// ledger goes through html/template and is escaped.
func HTML(w io.Writer, r Report) error {
	page := htmlPage{Report: r}
	var err error
	for _, c := range r.Currencies {
		sec := currencySection{Currency: c}
		if sec.Goodwill, err = goodwillSVG(r, c); err != nil {
			return err
		}
		if sec.Owed, err = owedSVG(r, c); err != nil {
			return err
		}
		for _, g := range r.Goodwill {
			if g.Currency == c {
				sec.GoodwillRows = append(sec.GoodwillRows, g)
			}
		}
		for _, l := range r.Liability {
			if l.Currency == c {
				sec.Liability = append(sec.Liability, l)
			}
		}
		page.Sections = append(page.Sections, sec)
	}
	if page.Response, err = responseSVG(r); err != nil {
		return err
	}
	if page.Incidents, err = incidentsSVG(r); err != nil {
		return err
	}
	if page.Notes, err = notesSVG(r); err != nil {
		return err
	}
	t, err := template.New("report").Funcs(template.FuncMap{
		"short": func(p *int64) string { return optShort(p) },
		"dur":   Short,
		"money": money.Format,
		"str":   deref,
	}).Parse(pageTemplate)
	if err != nil {
		return fmt.Errorf("report page: %w", err)
	}
	if err := t.Execute(w, page); err != nil {
		return fmt.Errorf("write report page: %w", err)
	}
	return nil
}

type htmlPage struct {
	Report
	Sections                   []currencySection
	Response, Incidents, Notes template.HTML
}

type currencySection struct {
	Currency       string
	Goodwill, Owed template.HTML
	GoodwillRows   []GoodwillMonth
	Liability      []LiabilityMonth
}

const (
	chartWidth  = 720
	chartHeight = 300
)

// svg renders one chart with the painter and returns it for the page. The
// SVG is the library's output from numbers and our own labels (months,
// fixed series names): nothing from the ledger's free text goes in.
func svg(draw func(*charts.Painter) error) (template.HTML, error) {
	p := charts.NewPainter(charts.PainterOptions{OutputFormat: charts.ChartOutputSVG, Width: chartWidth, Height: chartHeight})
	if err := draw(p); err != nil {
		return "", fmt.Errorf("draw chart: %w", err)
	}
	b, err := p.Bytes()
	if err != nil {
		return "", fmt.Errorf("draw chart: %w", err)
	}
	return template.HTML(b), nil
}

// labels are the months as short names; the page says which year.
func labels(r Report) []string {
	out := make([]string, len(r.Months))
	for i, m := range r.Months {
		out[i] = monthName(m, i == 0 || strings.HasSuffix(m, "-01"))
	}
	return out
}

// zeroAxis starts the value axis at 0, so bar heights compare.
func zeroAxis() []charts.ValueAxisOption { return []charts.ValueAxisOption{{Min: charts.Ptr(0.0)}} }

func moneyAxis(currency string) charts.ValueFormatter {
	f := yMoney(currency)
	return func(v float64) string { return f(v) }
}

func goodwillSVG(r Report, cur string) (template.HTML, error) {
	var issued []float64
	for _, g := range r.Goodwill {
		if g.Currency == cur {
			issued = append(issued, major(g.IssuedMinor, cur))
		}
	}
	opt := charts.NewBarChartOptionWithData([][]float64{issued})
	opt.CategoryAxis.Labels = labels(r)
	opt.ValueAxis = zeroAxis()
	opt.Legend = charts.LegendOption{SeriesNames: []string{"goodwill credited, " + cur}}
	opt.ValueFormatter = moneyAxis(cur)
	return svg(func(p *charts.Painter) error { return p.BarChart(opt) })
}

func owedSVG(r Report, cur string) (template.HTML, error) {
	var used, voided, expired []float64
	for _, l := range r.Liability {
		if l.Currency == cur {
			used = append(used, major(l.UsedMinor, cur))
			voided = append(voided, major(l.VoidedMinor, cur))
			expired = append(expired, major(l.ExpiredMinor, cur))
		}
	}
	var out []float64
	for _, l := range r.Liability {
		if l.Currency == cur {
			out = append(out, major(l.OutstandingMinor, cur))
		}
	}
	opt := charts.NewBarChartOptionWithData([][]float64{used, voided, expired})
	opt.StackSeries = charts.Ptr(true)
	opt.CategoryAxis.Labels = labels(r)
	opt.ValueAxis = zeroAxis()
	opt.Legend = charts.LegendOption{SeriesNames: []string{"used", "voided", "expired (breakage)"}}
	opt.ValueFormatter = moneyAxis(cur)
	flows, err := svg(func(p *charts.Painter) error { return p.BarChart(opt) })
	if err != nil {
		return "", err
	}
	line := charts.NewLineChartOptionWithData([][]float64{out})
	line.XAxis.Labels = labels(r)
	line.YAxis = []charts.YAxisOption{{Min: charts.Ptr(0.0)}}
	line.Legend = charts.LegendOption{SeriesNames: []string{"outstanding at month end, " + cur}}
	line.ValueFormatter = moneyAxis(cur)
	owed, err := svg(func(p *charts.Painter) error { return p.LineChart(line) })
	if err != nil {
		return "", err
	}
	return owed + flows, nil
}

// minutes is a duration for the response chart; missing months are gaps.
func minutes(sec *int64) float64 {
	if sec == nil {
		return charts.GetNullValue()
	}
	return math.Round(float64(*sec)/6) / 10
}

func responseSVG(r Report) (template.HTML, error) {
	rt := r.ResponseTimes
	var am, a90, fm, f90, at, ft []float64
	for _, m := range rt.Months {
		am = append(am, minutes(m.ApologyMedianSeconds))
		a90 = append(a90, minutes(m.ApologyP90Seconds))
		fm = append(fm, minutes(m.FixMedianSeconds))
		f90 = append(f90, minutes(m.FixP90Seconds))
		at = append(at, minutes(&rt.ApologyTargetSeconds))
		ft = append(ft, minutes(&rt.FixTargetSeconds))
	}
	opt := charts.NewLineChartOptionWithData([][]float64{am, a90, fm, f90, at, ft})
	opt.XAxis.Labels = labels(r)
	opt.YAxis = []charts.YAxisOption{{Min: charts.Ptr(0.0)}}
	opt.Legend = charts.LegendOption{SeriesNames: []string{"apology median", "apology p90", "fix median", "fix p90",
		"apology target", "fix target"}}
	opt.ValueFormatter = func(v float64) string { return Short(int64(math.Round(v * 60))) }
	return svg(func(p *charts.Painter) error { return p.LineChart(opt) })
}

func incidentsSVG(r Report) (template.HTML, error) {
	var crit, high, norm, low []float64
	for _, m := range r.Incidents {
		crit = append(crit, float64(m.Critical))
		high = append(high, float64(m.High))
		norm = append(norm, float64(m.Normal))
		low = append(low, float64(m.Low))
	}
	opt := charts.NewBarChartOptionWithData([][]float64{low, norm, high, crit})
	opt.StackSeries = charts.Ptr(true)
	opt.CategoryAxis.Labels = labels(r)
	opt.ValueAxis = zeroAxis()
	opt.Legend = charts.LegendOption{SeriesNames: []string{"low", "normal", "high", "critical"}}
	return svg(func(p *charts.Painter) error { return p.BarChart(opt) })
}

func notesSVG(r Report) (template.HTML, error) {
	var labels []string
	var n []float64
	for _, o := range r.Thanks.Sent {
		labels = append(labels, strings.ReplaceAll(o.Occasion, "_", " "))
		n = append(n, float64(o.Notes))
	}
	opt := charts.NewBarChartOptionWithData([][]float64{n})
	opt.Horizontal = true
	opt.ValueAxis = zeroAxis()
	opt.CategoryAxis.Labels = labels
	opt.Legend = charts.LegendOption{SeriesNames: []string{"thank-you notes sent"}}
	return svg(func(p *charts.Painter) error { return p.BarChart(opt) })
}

const pageTemplate = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>makegood report · {{.From}} to {{.To}}</title>
<style>
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0 auto; max-width: 60rem; padding: 1rem; color: #222; line-height: 1.4; }
h1 { font-size: 1.5rem; margin-bottom: 0; }
h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid #ddd; }
.meta { color: #666; margin-top: 0.2rem; }
figure { margin: 1rem 0; break-inside: avoid; page-break-inside: avoid; }
figure svg { width: 100%; height: auto; display: block; }
figcaption { color: #555; font-size: 0.9rem; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; font-size: 0.85rem; font-variant-numeric: tabular-nums; }
th, td { padding: 0.2rem 0.5rem; border-bottom: 1px solid #eee; text-align: right; white-space: nowrap; }
th:first-child, td:first-child, td.text { text-align: left; }
td.why { text-align: left; white-space: normal; }
.overdue { color: #a40000; font-weight: 600; }
section { break-inside: avoid-page; }
@media print {
  body { max-width: none; padding: 0; font-size: 10pt; }
  h2 { break-before: auto; break-after: avoid; }
  figure, table { break-inside: avoid; page-break-inside: avoid; }
  .scroll { overflow: visible; }
  a { color: inherit; text-decoration: none; }
}
</style>
</head>
<body>
<h1>makegood report</h1>
<p class="meta">{{.From}} to {{.To}}{{with .Currency}} · {{.}} only{{end}} · generated {{.GeneratedAt}}</p>
{{range .Sections}}{{$cur := .Currency}}
<section>
<h2>Goodwill given per month, {{.Currency}}</h2>
<figure>{{.Goodwill}}<figcaption>Credits issued each month against monthly recurring revenue from customers' prices (a yearly price counts for a twelfth).</figcaption></figure>
<div class="scroll"><table>
<tr><th>month</th><th>credits</th><th>issued</th><th>MRR</th><th>share of MRR</th></tr>
{{range .GoodwillRows}}<tr><td>{{.Month}}</td><td>{{.Credits}}</td><td>{{money .IssuedMinor $cur}}</td><td>{{money .MRRMinor $cur}}</td><td>{{with .ShareOfMRR}}{{.}}%{{else}}–{{end}}</td></tr>
{{end}}</table></div>
</section>
<section>
<h2>Owed to customers, {{.Currency}}</h2>
<figure>{{.Owed}}<figcaption>Outstanding is the open balance at each month's end; it moves by what is issued, used on invoices, voided and left to expire (breakage).</figcaption></figure>
<div class="scroll"><table>
<tr><th>month</th><th>outstanding</th><th>issued</th><th>used</th><th>voided</th><th>expired</th></tr>
{{range .Liability}}<tr><td>{{.Month}}</td><td>{{money .OutstandingMinor $cur}}</td><td>{{money .IssuedMinor $cur}}</td><td>{{money .UsedMinor $cur}}</td><td>{{money .VoidedMinor $cur}}</td><td>{{money .ExpiredMinor $cur}}</td></tr>
{{end}}</table></div>
</section>
{{else}}<p>No credits and no customers' prices in this range.</p>
{{end}}
<section>
<h2>Gestures per month</h2>
<div class="scroll"><table><tr><th>month</th>{{range .Gestures}}<td>{{.Month}}</td>{{end}}</tr><tr><th>gestures</th>{{range .Gestures}}<td>{{.Gestures}}</td>{{end}}</tr></table></div>
</section>
<section>
<h2>Time to apology and to fix</h2>
<figure>{{.Response}}<figcaption>Median and 90th percentile per month of incidents' start, from the report. The seeds' rule of thumb: an apology within {{dur .ResponseTimes.ApologyTargetSeconds}}, a fix within {{dur .ResponseTimes.FixTargetSeconds}} — minutes, not days.</figcaption></figure>
<div class="scroll"><table>
<tr><th>month</th><th>incidents</th><th>apology median</th><th>apology p90</th><th>within target</th><th>fix median</th><th>fix p90</th><th>within target</th><th>still open</th></tr>
{{range .ResponseTimes.Months}}<tr><td>{{.Month}}</td><td>{{.Incidents}}</td><td>{{short .ApologyMedianSeconds}}</td><td>{{short .ApologyP90Seconds}}</td><td>{{.ApologiesWithinTarget}}/{{.Apologized}}</td><td>{{short .FixMedianSeconds}}</td><td>{{short .FixP90Seconds}}</td><td>{{.FixesWithinTarget}}/{{.Fixed}}</td><td>{{.Open}}</td></tr>
{{end}}</table></div>
</section>
<section>
<h2>Incidents per month by severity</h2>
<figure>{{.Incidents}}</figure>
</section>
<section>
<h2>Customers with repeat incidents</h2>
<p class="meta">{{.Repeats.MinIncidents}} or more incidents since {{.Repeats.Since}}: reach out personally and fix the root cause.</p>
{{if .Repeats.Customers}}<div class="scroll"><table>
<tr><th>customer</th><th>name</th><th>incidents</th><th>last</th></tr>
{{range .Repeats.Customers}}<tr><td class="text">{{.Customer}}</td><td class="text">{{str .Name}}</td><td>{{.Incidents}}</td><td>{{.LastIncident}}</td></tr>
{{end}}</table></div>{{else}}<p>Nobody was hurt twice.</p>{{end}}
</section>
<section>
<h2>Thank-you notes</h2>
<figure>{{.Notes}}<figcaption>{{.Thanks.SentTotal}} notes sent in this range.</figcaption></figure>
<p>Due now: {{.Thanks.DueCount}}, of them overdue (due for {{.Thanks.OverdueDays}} days or more): {{.Thanks.OverdueCount}}.</p>
{{if .Thanks.Due}}<div class="scroll"><table>
<tr><th>customer</th><th>name</th><th>occasion</th><th>since</th><th>days</th><th>why</th></tr>
{{range .Thanks.Due}}<tr{{if .Overdue}} class="overdue"{{end}}><td class="text">{{.Customer}}</td><td class="text">{{str .Name}}</td><td class="text">{{.Key}}</td><td>{{str .Since}}</td><td>{{with .DaysDue}}{{.}}{{end}}</td><td class="why">{{.Why}}</td></tr>
{{end}}</table></div>{{end}}
</section>
</body>
</html>
`
