package clerk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync/atomic"

	"github.com/visitrack/visitrack/tracker"
)

// maxResult bounds how much of a result-returning call's answer is read.
const maxResult = 4 << 20

// ErrBadEndpoint is returned by Call for an endpoint that is not a plain
// API path such as "recommendations/trending".
var ErrBadEndpoint = errors.New("clerk: an endpoint is a path such as \"recommendations/trending\"")

// Client makes Clerk's result-returning calls (recommendations, search) on
// behalf of a request's tracker. Make one with NewClient; it is safe for
// concurrent use, and one serves the whole shop.
type Client struct {
	set  settings
	err  error // the configuration's error: every call returns it
	http *http.Client
	sem  chan struct{}
	log  *slog.Logger
	// authd is set once a refused key has been logged.
	authd atomic.Bool
}

// NewClient returns a Client for the API at cfg.URL with cfg.Key. A
// configuration it cannot use (see NewSink) is not an error here: every
// call returns it, as ErrNoKey, ErrBadKey or ErrBadURL.
func NewClient(cfg Config) *Client {
	set, err := cfg.settings()
	if err != nil {
		return &Client{err: err, log: slog.Default()}
	}
	return &Client{set: set, http: set.httpClient(), sem: make(chan struct{}, set.MaxConcurrency), log: set.Logger}
}

// Result is the answer to a call.
type Result struct {
	// Products are the IDs in Clerk's "result", in its order; an ID sent
	// as a JSON number is given as its digits.
	Products []string
	// Count is Clerk's "count" (the number of matches of a search, say),
	// or 0 when the answer has none.
	Count int
	// Body is the whole answer, for the fields Result does not name
	// ("facets", "product_data", ...).
	Body json.RawMessage
}

// Call POSTs to endpoint (such as "recommendations/trending" or
// "search/search") the caller's args with "key", "labels" and "visitor"
// added: the visitor ID of t, or null when t is disabled, exactly as
// t.Call(endpoint, labels...).Params() gives them. args may not set those
// three; theirs are overwritten, and args is not modified. On success it
// records the products of the result as shown by that call (Call.Shown),
// so that clicks backtrack to it in the local store too, and, when args
// has a "query" string (as search/search takes), as the results of that
// search (Call.ForQuery); a failure to record is logged, never returned,
// since it must not cost the visitor the results.
//
// It returns the error of t.Call (such as tracker.ErrNoLabels) before
// sending anything, a *Error when Clerk answers with one (errors.As), or
// ctx's or the network's error. Config.Timeout bounds the call, and so
// does ctx: a shop page should give it a deadline of its own and show
// something else when it passes.
func (c *Client) Call(ctx context.Context, t *tracker.Tracker, endpoint string, args map[string]any, labels ...string) (*Result, error) {
	if c.err != nil {
		return nil, c.err
	}
	if !endpointOK(endpoint) {
		return nil, ErrBadEndpoint
	}
	call, err := t.Call(endpoint, labels...)
	if err != nil {
		return nil, err
	}
	if q, ok := args["query"].(string); ok {
		call = call.ForQuery(q)
	}
	body := make(map[string]any, len(args)+3)
	for k, v := range args {
		body[k] = v
	}
	for k, v := range call.Params() {
		body[k] = v
	}
	body["key"] = c.set.Key
	b, err := json.Marshal(body)
	if err != nil {
		// The caller's args: name the endpoint, never the body, which
		// holds the key.
		var ue *json.UnsupportedTypeError
		if errors.As(err, &ue) {
			return nil, fmt.Errorf("clerk: %s: args hold a %v, which JSON cannot encode", endpoint, ue.Type)
		}
		return nil, fmt.Errorf("clerk: %s: args cannot be encoded as JSON", endpoint)
	}
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("clerk: %s: %w", endpoint, ctx.Err())
	}
	status, answer, _, err := post(ctx, c.http, c.set.base+"/"+endpoint, b, maxResult)
	<-c.sem
	if err != nil {
		return nil, fmt.Errorf("clerk: %s: %w", endpoint, err)
	}
	if cerr := check(endpoint, status, answer, c.set.Key, c.set.PrivateKey); cerr != nil {
		if cerr.authFailed() && c.authd.CompareAndSwap(false, true) {
			c.log.ErrorContext(ctx, "clerk: the API refused the key", "endpoint", endpoint, "status", cerr.Status, "type", cerr.Type)
		}
		return nil, cerr
	}
	var r struct {
		Result []tracker.ProductID `json:"result"`
		Count  int                 `json:"count"`
	}
	if err := json.Unmarshal(answer, &r); err != nil {
		return nil, &Error{Endpoint: endpoint, Status: status, Type: "bad_response",
			Message: "the answer's result is not a list of product IDs"}
	}
	res := &Result{Products: make([]string, len(r.Result)), Count: r.Count, Body: answer}
	for i, id := range r.Result {
		res.Products[i] = string(id)
	}
	if len(res.Products) > 0 {
		if err := call.Shown(res.Products...); err != nil {
			c.log.WarnContext(ctx, "clerk: recording what a call showed", "endpoint", endpoint, "err", err)
		}
	}
	return res, nil
}
