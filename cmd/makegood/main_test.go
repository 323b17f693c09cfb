package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain lets the testscript scripts run this very binary as `makegood`.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){"makegood": main})
}

// TestScripts runs the end-to-end scripts in testdata/script against the
// real binary, each in a fresh HOME with its own ledger. $LEDGER names the
// default ledger file so scripts can inspect it with sqlite3.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 filepath.Join("..", "..", "testdata", "script"),
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			home := filepath.Join(env.WorkDir, "home")
			env.Setenv("HOME", home)
			env.Setenv("XDG_DATA_HOME", filepath.Join(home, ".local", "share"))
			env.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
			env.Setenv("LEDGER", filepath.Join(home, ".local", "share", "makegood", "ledger.db"))
			env.Setenv("TZ", "UTC")
			env.Values[smtpdKey{}] = &smtpdState{}
			return os.MkdirAll(home, 0o755)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"filemode": cmdFilemode,
			"mailcat":  cmdMailcat,
			"smtpd":    cmdSMTPD,
		},
	})
}
