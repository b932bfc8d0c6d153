package tracker

import (
	"context"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/rs/xid"

	"github.com/visitrack/visitrack/consent"
)

// Tracker records what one request's visitor was shown and did. Get it with
// From; the middleware puts one in every request's context. A Tracker is safe
// for concurrent use by the handler's goroutines.
//
// A disabled tracker (consent Disabled, or no middleware) has no visitor ID
// and records nothing; its methods still validate their input, so a mistake
// shows in development whatever the consent state.
type Tracker struct {
	// id is who the tracker records for. It starts out pointing at first
	// and Switch replaces it, so that the hot path reads it with one
	// atomic load and no lock, and New allocates nothing more.
	id    atomic.Pointer[identity]
	first identity
	store string
	rec   Recorder
	now   func() time.Time
	ctx   context.Context
}

// identity is a tracker's consent state and visitor ID; it never changes
// once published.
type identity struct {
	state   consent.State
	visitor string
}

// Options configures a Tracker made with New.
type Options struct {
	// Store names the shop; events never cross stores. It must be valid
	// text of at most MaxIDBytes, or an enabled tracker refuses to record.
	Store string
	// Visitor is the visitor ID; empty makes the tracker disabled. Like
	// Store, it must be valid text of at most MaxIDBytes.
	Visitor string
	// Consent is the consent state of the request. Disabled, or an empty
	// Visitor, makes the tracker disabled.
	Consent consent.State
	// Recorder receives the events. Nil makes the tracker disabled.
	Recorder Recorder
	// Now returns the time events are stamped with; nil means time.Now.
	Now func() time.Time
	// Context is passed to Recorder.Record; the middleware sets the
	// request's context, so that a sale waiting for room in a full queue
	// waits no longer than the request. Nil means context.Background.
	Context context.Context
}

// New returns a tracker for one request. Most code gets its tracker from
// From instead; New is for the middleware and for tests.
func New(o Options) *Tracker {
	t := new(Tracker)
	t.init(o)
	return t
}

func (t *Tracker) init(o Options) {
	t.store, t.rec, t.now, t.ctx = o.Store, o.Recorder, o.Now, o.Context
	t.first = t.identityFor(o.Consent, o.Visitor)
	t.id.Store(&t.first)
}

// Switch changes the consent state and visitor ID of t for the rest of the
// request. The middleware calls it when a handler records a new choice with
// SetConsent; handlers need not.
func (t *Tracker) Switch(state consent.State, visitor string) {
	id := t.identityFor(state, visitor)
	t.id.Store(&id)
}

func (t *Tracker) identityFor(state consent.State, visitor string) identity {
	if state == consent.Disabled || state == consent.Unknown || !state.Valid() || visitor == "" || t.rec == nil {
		return identity{state: consent.Disabled}
	}
	return identity{state: state, visitor: visitor}
}

// ident returns the tracker's identity; a zero Tracker is disabled.
func (t *Tracker) ident() identity {
	if id := t.id.Load(); id != nil {
		return *id
	}
	return identity{state: consent.Disabled}
}

type contextKey struct{ name string }

var trackerKey = &contextKey{"tracker"}

// NewContext returns a copy of ctx that carries t.
func NewContext(ctx context.Context, t *Tracker) context.Context {
	return context.WithValue(ctx, trackerKey, t)
}

// Context is a context.Context that carries a Tracker, for middleware that
// allocates a struct per request anyway: embedded there, it saves the two
// allocations of New and NewContext. Measured (BenchmarkContext in this
// package, go test -bench Context -cpu 1, two shared CPUs): 1 allocation
// and 88 ns median against 3 allocations and 170 ns; in the middleware
// package's benchmarks a returning visitor's request takes 4 allocations
// (920 B) against 6 (952 B), about 2 µs either way. Other code uses New and
// NewContext.
//
// The zero value is not usable; call Init. Do not copy a Context after: the
// tracker Init returns lives inside it.
type Context struct {
	context.Context
	t Tracker
}

// Init makes c a child of parent carrying a tracker made from o, and returns
// the tracker. o.Context defaults to parent.
func (c *Context) Init(parent context.Context, o Options) *Tracker {
	if o.Context == nil {
		o.Context = parent
	}
	c.Context = parent
	c.t.init(o)
	return &c.t
}

// Value returns the tracker for the tracker's key, and asks the parent for
// any other.
func (c *Context) Value(key any) any {
	if key == trackerKey {
		return &c.t
	}
	return c.Context.Value(key)
}

// From returns the tracker carried by ctx. It never returns nil: without one
// (no middleware in front of the handler) it returns a disabled tracker.
func From(ctx context.Context) *Tracker {
	if t, ok := ctx.Value(trackerKey).(*Tracker); ok && t != nil {
		return t
	}
	return &Tracker{}
}

// Visitor returns the visitor ID, or "" when the tracker is disabled.
func (t *Tracker) Visitor() string { return t.ident().visitor }

// Consent returns the request's consent state: Disabled, Cookieless or
// Persistent.
func (t *Tracker) Consent() consent.State { return t.ident().state }

// Enabled reports whether t records events.
func (t *Tracker) Enabled() bool { return t.Visitor() != "" }

// Store returns the store name events are recorded under.
func (t *Tracker) Store() string { return t.store }

// Call starts a labelled call to api (such as "recommendations/trending" or
// "search/predictive"). Labels name where the results are shown ("Homepage -
// Trending"); analytics are reported per label. Labels are trimmed, and empty
// and duplicate ones dropped. It returns a *FieldError wrapping ErrNoAPI
// without an API name, ErrNoLabels unless at least one label is non-empty,
// and ErrTooMany, ErrTooLong or ErrBadText past the limits (MaxLabels,
// MaxLabelBytes, MaxAPIBytes).
func (t *Tracker) Call(api string, labels ...string) (*Call, error) {
	// The clone is the call's own, so Normalize may change it in place.
	e := Event{Kind: KindImpression, API: api, Labels: slices.Clone(labels)}
	e.normalize(true)
	if err := e.validateCall(); err != nil {
		return nil, err
	}
	return &Call{t: t, api: e.API, labels: e.Labels}, nil
}

// Call is one labelled call that returns results. Send Params with the API
// request and report what it showed with Shown.
type Call struct {
	t      *Tracker
	api    string
	labels []string
	query  string
}

// ForQuery returns a copy of c whose impressions record that they show the
// results of a search for query, so that a dashboard can tell which
// searches lead to clicks. The query is trimmed and cut as Normalize does;
// one that is not valid text (invalid UTF-8, control characters) is left
// out, and the impressions are recorded without it rather than refused.
func (c *Call) ForQuery(query string) *Call {
	d := *c
	d.query = cutQuery(strings.TrimSpace(query))
	if textProblem(d.query) != "" {
		d.query = ""
	}
	return &d
}

// API returns the call's API name.
func (c *Call) API() string { return c.api }

// Labels returns a copy of the call's labels.
func (c *Call) Labels() []string { return append([]string(nil), c.labels...) }

// Params returns the tracking parameters to send with the call, as Clerk.io's
// API expects them: "visitor" (the ID, or nil when tracking is disabled) and
// "labels".
func (c *Call) Params() map[string]any {
	var v any
	if id := c.t.Visitor(); id != "" {
		v = id
	}
	return map[string]any{"visitor": v, "labels": c.Labels()}
}

// Shown records an impression: the call showed these products, in this
// order. Product IDs are trimmed; it returns a *FieldError wrapping
// ErrNoProduct for no products or an empty ID, and ErrTooMany for more than
// MaxProducts. Events of one call share its labels slice: treat
// Event.Labels as read-only.
func (c *Call) Shown(products ...string) error {
	// The call's API name and labels are normalized already; the labels
	// must not be written to, as events of the call share them.
	e := Event{Kind: KindImpression, API: c.api, Labels: c.labels, Products: trimAll(slices.Clone(products), true), Query: c.query}
	return c.t.record(&e)
}

// Click is a click on a product shown by a tracked call. API and Labels may
// be left empty: the store then backtracks the click to the latest call that
// showed Product to this visitor.
type Click struct {
	Product  string   `json:"product"`
	API      string   `json:"api,omitempty"`
	Labels   []string `json:"labels,omitempty"`
	Position int      `json:"position,omitempty"` // 1-based; 0 when unknown
	External bool     `json:"external,omitempty"` // the click came from outside the shop, such as an email
}

// Click records a click. It returns a *FieldError wrapping ErrNoProduct
// without a product. Labels are cleaned as Call's are; a click whose labels
// are all empty is backtracked like one without, and labels past the limits
// are refused (ErrTooMany, ErrTooLong, ErrBadText). A negative Position
// counts as unknown.
func (t *Tracker) Click(c Click) error {
	return t.recordOwn(Event{Kind: KindClick, Product: c.Product, API: c.API, Labels: slices.Clone(c.Labels),
		Position: c.Position, External: c.External})
}

// Sale is an order. Use the parent product ID for variants, as in clicks.
type Sale struct {
	ID       string `json:"sale"`
	Customer string `json:"customer,omitempty"`
	Email    string `json:"email,omitempty"`
	Products []Line `json:"products"`
}

// Validate checks s as Tracker.Sale does: an ID, 1 to MaxLines lines, each
// with a product ID, a price (finite, 0 to MaxPrice) and a quantity (1 to
// MaxQuantity), together worth at most MaxSaleTotal; IDs valid text of at
// most MaxIDBytes; an email, when given, must parse. Errors are
// *FieldErrors. It returns the normalised email.
func (s Sale) Validate() (email string, err error) {
	e := s.event()
	e.Normalize()
	if err := e.validateFields(); err != nil {
		return "", err
	}
	return e.Email, nil
}

// event returns the sale event for s; its lines are s's.
func (s Sale) event() Event {
	return Event{Kind: KindSale, Sale: s.ID, Customer: s.Customer, Email: s.Email, Lines: s.Products}
}

// Sale records an order; see Sale.Validate for what is checked.
func (t *Tracker) Sale(s Sale) error {
	e := s.event()
	e.Lines = slices.Clone(e.Lines) // the event's own, whatever the caller does next
	return t.recordOwn(e)
}

// View records that the visitor viewed a product's page. It returns a
// *FieldError wrapping ErrNoProduct without a product.
func (t *Tracker) View(product string) error {
	return t.recordOwn(Event{Kind: KindView, Product: product})
}

// Category records that the visitor viewed a category page. It returns a
// *FieldError wrapping ErrEmpty without a category.
func (t *Tracker) Category(category string) error {
	return t.recordOwn(Event{Kind: KindCategory, Category: category})
}

// Search records a search query. A query longer than MaxQueryBytes is cut
// at a rune boundary; an empty one gives a *FieldError wrapping ErrEmpty, and
// one that is not valid UTF-8 or holds a control character ErrBadText. Cut
// a query only at a rune boundary before passing it (not with q[:n]).
func (t *Tracker) Search(query string) error {
	return t.recordOwn(Event{Kind: KindSearch, Query: query})
}

// SearchResults records a search query and how many results it found, so
// that a dashboard can list the searches that found nothing.
func (t *Tracker) SearchResults(query string, results int) error {
	return t.recordOwn(Event{Kind: KindSearch, Query: query, Results: &results})
}

// Email links the visitor to an email address, as when the visitor signs up
// or arrives through a link in an email. It returns a *FieldError wrapping
// ErrBadEmail for an address NormalizeEmail refuses.
func (t *Tracker) Email(address string) error {
	return t.recordOwn(Event{Kind: KindEmail, Email: address})
}

// recordOwn normalizes e, which holds no slice the caller may change, and
// records it.
func (t *Tracker) recordOwn(e Event) error {
	e.normalize(true)
	return t.record(&e)
}

// record checks e, normalized, and records it, stamped with an ID, the
// store, the visitor and the time, unless t is disabled.
func (t *Tracker) record(e *Event) error {
	if err := e.validateFields(); err != nil {
		return err // whether t is enabled or not, so that mistakes show
	}
	visitor, rec := t.ident().visitor, t.rec
	if visitor == "" {
		return nil
	}
	now := time.Now
	if t.now != nil {
		now = t.now
	}
	// Stores keep microseconds; stamping at that resolution makes what a
	// Memory holds equal what a store returns. Truncate also drops the
	// monotonic reading, which means nothing outside this process.
	e.Time = now().Truncate(time.Microsecond)
	e.ID = xid.NewWithTime(e.Time).String()
	e.Store, e.Visitor = t.store, visitor
	if err := e.validateHeader(); err != nil {
		return err // a store name or visitor ID past the limits
	}
	ctx := t.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	return rec.Record(ctx, *e)
}
