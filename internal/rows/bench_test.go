package rows

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"testing"
)

func benchInput(n int, jsonl bool) []byte {
	var b bytes.Buffer
	if !jsonl {
		b.WriteString("customer,amount,currency,note\n")
	}
	for i := range n {
		if jsonl {
			fmt.Fprintf(&b, "{\"customer\":\"cus_%05d\",\"amount\":\"%d.%02d\",\"currency\":\"USD\",\"note\":\"outage\"}\n", i%1000, 1+i%99, i%100)
		} else {
			fmt.Fprintf(&b, "cus_%05d,%d.%02d,USD,outage\n", i%1000, 1+i%99, i%100)
		}
	}
	return b.Bytes()
}

func benchDecode(b *testing.B, f Format) {
	const n = 10_000
	in := benchInput(n, f == JSONL)
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		r, err := NewReader(bytes.NewReader(in), f)
		if err != nil {
			b.Fatal(err)
		}
		if err := r.Bind(testSchema); err != nil {
			b.Fatal(err)
		}
		for {
			_, err := r.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/row")
}

// BenchmarkDecodeCSV measures row decoding, the first step of every import.
func BenchmarkDecodeCSV(b *testing.B) { benchDecode(b, CSV) }

// BenchmarkDecodeJSONL is the same for JSON Lines.
func BenchmarkDecodeJSONL(b *testing.B) { benchDecode(b, JSONL) }
