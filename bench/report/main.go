package main

import (
	"context"
	"flag"
	"fmt"
	"os"
)

func main() {
	out := flag.String("out", "", "")
	flag.Parse()
	z := sizes{customers: 10000, credits: 1000000, incidents: 50000, notes: 20000, months: 24, end: "2026-11-25T12:00:00Z"}
	if err := generate(context.Background(), *out, z); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
