package credit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/makegood/makegood/internal/cli/clitest"
	"github.com/makegood/makegood/internal/cli/cmdutil"
	"github.com/makegood/makegood/internal/ledger"
	"github.com/makegood/makegood/internal/store/postgres/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// onEngines runs f with a fresh ledger on each engine, and checks that
// no goroutine is left once the ledger is closed: the import's reader
// ends with the import, however it ends.
func onEngines(t *testing.T, f func(t *testing.T, e *clitest.Env)) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
			e := clitest.New(t, nil)
			defer e.F.Close()
			if engine == "postgres" {
				e.F.Viper.Set("db", pgtest.NewDatabase(t))
			}
			f(t, e)
		})
	}
}

// creditFile writes a credit CSV of n rows for customer a, row on line l
// keyed k-l with amount 1.00, except where edit changes the row.
func creditFile(t *testing.T, n int, edit func(line int) string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("customer,amount,currency,reason,idempotency_key\n")
	for line := 2; line < n+2; line++ {
		row := ""
		if edit != nil {
			row = edit(line)
		}
		if row == "" {
			row = fmt.Sprintf("a,1.00,USD,outage,k-%d", line)
		}
		b.WriteString(row + "\n")
	}
	path := filepath.Join(t.TempDir(), "credits.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// refused checks that an import failed as bad input with exactly the
// problems want (the message's lines after the first) and wrote nothing.
func refused(t *testing.T, st ledger.Store, err error, credits0 int, want ...string) {
	t.Helper()
	if code := cmdutil.ExitCode(err); code != 2 {
		t.Fatalf("exit %d (%v), want 2", code, err)
	}
	got := strings.Split(err.Error(), "\n")[1:]
	for i := range got {
		got[i] = strings.TrimSpace(got[i])
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if cs := credits(t, st); len(cs) != credits0 {
		t.Fatalf("the ledger holds %d credits, want %d as before", len(cs), credits0)
	}
	if imps, err := st.Imports(context.Background()); err != nil || len(imps) != 0 {
		t.Fatalf("imports recorded: %v, %v", imps, err)
	}
}

// Problems the store finds (keys recorded before with other values, keys
// repeated in the file) come after many rows were handed to it, and end
// the import as problems of their lines.
func TestBulkStoreProblemsEndTheImport(t *testing.T) {
	onEngines(t, func(t *testing.T, e *clitest.Env) {
		st := seed(t, e, ledger.Customer{ID: "a", Currency: "USD"})
		if err := issueWith(t, e, "--customer a --amount 99 --reason outage --idempotency-key k-3000"); err != nil {
			t.Fatal(err)
		}
		path := creditFile(t, 5000, func(line int) string {
			if line == 4800 {
				return "a,1.00,USD,outage,k-20"
			}
			return ""
		})
		err := issueWith(t, e, "--from-file "+path)
		refused(t, st, err, 1,
			`line 4800: idempotency_key: idempotency key "k-20" is also used on line 20; each row needs its own`,
			`line 3000: idempotency_key: `+conflictMessage(t, err))
	})
}

// conflictMessage is the store's words for k-3000's conflict, which this
// test does not own; it checks they are there.
func conflictMessage(t *testing.T, err error) string {
	t.Helper()
	for _, l := range strings.Split(err.Error(), "\n") {
		if _, msg, ok := strings.Cut(strings.TrimSpace(l), "line 3000: idempotency_key: "); ok && msg != "" {
			return msg
		}
	}
	t.Fatalf("no conflict on line 3000 in:\n%v", err)
	return ""
}

// Problems the reader finds late in a file (a bad amount, a row the CSV
// cannot fit to the header, an unknown customer) are listed by line in
// the file's order, the first 20 and a count of the rest.
func TestBulkReaderProblemsLateInTheFile(t *testing.T) {
	onEngines(t, func(t *testing.T, e *clitest.Env) {
		st := seed(t, e, ledger.Customer{ID: "a", Currency: "USD"})
		path := creditFile(t, 6000, func(line int) string {
			switch {
			case line == 4001:
				return "a,abc,USD,outage,k-4001"
			case line == 4500:
				return "a,1.00,USD,outage,k-4500,extra"
			case line > 5000 && line%40 == 0:
				return fmt.Sprintf("nobody,1.00,USD,outage,k-%d", line)
			}
			return ""
		})
		err := issueWith(t, e, "--from-file "+path)
		want := []string{
			`line 4001: amount: "abc" is not a number; write it like 25.00`,
			`line 4500: row: has 6 fields; the header has 5`,
		}
		for line := 5040; len(want) < ledger.MaxProblems; line += 40 {
			want = append(want, fmt.Sprintf(`line %d: customer: "nobody" is not in the ledger; add it first (makegood customer import), or pass --new-customers`, line))
		}
		// 25 unknown customers in lines 5001–6001, 18 of them listed.
		want = append(want, "and 7 more")
		refused(t, st, err, 0, want...)
	})
}

// cancelAfter reads r, cancelling after n bytes: a Ctrl-C while the
// import is under way.
type cancelAfter struct {
	r      io.Reader
	n      int
	cancel context.CancelFunc
}

func (c *cancelAfter) Read(p []byte) (int, error) {
	if c.n <= 0 {
		c.cancel()
	}
	k, err := c.r.Read(p[:min(len(p), 4096)])
	c.n -= k
	return k, err
}

func TestBulkCancelledWritesNothing(t *testing.T) {
	onEngines(t, func(t *testing.T, e *clitest.Env) {
		st := seed(t, e, ledger.Customer{ID: "a", Currency: "USD"})
		data, err := os.ReadFile(creditFile(t, 40_000, nil))
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		e.IO.In = &cancelAfter{r: strings.NewReader(string(data)), n: len(data) / 2, cancel: cancel}
		cmd := NewCmdIssue(e.F, nil)
		cmd.SetContext(ctx)
		err = clitest.Run(cmd, "--from-file -")
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
		if cs := credits(t, st); len(cs) != 0 {
			t.Fatalf("the ledger holds %d credits after a cancelled import", len(cs))
		}
	})
}
