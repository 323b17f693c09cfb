// Package cmdutil is what every makegood command shares: the Factory that
// hands out streams, configuration and the ledger, the error types that map
// to exit statuses, and output helpers.
package cmdutil

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/spf13/viper"

	"github.com/makegood/makegood/internal/fileutil"
	"github.com/makegood/makegood/internal/iostreams"
	"github.com/makegood/makegood/internal/ledger"
	"github.com/makegood/makegood/internal/prompt"
	"github.com/makegood/makegood/internal/store"
)

// Factory hands commands their dependencies, creating the expensive ones
// (config file, ledger) only when a command asks.
type Factory struct {
	IOStreams *iostreams.IOStreams
	// Viper holds flags bound by the root command and the MAKEGOOD_*
	// environment; the config file is read into it on first use.
	Viper   *viper.Viper
	Version string
	Commit  string

	// Prompter is replaced in tests; nil means huh on the real terminal.
	Prompter prompt.Prompter
	// Clock is replaced in tests; nil means time.Now, or MAKEGOOD_NOW.
	Clock func() time.Time
	// Getenv is os.Getenv unless a test replaces it.
	Getenv func(string) string

	configOnce sync.Once
	configErr  error
	st         store.Ledger
}

// New returns a Factory on the process's streams and environment.
func New(version, commit string) *Factory {
	v := viper.New()
	v.SetEnvPrefix("MAKEGOOD")
	v.SetEnvKeyReplacer(strings.NewReplacer(".", "_", "-", "_"))
	v.AutomaticEnv()
	return &Factory{IOStreams: iostreams.System(), Viper: v, Version: version, Commit: commit, Getenv: os.Getenv}
}

// Config returns the configuration with the config file merged in.
// Precedence: flags > MAKEGOOD_* environment > config file > defaults.
func (f *Factory) Config() (*viper.Viper, error) {
	f.configOnce.Do(func() {
		v := f.Viper
		v.SetDefault("db", f.defaultDBPath())
		path := v.GetString("config")
		explicit := path != ""
		if !explicit {
			path = filepath.Join(f.configDir(), "config.yaml")
		}
		if s := f.Getenv("MAKEGOOD_NOW"); s != "" {
			if _, err := ledger.ParseClock("MAKEGOOD_NOW", s); err != nil {
				f.configErr = err // invalid input, exit 2; not a flag, so no usage hint
				return
			}
		}
		v.SetConfigFile(path)
		// viper reads the whole file: refuse what is not a config file
		// (a directory, a device, something huge) before it does.
		_, statErr := os.Stat(path)
		switch {
		case statErr == nil:
			if err := fileutil.CheckFile("--config", path, maxConfigBytes); err != nil {
				f.configErr = err
				return
			}
		case !explicit && errors.Is(statErr, fs.ErrNotExist):
			// No config file where one is looked for by default: flags,
			// the environment and the defaults are the whole config, and
			// viper's read (an open, then another stat above) can only
			// find the file missing again. Most commands run so.
			return
		}
		if err := v.ReadInConfig(); err != nil {
			if _, statErr := os.Stat(path); explicit || statErr == nil {
				f.configErr = &ConfigError{Err: fmt.Errorf("config: read %s: %w", path, err)}
			}
			return
		}
		// Flags, defaults and the environment only ever set known keys,
		// so what AllKeys adds beyond them came from the file.
		warnUnknownKeys(f.IOStreams.ErrOut, path, v.AllKeys())
	})
	return f.Viper, f.configErr
}

// maxConfigBytes bounds the config file: a page of settings.
const maxConfigBytes = 1 << 20

// ConfigDir is where config.yaml and template overrides live.
func (f *Factory) ConfigDir() string {
	if p := f.Viper.GetString("config"); p != "" {
		return filepath.Dir(p)
	}
	return f.configDir()
}

func (f *Factory) configDir() string {
	return filepath.Join(xdgDir(f.Getenv, "XDG_CONFIG_HOME", ".config"), "makegood")
}

func (f *Factory) defaultDBPath() string {
	return filepath.Join(xdgDir(f.Getenv, "XDG_DATA_HOME", filepath.Join(".local", "share")), "makegood", "ledger.db")
}

// xdgDir follows the XDG base directory spec on every platform, falling back
// to the platform's own directory where there is no home.
func xdgDir(getenv func(string) string, env, homeRel string) string {
	if d := getenv(env); d != "" && filepath.IsAbs(d) {
		return d
	}
	if h := getenv("HOME"); h != "" {
		return filepath.Join(h, homeRel)
	}
	if runtime.GOOS == "windows" {
		if d := getenv("LOCALAPPDATA"); d != "" {
			return d
		}
	}
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, homeRel)
	}
	return "."
}

// Location is where --db (MAKEGOOD_DB, the config's db, or the default
// file) says the ledger is, and so which engine keeps it. A value that is
// not a ledger's place (an empty one, a URL of no engine makegood has) is
// a usage error naming --db.
func (f *Factory) Location() (store.Location, error) {
	cfg, err := f.Config()
	if err != nil {
		return store.Location{}, err
	}
	loc, err := store.Parse("--db", cfg.GetString("db"))
	if err != nil {
		return loc, &FlagError{Err: err}
	}
	return loc, nil
}

// Store opens the ledger once per process. Commands get the ledger's
// interface, never an engine's type.
func (f *Factory) Store(ctx context.Context) (ledger.Store, error) {
	return f.Ledger(ctx)
}

// Maintainer opens the ledger for makegood db (check, backup).
func (f *Factory) Maintainer(ctx context.Context) (ledger.Maintainer, error) {
	return f.Ledger(ctx)
}

// Ledger opens the ledger once per process, in the engine Location picks,
// with everything the engine does (store.Ledger).
func (f *Factory) Ledger(ctx context.Context) (store.Ledger, error) {
	if f.st != nil {
		return f.st, nil
	}
	loc, err := f.Location()
	if err != nil {
		return nil, err
	}
	st, err := store.Open(ctx, loc)
	if err != nil {
		return nil, err
	}
	f.st = st
	return st, nil
}

// Close releases the ledger if a command opened it.
func (f *Factory) Close() error {
	if f.st == nil {
		return nil
	}
	err := f.st.Close()
	f.st = nil
	return err
}

// besideLedger is the directory makegood keeps files beside the ledger
// in (the outbox): the ledger file's, or for a ledger that is not a file
// (PostgreSQL) the directory the default ledger file would be in.
func (f *Factory) besideLedger(db string) string {
	if loc, err := store.Parse("--db", db); err == nil {
		if path, ok := loc.File(); ok {
			return filepath.Dir(path)
		}
		return filepath.Dir(f.defaultDBPath())
	}
	return filepath.Dir(db)
}

// Now is the current time in UTC, second precision. MAKEGOOD_NOW (RFC 3339)
// pins it, so end-to-end scripts can test expiry and anniversaries. A
// MAKEGOOD_NOW that is not a time the ledger holds is never ignored: Config,
// which every command that opens the ledger goes through, refuses it
// naming the variable (exit 2), and Now then keeps to the real clock.
func (f *Factory) Now() time.Time {
	if f.Clock != nil {
		return f.Clock().UTC()
	}
	if s := f.Getenv("MAKEGOOD_NOW"); s != "" {
		if t, err := ledger.ParseClock("MAKEGOOD_NOW", s); err == nil {
			return t
		}
	}
	return time.Now().UTC().Truncate(time.Second)
}

// CanPrompt reports whether the command may ask questions: stdin and stdout
// are terminals and neither --no-input nor MAKEGOOD_NO_INPUT is set.
func (f *Factory) CanPrompt() bool {
	if f.Viper.GetBool("no_input") {
		return false
	}
	return f.IOStreams.IsStdinTTY() && f.IOStreams.IsStdoutTTY()
}

// Prompt returns the prompter: huh forms on the terminal unless a test set
// another.
func (f *Factory) Prompt() prompt.Prompter {
	if f.Prompter != nil {
		return f.Prompter
	}
	return prompt.NewHuh(f.IOStreams.In, f.IOStreams.Out, f.Accessible())
}

// minFormWidth is the narrowest terminal huh's forms are drawn on; below it
// the questions are asked line by line instead.
const minFormWidth = 50

// Accessible reports whether prompts should be plain line-by-line
// questions: asked for (ACCESSIBLE, the accessible setting), a dumb
// terminal, or one too narrow for a drawn form.
func (f *Factory) Accessible() bool {
	return f.Getenv("ACCESSIBLE") != "" || f.Getenv("TERM") == "dumb" || f.Viper.GetBool("accessible") ||
		(f.IOStreams.IsStdoutTTY() && f.IOStreams.TerminalWidth() < minFormWidth)
}
