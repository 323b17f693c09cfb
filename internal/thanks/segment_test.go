package thanks

import (
	"github.com/makegood/makegood/internal/ledger"
	"strings"
	"testing"
)

func TestSegmentMatch(t *testing.T) {
	now := at("2025-11-24")
	ana := ledger.Customer{ID: "ana", Plan: "Pro", PriceMinor: 10000, Currency: "USD", Since: date("2023-11-24"), Tags: []string{"VIP", "beta"}}
	bo := ledger.Customer{ID: "bo", Plan: "free", PriceMinor: 0, Currency: "usd", Since: date("2025-06-01")}
	yen := ledger.Customer{ID: "yen", Plan: "pro", PriceMinor: 1000, Currency: "JPY", Since: date("2025-05-24"), Tags: []string{"trial"}}
	kwd := ledger.Customer{ID: "kwd", Plan: "pro", PriceMinor: 100500, Currency: "KWD", Since: date("2020-02-29")}
	odd := ledger.Customer{ID: "odd", Plan: "pro", PriceMinor: 10000, Currency: "XXX?"}
	all := []ledger.Customer{ana, bo, yen, kwd, odd}

	tests := []struct {
		expr string
		want string // matching ids, space-separated
	}{
		{"tenure>=2y", "ana kwd"}, // ana reaches 2 years today
		{"tenure>2y", "kwd"},
		{"tenure<2y", "bo yen"},
		{"tenure<=2y", "ana bo yen"},
		{"tenure<6m", "bo"}, // yen reaches 6 months today
		{"tenure>=6m", "ana yen kwd"},
		{"tenure>=25w", "ana bo yen kwd"}, // bo: 176 days
		{"tenure>=26w", "ana yen kwd"},
		{"tenure>=175d", "ana bo yen kwd"},
		{"tenure>=176d", "ana bo yen kwd"},
		{"tenure>=177d", "ana yen kwd"},
		{"tag=vip", "ana"},
		{"tag = VIP", "ana"},
		{"tag!=trial", "ana bo kwd odd"},
		{"tag!=vip", "bo yen kwd odd"},
		{"plan=pro", "ana yen kwd odd"},
		{"plan!=pro", "bo"},
		{"plan==free", "bo"},
		{"currency=usd", "ana bo"},
		{"currency!=USD", "yen kwd odd"},
		{"price>=100", "ana yen kwd"},
		{"price>100", "yen kwd"}, // 1000 JPY is more than 100, whatever it buys
		{"price=100", "ana"},
		{"price=100.00", "ana"},
		{"price!=100", "bo yen kwd"},
		{"price<100", "bo"},
		{"price<=100", "ana bo"},
		{"price>=1000", "yen"},
		{"price>100.4999", "yen kwd"},
		{"price>=100.5", "yen kwd"},
		{"price>100.5", "yen"},
		{"price>=100.5,currency=KWD", "kwd"},
		{"price>=99.995", "ana yen kwd"},
		{"price=0", "bo"},
		{"tenure>=2y,tag=vip", "ana"},
		{" plan=pro , price>=100 , tag!=trial ", "ana kwd"},
		{"tag=vip,tag=beta", "ana"},
		{"tag=vip,tag=trial", ""},
	}
	for _, tt := range tests {
		seg, err := ParseSegment(tt.expr)
		if err != nil {
			t.Errorf("ParseSegment(%q): %v", tt.expr, err)
			continue
		}
		var got []string
		for _, c := range all {
			if seg.Match(c, now) {
				got = append(got, c.ID)
			}
		}
		if strings.Join(got, " ") != tt.want {
			t.Errorf("%q matched %q, want %q", tt.expr, strings.Join(got, " "), tt.want)
		}
		if seg.String() != tt.expr {
			t.Errorf("String() = %q", seg.String())
		}
	}
	if !(Segment{}).Match(odd, now) {
		t.Error("zero Segment should match everyone")
	}
}

func TestSegmentErrors(t *testing.T) {
	tests := []struct{ expr, want string }{
		{"", "segment is empty"},
		{"   ", "segment is empty"},
		{"tenure>=2x", `term 1 "tenure>=2x" at column 1: unknown tenure unit "x"`},
		{"tag=vip, tenure>=2x", `term 2 "tenure>=2x" at column 10`},
		{"tag=vip,,plan=pro", "term 2 at column 9 is empty"},
		{"tag=vip,", "term 2 at column 9 is empty"},
		{"tenure>=y", "needs a number and a unit"},
		{"tenure>=xy", "whole number"},
		{"tenure>=-2y", "whole number"},
		{"tenure>=+2y", "whole number"},
		{"tenure>=2", "needs a number and a unit"},
		{"tenure>=99999y", "too long"},
		{"tenure=2y", "tenure supports >=, >, <= and <"},
		{"tenure!=2y", "tenure supports"},
		{"tag>=vip", "tag supports only = and !="},
		{"plan<pro", "plan supports only"},
		{"currency>EUR", "currency supports only"},
		{"price>=abc", "plain amount"},
		{"price>=-5", "plain amount"},
		{"price>=1,000", "term 2"},
		{"price>=$10", "plain amount"},
		{"price>=10.", "plain amount"},
		{"price>=.5", "plain amount"},
		{"price>=1e3", "plain amount"},
		{"price>=1234567890123456", "too many digits"},
		{"colour=red", `unknown field "colour"`},
		{">=2y", "expected a field"},
		{"tenure 2y", "expected an operator"},
		{"tenure~2y", "expected an operator"},
		{"tag=", "missing value after tag="},
		{"tag= ", "missing value"},
	}
	for _, tt := range tests {
		_, err := ParseSegment(tt.expr)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseSegment(%q) err = %v, want %q", tt.expr, err, tt.want)
		}
	}
}
