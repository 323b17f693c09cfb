// Package stripe is makegood's billing sync with Stripe: customers from the
// API, credits pushed as Customer Balance Transactions, invoice uses pulled
// back as apply entries, and a status that compares the two. It talks to
// Stripe through the official stripe-go and to the ledger through the
// Ledger interface; it has no cobra and no SQL.
package stripe

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"time"

	sg "github.com/stripe/stripe-go/v85"
)

// Config is how to reach Stripe.
type Config struct {
	// APIKey is a secret or restricted key (sk_…, rk_…). It is never
	// printed: errors are scrubbed of it.
	APIKey string
	// APIBase points the client elsewhere (stripe-mock, a test server);
	// empty means Stripe's own.
	APIBase string
	// Timeout bounds each HTTP attempt; 0 means 30 s.
	Timeout time.Duration
	// MaxRetries is how many times stripe-go retries a request that failed
	// on the network, with a 429 or a 5xx, with the same Idempotency-Key;
	// negative means none, 0 means DefaultRetries.
	MaxRetries int
	// Transport carries requests; nil means http.DefaultTransport.
	Transport http.RoundTripper
}

// DefaultRetries is the number of retries when the configuration sets none.
const DefaultRetries = 3

// Client is a Stripe API client for the calls makegood makes.
type Client struct {
	sc  *sg.Client
	key string
}

// NewClient builds a stripe-go client on cfg.
func NewClient(cfg Config) (*Client, error) {
	if cfg.APIKey == "" {
		return nil, errors.New("no Stripe API key: set STRIPE_API_KEY (or stripe.api_key in the config file)")
	}
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	retries := int64(cfg.MaxRetries)
	switch {
	case retries == 0:
		retries = DefaultRetries
	case retries < 0:
		retries = 0
	}
	base := cfg.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	bc := &sg.BackendConfig{
		HTTPClient:        &http.Client{Timeout: timeout, Transport: retryable{base}},
		MaxNetworkRetries: sg.Int64(retries),
		// stripe-go logs failed requests to stderr by default; makegood
		// reports errors itself, once, scrubbed of the key.
		LeveledLogger: &sg.LeveledLogger{Level: sg.LevelNull},
	}
	if cfg.APIBase != "" {
		bc.URL = sg.String(strings.TrimRight(cfg.APIBase, "/"))
	}
	return &Client{sc: sg.NewClient(cfg.APIKey, sg.WithBackends(sg.NewBackendsWithConfig(bc))), key: cfg.APIKey}, nil
}

// retryable turns a 409, 429 or 5xx answer into a transport error, so that
// stripe-go's own retry loop (its backoff, the same request and so the same
// Idempotency-Key) retries it. stripe-go v85 retries a decoded Stripe error
// only for a 429 lock_timeout, so a 500, a rate limit, or the 409 Stripe
// answers while a request with the same key is still running would
// otherwise fail at once. Stripe-Should-Retry: false is respected.
type retryable struct{ base http.RoundTripper }

func (t retryable) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	if (resp.StatusCode == http.StatusConflict || resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500) &&
		resp.Header.Get("Stripe-Should-Retry") != "false" {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		return nil, &statusError{status: resp.StatusCode, body: body, requestID: resp.Header.Get("Request-Id")}
	}
	return resp, nil
}

// statusError is a retryable answer that stayed an error after the last
// retry.
type statusError struct {
	status    int
	body      []byte
	requestID string
}

func (e *statusError) Error() string { return fmt.Sprintf("HTTP %d", e.status) }

// Error is a failure Stripe reported, or a failure to reach it. Its text
// carries Stripe's message and request id and never the API key.
type Error struct {
	Status    int    // HTTP status; 0 when Stripe was not reached
	Type      string // Stripe's error type (invalid_request_error, api_error, …)
	Code      string
	Param     string
	Message   string
	RequestID string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("Stripe: ")
	b.WriteString(e.Message)
	var tail []string
	if e.Status != 0 {
		tail = append(tail, fmt.Sprintf("HTTP %d", e.Status))
	}
	if e.Code != "" {
		tail = append(tail, "code "+e.Code)
	}
	if e.RequestID != "" {
		tail = append(tail, "request "+e.RequestID)
	}
	if len(tail) > 0 {
		fmt.Fprintf(&b, " (%s)", strings.Join(tail, ", "))
	}
	return b.String()
}

// keyPattern matches Stripe API keys, so that none is ever printed even when
// one is quoted in a message.
var keyPattern = regexp.MustCompile(`\b(sk|rk)_(test|live)_[A-Za-z0-9]+`)

// Redact removes key, and anything shaped like a Stripe secret key, from s.
func Redact(s, key string) string {
	if key != "" {
		s = strings.ReplaceAll(s, key, "[redacted]")
	}
	return keyPattern.ReplaceAllStringFunc(s, func(k string) string {
		i := strings.LastIndexByte(k, '_')
		return k[:i+1] + "[redacted]"
	})
}

// wrap maps what stripe-go returned to an *Error, scrubbed of the key.
func (c *Client) wrap(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) {
		return err
	}
	out := &Error{}
	var (
		se *sg.Error
		st *statusError
	)
	switch {
	case errors.As(err, &se):
		out.Status, out.Type, out.Code, out.Param = se.HTTPStatusCode, string(se.Type), string(se.Code), se.Param
		out.Message, out.RequestID = se.Msg, se.RequestID
	case errors.As(err, &st):
		out.Status, out.RequestID = st.status, st.requestID
		var body struct {
			Error struct {
				Type, Code, Message, Param string
			} `json:"error"`
		}
		if json.Unmarshal(st.body, &body) == nil && body.Error.Message != "" {
			out.Type, out.Code, out.Message, out.Param = body.Error.Type, body.Error.Code, body.Error.Message, body.Error.Param
		} else {
			out.Message = strings.TrimSpace(string(bytes.ToValidUTF8(st.body, nil)))
			if out.Message == "" {
				out.Message = http.StatusText(st.status)
			}
		}
		out.Message += " (after retries)"
	default:
		out.Message = err.Error()
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			out.Message = "timed out waiting for an answer (stripe.timeout): " + out.Message
		}
	}
	out.Message = Redact(out.Message, c.key)
	return out
}

// Txn is a customer balance transaction as makegood reads it.
type Txn struct {
	ID       string
	Type     string
	Amount   int64 // Stripe's minor units: negative credits the customer
	Currency string
	Invoice  string
	Created  time.Time
	Metadata map[string]string
	Desc     string
}

func txnOf(t *sg.CustomerBalanceTransaction) Txn {
	out := Txn{ID: t.ID, Type: string(t.Type), Amount: t.Amount, Currency: string(t.Currency),
		Created: time.Unix(t.Created, 0).UTC(), Metadata: t.Metadata, Desc: t.Description}
	if t.Invoice != nil {
		out.Invoice = t.Invoice.ID
	}
	return out
}

// CreateTxn sends a push. replayed is true when Stripe answered a key it had
// seen with the first result.
func (c *Client) CreateTxn(ctx context.Context, ledgerID string, p Push) (txn Txn, replayed bool, err error) {
	cur, err := StripeCurrency(p.Currency)
	if err != nil {
		return Txn{}, false, err
	}
	params := &sg.CustomerBalanceTransactionCreateParams{
		Customer:    sg.String(p.StripeCustomer),
		Amount:      sg.Int64(p.AmountStripe),
		Currency:    sg.String(cur),
		Description: sg.String(p.Description),
		Metadata:    Metadata(ledgerID, p.CreditID, p.Kind),
	}
	params.SetIdempotencyKey(p.IdempotencyKey)
	t, err := c.sc.V1CustomerBalanceTransactions.Create(ctx, params)
	if err != nil {
		return Txn{}, false, c.wrap(err)
	}
	if t.LastResponse != nil {
		replayed = t.LastResponse.Header.Get("Idempotent-Replayed") == "true"
	}
	return txnOf(t), replayed, nil
}

// Txns lists a customer's balance transactions created at or after since,
// every page, oldest first.
func (c *Client) Txns(ctx context.Context, stripeCustomer string, since int64) ([]Txn, error) {
	params := &sg.CustomerBalanceTransactionListParams{Customer: sg.String(stripeCustomer)}
	params.Limit = sg.Int64(100)
	if since > 0 {
		params.CreatedRange = &sg.RangeQueryParams{GreaterThanOrEqual: since}
	}
	var out []Txn
	for t, err := range c.sc.V1CustomerBalanceTransactions.List(ctx, params).All(ctx) {
		if err != nil {
			return nil, c.wrap(err)
		}
		out = append(out, txnOf(t))
	}
	// Stripe lists newest first; a pull records them in the order they
	// happened, so a use is allocated before a later return of it.
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}

// Customer retrieves one customer with its balances.
func (c *Client) Customer(ctx context.Context, id string) (*sg.Customer, error) {
	params := &sg.CustomerRetrieveParams{}
	cu, err := c.sc.V1Customers.Retrieve(ctx, id, params)
	return cu, c.wrap(err)
}

// Customers lists every customer, every page.
func (c *Client) Customers(ctx context.Context) ([]*sg.Customer, error) {
	params := &sg.CustomerListParams{}
	params.Limit = sg.Int64(100)
	var out []*sg.Customer
	for cu, err := range c.sc.V1Customers.List(ctx, params).All(ctx) {
		if err != nil {
			return nil, c.wrap(err)
		}
		out = append(out, cu)
	}
	return out, nil
}

// Subscriptions lists every subscription that is not canceled, every page.
func (c *Client) Subscriptions(ctx context.Context) ([]*sg.Subscription, error) {
	params := &sg.SubscriptionListParams{Status: sg.String("all")}
	params.Limit = sg.Int64(100)
	var out []*sg.Subscription
	for s, err := range c.sc.V1Subscriptions.List(ctx, params).All(ctx) {
		if err != nil {
			return nil, c.wrap(err)
		}
		out = append(out, s)
	}
	return out, nil
}
