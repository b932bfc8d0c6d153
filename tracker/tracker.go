package tracker

import (
	"context"
	"fmt"
	"math"
	"net/mail"
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
	// Store names the shop; events never cross stores.
	Store string
	// Visitor is the visitor ID; empty makes the tracker disabled.
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

// Attach returns a copy of ctx carrying a new tracker made from o, and the
// tracker; o.Context defaults to ctx. It is New and NewContext in one
// allocation.
func Attach(ctx context.Context, o Options) (context.Context, *Tracker) {
	c := new(Context)
	return c, c.Init(ctx, o)
}

// Context is a context.Context that carries a Tracker. Middleware that
// allocates a struct per request can embed one there, and save the
// allocations of New and NewContext; other code uses Attach. The zero value
// is not usable; call Init, and do not copy a Context after.
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
// Trending"); analytics are reported per label. It returns ErrNoLabels unless
// at least one label is non-empty, and ErrNoAPI without an API name.
func (t *Tracker) Call(api string, labels ...string) (*Call, error) {
	api = strings.TrimSpace(api)
	if api == "" {
		return nil, ErrNoAPI
	}
	ls, err := cleanLabels(labels)
	if err != nil {
		return nil, fmt.Errorf("call %q: %w", api, err)
	}
	return &Call{t: t, api: api, labels: ls}, nil
}

// cleanLabels trims labels and drops empty ones; it copies so that the
// caller may reuse its slice.
func cleanLabels(labels []string) ([]string, error) {
	n, clean := 0, true
	for _, l := range labels {
		switch t := strings.TrimSpace(l); {
		case t == "":
			clean = false
		case len(t) != len(l):
			clean = false
			n++
		default:
			n++
		}
	}
	if n == 0 {
		return nil, ErrNoLabels
	}
	if clean {
		return slices.Clone(labels), nil
	}
	out := make([]string, 0, n)
	for _, l := range labels {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out, nil
}

// Call is one labelled call that returns results. Send Params with the API
// request and report what it showed with Shown.
type Call struct {
	t      *Tracker
	api    string
	labels []string
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
// order. Product IDs are trimmed and must not be empty (ErrNoProduct).
// Events of one call share its labels slice: treat Event.Labels as
// read-only.
func (c *Call) Shown(products ...string) error {
	ids := make([]string, len(products))
	for i, p := range products {
		if ids[i] = strings.TrimSpace(p); ids[i] == "" {
			return fmt.Errorf("shown by %q, position %d: %w", c.api, i+1, ErrNoProduct)
		}
	}
	return c.t.record(Event{Kind: KindImpression, API: c.api, Labels: c.labels, Products: ids})
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

// Click records a click. It returns ErrNoProduct without a product.
func (t *Tracker) Click(c Click) error {
	if c.Product = strings.TrimSpace(c.Product); c.Product == "" {
		return fmt.Errorf("click: %w", ErrNoProduct)
	}
	if c.Position < 0 {
		c.Position = 0
	}
	var labels []string
	if len(c.Labels) > 0 {
		ls, err := cleanLabels(c.Labels)
		if err == nil {
			labels = ls
		}
	}
	return t.record(Event{Kind: KindClick, Product: c.Product, API: strings.TrimSpace(c.API),
		Labels: labels, Position: c.Position, External: c.External})
}

// Sale is an order. Use the parent product ID for variants, as in clicks.
type Sale struct {
	ID       string `json:"sale"`
	Customer string `json:"customer,omitempty"`
	Email    string `json:"email,omitempty"`
	Products []Line `json:"products"`
}

// Validate checks s: an ID, at least one line, and each line with a product,
// a quantity of at least 1 and a finite price of at least 0; an email, when
// given, must parse. It returns the normalised email.
func (s Sale) Validate() (email string, err error) {
	if strings.TrimSpace(s.ID) == "" {
		return "", ErrNoSaleID
	}
	if len(s.Products) == 0 {
		return "", fmt.Errorf("sale %q: %w", s.ID, ErrNoLines)
	}
	for i, l := range s.Products {
		switch {
		case strings.TrimSpace(l.ID) == "":
			return "", fmt.Errorf("sale %q, line %d: %w", s.ID, i+1, ErrNoProduct)
		case l.Quantity < 1:
			return "", fmt.Errorf("sale %q, line %d: %w (got %d)", s.ID, i+1, ErrBadQuantity, l.Quantity)
		case math.IsNaN(l.Price) || math.IsInf(l.Price, 0) || l.Price < 0:
			return "", fmt.Errorf("sale %q, line %d: %w (got %v)", s.ID, i+1, ErrBadPrice, l.Price)
		}
	}
	if s.Email != "" {
		e, err := NormalizeEmail(s.Email)
		if err != nil {
			return "", fmt.Errorf("sale %q: %w", s.ID, err)
		}
		return e, nil
	}
	return "", nil
}

// Sale records an order; see Sale.Validate for what is checked.
func (t *Tracker) Sale(s Sale) error {
	email, err := s.Validate()
	if err != nil {
		return err
	}
	lines := make([]Line, len(s.Products))
	for i, l := range s.Products {
		l.ID = strings.TrimSpace(l.ID)
		lines[i] = l
	}
	return t.record(Event{Kind: KindSale, Sale: strings.TrimSpace(s.ID), Customer: strings.TrimSpace(s.Customer),
		Email: email, Lines: lines})
}

// View records that the visitor viewed a product's page.
func (t *Tracker) View(product string) error {
	if product = strings.TrimSpace(product); product == "" {
		return fmt.Errorf("view: %w", ErrNoProduct)
	}
	return t.record(Event{Kind: KindView, Product: product})
}

// Category records that the visitor viewed a category page.
func (t *Tracker) Category(category string) error {
	if category = strings.TrimSpace(category); category == "" {
		return fmt.Errorf("category: %w", ErrEmpty)
	}
	return t.record(Event{Kind: KindCategory, Category: category})
}

// Search records a search query.
func (t *Tracker) Search(query string) error {
	if query = strings.TrimSpace(query); query == "" {
		return fmt.Errorf("search: %w", ErrEmpty)
	}
	return t.record(Event{Kind: KindSearch, Query: query})
}

// Email links the visitor to an email address, as when the visitor signs up
// or arrives through a link in an email. It returns ErrBadEmail for an
// address that does not parse.
func (t *Tracker) Email(address string) error {
	e, err := NormalizeEmail(address)
	if err != nil {
		return err
	}
	return t.record(Event{Kind: KindEmail, Email: e})
}

// NormalizeEmail checks that address is a bare email address ("a@example.com",
// no display name) and returns it trimmed and in lower case, the form stores
// match on.
func NormalizeEmail(address string) (string, error) {
	a := strings.TrimSpace(address)
	if a == "" || len(a) > 254 {
		return "", ErrBadEmail
	}
	p, err := mail.ParseAddress(a)
	if err != nil || p.Address != a || p.Name != "" {
		return "", ErrBadEmail
	}
	return strings.ToLower(a), nil
}

func (t *Tracker) record(e Event) error {
	visitor, rec := t.ident().visitor, t.rec
	if visitor == "" {
		return nil
	}
	now := time.Now
	if t.now != nil {
		now = t.now
	}
	e.Time = now()
	e.ID = xid.NewWithTime(e.Time).String()
	e.Store, e.Visitor = t.store, visitor
	ctx := t.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	return rec.Record(ctx, e)
}
