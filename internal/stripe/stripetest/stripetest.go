// Package stripetest is a stateful fake of the part of Stripe's API that
// makegood uses, served over real HTTP on 127.0.0.1: customers with
// balances, subscriptions with prices, customer balance transactions with
// Idempotency-Key replay, invoices that consume the balance, and failures
// injected on demand (500, 429, timeouts, a request accepted and its answer
// dropped). It answers the way Stripe does where makegood depends on it:
// form-encoded parameters, list pagination (limit, starting_after, newest
// first), created[gte], Request-Id and Idempotent-Replayed headers, and
// errors as {"error": {...}}.
package stripetest

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Server is a fake Stripe. Its methods are safe for concurrent use.
type Server struct {
	*httptest.Server
	// Key is the API key requests must carry; empty accepts any key.
	Key string

	mu        sync.Mutex
	now       func() time.Time
	seq       int
	customers map[string]*customer
	subs      []*subscription
	txns      map[string][]*txn // by customer, oldest first
	invoices  map[string]*invoice
	keys      map[string]*replay
	faults    []*fault
	log       []Request
}

type customer struct {
	ID       string
	Email    string
	Name     string
	Created  int64
	Currency string
	Balance  map[string]int64 // per currency, Stripe's sign: negative is credit
	Locales  []string
}

type subscription struct {
	ID       string
	Customer string
	Status   string
	Created  int64
	Items    []Item
}

// Item is one price of a subscription.
type Item struct {
	Currency      string // lower case
	UnitAmount    int64
	Quantity      int64
	Interval      string // month, year, week, day
	IntervalCount int64
	Nickname      string
	LookupKey     string
	Product       string
}

type txn struct {
	ID            string
	Customer      string
	Amount        int64
	Currency      string
	Description   string
	Metadata      map[string]string
	Type          string
	Invoice       string
	Created       int64
	EndingBalance int64
	seq           int
}

type invoice struct {
	ID       string
	Customer string
	Currency string
	Applied  int64
	Voided   bool
}

type replay struct {
	params string
	status int
	body   []byte
}

// Fault kinds.
const (
	// FaultStatus answers with a status (500, 429) before doing anything.
	FaultStatus = "status"
	// FaultHang holds the request, doing nothing, until the client gives up.
	FaultHang = "hang"
	// FaultDrop does the request, then closes the connection unanswered.
	FaultDrop = "drop"
)

type fault struct {
	kind   string
	method string
	path   string // "" for any
	skip   int    // matching requests let through before the fault starts
	status int
	count  int
}

// Request is one request the server received.
type Request struct {
	Method         string
	Path           string
	IdempotencyKey string
	Replayed       bool
	Status         int
	Form           url.Values
}

// New starts a fake Stripe on 127.0.0.1; it is closed when the test ends.
func New(t interface{ Cleanup(func()) }) *Server {
	s := NewServer()
	t.Cleanup(s.Close)
	return s
}

// NewServer starts a fake Stripe on 127.0.0.1; Close stops it.
func NewServer() *Server {
	s := &Server{
		now:       time.Now,
		customers: map[string]*customer{},
		txns:      map[string][]*txn{},
		invoices:  map[string]*invoice{},
		keys:      map[string]*replay{},
	}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// SetClock makes the server stamp objects with now() instead of the time.
func (s *Server) SetClock(now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now = now
}

func (s *Server) nextID(prefix string) string {
	s.seq++
	return fmt.Sprintf("%s_fake%06d", prefix, s.seq)
}

// AddCustomer adds a customer; currency may be empty. It returns the id.
func (s *Server) AddCustomer(id, email, name string, created time.Time, currency string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id == "" {
		id = s.nextID("cus")
	}
	s.customers[id] = &customer{ID: id, Email: email, Name: name, Created: created.Unix(),
		Currency: strings.ToLower(currency), Balance: map[string]int64{}}
	return id
}

// SetLocales sets a customer's preferred locales.
func (s *Server) SetLocales(id string, locales ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.customers[id].Locales = locales
}

// AddSubscription gives a customer a subscription with the items' prices.
func (s *Server) AddSubscription(customerID, status string, created time.Time, items ...Item) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.nextID("sub")
	s.subs = append(s.subs, &subscription{ID: id, Customer: customerID, Status: status, Created: created.Unix(), Items: items})
	return id
}

// Balance is a customer's balance in a currency, Stripe's sign (negative is
// credit the next invoices use).
func (s *Server) Balance(customerID, currency string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.customers[customerID].Balance[strings.ToLower(currency)]
}

// Txn is a balance transaction as a test sees it.
type Txn struct {
	ID, Type, Currency, Invoice, Description string
	Amount                                   int64
	Metadata                                 map[string]string
}

// Txns lists a customer's balance transactions, oldest first.
func (s *Server) Txns(customerID string) []Txn {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Txn
	for _, t := range s.txns[customerID] {
		out = append(out, Txn{ID: t.ID, Type: t.Type, Currency: t.Currency, Invoice: t.Invoice,
			Description: t.Description, Amount: t.Amount, Metadata: t.Metadata})
	}
	return out
}

func (s *Server) addTxn(c *customer, amount int64, currency, typ, inv, desc string, md map[string]string) *txn {
	if c.Currency == "" {
		c.Currency = currency
	}
	c.Balance[currency] += amount
	t := &txn{ID: s.nextID("cbtxn"), Customer: c.ID, Amount: amount, Currency: currency, Type: typ, Invoice: inv,
		Description: desc, Metadata: md, Created: s.now().Unix(), EndingBalance: c.Balance[currency], seq: s.seq}
	s.txns[c.ID] = append(s.txns[c.ID], t)
	return t
}

// Adjust makes a balance transaction as the dashboard would: an
// adjustment makegood did not create.
func (s *Server) Adjust(customerID string, amount int64, currency, description string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addTxn(s.customers[customerID], amount, strings.ToLower(currency), "adjustment", "", description, nil).ID
}

// Invoice finalizes an invoice of due (Stripe's minor units): the
// customer's credit balance in that currency pays what it can, as Stripe
// applies it automatically. It returns the invoice id and what was applied.
func (s *Server) Invoice(customerID, currency string, due int64) (string, int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.customers[customerID]
	currency = strings.ToLower(currency)
	inv := &invoice{ID: s.nextID("in"), Customer: customerID, Currency: currency}
	s.invoices[inv.ID] = inv
	if credit := -c.Balance[currency]; credit > 0 {
		inv.Applied = min(credit, due)
		s.addTxn(c, inv.Applied, currency, "applied_to_invoice", inv.ID, "", nil)
	}
	return inv.ID, inv.Applied
}

// VoidInvoice voids a finalized invoice: what it used of the balance comes
// back to the customer.
func (s *Server) VoidInvoice(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	inv := s.invoices[id]
	if inv.Voided {
		return
	}
	inv.Voided = true
	if inv.Applied > 0 {
		s.addTxn(s.customers[inv.Customer], -inv.Applied, inv.Currency, "unapplied_from_invoice", inv.ID, "", nil)
	}
}

// ExpireKeys forgets every Idempotency-Key, as Stripe does after 24 hours.
func (s *Server) ExpireKeys() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys = map[string]*replay{}
}

// Fail makes the next count requests with method ("" for any) answer
// status (500, 429, …) without doing anything.
func (s *Server) Fail(method string, count, status int) {
	s.addFault(&fault{kind: FaultStatus, method: method, count: count, status: status})
}

// Hang makes the next count requests with method hang, doing nothing,
// until the client gives up.
func (s *Server) Hang(method string, count int) {
	s.addFault(&fault{kind: FaultHang, method: method, count: count})
}

// Drop makes the next count requests with method take effect and then
// close the connection without an answer, as a timeout after Stripe
// accepted a request looks to the client.
func (s *Server) Drop(method string, count int) {
	s.addFault(&fault{kind: FaultDrop, method: method, count: count})
}

// FailAfter lets skip requests with method and path through, then makes
// the next count of them answer status without doing anything: a list that
// fails on a later page, after the first ones were read.
func (s *Server) FailAfter(method, path string, skip, count, status int) {
	s.addFault(&fault{kind: FaultStatus, method: method, path: path, skip: skip, count: count, status: status})
}

// DropAfter lets skip requests with method and path through, then makes
// the next count of them close the connection without an answer.
func (s *Server) DropAfter(method, path string, skip, count int) {
	s.addFault(&fault{kind: FaultDrop, method: method, path: path, skip: skip, count: count})
}

// ClearFaults drops every fault not yet used.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

func (s *Server) addFault(f *fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, f)
}

// Requests lists what the server received.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.log)
}

func (s *Server) takeFault(method, path string) *fault {
	for i, f := range s.faults {
		if (f.method == "" || f.method == method) && (f.path == "" || f.path == path) {
			if f.skip > 0 {
				f.skip--
				return nil
			}
			f.count--
			if f.count <= 0 {
				s.faults = slices.Delete(s.faults, i, i+1)
			}
			return f
		}
	}
	return nil
}

type answer struct {
	status   int
	body     []byte
	replayed bool
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeError(w, "req_bad", http.StatusBadRequest, "invalid_request_error", "", "Malformed form body.")
		return
	}
	s.mu.Lock()
	s.seq++
	reqID := fmt.Sprintf("req_fake%06d", s.seq)
	rec := Request{Method: r.Method, Path: r.URL.Path, IdempotencyKey: r.Header.Get("Idempotency-Key"), Form: r.Form}
	f := s.takeFault(r.Method, r.URL.Path)
	if f != nil && f.kind == FaultStatus {
		rec.Status = f.status
		s.log = append(s.log, rec)
		s.mu.Unlock()
		writeError(w, reqID, f.status, map[bool]string{true: "invalid_request_error", false: "api_error"}[f.status == 429],
			map[bool]string{true: "rate_limit", false: ""}[f.status == 429], "An injected failure.")
		return
	}
	if f != nil && f.kind == FaultHang {
		rec.Status = -1
		s.log = append(s.log, rec)
		s.mu.Unlock()
		select {
		case <-r.Context().Done():
		case <-time.After(time.Minute):
		}
		return
	}
	a := s.handle(r, reqID)
	rec.Status, rec.Replayed = a.status, a.replayed
	s.log = append(s.log, rec)
	s.mu.Unlock()
	if f != nil && f.kind == FaultDrop {
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
				return
			}
		}
		panic(http.ErrAbortHandler)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Request-Id", reqID)
	if a.replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	w.WriteHeader(a.status)
	w.Write(a.body)
}

func writeError(w http.ResponseWriter, reqID string, status int, typ, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Request-Id", reqID)
	w.WriteHeader(status)
	w.Write(errorBody(typ, code, msg))
}

func errorBody(typ, code, msg string) []byte {
	e := map[string]string{"type": typ, "message": msg}
	if code != "" {
		e["code"] = code
	}
	b, _ := json.Marshal(map[string]any{"error": e})
	return b
}

func errAnswer(status int, typ, code, msg string) answer {
	return answer{status: status, body: errorBody(typ, code, msg)}
}

func okAnswer(v any) answer {
	b, err := json.Marshal(v)
	if err != nil {
		return errAnswer(500, "api_error", "", err.Error())
	}
	return answer{status: 200, body: b}
}

// handle answers a request; s.mu is held.
func (s *Server) handle(r *http.Request, reqID string) answer {
	auth := r.Header.Get("Authorization")
	key, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok || key == "" || (s.Key != "" && key != s.Key) {
		shown := key
		if len(shown) > 4 {
			shown = shown[:strings.LastIndexByte(shown, '_')+1] + "****" + shown[len(shown)-4:]
		}
		return errAnswer(401, "invalid_request_error", "", "Invalid API Key provided: "+shown)
	}
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	switch {
	case r.Method == http.MethodGet && len(parts) == 2 && parts[0] == "v1" && parts[1] == "customers":
		return s.listCustomers(r.Form)
	case r.Method == http.MethodGet && len(parts) == 3 && parts[0] == "v1" && parts[1] == "customers":
		c, ok := s.customers[parts[2]]
		if !ok {
			return errAnswer(404, "invalid_request_error", "resource_missing", fmt.Sprintf("No such customer: '%s'", parts[2]))
		}
		return okAnswer(customerJSON(c))
	case r.Method == http.MethodGet && len(parts) == 2 && parts[0] == "v1" && parts[1] == "subscriptions":
		return s.listSubscriptions(r.Form)
	case len(parts) == 4 && parts[0] == "v1" && parts[1] == "customers" && parts[3] == "balance_transactions":
		c, ok := s.customers[parts[2]]
		if !ok {
			return errAnswer(404, "invalid_request_error", "resource_missing", fmt.Sprintf("No such customer: '%s'", parts[2]))
		}
		if r.Method == http.MethodGet {
			return s.listTxns(c, r.Form)
		}
		if r.Method == http.MethodPost {
			return s.idempotent(r, func() answer { return s.createTxn(c, r.PostForm) })
		}
	}
	return errAnswer(404, "invalid_request_error", "", fmt.Sprintf("Unrecognized request URL (%s: %s).", r.Method, r.URL.Path))
}

// idempotent replays the first answer to a key, as Stripe does for 24
// hours, and refuses the key with other parameters.
func (s *Server) idempotent(r *http.Request, do func() answer) answer {
	key := r.Header.Get("Idempotency-Key")
	if key == "" {
		return do()
	}
	params := r.PostForm.Encode()
	if prev, ok := s.keys[key]; ok {
		if prev.params != params {
			return errAnswer(400, "idempotency_error", "",
				fmt.Sprintf("Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '%s' if you meant to execute a different request.", key))
		}
		return answer{status: prev.status, body: prev.body, replayed: true}
	}
	a := do()
	s.keys[key] = &replay{params: params, status: a.status, body: a.body}
	return a
}

func (s *Server) createTxn(c *customer, form url.Values) answer {
	amount, err := strconv.ParseInt(form.Get("amount"), 10, 64)
	if err != nil {
		return errAnswer(400, "invalid_request_error", "parameter_missing", "Missing required param: amount.")
	}
	cur := form.Get("currency")
	if cur == "" || cur != strings.ToLower(cur) || len(cur) != 3 {
		return errAnswer(400, "invalid_request_error", "", fmt.Sprintf("Invalid currency: %s.", cur))
	}
	if cur == "isk" && amount%100 != 0 {
		return errAnswer(400, "invalid_request_error", "invalid_charge_amount_no_decimal_compatible",
			"Invalid amount. Currency ISK has become effectively zero-decimal and amounts must be evenly divisible by 100.")
	}
	md := map[string]string{}
	for k, v := range form {
		if name, ok := strings.CutPrefix(k, "metadata["); ok && strings.HasSuffix(name, "]") {
			md[strings.TrimSuffix(name, "]")] = v[0]
		}
	}
	t := s.addTxn(c, amount, cur, "adjustment", "", form.Get("description"), md)
	return okAnswer(txnJSON(t))
}

func page[T any](items []T, id func(T) string, form url.Values) ([]T, bool) {
	limit := 10
	if l, err := strconv.Atoi(form.Get("limit")); err == nil && l > 0 && l <= 100 {
		limit = l
	}
	if after := form.Get("starting_after"); after != "" {
		i := slices.IndexFunc(items, func(t T) bool { return id(t) == after })
		items = items[i+1:]
	}
	if len(items) > limit {
		return items[:limit], true
	}
	return items, false
}

func list(data any, more bool, path string) answer {
	return okAnswer(map[string]any{"object": "list", "data": data, "has_more": more, "url": path})
}

func (s *Server) listCustomers(form url.Values) answer {
	cs := make([]*customer, 0, len(s.customers))
	for _, c := range s.customers {
		cs = append(cs, c)
	}
	slices.SortFunc(cs, func(a, b *customer) int {
		return cmp.Or(cmp.Compare(b.Created, a.Created), strings.Compare(b.ID, a.ID))
	})
	pg, more := page(cs, func(c *customer) string { return c.ID }, form)
	data := make([]any, len(pg))
	for i, c := range pg {
		data[i] = customerJSON(c)
	}
	return list(data, more, "/v1/customers")
}

func (s *Server) listSubscriptions(form url.Values) answer {
	status := form.Get("status")
	var subs []*subscription
	for _, sub := range slices.Backward(s.subs) {
		if status == "all" || sub.Status == cmp.Or(status, "active") || (status == "" && sub.Status == "trialing") {
			subs = append(subs, sub)
		}
	}
	pg, more := page(subs, func(s *subscription) string { return s.ID }, form)
	data := make([]any, len(pg))
	for i, sub := range pg {
		data[i] = subscriptionJSON(sub)
	}
	return list(data, more, "/v1/subscriptions")
}

func (s *Server) listTxns(c *customer, form url.Values) answer {
	var gte int64
	if v := form.Get("created[gte]"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return errAnswer(400, "invalid_request_error", "", "Invalid integer: "+v)
		}
		gte = n
	}
	var ts []*txn
	for _, t := range slices.Backward(s.txns[c.ID]) {
		if t.Created >= gte {
			ts = append(ts, t)
		}
	}
	pg, more := page(ts, func(t *txn) string { return t.ID }, form)
	data := make([]any, len(pg))
	for i, t := range pg {
		data[i] = txnJSON(t)
	}
	return list(data, more, "/v1/customers/"+c.ID+"/balance_transactions")
}

func customerJSON(c *customer) map[string]any {
	icb := map[string]int64{}
	for cur, b := range c.Balance {
		if cur != c.Currency && b != 0 {
			icb[cur] = -b
		}
	}
	m := map[string]any{"id": c.ID, "object": "customer", "email": c.Email, "name": c.Name, "created": c.Created,
		"balance": c.Balance[c.Currency], "preferred_locales": orEmpty(c.Locales), "livemode": false,
		"metadata": map[string]string{}}
	if c.Currency != "" {
		m["currency"] = c.Currency
	} else {
		m["currency"] = nil
	}
	if len(icb) > 0 {
		m["invoice_credit_balance"] = icb
	}
	return m
}

func subscriptionJSON(s *subscription) map[string]any {
	items := make([]any, len(s.Items))
	for i, it := range s.Items {
		items[i] = map[string]any{"id": fmt.Sprintf("si_%s_%d", s.ID, i), "object": "subscription_item", "quantity": it.Quantity,
			"price": map[string]any{"id": fmt.Sprintf("price_%s_%d", s.ID, i), "object": "price", "currency": it.Currency,
				"unit_amount": it.UnitAmount, "nickname": it.Nickname, "lookup_key": it.LookupKey, "product": it.Product,
				"recurring": map[string]any{"interval": it.Interval, "interval_count": cmp.Or(it.IntervalCount, 1)}}}
	}
	return map[string]any{"id": s.ID, "object": "subscription", "customer": s.Customer, "status": s.Status,
		"created": s.Created, "items": map[string]any{"object": "list", "data": items, "has_more": false}}
}

func txnJSON(t *txn) map[string]any {
	m := map[string]any{"id": t.ID, "object": "customer_balance_transaction", "amount": t.Amount, "currency": t.Currency,
		"customer": t.Customer, "created": t.Created, "description": t.Description, "ending_balance": t.EndingBalance,
		"metadata": orEmptyMap(t.Metadata), "type": t.Type, "livemode": false}
	if t.Invoice != "" {
		m["invoice"] = t.Invoice
	} else {
		m["invoice"] = nil
	}
	return m
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func orEmptyMap(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}
