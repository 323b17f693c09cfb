package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/makegood/makegood/internal/ledger"
	"github.com/makegood/makegood/internal/report"
	"github.com/makegood/makegood/internal/report/reporttest"
	"github.com/makegood/makegood/internal/store/sqlite"
	"github.com/makegood/makegood/pkg/money"
)

// requireTool finds a program from a Debian package the test needs. Off CI
// a missing one skips the test, naming the package; with CI set it fails,
// so CI never passes without having run it.
func requireTool(t *testing.T, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s is not installed (Debian package %s) and CI is set", name, pkg)
	}
	t.Skipf("%s is not installed: apt-get install %s", name, pkg)
	return ""
}

// bookLedger is the report fixture plus customers whose ids need mapping
// to account names, in a ledger file, and the environment to run
// makegood on it at the fixture's present.
func bookLedger(t *testing.T) (db string, env []string) {
	t.Helper()
	dir := t.TempDir()
	db = filepath.Join(dir, "ledger.db")
	st, err := sqlite.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	reporttest.Fill(t, st)
	ctx := context.Background()
	// Ids that are not valid Beancount components, and two that differ
	// only in case or by what the mapping writes: each must get its own
	// account.
	for i, id := range []string{"acme", "X-cus-5F123", "Émile", "a:b c"} {
		if err := st.AddCustomer(ctx, ledger.Customer{ID: id, Currency: "USD", Period: ledger.PeriodMonth,
			CreatedAt: reporttest.Now, UpdatedAt: reporttest.Now}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := st.IssueCredit(ctx, ledger.NewCredit{Customer: id, AmountMinor: int64(101 + i), Currency: "USD",
			Reason: "bug", IssuedAt: reporttest.Now.Add(-time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	// Something still owed in KWD, to see its three decimals.
	if _, _, err := st.IssueCredit(ctx, ledger.NewCredit{Customer: "kw-1", AmountMinor: 2505, Currency: "KWD",
		Reason: "outage", IssuedAt: reporttest.Now.Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	return db, append(os.Environ(), "MAKEGOOD_DB="+db, "HOME="+dir, "XDG_CONFIG_HOME="+dir,
		"MAKEGOOD_NOW="+reporttest.Now.Format(time.RFC3339), "MAKEGOOD_NO_INPUT=1")
}

func runMakegood(t *testing.T, env []string, args ...string) string {
	t.Helper()
	bin, err := exec.LookPath("makegood")
	if err != nil {
		t.Fatalf("makegood is not on PATH: %v", err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("makegood %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return string(out)
}

// wantBalances is `credit balance --json` as account → currency → minor
// units, the way the books hold it: minus what is owed.
func wantBalances(t *testing.T, env []string) map[string]map[string]int64 {
	t.Helper()
	var bs []struct {
		Customer     string `json:"customer"`
		Currency     string `json:"currency"`
		BalanceMinor int64  `json:"balance_minor"`
	}
	if err := json.Unmarshal([]byte(runMakegood(t, env, "credit", "balance", "--json")), &bs); err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]int64{}
	for _, b := range bs {
		acct := report.AccountLiabilities + ":" + report.CustomerComponent(b.Customer)
		if out[acct] == nil {
			out[acct] = map[string]int64{}
		}
		out[acct][b.Currency] = -b.BalanceMinor
	}
	if len(out) < 6 {
		t.Fatalf("only %d balances: the fixture should owe more customers", len(out))
	}
	return out
}

// minorOf reads a tool's decimal amount into minor units of the currency,
// refusing more decimals than the currency has (that would be a
// rounding, not the ledger's amount).
func minorOf(t *testing.T, s, cur string) int64 {
	t.Helper()
	s = strings.TrimSpace(s)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimLeft(s, "+-")
	digits, err := money.Digits(cur)
	if err != nil {
		t.Fatal(err)
	}
	whole, frac, _ := strings.Cut(s, ".")
	if len(frac) > digits {
		t.Fatalf("amount %q %s has more decimals than %s allows", s, cur, cur)
	}
	v, err := strconv.ParseInt(whole+frac+strings.Repeat("0", digits-len(frac)), 10, 64)
	if err != nil {
		t.Fatalf("amount %q %s: %v", s, cur, err)
	}
	if neg {
		v = -v
	}
	return v
}

// compareLiabilities checks every customer's liability account in got
// against credit balance, both ways: nothing missing, nothing extra.
func compareLiabilities(t *testing.T, tool string, got, want map[string]map[string]int64) {
	t.Helper()
	for acct, curs := range want {
		for cur, w := range curs {
			if g := got[acct][cur]; g != w {
				t.Errorf("%s: %s %s = %d minor units, credit balance says %d", tool, acct, cur, g, w)
			}
		}
	}
	for acct, curs := range got {
		if !strings.HasPrefix(acct, report.AccountLiabilities+":") {
			continue
		}
		for cur, g := range curs {
			if g != 0 && want[acct][cur] != g {
				t.Errorf("%s: %s holds %d %s that credit balance does not show", tool, acct, g, cur)
			}
		}
	}
}

// TestExportHledgerBalances: `hledger -f export.journal bal` reproduces
// `credit balance` to the minor unit in USD, EUR, JPY (no decimals) and
// KWD (three), with the commodity directives setting each precision.
func TestExportHledgerBalances(t *testing.T) {
	hledger := requireTool(t, "hledger", "hledger")
	_, env := bookLedger(t)
	journal := filepath.Join(t.TempDir(), "export.journal")
	runMakegood(t, env, "export", "--format", "hledger", "--output", journal)
	if fi, err := os.Stat(journal); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("export file: %v, mode %v", err, fi.Mode())
	}
	// The accountant's command, as the README gives it, must run clean.
	if out, err := exec.Command(hledger, "-f", journal, "bal").CombinedOutput(); err != nil {
		t.Fatalf("hledger bal: %v\n%s", err, out)
	}
	out, err := exec.Command(hledger, "-f", journal, "bal", "--flat", "--empty", "-O", "csv").Output()
	if err != nil {
		t.Fatalf("hledger bal -O csv: %v", err)
	}
	got := map[string]map[string]int64{}
	rows, err := csv.NewReader(strings.NewReader(string(out))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows[1:] {
		if r[0] == "total" || r[0] == "Total:" {
			continue
		}
		// A multi-currency balance is "1.00 USD, 2 JPY".
		for _, amt := range strings.Split(r[1], ",") {
			f := strings.Fields(amt)
			if len(f) != 2 {
				continue
			}
			if got[r[0]] == nil {
				got[r[0]] = map[string]int64{}
			}
			got[r[0]][f[1]] += minorOf(t, f[0], f[1])
		}
	}
	compareLiabilities(t, "hledger", got, wantBalances(t, env))
	// JPY and KWD print with their own precision.
	text, _ := exec.Command(hledger, "-f", journal, "bal", "Liabilities").Output()
	for _, want := range []string{"-1000 JPY", "-2.505 KWD", "-97.34 USD"} {
		if !strings.Contains(string(text), want) {
			t.Errorf("hledger bal shows no %q:\n%s", want, text)
		}
	}
}

// TestExportBeancountBalances: bean-check accepts the file (accounts
// opened, names valid, every transaction balanced), bean-report prints
// its balances, and bean-query's sums reproduce `credit balance`.
func TestExportBeancountBalances(t *testing.T) {
	check := requireTool(t, "bean-check", "beancount")
	query := requireTool(t, "bean-query", "beancount")
	reportTool := requireTool(t, "bean-report", "beancount")
	_, env := bookLedger(t)
	file := filepath.Join(t.TempDir(), "export.beancount")
	runMakegood(t, env, "export", "--format", "beancount", "--output", file)
	if out, err := exec.Command(check, file).CombinedOutput(); err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Fatalf("bean-check: %v\n%s", err, out)
	}
	if out, err := exec.Command(reportTool, file, "balances").CombinedOutput(); err != nil || !strings.Contains(string(out), report.AccountLiabilities) {
		t.Fatalf("bean-report balances: %v\n%s", err, out)
	}
	out, err := exec.Command(query, "-f", "csv", file,
		// sum(position) prints each currency with its own precision (a
		// sum of numbers would share one precision across currencies).
		"SELECT account, currency, sum(position) AS n GROUP BY account, currency").Output()
	if err != nil {
		t.Fatalf("bean-query: %v", err)
	}
	rows, err := csv.NewReader(strings.NewReader(string(out))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]map[string]int64{}
	for _, r := range rows[1:] {
		acct, cur := strings.TrimSpace(r[0]), strings.TrimSpace(r[1])
		f := strings.Fields(r[2])
		if len(f) == 0 {
			continue // an empty position: nothing left in the account
		}
		if len(f) != 2 || f[1] != cur {
			t.Fatalf("bean-query position %q for %s", r[2], cur)
		}
		if got[acct] == nil {
			got[acct] = map[string]int64{}
		}
		got[acct][cur] += minorOf(t, f[0], cur)
	}
	compareLiabilities(t, "bean-query", got, wantBalances(t, env))
}

// TestExportStopsAtTo: with --to, only what happened by then is in the
// books, and they balance to the ledger as it stood then.
func TestExportStopsAtTo(t *testing.T) {
	db, env := bookLedger(t)
	var books struct {
		Transactions []report.JSONTransaction `json:"transactions"`
	}
	if err := json.Unmarshal([]byte(runMakegood(t, env, "export", "--format", "json", "--to", "2026-05-31")), &books); err != nil {
		t.Fatal(err)
	}
	sum := map[string]int64{}
	kinds := map[string]int{}
	for _, tx := range books.Transactions {
		if tx.Date > "2026-05-31" {
			t.Errorf("transaction of %s after --to", tx.Date)
		}
		kinds[tx.Kind]++
		var net int64
		for _, p := range tx.Postings {
			net += p.AmountMinor
			if strings.HasPrefix(p.Account, report.AccountLiabilities) {
				sum[p.Currency] += p.AmountMinor
			}
		}
		if net != 0 {
			t.Errorf("transaction %+v does not balance", tx)
		}
	}
	st, err := sqlite.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	end := "2026-06-01T00:00:00.000000Z"
	for _, cur := range []string{"USD", "JPY"} {
		var want int64
		if err := st.DB().QueryRow(`SELECT COALESCE(SUM(amount_minor), 0) FROM credit_entries
			WHERE currency = ? AND at < ? AND (expires_at IS NULL OR expires_at >= ?)`, cur, end, end).Scan(&want); err != nil {
			t.Fatal(err)
		}
		if sum[cur] != -want {
			t.Errorf("%s owed at the end of May: books %d, ledger %d", cur, -sum[cur], want)
		}
	}
	// April's 5.00 expired on 1 May; the 15.00 expiring on 1 June has not
	// by the end of 31 May.
	if kinds[report.EventExpire] != 1 || kinds["issue"] < 5 || kinds["apply"] != 3 {
		t.Errorf("kinds %v", kinds)
	}
}

// TestExportCSV: one row per posting, gestures as rows without account.
func TestExportCSV(t *testing.T) {
	_, env := bookLedger(t)
	rows, err := csv.NewReader(strings.NewReader(runMakegood(t, env, "export", "--format", "csv"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(rows[0], ","); got != "txn,date,at,kind,credit,customer,account,amount,amount_minor,currency,reason,invoice,incident,gesture,note" {
		t.Fatalf("header %s", got)
	}
	gestures, postings := 0, 0
	for _, r := range rows[1:] {
		if r[3] == "gesture" {
			gestures++
			if r[6] != "" || r[7] != "" {
				t.Errorf("gesture row with money: %v", r)
			}
			continue
		}
		postings++
	}
	if gestures != 2 || postings%2 != 0 {
		t.Errorf("%d gestures, %d postings", gestures, postings)
	}
}

// TestExportJSON: the JSON books of the fixture hold a posting for every
// posting the CSV export has and a transaction for every money entry of
// the ledger, each transaction sums to zero per currency, every account
// posted to is declared, and the liabilities reproduce `credit balance`
// as hledger's and Beancount's do.
func TestExportJSON(t *testing.T) {
	db, env := bookLedger(t)
	var books struct {
		Currencies []string `json:"currencies"`
		Accounts   []struct {
			Account string `json:"account"`
		} `json:"accounts"`
		Transactions []report.JSONTransaction `json:"transactions"`
	}
	if err := json.Unmarshal([]byte(runMakegood(t, env, "export", "--format", "json")), &books); err != nil {
		t.Fatal(err)
	}
	declared := map[string]bool{}
	for _, a := range books.Accounts {
		declared[a.Account] = true
	}
	type leg struct {
		kind    string
		credit  int64
		account string
		minor   int64
		cur     string
	}
	got := map[string]map[string]int64{}
	legs := map[leg]int{}
	entries := map[leg]int{} // one per transaction: kind, credit, currency and the liability leg's size
	gestures := 0
	for _, tx := range books.Transactions {
		if tx.Kind == "gesture" {
			gestures++
			if len(tx.Postings) != 0 {
				t.Errorf("gesture with postings: %+v", tx)
			}
			continue
		}
		if len(tx.Postings) != 2 {
			t.Errorf("transaction with %d postings: %+v", len(tx.Postings), tx)
		}
		net := map[string]int64{}
		var size int64
		for _, p := range tx.Postings {
			net[p.Currency] += p.AmountMinor
			size = max(size, p.AmountMinor)
			if !declared[p.Account] {
				t.Errorf("posting to undeclared account %s", p.Account)
			}
			if want := money.DecimalString(p.AmountMinor, p.Currency); p.Amount != want {
				t.Errorf("posting amount %q, amount_minor says %q", p.Amount, want)
			}
			legs[leg{tx.Kind, tx.Credit, p.Account, p.AmountMinor, p.Currency}]++
			if got[p.Account] == nil {
				got[p.Account] = map[string]int64{}
			}
			got[p.Account][p.Currency] += p.AmountMinor
		}
		for cur, n := range net {
			if n != 0 {
				t.Errorf("transaction %s %s credit %d is off by %d %s", tx.Date, tx.Kind, tx.Credit, n, cur)
			}
		}
		if tx.Kind != report.EventExpire {
			entries[leg{kind: tx.Kind, credit: tx.Credit, minor: size, cur: tx.Postings[0].Currency}]++
		}
	}
	compareLiabilities(t, "export --format json", got, wantBalances(t, env))

	// Every posting of the CSV books, the same number of times.
	rows, err := csv.NewReader(strings.NewReader(runMakegood(t, env, "export", "--format", "csv"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	csvLegs := map[leg]int{}
	csvGestures := 0
	for _, r := range rows[1:] {
		if r[3] == "gesture" {
			csvGestures++
			continue
		}
		credit, err1 := strconv.ParseInt(r[4], 10, 64)
		minor, err2 := strconv.ParseInt(r[8], 10, 64)
		if err1 != nil || err2 != nil {
			t.Fatalf("csv row %v", r)
		}
		csvLegs[leg{r[3], credit, r[6], minor, r[9]}]++
	}
	if len(csvLegs) == 0 || gestures != csvGestures {
		t.Errorf("csv: %d postings, %d gestures; json: %d gestures", len(csvLegs), csvGestures, gestures)
	}
	for l, n := range csvLegs {
		if legs[l] != n {
			t.Errorf("posting %+v: %d in the CSV books, %d in the JSON", l, n, legs[l])
		}
	}
	for l, n := range legs {
		if csvLegs[l] != n {
			t.Errorf("posting %+v: %d in the JSON books, %d in the CSV", l, n, csvLegs[l])
		}
	}

	// Every money entry of the ledger is one transaction.
	st, err := sqlite.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	q, err := st.DB().Query(`SELECT e.kind, e.credit_id, abs(e.amount_minor), e.currency FROM credit_entries e
		JOIN credits c ON c.id = e.credit_id WHERE c.gesture IS NULL AND e.amount_minor <> 0`)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	ledgerEntries := map[leg]int{}
	for q.Next() {
		var l leg
		if err := q.Scan(&l.kind, &l.credit, &l.minor, &l.cur); err != nil {
			t.Fatal(err)
		}
		ledgerEntries[l]++
	}
	if err := q.Err(); err != nil {
		t.Fatal(err)
	}
	if len(ledgerEntries) < 10 {
		t.Fatalf("only %d ledger entries: the fixture should hold more", len(ledgerEntries))
	}
	for l, n := range ledgerEntries {
		if entries[l] != n {
			t.Errorf("ledger entry %+v: %d in the ledger, %d transactions in the JSON", l, n, entries[l])
		}
	}
	for l, n := range entries {
		if ledgerEntries[l] != n {
			t.Errorf("JSON transaction %+v: %d in the JSON, %d in the ledger", l, n, ledgerEntries[l])
		}
	}
}
