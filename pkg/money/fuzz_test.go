package money

import "testing"

// FuzzParse checks that Parse never panics, that everything it accepts is a
// positive amount within MaxMajor, and that the machine form round-trips:
// what Decimal writes, Parse reads back as the same Amount, with or without
// zeros written past the minor unit, while a non-zero digit there is
// refused.
func FuzzParse(f *testing.F) {
	for _, seed := range [][2]string{
		{"12.34", "USD"}, {"25", "usd"}, {"2500", "JPY"}, {"10.50", "JPY"},
		{"1.250", "KWD"}, {"0.001", "KWD"}, {"1.2345", "CLF"}, {"19.99", "EUR"},
		{"1000000000", "USD"}, {"1000000000.01", "USD"}, {"99999999999999999999", "USD"},
		{"0", "USD"}, {"-5", "USD"}, {".5", "USD"}, {"5.", "USD"}, {"1e9", "USD"},
		{"1,000", "USD"}, {"0x10", "USD"}, {"NaN", "USD"}, {"Inf", "USD"}, {"", "USD"},
		{"٣", "USD"}, {" 12 ", " eur "}, {"12", "XYZ"}, {"12", ""}, {"0012.30", "USD"},
		{"12.340", "EUR"}, {"12.345", "USD"}, {"10.000", "JPY"}, {"0.000", "USD"},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, s, cur string) {
		a, err := Parse(s, cur)
		if err != nil {
			if a != (Amount{}) {
				t.Fatalf("Parse(%q, %q) returned %+v with error %v", s, cur, a, err)
			}
			return
		}
		if a.Minor <= 0 {
			t.Fatalf("Parse(%q, %q) = %+v: not positive", s, cur, a)
		}
		digits, err := Digits(a.Currency)
		if err != nil {
			t.Fatalf("Parse(%q, %q) = %+v with a currency Digits rejects: %v", s, cur, a, err)
		}
		if a.Minor > MaxMajor*pow10(digits) {
			t.Fatalf("Parse(%q, %q) = %+v: above MaxMajor", s, cur, a)
		}
		dec := a.Decimal()
		b, err := Parse(dec, a.Currency)
		if err != nil {
			t.Fatalf("Parse(%q, %q) = %+v, but Parse(%q, %q) failed: %v", s, cur, a, dec, a.Currency, err)
		}
		if b != a {
			t.Fatalf("round trip: Parse(%q, %q) = %+v, Parse(%q) = %+v", s, cur, a, dec, b)
		}
		padded := dec + "000"
		if digits == 0 {
			padded = dec + ".000"
		}
		if c, err := Parse(padded, a.Currency); err != nil || c != a {
			t.Fatalf("trailing zeros: Parse(%q, %q) = %+v, %v; want %+v", padded, a.Currency, c, err, a)
		}
		extra := dec + "001"
		if digits == 0 {
			extra = dec + ".001"
		}
		if c, err := Parse(extra, a.Currency); err == nil {
			t.Fatalf("Parse(%q, %q) = %+v: a digit past the minor unit was accepted", extra, a.Currency, c)
		}
		if a.String() == "" {
			t.Fatalf("%+v.String() is empty", a)
		}
	})
}
