// Package pgtest gives tests a PostgreSQL server and a new, empty
// database per test.
//
// The server is MAKEGOOD_TEST_POSTGRES_URL (a URL of a role that may
// create databases; .ci/run starts one and sets it). Without it:
//   - when CI is set, a test that needs PostgreSQL fails: CI runs every
//     test on both engines;
//   - otherwise, if PostgreSQL's server programs are installed
//     (/usr/lib/postgresql/*/bin, Debian's postgresql package) and the
//     tests do not run as root (initdb refuses root), the first test to
//     ask starts a throwaway cluster of its own in a temporary directory,
//     stopped when the test binary ends (Main);
//   - else the test is skipped, naming the package to install.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvURL names the server tests use.
const EnvURL = "MAKEGOOD_TEST_POSTGRES_URL"

// own is the cluster this test binary started, if it had to: started at
// most once, stopped by Main. A test binary is one process, so this is
// its one piece of shared state.
var own struct {
	once sync.Once
	url  string
	dir  string
	bin  string
	err  error
	skip string
}

// Main runs the tests and then stops the cluster they started, if any:
// call it from TestMain (os.Exit(pgtest.Main(m))), or wrap m with Wrap for
// a TestMain that exits by itself (testscript.Main).
func Main(m interface{ Run() int }) int {
	code := m.Run()
	Stop()
	return code
}

// Wrap is m with Main's cleanup after its Run.
func Wrap(m interface{ Run() int }) interface{ Run() int } { return runner{m} }

type runner struct{ m interface{ Run() int } }

func (r runner) Run() int { return Main(r.m) }

// Stop stops the cluster this binary started, if it started one.
func Stop() {
	if own.dir == "" {
		return
	}
	cmd := exec.Command(filepath.Join(own.bin, "pg_ctl"), "-D", filepath.Join(own.dir, "data"), "-m", "immediate", "-w", "stop")
	_ = cmd.Run()
	_ = os.RemoveAll(own.dir)
	own.dir = ""
}

// Server is the URL of the server tests use (see the package comment); it
// skips or fails t when there is none.
func Server(t testing.TB) string {
	t.Helper()
	u, skip, err := ServerURL()
	switch {
	case skip != "":
		t.Skip(skip)
	case err != nil:
		t.Fatal(err)
	}
	return u
}

// ServerURL is Server for code without a test at hand: the server's URL,
// or why tests of PostgreSQL are skipped here, or why they fail.
func ServerURL() (u, skip string, err error) {
	if u := os.Getenv(EnvURL); u != "" {
		return u, "", nil
	}
	if os.Getenv("CI") != "" {
		return "", "", fmt.Errorf("%s is not set and CI is: the PostgreSQL tests must run in CI "+
			"(.ci/run starts a cluster from Debian's postgresql package)", EnvURL)
	}
	own.once.Do(start)
	if own.err != nil {
		return "", "", fmt.Errorf("start a throwaway PostgreSQL cluster: %w", own.err)
	}
	return own.url, own.skip, nil
}

// binDir is the newest installed PostgreSQL's server programs.
func binDir() string {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d
		}
	}
	return ""
}

func version(dir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
	return n
}

func start() {
	own.bin = binDir()
	switch {
	case own.bin == "":
		own.skip = fmt.Sprintf("PostgreSQL is not installed (apt-get install postgresql) and %s is not set", EnvURL)
		return
	case os.Geteuid() == 0:
		own.skip = fmt.Sprintf("%s is not set, and a throwaway cluster cannot be started as root (initdb refuses); "+
			"run the tests as another user, or set %s", EnvURL, EnvURL)
		return
	}
	dir, err := os.MkdirTemp("", "makegood-pgtest-")
	if err != nil {
		own.err = err
		return
	}
	own.dir = dir
	data := filepath.Join(dir, "data")
	if out, err := exec.Command(filepath.Join(own.bin, "initdb"), "-D", data, "-U", "postgres", "--auth=trust",
		"-E", "UTF8", "--no-sync").CombinedOutput(); err != nil {
		own.err = fmt.Errorf("initdb: %v\n%s", err, out)
		return
	}
	// Test binaries run side by side, each starting a cluster: one that
	// loses a free port to another between finding and taking it tries
	// the next.
	for attempt := 1; ; attempt++ {
		port, err := freePort()
		if err != nil {
			own.err = err
			return
		}
		opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off "+
			"-c full_page_writes=off -c max_connections=300 -c shared_buffers=32MB", port, dir)
		out, err := exec.Command(filepath.Join(own.bin, "pg_ctl"), "-D", data, "-l", filepath.Join(dir, "log"), "-o", opts,
			"-w", "start").CombinedOutput()
		if err == nil {
			own.url = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
			return
		}
		if attempt == 3 {
			log, _ := os.ReadFile(filepath.Join(dir, "log"))
			own.err = fmt.Errorf("pg_ctl start: %v\n%s\n%s", err, out, log)
			return
		}
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// NewDatabase creates an empty database for t on the server, dropped when
// t ends, and returns its URL.
func NewDatabase(t testing.TB) string {
	t.Helper()
	server := Server(t)
	u, err := CreateDatabase(context.Background(), server)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := DropDatabase(context.Background(), server, u); err != nil {
			t.Errorf("drop the test database: %v", err)
		}
	})
	return u
}

// CreateDatabase creates an empty database with a random name on the
// server and returns its URL (the server's, with that database).
func CreateDatabase(ctx context.Context, server string) (string, error) {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	name := "makegood_test_" + hex.EncodeToString(b)
	conn, err := pgx.Connect(ctx, server)
	if err != nil {
		return "", fmt.Errorf("connect to the test server: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", fmt.Errorf("create the test database: %w", err)
	}
	return WithDatabase(server, name)
}

// DropDatabase drops the database at dbURL, closing any connection left
// to it.
func DropDatabase(ctx context.Context, server, dbURL string) error {
	name, err := DatabaseName(dbURL)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, server)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
	return err
}

// WithDatabase is the URL server with its database replaced by name.
func WithDatabase(server, name string) (string, error) {
	u, err := url.Parse(server)
	if err != nil {
		return "", fmt.Errorf("%s: %w", EnvURL, err)
	}
	u.Path = "/" + name
	return u.String(), nil
}

// DatabaseName is the database a URL names.
func DatabaseName(dbURL string) (string, error) {
	u, err := url.Parse(dbURL)
	if err != nil {
		return "", err
	}
	name := strings.TrimPrefix(u.Path, "/")
	if name == "" {
		return "", fmt.Errorf("%s names no database", u.Redacted())
	}
	return name, nil
}
