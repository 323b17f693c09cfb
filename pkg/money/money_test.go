package money

import (
	"math"
	"strconv"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in, cur string
		want    Amount
	}{
		{"25", "USD", Amount{2500, "USD"}},
		{"25.00", "USD", Amount{2500, "USD"}},
		{"25.5", "USD", Amount{2550, "USD"}},
		{"0.01", "USD", Amount{1, "USD"}},
		{"1234.56", "usd", Amount{123456, "USD"}},
		{"  12.34\t\n", " usd ", Amount{1234, "USD"}},
		{"007", "USD", Amount{700, "USD"}},
		{"1000000000", "USD", Amount{100_000_000_000, "USD"}},
		{"1000000000.00", "USD", Amount{100_000_000_000, "USD"}},
		{"2500", "JPY", Amount{2500, "JPY"}},
		{"1000000000", "JPY", Amount{1_000_000_000, "JPY"}},
		{"1.25", "KWD", Amount{1250, "KWD"}},
		{"1.250", "KWD", Amount{1250, "KWD"}},
		{"0.001", "KWD", Amount{1, "KWD"}},
		{"1000000000.000", "KWD", Amount{1_000_000_000_000, "KWD"}},
		{"19.99", "EUR", Amount{1999, "EUR"}},
		{"1.2345", "CLF", Amount{12345, "CLF"}},
		// Zeros past the minor unit are not more precise than it.
		{"12.340", "EUR", Amount{1234, "EUR"}},
		{"25.000", "USD", Amount{2500, "USD"}},
		{"25.0000000", "USD", Amount{2500, "USD"}},
		{"10.0", "JPY", Amount{10, "JPY"}},
		{"10.000", "JPY", Amount{10, "JPY"}},
		{"1.2500", "KWD", Amount{1250, "KWD"}},
		{"0.010", "USD", Amount{1, "USD"}},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in, tt.cur)
		if err != nil {
			t.Errorf("Parse(%q, %q): unexpected error: %v", tt.in, tt.cur, err)
			continue
		}
		if got != tt.want {
			t.Errorf("Parse(%q, %q) = %+v, want %+v", tt.in, tt.cur, got, tt.want)
		}
	}
}

func TestParseRejects(t *testing.T) {
	tests := []struct {
		in, cur string
		want    string // the whole error message
	}{
		{"", "USD", `no amount given; write a number like 25.00`},
		{"   ", "USD", `no amount given; write a number like 25.00`},
		{"", "JPY", `no amount given; write a number like 2500`},
		{".5", "USD", `".5" is not a number; write it like 25.00`},
		{"5.", "USD", `"5." is not a number; write it like 25.00`},
		{".", "USD", `"." is not a number; write it like 25.00`},
		{"1.2.3", "USD", `"1.2.3" is not a number; write it like 25.00`},
		{"+5", "USD", `"+5" is not a number; write it like 25.00`},
		{"1e9", "USD", `"1e9" is not a number; write it like 25.00`},
		{"1E3", "USD", `"1E3" is not a number; write it like 25.00`},
		{"1,000", "USD", `"1,000" is not a number; write it like 25.00`},
		{"1_000", "USD", `"1_000" is not a number; write it like 25.00`},
		{"1 000", "USD", `"1 000" is not a number; write it like 25.00`},
		{"0x10", "USD", `"0x10" is not a number; write it like 25.00`},
		{"NaN", "USD", `"NaN" is not a number; write it like 25.00`},
		{"Inf", "USD", `"Inf" is not a number; write it like 25.00`},
		{"$25", "USD", `"$25" is not a number; write it like 25.00`},
		{"25 USD", "USD", `"25 USD" is not a number; write it like 25.00`},
		{"٣", "USD", `"٣" is not a number; write it like 25.00`},   // Arabic-Indic three
		{"１２", "USD", `"１２" is not a number; write it like 25.00`}, // fullwidth digits
		{"12\u00a0", "USD", `"12\u00a0" is not a number; write it like 25.00`},
		{"--5", "USD", `"--5" is not a number; write it like 25.00`},
		{"-", "USD", `"-" is not a number; write it like 25.00`},
		{"-5", "USD", `"-5" must be positive`},
		{"-0.50", "USD", `"-0.50" must be positive`},
		{"0", "USD", `"0" must be greater than zero`},
		{"0.00", "USD", `"0.00" must be greater than zero`},
		{"000", "JPY", `"000" must be greater than zero`},
		{"12.345", "USD", `"12.345" has more decimals than USD allows (2)`},
		{"12.3401", "EUR", `"12.3401" has more decimals than EUR allows (2)`},
		{"12.3450", "USD", `"12.3450" has more decimals than USD allows (2)`},
		{"0.000", "USD", `"0.000" must be greater than zero`},
		{"0.0", "JPY", `"0.0" must be greater than zero`},
		{"10.50", "JPY", `"10.50" has decimals, but JPY amounts are whole numbers`},
		{"10.01", "JPY", `"10.01" has decimals, but JPY amounts are whole numbers`},
		{"1.2501", "KWD", `"1.2501" has more decimals than KWD allows (3)`},
		{"1.001", "EUR", `"1.001" has more decimals than EUR allows (2)`},
		{"1000000000.01", "USD", `"1000000000.01" must be at most 1,000,000,000 USD`},
		{"1000000001", "USD", `"1000000001" must be at most 1,000,000,000 USD`},
		{"9999999999", "JPY", `"9999999999" must be at most 1,000,000,000 JPY`},
		{"1000000000.001", "KWD", `"1000000000.001" must be at most 1,000,000,000 KWD`},
		{"99999999999999999999999", "USD", `"99999999999999999999999" must be at most 1,000,000,000 USD`},
		{"25", "", `currency is empty`},
		{"25", "XYZ", `unknown currency "XYZ"`},
		{"25", "dollars", `unknown currency "DOLLARS"`},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in, tt.cur)
		if err == nil {
			t.Errorf("Parse(%q, %q) = %+v, want error %q", tt.in, tt.cur, got, tt.want)
			continue
		}
		if err.Error() != tt.want {
			t.Errorf("Parse(%q, %q) error = %q, want %q", tt.in, tt.cur, err, tt.want)
		}
	}
}

func TestParseLeadingZerosAreNotSize(t *testing.T) {
	in := strings.Repeat("0", 1000) + "5"
	got, err := Parse(in, "USD")
	if err != nil || got != (Amount{500, "USD"}) {
		t.Fatalf("Parse(1000 zeros + 5) = %+v, %v; want 500 USD", got, err)
	}
}

func TestParseQuotesLongInputShort(t *testing.T) {
	in := strings.Repeat("x", 10_000)
	_, err := Parse(in, "USD")
	if err == nil {
		t.Fatal("want error")
	}
	if len(err.Error()) > 120 {
		t.Errorf("error echoes too much input (%d bytes): %.80s…", len(err.Error()), err)
	}
	// Cutting must not split a multi-byte rune into invalid UTF-8.
	_, err = Parse(strings.Repeat("é", 100), "USD")
	if err == nil || !strings.Contains(err.Error(), `"`) || strings.ContainsRune(err.Error(), '\uFFFD') {
		t.Errorf("bad error for long non-ASCII input: %v", err)
	}
}

func TestDecimal(t *testing.T) {
	tests := []struct {
		a    Amount
		want string
	}{
		{Amount{2500, "USD"}, "25.00"},
		{Amount{1, "USD"}, "0.01"},
		{Amount{0, "USD"}, "0.00"},
		{Amount{-350, "USD"}, "-3.50"},
		{Amount{-5, "USD"}, "-0.05"},
		{Amount{123456, "USD"}, "1234.56"},
		{Amount{2500, "JPY"}, "2500"},
		{Amount{-2500, "JPY"}, "-2500"},
		{Amount{1250, "KWD"}, "1.250"},
		{Amount{7, "KWD"}, "0.007"},
		{Amount{1999, "EUR"}, "19.99"},
		{Amount{2500, "usd"}, "25.00"},
		{Amount{math.MaxInt64, "USD"}, "92233720368547758.07"},
		{Amount{math.MinInt64, "USD"}, "-92233720368547758.08"},
		{Amount{2500, "XYZ"}, "2500"}, // unknown digits: unscaled, not guessed
	}
	for _, tt := range tests {
		if got := tt.a.Decimal(); got != tt.want {
			t.Errorf("%+v.Decimal() = %q, want %q", tt.a, got, tt.want)
		}
		if got := DecimalString(tt.a.Minor, tt.a.Currency); got != tt.want {
			t.Errorf("DecimalString(%d, %q) = %q, want %q", tt.a.Minor, tt.a.Currency, got, tt.want)
		}
	}
}

func TestString(t *testing.T) {
	tests := []struct {
		a    Amount
		want string
	}{
		{Amount{2500, "USD"}, "$25.00"},
		{Amount{123456, "USD"}, "$1,234.56"},
		{Amount{-350, "USD"}, "-$3.50"},
		{Amount{0, "USD"}, "$0.00"},
		{Amount{2500, "JPY"}, "¥2,500"},
		{Amount{-2500, "JPY"}, "-¥2,500"},
		{Amount{1250, "KWD"}, "KWD 1.250"},
		{Amount{-1250, "KWD"}, "-KWD 1.250"},
		{Amount{2500, "EUR"}, "€25.00"},
		{Amount{123456789, "EUR"}, "€1,234,567.89"},
		{Amount{2500, "GBP"}, "£25.00"},
		{Amount{2500, "CHF"}, "CHF 25.00"},
		{Amount{2500, "eur"}, "€25.00"},
		{Amount{math.MinInt64, "USD"}, "-$92,233,720,368,547,758.08"},
		{Amount{2500, "XYZ"}, "2500 XYZ"},
		{Amount{2500, ""}, "2500"},
	}
	for _, tt := range tests {
		got := tt.a.String()
		if got != tt.want {
			t.Errorf("%+v.String() = %q, want %q", tt.a, got, tt.want)
		}
		if strings.ContainsRune(got, '\u00a0') {
			t.Errorf("%+v.String() = %q contains a non-breaking space", tt.a, got)
		}
		if f := Format(tt.a.Minor, tt.a.Currency); f != got {
			t.Errorf("Format(%d, %q) = %q, want %q", tt.a.Minor, tt.a.Currency, f, got)
		}
	}
}

func TestSymbol(t *testing.T) {
	tests := map[string]string{
		"USD": "$", "usd": "$", "JPY": "¥", "EUR": "€", "KWD": "KWD", "XYZ": "XYZ",
	}
	for in, want := range tests {
		if got := Symbol(in); got != want {
			t.Errorf("Symbol(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNormalizeCurrency(t *testing.T) {
	ok := map[string]string{"usd": "USD", "USD": "USD", " Jpy\n": "JPY", "kwd": "KWD", "eur": "EUR"}
	for in, want := range ok {
		got, err := NormalizeCurrency(in)
		if err != nil || got != want {
			t.Errorf("NormalizeCurrency(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	bad := map[string]string{
		"":     "currency is empty",
		"  ":   "currency is empty",
		"XYZ":  `unknown currency "XYZ"`,
		"xyz":  `unknown currency "XYZ"`,
		"US":   `unknown currency "US"`,
		"USDX": `unknown currency "USDX"`,
		"U$D":  `unknown currency "U$D"`,
		// strings.ToUpper would turn dotless ı into I and accept "ILS".
		"ıls": `unknown currency "ıls"`,
	}
	for in, want := range bad {
		got, err := NormalizeCurrency(in)
		if err == nil {
			t.Errorf("NormalizeCurrency(%q) = %q, want error %q", in, got, want)
		} else if err.Error() != want {
			t.Errorf("NormalizeCurrency(%q) error = %q, want %q", in, err, want)
		}
	}
}

func TestDigits(t *testing.T) {
	for cur, want := range map[string]int{"USD": 2, "JPY": 0, "KWD": 3, "EUR": 2, "bhd": 3, "CLF": 4} {
		got, err := Digits(cur)
		if err != nil || got != want {
			t.Errorf("Digits(%q) = %d, %v; want %d", cur, got, err, want)
		}
	}
	if _, err := Digits("XYZ"); err == nil {
		t.Error(`Digits("XYZ"): want error`)
	}
}

func TestNew(t *testing.T) {
	a, err := New(-350, " usd")
	if err != nil || a != (Amount{-350, "USD"}) {
		t.Errorf(`New(-350, " usd") = %+v, %v`, a, err)
	}
	if a, err := New(0, "JPY"); err != nil || !a.IsZero() {
		t.Errorf(`New(0, "JPY") = %+v, %v; want zero amount`, a, err)
	}
	if _, err := New(100, "XYZ"); err == nil || err.Error() != `unknown currency "XYZ"` {
		t.Errorf(`New(100, "XYZ") error = %v`, err)
	}
	if _, err := New(100, ""); err == nil || err.Error() != "currency is empty" {
		t.Errorf(`New(100, "") error = %v`, err)
	}
}

func TestIsZero(t *testing.T) {
	if !(Amount{0, "USD"}).IsZero() || (Amount{1, "USD"}).IsZero() || (Amount{-1, "USD"}).IsZero() {
		t.Error("IsZero is wrong")
	}
}

func TestRoundUp(t *testing.T) {
	tests := []struct{ minor, step, want int64 }{
		{2340, 500, 2500},
		{2500, 500, 2500},
		{2501, 500, 3000},
		{1, 100, 100},
		{0, 100, 0},
		{-250, 100, -200},
		{-200, 100, -200},
		{-1, 100, 0},
		{7, 1, 7},
		{7, 0, 7},  // no multiples of 0: unchanged
		{7, -5, 7}, // negative step: unchanged
		{MaxMajor * 1000, 100_000, MaxMajor * 1000},
		{MaxMajor*1000 - 1, 100_000, MaxMajor * 1000},
		{MaxMajor*1000 + 1, 1_000_000, MaxMajor*1000 + 1_000_000},
		{math.MaxInt64 - 1, 10, math.MaxInt64 - 1}, // would overflow: unchanged
		{math.MaxInt64, math.MaxInt64, math.MaxInt64},
		{math.MinInt64, 10, math.MinInt64 + 8},
		{math.MinInt64, math.MaxInt64, -math.MaxInt64},
	}
	for _, tt := range tests {
		if got := RoundUp(tt.minor, tt.step); got != tt.want {
			t.Errorf("RoundUp(%d, %d) = %d, want %d", tt.minor, tt.step, got, tt.want)
		}
	}
}

func TestCheckAgreesWithParse(t *testing.T) {
	for cur, most := range map[string]int64{"USD": 100_000_000_000, "JPY": 1_000_000_000, "KWD": 1_000_000_000_000, "CLF": 10_000_000_000_000} {
		got, err := MaxMinor(cur)
		if err != nil || got != most {
			t.Fatalf("MaxMinor(%s) = %d, %v; want %d", cur, got, err, most)
		}
		a, err := Parse(DecimalString(most, cur), cur)
		if err != nil || a.Minor != most {
			t.Fatalf("%s: Parse of the largest amount: %v", cur, err)
		}
		if err := Check(most, cur); err != nil {
			t.Fatalf("%s: Check(%d): %v", cur, most, err)
		}
		if _, err := Parse(DecimalString(most+1, cur), cur); err == nil {
			t.Fatalf("%s: Parse took one more", cur)
		}
		if err := Check(most+1, cur); err == nil || !strings.Contains(err.Error(), "more than one credit may be") {
			t.Fatalf("%s: Check(%d): %v", cur, most+1, err)
		}
		if err := Check(0, cur); err == nil {
			t.Fatalf("%s: Check(0) passed", cur)
		}
	}
}

func TestMaxMajorLen(t *testing.T) {
	if got := len(strconv.Itoa(MaxMajor)); got != maxMajorLen {
		t.Fatalf("maxMajorLen = %d, MaxMajor has %d digits", maxMajorLen, got)
	}
}
