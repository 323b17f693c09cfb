package cmdutil

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/spf13/viper"

	"github.com/makegood/makegood/internal/iostreams"
)

func TestUnknownConfigKeys(t *testing.T) {
	got := UnknownConfigKeys([]string{
		"db", "currency", "goodwil.cap_bp", "goodwill.cap_bp", "goodwill.monthly_budget.usd", "goodwill.monthly_budget",
		"goodwill.severity_permille.high", "goodwill.severity_permille.hgh", "plans.pro.price", "apology.rules.stock_phrases",
		"apology.rule.stock_phrases", "smtp.hots", "thanks.cooldown", "goodwill.monthly_budgetx",
	})
	want := []string{"apology.rule.stock_phrases", "goodwil.cap_bp", "goodwill.monthly_budgetx", "goodwill.severity_permille.hgh", "smtp.hots"}
	if !slices.Equal(got, want) {
		t.Fatalf("unknown %q, want %q", got, want)
	}
	for key, near := range map[string]string{
		"goodwil.cap_bp":                   "goodwill.cap_bp",
		"goodwill.cap_pb":                  "goodwill.cap_bp",
		"goodwill.severity_permille.hgh":   "goodwill.severity_permille.high",
		"apology.rule.stock_phrases":       "apology.rules.stock_phrases",
		"colour":                           "",
		"goodwill.something_else_entirely": "",
	} {
		if got := nearestKey(key); got != near {
			t.Errorf("nearestKey(%q) = %q, want %q", key, got, near)
		}
	}
}

// TestConfigWarnsAboutUnknownKeys reads a real config file through the
// Factory, as every command does.
func TestConfigWarnsAboutUnknownKeys(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte("currency: USD\ngoodwil:\n  cap_bp: 15000\nsender:\n  name: Zoë\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ios, _, _, errOut := iostreams.Test()
	v := viper.New()
	v.Set("config", path)
	f := &Factory{IOStreams: ios, Viper: v, Getenv: func(string) string { return "" }}
	if _, err := f.Config(); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Config(); err != nil { // read once, warned once
		t.Fatal(err)
	}
	want := "makegood: warning: " + path + `: unknown key "goodwil.cap_bp" is ignored (did you mean "goodwill.cap_bp"?)` + "\n"
	if errOut.String() != want {
		t.Fatalf("stderr %q, want %q", errOut, want)
	}
}

// TestConfigKeysCoverReads finds every config key the commands read with
// a literal (cfg.GetString("smtp.host"), IsSet, UnmarshalKey, …) and checks
// ConfigKeys knows it, so a new setting cannot be warned about as unknown.
func TestConfigKeysCoverReads(t *testing.T) {
	reads := map[string]string{}
	root := ".."
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		file, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(file, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) == 0 {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || !isConfigRead(sel.Sel.Name) {
				return true
			}
			if x, ok := sel.X.(*ast.SelectorExpr); ok && x.Sel.Name == "Tag" {
				return true // a struct tag, not the config
			}
			if lit, ok := call.Args[0].(*ast.BasicLit); ok && lit.Kind == token.STRING {
				if key, err := strconv.Unquote(lit.Value); err == nil {
					reads[key] = path
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(reads) < 10 {
		t.Fatalf("found only %d config reads; the scan is broken: %v", len(reads), reads)
	}
	known := ConfigKeys()
	for key, path := range reads {
		subtree := slices.ContainsFunc(known, func(k string) bool { return strings.HasPrefix(k, key+".") })
		if u := UnknownConfigKeys([]string{key}); len(u) > 0 && !subtree {
			t.Errorf("%s reads config key %q, which ConfigKeys does not list", path, key)
		}
	}
}

func isConfigRead(method string) bool {
	return method == "IsSet" || method == "UnmarshalKey" || method == "Sub" || method == "BindPFlag" ||
		(strings.HasPrefix(method, "Get") && method != "Getenv")
}
