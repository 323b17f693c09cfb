package layout

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/makegood/makegood"

type pkg struct {
	ImportPath  string
	Imports     []string // of the package's own files
	TestImports []string // of its _test.go files
}

// packages lists the module's packages with the imports of their files,
// read with go/parser from the module's tree (rather than asked of go
// list) so that the test cache knows which files the answer depends on.
func packages(t *testing.T) []pkg {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(root, "go.mod")); err != nil || !strings.HasPrefix(string(b), "module "+module+"\n") {
		t.Fatalf("%s is not the root of %s: %v", root, module, err)
	}
	byDir := map[string]*pkg{}
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (name == "testdata" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		dir := filepath.Dir(path)
		p := byDir[dir]
		if p == nil {
			r, err := filepath.Rel(root, dir)
			if err != nil {
				return err
			}
			p = &pkg{ImportPath: module + "/" + filepath.ToSlash(r)}
			if r == "." {
				p.ImportPath = module
			}
			byDir[dir] = p
		}
		for _, imp := range f.Imports {
			v, err := strconv.Unquote(imp.Path.Value)
			if err != nil {
				return err
			}
			if strings.HasSuffix(name, "_test.go") {
				p.TestImports = append(p.TestImports, v)
			} else {
				p.Imports = append(p.Imports, v)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var ps []pkg
	for _, p := range byDir {
		ps = append(ps, *p)
	}
	if len(ps) < 20 {
		t.Fatalf("found %d packages under %s; is this the makegood module?", len(ps), root)
	}
	return ps
}

// rel is path inside the module, "" for a package outside it.
func rel(path string) (string, bool) {
	if path == module {
		return "", true
	}
	r, ok := strings.CutPrefix(path, module+"/")
	return r, ok
}

// noun is the command package a path inside internal/cli belongs to
// ("credit" for internal/cli/credit and internal/cli/credit/shared).
func noun(r string) string {
	rest, _ := strings.CutPrefix(r, "internal/cli/")
	n, _, _ := strings.Cut(rest, "/")
	return n
}

// sharedByAll are the packages under internal/cli every command may use.
var sharedByAll = []string{"cmdutil", "view", "clitest", "importutil"}

// importRule says why from may not import to, or "" when it may. Only the
// main package and the commands themselves import commands; a command
// imports another command's shared package or the common ones, never the
// other command; packages below the commands never import them; pkg/ is
// importable on its own; the domain (internal/ledger) holds no SQL; and
// only the opener (internal/store), tests and benchmarks name an engine.
func importRule(from, to string, test bool) string {
	switch {
	case strings.HasPrefix(to, "internal/cli/") && from != "cmd/makegood" && !strings.HasPrefix(from, "internal/cli/"):
		return "only the commands (internal/cli/...) and cmd/makegood import the commands"
	case strings.HasPrefix(from, "internal/cli/") && strings.HasPrefix(to, "internal/cli/") && noun(from) != noun(to) &&
		noun(from) != "root" && !slices.Contains(sharedByAll, noun(to)) && !strings.HasSuffix(to, "/shared"):
		return "a command imports another command's shared package (internal/cli/<noun>/shared), or cmdutil, view, clitest, importutil; never the other command"
	case strings.HasPrefix(from, "pkg/") && to != "" && !strings.HasPrefix(to, "pkg/"):
		return "pkg/ is importable on its own: it imports nothing of internal/"
	case from == "internal/ledger" && strings.HasPrefix(to, "internal/store"):
		return "the domain does not know the engines"
	case strings.HasPrefix(to, "internal/store/") && !test && from != "internal/store" &&
		!strings.HasPrefix(from, "internal/store/") && !strings.HasPrefix(from, "bench"):
		return "code reaches an engine through internal/store (the Factory), never by its package; only tests and benchmarks open one directly"
	}
	return ""
}

// TestImportRules holds every import of every package, its tests' too, to
// the rules of importRule.
func TestImportRules(t *testing.T) {
	for _, p := range packages(t) {
		from, ok := rel(p.ImportPath)
		if !ok {
			continue
		}
		check := func(imports []string, test bool) {
			for _, imp := range imports {
				to, ok := rel(imp)
				if !ok {
					if from == "internal/ledger" && !test && imp == "database/sql" {
						t.Errorf("%s imports %s: the domain holds no SQL", from, imp)
					}
					continue
				}
				if why := importRule(from, to, test); why != "" {
					t.Errorf("%s imports %s: %s", from, to, why)
				}
			}
		}
		check(p.Imports, false)
		check(p.TestImports, true)
	}
}

// TestImportRuleCases keeps importRule honest: each rule refuses what it
// is for and lets through what the layout allows.
func TestImportRuleCases(t *testing.T) {
	for _, c := range []struct {
		from, to string
		ok       bool
	}{
		{"internal/cli/resolve", "internal/cli/goodwill", false},
		{"internal/cli/goodwill", "internal/cli/credit", false},
		{"internal/cli/resolve", "internal/cli/goodwill/shared", true},
		{"internal/cli/goodwill", "internal/cli/goodwill/shared", true},
		{"internal/cli/credit/shared", "internal/cli/cmdutil", true},
		{"internal/cli/root", "internal/cli/credit", true},
		{"internal/apologymail", "internal/cli/cmdutil", false},
		{"internal/store", "internal/cli/cmdutil", false},
		{"cmd/makegood", "internal/cli/root", true},
		{"pkg/goodwill", "internal/ledger", false},
		{"pkg/goodwill", "pkg/money", true},
		{"internal/ledger", "internal/store/sqlite", false},
		{"internal/cli/cmdutil", "internal/store/sqlite", false},
		{"internal/cli/cmdutil", "internal/store", true},
		{"internal/store", "internal/store/sqlite", true},
		{"bench/report", "internal/store/sqlite", true},
	} {
		if got := importRule(c.from, c.to, false) == ""; got != c.ok {
			t.Errorf("%s -> %s allowed = %v, want %v", c.from, c.to, got, c.ok)
		}
	}
}
