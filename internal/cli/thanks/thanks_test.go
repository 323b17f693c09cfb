package thanks

import (
	"context"
	"encoding/json"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/makegood/makegood/internal/cli/clitest"
	"github.com/makegood/makegood/internal/cli/cmdutil"
	"github.com/makegood/makegood/internal/ledger"
)

// newEnv is a test Factory whose notes are signed by Zoë and written to
// the outbox beside its ledger.
func newEnv(t *testing.T) *clitest.Env {
	t.Helper()
	e := clitest.New(t, nil)
	e.F.Viper.Set("sender.email", "zoe@makegood.example")
	e.F.Viper.Set("sender.name", "Zoë")
	return e
}

func outboxDir(e *clitest.Env) string {
	return filepath.Join(filepath.Dir(e.F.Viper.GetString("db")), "outbox")
}

// Customers used across the tests, on clitest.Now = 2026-11-24:
// ana's third anniversary was 4 days ago, bo joined 4 days ago, cy is in
// neither window.
var (
	ana = ledger.Customer{ID: "ana", Name: "Ana Souza", Email: "ana@example.com", Plan: "Pro", PriceMinor: 4900,
		Currency: "USD", Since: date("2023-11-20"), Tags: []string{"vip"}}
	bo = ledger.Customer{ID: "bo@example.com", Name: "Bo", Currency: "EUR", Since: date("2026-11-20")}
	cy = ledger.Customer{ID: "cy", Name: "Cy Young", Email: "cy@example.com", Currency: "USD", PriceMinor: 900,
		Since: date("2024-03-01"), Tags: []string{"vip"}}
)

func date(s string) time.Time {
	t, err := ledger.ParseDate("since", s)
	if err != nil {
		panic(err)
	}
	return t
}

func seed(t *testing.T, e *clitest.Env, customers ...ledger.Customer) ledger.Store {
	t.Helper()
	st, err := e.F.Store(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range customers {
		c.CreatedAt, c.UpdatedAt, c.Period = clitest.Now, clitest.Now, "month"
		if err := st.AddCustomer(context.Background(), c); err != nil {
			t.Fatal(err)
		}
	}
	return st
}

func notes(t *testing.T, st ledger.Store, f ledger.ThanksFilter) []ledger.ThankYouNote {
	t.Helper()
	ns, err := st.ThankYouNotes(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	return ns
}

// summary is one line per note, oldest first: "customer key via status".
func summary(ns []ledger.ThankYouNote) string {
	var out []string
	for i := len(ns) - 1; i >= 0; i-- {
		n := ns[i]
		out = append(out, strings.Join([]string{n.Customer, n.Key, n.Via, n.Status}, " "))
	}
	return strings.Join(out, "\n")
}

func credits(t *testing.T, st ledger.Store) []ledger.Credit {
	t.Helper()
	cs, err := st.Credits(context.Background(), ledger.CreditFilter{Now: clitest.Now})
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// outbox parses every .eml file in dir, checking each is private.
func outbox(t *testing.T, dir string) map[string]*mail.Message {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*mail.Message{}
	for _, en := range entries {
		path := filepath.Join(dir, en.Name())
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", en.Name(), fi.Mode().Perm())
		}
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		m, err := mail.ReadMessage(f)
		if err != nil {
			t.Fatalf("%s does not parse: %v", en.Name(), err)
		}
		to, err := m.Header.AddressList("To")
		if err != nil || len(to) != 1 {
			t.Fatalf("%s: To %v %v", en.Name(), to, err)
		}
		out[to[0].Address] = m
		t.Cleanup(func() { f.Close() })
	}
	return out
}

func subject(t *testing.T, m *mail.Message) string {
	t.Helper()
	s, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func body(t *testing.T, m *mail.Message) string {
	t.Helper()
	b, err := io.ReadAll(quotedprintable.NewReader(m.Body))
	if err != nil {
		t.Fatal(err)
	}
	return strings.ReplaceAll(string(b), "\r\n", "\n")
}

func keys(m map[string]any) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func decodeJSON(t *testing.T, s string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(s), v); err != nil {
		t.Fatalf("%v in:\n%s", err, s)
	}
}

func wantExit(t *testing.T, err error, code int, msg string) {
	t.Helper()
	if got := cmdutil.ExitCode(err); got != code {
		t.Fatalf("exit %d (err %v), want %d", got, err, code)
	}
	if msg != "" && (err == nil || !strings.Contains(err.Error(), msg)) {
		t.Fatalf("err = %v, want %q", err, msg)
	}
}
