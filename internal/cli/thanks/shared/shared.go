// Package shared is what the thanks commands share with the other commands
// that read who is due a note (report): the configured windows.
package shared

import (
	"strconv"
	"strings"

	"github.com/spf13/viper"

	"github.com/makegood/makegood/internal/cli/cmdutil"
	"github.com/makegood/makegood/internal/thanks"
)

// Windows reads the occasions' windows and the cool-down from the
// configuration (thanks.*), for thanks due and send and for the report's
// list of who is due, so that the three agree.
func Windows(v *viper.Viper) (thanks.DueOptions, error) {
	var (
		d   thanks.DueOptions
		err error
	)
	for _, w := range []struct {
		key string
		dst *int
	}{
		{"thanks.welcome_days", &d.WelcomeDays},
		{"thanks.anniversary_days", &d.AnniversaryDays},
		{"thanks.recovery_days", &d.RecoveryDays},
		{"thanks.just_because_days", &d.JustBecauseDays},
	} {
		if *w.dst, err = days(v, w.key); err != nil {
			return d, err
		}
	}
	if d.CooldownDays, err = cooldown(v); err != nil {
		return d, err
	}
	return d, nil
}

// cooldown reads thanks.cooldown: a number of days ("7" or "7d"), 0 to
// turn it off; unset means the default.
func cooldown(v *viper.Viper) (int, error) {
	const key = "thanks.cooldown"
	s := strings.TrimSpace(v.GetString(key))
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(strings.TrimSuffix(s, "d"))
	if err != nil || n < 0 || n > 3660 {
		return 0, cmdutil.FlagErrorf("config: %s %q is not a number of days (0-3660, 0 for none)", key, s)
	}
	if n == 0 {
		return -1, nil
	}
	return n, nil
}

func days(v *viper.Viper, key string) (int, error) {
	s := strings.TrimSpace(v.GetString(key))
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 3660 {
		return 0, cmdutil.ConfigErrorf("%s %q is not a number of days (1-3660)", key, s)
	}
	return n, nil
}
