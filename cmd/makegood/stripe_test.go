package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/makegood/makegood/internal/stripe/stripetest"
)

// fakeStripes holds each script's fake Stripe, by the script's $WORK.
var fakeStripes sync.Map

// fakeStripeKey is the API key scripts use; no output may ever show it.
const fakeStripeKey = "sk_test_51ScriptKeyNeverPrinted0000000000"

// cmdFakeStripe drives a stateful fake Stripe (internal/stripe/stripetest)
// from a script:
//
//	fakestripe start                      start it; exports STRIPE_API_KEY and MAKEGOOD_STRIPE_API_BASE
//	fakestripe customer ID EMAIL NAME CURRENCY [PRICE INTERVAL NICKNAME]
//	fakestripe invoice CUSTOMER CURRENCY DUE   finalize an invoice; exports INVOICE
//	fakestripe void INVOICE               void it: what it used comes back
//	fakestripe adjust CUSTOMER AMOUNT CURRENCY DESCRIPTION   a dashboard adjustment
//	fakestripe balance CUSTOMER CURRENCY WANT
//	fakestripe txns CUSTOMER WANT         how many balance transactions the customer has
//	fakestripe posts WANT                 how many POST requests were received
//	fakestripe fail N STATUS | drop N | hang N | expire-keys   faults on the next POSTs
//	fakestripe clear-faults               drop every fault not yet used
//	fakestripe customers N                N customers cus_bulkNNNN, each with a subscription
//	fakestripe fail-get PATH SKIP N STATUS | drop-get PATH SKIP N   faults on GETs of PATH after SKIP of them
//	fakestripe gets PATH WANT             how many GET requests of PATH were received
func cmdFakeStripe(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: fakestripe start|customer|customers|invoice|void|adjust|balance|txns|posts|gets|fail|drop|hang|fail-get|drop-get|clear-faults|expire-keys ...")
	}
	work := ts.Getenv("WORK")
	if args[0] == "start" {
		srv := stripetest.NewServer()
		srv.Key = fakeStripeKey
		fakeStripes.Store(work, srv)
		ts.Defer(func() { srv.Close(); fakeStripes.Delete(work) })
		ts.Setenv("STRIPE_API_KEY", fakeStripeKey)
		ts.Setenv("MAKEGOOD_STRIPE_API_BASE", srv.URL)
		return
	}
	v, ok := fakeStripes.Load(work)
	if !ok {
		ts.Fatalf("fakestripe %s: not started", args[0])
	}
	srv := v.(*stripetest.Server)
	num := func(s string) int64 {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			ts.Fatalf("fakestripe %s: %q is not a number", args[0], s)
		}
		return n
	}
	want := func(n int, got int64) {
		if len(args) != n+1 {
			ts.Fatalf("fakestripe %s: wrong number of arguments", args[0])
		}
		if w := num(args[n]); got != w {
			ts.Fatalf("fakestripe %s: got %d, want %d", strings.Join(args[:n], " "), got, w)
		}
	}
	switch args[0] {
	case "customer":
		if len(args) != 5 && len(args) != 8 {
			ts.Fatalf("usage: fakestripe customer ID EMAIL NAME CURRENCY [PRICE INTERVAL NICKNAME]")
		}
		created := time.Date(2023, 11, 20, 14, 3, 0, 0, time.UTC)
		srv.AddCustomer(args[1], args[2], args[3], created, args[4])
		if len(args) == 8 {
			srv.AddSubscription(args[1], "active", created, stripetest.Item{Currency: args[4], UnitAmount: num(args[5]),
				Quantity: 1, Interval: args[6], Nickname: args[7]})
		}
	case "customers":
		if len(args) != 2 {
			ts.Fatalf("usage: fakestripe customers N")
		}
		for i := range num(args[1]) {
			created := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Hour)
			id := fmt.Sprintf("cus_bulk%04d", i+1)
			srv.AddCustomer(id, fmt.Sprintf("bulk%04d@example.com", i+1), fmt.Sprintf("Bulk %d", i+1), created, "usd")
			srv.AddSubscription(id, "active", created, stripetest.Item{Currency: "usd", UnitAmount: 1900, Quantity: 1,
				Interval: "month", Nickname: "starter"})
		}
	case "invoice":
		if len(args) != 4 {
			ts.Fatalf("usage: fakestripe invoice CUSTOMER CURRENCY DUE")
		}
		id, applied := srv.Invoice(args[1], args[2], num(args[3]))
		ts.Setenv("INVOICE", id)
		fmt.Fprintf(ts.Stdout(), "%s applied %d\n", id, applied)
	case "void":
		srv.VoidInvoice(args[1])
	case "adjust":
		if len(args) != 5 {
			ts.Fatalf("usage: fakestripe adjust CUSTOMER AMOUNT CURRENCY DESCRIPTION")
		}
		srv.Adjust(args[1], num(args[2]), args[3], args[4])
	case "balance":
		want(3, srv.Balance(args[1], args[2]))
	case "txns":
		want(2, int64(len(srv.Txns(args[1]))))
	case "posts":
		n := 0
		for _, r := range srv.Requests() {
			if r.Method == "POST" {
				n++
			}
		}
		want(1, int64(n))
	case "gets":
		n := 0
		for _, r := range srv.Requests() {
			if r.Method == "GET" && r.Path == args[1] {
				n++
			}
		}
		want(2, int64(n))
	case "fail-get":
		if len(args) != 5 {
			ts.Fatalf("usage: fakestripe fail-get PATH SKIP N STATUS")
		}
		srv.FailAfter("GET", args[1], int(num(args[2])), int(num(args[3])), int(num(args[4])))
	case "drop-get":
		if len(args) != 4 {
			ts.Fatalf("usage: fakestripe drop-get PATH SKIP N")
		}
		srv.DropAfter("GET", args[1], int(num(args[2])), int(num(args[3])))
	case "fail":
		srv.Fail("POST", int(num(args[1])), int(num(args[2])))
	case "drop":
		srv.Drop("POST", int(num(args[1])))
	case "hang":
		srv.Hang("POST", int(num(args[1])))
	case "clear-faults":
		srv.ClearFaults()
	case "expire-keys":
		srv.ExpireKeys()
	default:
		ts.Fatalf("fakestripe: unknown %q", args[0])
	}
}

// cmdStripeMock is `stripemock`: start stripe-mock through `go tool` on
// 127.0.0.1 and export its URL as MAKEGOOD_STRIPE_API_BASE (and a test key).
func cmdStripeMock(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: stripemock")
	}
	dir, err := os.Getwd() // the package directory: inside this module
	ts.Check(err)
	m, err := stripetest.StartMock(context.Background(), dir)
	ts.Check(err)
	ts.Defer(m.Stop)
	ts.Setenv("STRIPE_API_KEY", "sk_test_123")
	ts.Setenv("MAKEGOOD_STRIPE_API_BASE", m.URL)
}
