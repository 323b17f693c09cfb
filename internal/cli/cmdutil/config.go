package cmdutil

import (
	"fmt"
	"io"
	"reflect"
	"slices"
	"sort"
	"strings"

	"github.com/makegood/makegood/pkg/apology"
	"github.com/makegood/makegood/pkg/goodwill"
)

// ConfigError is a configuration mistake: a config file that cannot be
// read, a setting out of range. It is bad input (exit status 2), but not a
// usage mistake, so no "Run --help" follows it: the help describes flags,
// not the config file.
type ConfigError struct{ Err error }

func (e *ConfigError) Error() string { return e.Err.Error() }
func (e *ConfigError) Unwrap() error { return e.Err }

// ConfigErrorf builds a ConfigError whose message starts "config: ".
func ConfigErrorf(format string, args ...any) error {
	return &ConfigError{Err: fmt.Errorf("config: "+format, args...)}
}

// ConfigKeys is every key makegood reads from the config file, dotted, in
// one place, so that a typo (goodwil:) is reported rather than silently
// ignored. A key ending in ".*" takes any keys below it: plan names,
// currency codes. The goodwill.* and apology.rules.* keys come from the
// structs they are unmarshalled into, so they cannot drift apart.
//
// A command that reads a new key adds it here; TestConfigKeysCoverReads
// finds reads of keys missing from the list.
func ConfigKeys() []string {
	keys := []string{
		"db", "config", "no_input", "currency", "operator", "accessible",
		"sender.name", "sender.email",
		"mail.via", "mail.outbox",
		"smtp.host", "smtp.port", "smtp.username", "smtp.password", "smtp.from", "smtp.tls", "smtp.insecure", "smtp.timeout",
		"thanks.welcome_days", "thanks.anniversary_days", "thanks.recovery_days", "thanks.just_because_days", "thanks.cooldown",
		"stripe.api_key", "stripe.api_base", "stripe.timeout", "stripe.max_retries",
		"plans.*",
		// report reads these two through a loop over its targets.
		"report.apology_target", "report.fix_target",
	}
	keys = append(keys, structKeys("goodwill", reflect.TypeFor[goodwill.Policy]())...)
	keys = append(keys, structKeys("apology.rules", reflect.TypeFor[apology.Rules]())...)
	sort.Strings(keys)
	return keys
}

// structKeys lists the keys viper can unmarshal into t, by its mapstructure
// tags: a nested struct's fields below its key, a map's entries as ".*",
// anything else (numbers, lists) as one key.
func structKeys(prefix string, t reflect.Type) []string {
	var keys []string
	for f := range t.Fields() {
		tag, _, _ := strings.Cut(f.Tag.Get("mapstructure"), ",")
		if tag == "" || tag == "-" {
			continue
		}
		key := prefix + "." + tag
		switch f.Type.Kind() {
		case reflect.Struct:
			keys = append(keys, structKeys(key, f.Type)...)
		case reflect.Map:
			keys = append(keys, key+".*")
		default:
			keys = append(keys, key)
		}
	}
	return keys
}

// UnknownConfigKeys returns the keys in keys (as viper's AllKeys gives
// them: dotted, lower case, maps flattened) that makegood does not read.
func UnknownConfigKeys(keys []string) []string {
	known := ConfigKeys()
	var unknown []string
	for _, k := range keys {
		if !knownKey(known, k) {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	return unknown
}

func knownKey(known []string, key string) bool {
	for _, k := range known {
		if strings.EqualFold(k, key) {
			return true
		}
		// A ".*" key is a map: its entries, or the key itself (which the
		// command reading it then checks is a map).
		if m, ok := strings.CutSuffix(k, ".*"); ok && (strings.EqualFold(key, m) ||
			len(key) > len(m)+1 && strings.EqualFold(key[:len(m)+1], m+".")) {
			return true
		}
	}
	return false
}

// warnUnknownKeys writes one warning per key the config file at path sets
// that makegood does not read, with the nearest known key when one is a
// typo away.
func warnUnknownKeys(w io.Writer, path string, keys []string) {
	for _, k := range UnknownConfigKeys(keys) {
		msg := fmt.Sprintf("makegood: warning: %s: unknown key %q is ignored", path, k)
		if s := nearestKey(k); s != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", s)
		}
		fmt.Fprintln(w, msg)
	}
}

// nearestKey is the known key closest to key, segment by segment: the
// first segment that is not known is matched against the known ones at
// that level (goodwil.cap_bp → goodwill.cap_bp). "" when none is within
// two edits.
func nearestKey(key string) string {
	parts := strings.Split(key, ".")
	known := ConfigKeys()
	for i := range parts {
		prefix := strings.Join(parts[:i], ".")
		var level []string
		for _, k := range known {
			ks := strings.Split(k, ".")
			if len(ks) > i && strings.Join(ks[:i], ".") == prefix && ks[i] != "*" {
				level = append(level, ks[i])
			}
		}
		if slices.Contains(level, parts[i]) {
			continue
		}
		best, bestD := "", 3
		for _, cand := range level {
			if d := editDistance(parts[i], cand); d < bestD {
				best, bestD = cand, d
			}
		}
		if best == "" {
			return ""
		}
		fixed := append(append(slices.Clone(parts[:i]), best), parts[i+1:]...)
		return strings.Join(fixed, ".")
	}
	return ""
}

// editDistance is the Levenshtein distance between a and b, in bytes
// (keys are ASCII).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
