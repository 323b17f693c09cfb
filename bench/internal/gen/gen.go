// Package gen makes the benchmark's credit rows. The bench writes them to
// the CSV that makegood and the sqlite3 shell import, and the Go floor
// (bench/floor) makes the same rows in memory, so every contender writes
// the same values.
package gen

import (
	"encoding/hex"
	"fmt"
	"strconv"
)

// Keys says how idempotency keys are made.
type Keys string

const (
	// Sequential keys (bench-0, bench-1, …) arrive nearly in the order of
	// the key's index: each lands at the index's end.
	Sequential Keys = "sequential"
	// Random keys look like UUID v4s and land anywhere in the index, as
	// keys from another system do.
	Random Keys = "random"
)

// ParseKeys reads a -keys value.
func ParseKeys(s string) (Keys, error) {
	switch k := Keys(s); k {
	case Sequential, Random:
		return k, nil
	}
	return "", fmt.Errorf("keys %q: want %s or %s", s, Sequential, Random)
}

// Row is credit i of a file naming customers customers.
type Row struct {
	Customer    string
	AmountMinor int64  // USD cents
	Amount      string // the same, as the CSV writes it
	Key         string
}

// Make returns row i. The same i, customers and keys always make the
// same row.
func Make(i, customers int, keys Keys) Row {
	major, cents := 1+i%99, i%100
	return Row{
		Customer:    Customer((i * 7919) % customers),
		AmountMinor: int64(major*100 + cents),
		Amount:      fmt.Sprintf("%d.%02d", major, cents),
		Key:         Key(i, keys),
	}
}

// Customer is the id of customer n.
func Customer(n int) string { return fmt.Sprintf("cus_%05d", n) }

// Key is row i's idempotency key.
func Key(i int, keys Keys) string {
	if keys != Random {
		return "bench-" + strconv.Itoa(i)
	}
	// Deterministic, so a file and the Go floor agree: 128 bits from
	// splitmix64 of i, with the version and variant bits of a UUID v4.
	var b [16]byte
	a, c := splitmix64(uint64(i)), splitmix64(uint64(i)^0x5bd1e9955bd1e995)
	for j := range 8 {
		b[j], b[8+j] = byte(a>>(8*j)), byte(c>>(8*j))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:], b[10:])
	return string(s[:])
}

func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}
