package report

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/makegood/makegood/internal/cli/clitest"
	"github.com/makegood/makegood/internal/cli/cmdutil"
	"github.com/makegood/makegood/internal/ledger"
	"github.com/makegood/makegood/internal/report/reporttest"
	"github.com/makegood/makegood/internal/testutil/golden"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// env is a Factory on the report fixture at its present.
func env(t *testing.T, vars map[string]string) *clitest.Env {
	t.Helper()
	e := clitest.New(t, vars)
	e.F.Clock = func() time.Time { return reporttest.Now }
	st, err := e.F.Store(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	reporttest.Fill(t, st)
	return e
}

func runReport(t *testing.T, e *clitest.Env, args string) {
	t.Helper()
	if err := clitest.Run(NewCmdReport(e.F, nil), args); err != nil {
		t.Fatalf("report %s: %v\n%s", args, err, e.Stderr)
	}
}

func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	golden.Check(t, filepath.Join("testdata", name), got, *update)
}

var ansi = regexp.MustCompile("\x1b\\[[0-9;]*m")

// TestScreenAt80Columns: the terminal report at 80 columns, charts and
// all, exactly as the golden file holds it (colour codes included), and no
// line wider than 80 columns.
func TestScreenAt80Columns(t *testing.T) {
	e := env(t, nil)
	e.Terminal()
	e.IO.SetTerminalWidth(80)
	runReport(t, e, "")
	out := e.Stdout.String()
	checkGolden(t, "screen-80.golden", out)
	for i, l := range strings.Split(ansi.ReplaceAllString(out, ""), "\n") {
		if n := utf8.RuneCountInString(l); n > 80 {
			t.Errorf("line %d is %d columns: %q", i+1, n, l)
		}
	}
	plain := ansi.ReplaceAllString(out, "")
	for _, want := range []string{
		"Goodwill given per month, USD", "$97.34 given", "2 gestures",
		"Owed to customers at each month's end, USD", "$97.34 outstanding",
		"rule of thumb ┄ apology 1m, fix 15m",
		"Incidents per month by severity", "5 in all",
		"Repeat incidents, 12 months", "cus_123", "Due now 2 · overdue 1",
		"! alice@example.com welcome 10d",
	} {
		if !strings.Contains(plain, want) {
			t.Errorf("screen lacks %q", want)
		}
	}
	if !strings.Contains(out, "\x1b[32m") {
		t.Error("no colour on a terminal")
	}
}

// TestPlainWhenPipedOrNoColor: piped, with NO_COLOR or TERM=dumb, the same
// figures come as plain tables without escape codes or box drawing.
func TestPlainWhenPipedOrNoColor(t *testing.T) {
	piped := env(t, nil)
	runReport(t, piped, "")
	checkGolden(t, "plain.golden", piped.Stdout.String())
	for name, vars := range map[string]map[string]string{"NO_COLOR": {"NO_COLOR": "1"}, "TERM=dumb": {"TERM": "dumb"}} {
		e := env(t, vars)
		e.Terminal()
		runReport(t, e, "")
		if e.Stdout.String() != piped.Stdout.String() {
			t.Errorf("%s at a terminal: not the plain tables", name)
		}
	}
	if s := piped.Stdout.String(); strings.Contains(s, "\x1b") || strings.Contains(s, "┤") {
		t.Error("plain output has escape codes or chart drawing")
	}
}

func TestJSONHasEveryFigure(t *testing.T) {
	e := env(t, nil)
	runReport(t, e, "--json --currency jpy --from 2026-02-01 --to 2026-03-31")
	var r map[string]any
	if err := json.Unmarshal(e.Stdout.Bytes(), &r); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"from", "to", "generated_at", "currency", "currencies", "months", "goodwill", "gestures",
		"liability", "response_times", "incidents", "repeat_customers", "thanks"} {
		if _, ok := r[k]; !ok {
			t.Errorf("no %q in the JSON", k)
		}
	}
	if r["currency"] != "JPY" || r["from"] != "2026-02-01T00:00:00Z" || r["to"] != "2026-03-31T23:59:59Z" {
		t.Errorf("currency %v from %v to %v", r["currency"], r["from"], r["to"])
	}
	g := r["goodwill"].([]any)[0].(map[string]any)
	want := map[string]any{"month": "2026-02", "currency": "JPY", "credits": 1.0, "issued": "1500", "issued_minor": 1500.0,
		"mrr": "5000", "mrr_minor": 5000.0, "share_of_mrr_percent": "30.00", "share_of_mrr_bp": 3000.0}
	for k, v := range want {
		if g[k] != v {
			t.Errorf("goodwill[0].%s = %v, want %v", k, g[k], v)
		}
	}
	l := r["liability"].([]any)[1].(map[string]any)
	if l["month"] != "2026-03" || l["used"] != "500" || l["used_minor"] != 500.0 || l["outstanding"] != "1000" {
		t.Errorf("liability[1] = %v", l)
	}
}

func TestFlagErrors(t *testing.T) {
	clitest.UsageErrors(t, func(f *cmdutil.Factory) *cobra.Command { return NewCmdReport(f, func(*Options) error { return nil }) }, map[string]string{
		"--from 2026-13-01":                 "--from",
		"--to yesterday":                    "--to",
		"--from 2026-06-01 --to 2026-05-01": "--from",
		"--currency XYZ":                    "--currency",
		"--json --html x.html":              "none of the others can be",
	})
}

// TestHTMLFile: --html writes one page with mode 0600 that needs nothing
// from the network.
func TestHTMLFile(t *testing.T) {
	e := env(t, nil)
	path := filepath.Join(t.TempDir(), "report.html")
	runReport(t, e, "--html "+path)
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("%v, mode %v", err, fi.Mode())
	}
	b, _ := os.ReadFile(path)
	page := string(b)
	// SVG's namespace names are URIs, never fetched; nothing else may be.
	bare := regexp.MustCompile(`xmlns(:\w+)?="[^"]*"`).ReplaceAllString(page, "")
	for _, bad := range []string{"<script", "http://", "https://", "<link", "@import", "src=", "url("} {
		if strings.Contains(bare, bad) {
			t.Errorf("the page contains %q: it must be self-contained", bad)
		}
	}
	if n := strings.Count(page, "<svg"); n < 10 {
		t.Errorf("%d charts, want one per figure and currency", n)
	}
	if !strings.Contains(page, "@media print") || !strings.Contains(e.Stderr.String(), "Wrote "+path) {
		t.Error("no print styles, or no message")
	}
}

// chromium finds Debian's chromium-headless-shell: skipped without it off
// CI, a failure on CI.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium-headless-shell", "/usr/lib/chromium/chromium-headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium-headless-shell is not installed (Debian package chromium-headless-shell) and CI is set")
	}
	t.Skip("chromium-headless-shell is not installed: apt-get install chromium-headless-shell")
	return ""
}

func browse(t *testing.T, bin string, args ...string) []byte {
	t.Helper()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--no-first-run", "--user-data-dir=" + t.TempDir()}
	cmd := exec.Command(bin, append(base, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium %v: %v\n%s", args, err, stderr.String())
	}
	return out
}

// TestHTMLInABrowser opens the page in a real browser, offline: the DOM it
// builds holds the charts' SVG shapes, and a screenshot of a phone-sized
// window is not blank (many colours, most of the page not one colour).
func TestHTMLInABrowser(t *testing.T) {
	bin := chromium(t)
	e := env(t, nil)
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	runReport(t, e, "--html "+page)
	dom := string(browse(t, bin, "--dump-dom", "file://"+page))
	if n := strings.Count(dom, "<svg"); n < 10 {
		t.Errorf("the browser's DOM holds %d svg elements", n)
	}
	if n := strings.Count(dom, "<path"); n < 100 {
		t.Errorf("the browser's DOM holds only %d svg paths: the charts did not render", n)
	}
	for _, want := range []string{"Goodwill given per month, USD", "Time to apology and to fix", "alice@example.com"} {
		if !strings.Contains(dom, want) {
			t.Errorf("the DOM lacks %q", want)
		}
	}
	shot := filepath.Join(dir, "shot.png")
	browse(t, bin, "--screenshot="+shot, "--window-size=420,2400", "file://"+page)
	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	colours, top := countColours(img)
	b := img.Bounds()
	if colours < 50 || float64(top) > 0.97*float64(b.Dx()*b.Dy()) {
		t.Errorf("the screenshot looks blank: %d colours, the commonest covers %d of %d pixels", colours, top, b.Dx()*b.Dy())
	}
}

func countColours(img image.Image) (int, int) {
	seen := map[[4]uint32]int{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, a := img.At(x, y).RGBA()
			seen[[4]uint32{r, g, bl, a}]++
		}
	}
	top := 0
	for _, n := range seen {
		top = max(top, n)
	}
	return len(seen), top
}

// TestReportEscapesLedgerText: a customer id holding an escape sequence
// (written by another tool) reaches the screen and a pipe the way every
// table shows it (cmdutil.Escape: ^[), never as the sequence itself.
func TestReportEscapesLedgerText(t *testing.T) {
	for _, terminal := range []bool{true, false} {
		e := env(t, nil)
		st, err := e.F.Store(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		evil := ledger.Customer{ID: "evil\x1b]0;pwned\x07", Period: "month", Since: reporttest.Now.AddDate(0, 0, -3),
			CreatedAt: reporttest.Now, UpdatedAt: reporttest.Now}
		if err := st.AddCustomer(context.Background(), evil); err != nil {
			t.Fatal(err)
		}
		if terminal {
			e.Terminal()
			e.IO.SetTerminalWidth(80)
		}
		runReport(t, e, "")
		out := e.Stdout.String()
		if !strings.Contains(out, "evil^[]0;pwned^G") || strings.Contains(out, "\x1b]0;") || strings.Contains(out, "\a") {
			t.Errorf("terminal %v: the customer is not shown escaped:\n%q", terminal, out)
		}
	}
}
