// Package shared is what the apology commands share with the other
// commands that write apologies (resolve): the configured rules of
// apology check.
package shared

import (
	"errors"
	"strings"

	"github.com/spf13/viper"

	"github.com/makegood/makegood/internal/ledger"
	"github.com/makegood/makegood/pkg/apology"
)

// LoadRules reads apology.rules from the configuration (blame_shifting and
// stock_phrases lists of {pattern, suggestion}); a list the configuration
// leaves out keeps its default. An unusable pattern is bad input: the error
// names its key, exit status 2.
func LoadRules(cfg *viper.Viper) (apology.Rules, error) {
	rules := apology.DefaultRules()
	if cfg.IsSet("apology.rules") {
		if err := cfg.UnmarshalKey("apology.rules", &rules); err != nil {
			return rules, &ledger.FieldError{Field: "config apology.rules", Err: err}
		}
	}
	if err := rules.Validate(); err != nil {
		lines := strings.Split(err.Error(), "\n")
		for i, l := range lines {
			lines[i] = "apology.rules." + l
		}
		return rules, &ledger.FieldError{Field: "config", Err: errors.New(strings.Join(lines, "\n"))}
	}
	return rules, nil
}
