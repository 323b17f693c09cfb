package cmdutil

import (
	"fmt"
	"strconv"

	"github.com/spf13/viper"

	"github.com/makegood/makegood/internal/ledger"
)

// Plans reads the config's plan price table:
//
//	plans:
//	  pro: {price: 49.00, currency: USD, period: month}
//
// YAML reads 49.00 as a number; it is turned back into the shortest text
// that reads as the same number and parsed as money from there, so no float
// takes part in any sum.
func Plans(cfg *viper.Viper) (ledger.PlanPrices, error) {
	out := ledger.PlanPrices{}
	for name := range cfg.GetStringMap("plans") {
		key := "plans." + name
		price := ""
		switch v := cfg.Get(key + ".price").(type) {
		case float64:
			price = strconv.FormatFloat(v, 'f', -1, 64)
		case nil:
		default:
			price = fmt.Sprint(v)
		}
		pp, err := ledger.NewPlanPrice("config "+key, name, price, cfg.GetString(key+".currency"), cfg.GetString(key+".period"))
		if err != nil {
			return nil, err
		}
		out[name] = pp
	}
	return out, nil
}
