package tracker

import (
	"context"
	"fmt"
	"time"
)

// Kind is the kind of an Event. The zero value is not a valid kind.
type Kind uint8

// The event kinds. Their wire names follow Clerk.io's tracking API.
const (
	// KindImpression: a labelled call showed Products.
	KindImpression Kind = iota + 1
	// KindClick: the visitor clicked Product, shown by API/Labels at Position.
	KindClick
	// KindSale: an order (Sale) with Lines, Customer and Email.
	KindSale
	// KindView: the visitor viewed the page of Product.
	KindView
	// KindCategory: the visitor viewed Category.
	KindCategory
	// KindSearch: the visitor searched for Query.
	KindSearch
	// KindEmail: the visitor is linked to Email.
	KindEmail
)

var kindNames = [...]string{
	KindImpression: "impression",
	KindClick:      "click",
	KindSale:       "sale",
	KindView:       "product",
	KindCategory:   "category",
	KindSearch:     "search",
	KindEmail:      "email",
}

// String returns the kind's wire name: "impression", "click", "sale",
// "product", "category", "search" or "email".
func (k Kind) String() string {
	if k > 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Valid reports whether k is one of the defined kinds.
func (k Kind) Valid() bool { return k > 0 && int(k) < len(kindNames) }

// MarshalText implements encoding.TextMarshaler.
func (k Kind) MarshalText() ([]byte, error) {
	if !k.Valid() {
		return nil, fmt.Errorf("tracker: invalid kind %d", uint8(k))
	}
	return []byte(kindNames[k]), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (k *Kind) UnmarshalText(b []byte) error {
	for i, n := range kindNames {
		if i > 0 && n == string(b) {
			*k = Kind(i)
			return nil
		}
	}
	return fmt.Errorf("tracker: unknown kind %q", b)
}

// Event is one tracked fact. The tracker fills ID (an xid, unique), Store,
// Visitor and Time (to the microsecond); the other fields depend on Kind.
// Sinks must be idempotent by ID: the Queue may deliver an event more than
// once. Everything a Tracker records is normalized and passes Validate; a
// Sink given events from elsewhere calls Normalize, Validate and CheckTime
// on each.
type Event struct {
	ID      string    `json:"id"`
	Kind    Kind      `json:"kind"`
	Store   string    `json:"store"`
	Visitor string    `json:"visitor"`
	Time    time.Time `json:"time"`

	// Impression: the call that showed Products, and its labels. Click:
	// the call the click came through, if known.
	API      string   `json:"api,omitempty"`
	Labels   []string `json:"labels,omitempty"`
	Products []string `json:"products,omitempty"`

	// Click and view.
	Product  string `json:"product,omitempty"`
	Position int    `json:"position,omitempty"`
	External bool   `json:"external,omitempty"` // the click or view came from outside the shop (email, ads)

	// Sale; Email also for KindEmail.
	Sale     string `json:"sale,omitempty"`
	Lines    []Line `json:"lines,omitempty"`
	Customer string `json:"customer,omitempty"`
	Email    string `json:"email,omitempty"`

	Category string `json:"category,omitempty"`
	// Query: a search's query, or the search an impression showed the
	// results of.
	Query string `json:"query,omitempty"`
	// Results: how many results a search found, when the shop said so; nil
	// when it did not.
	Results *int `json:"results,omitempty"`
}

// Line is one line of a sale: a product (the parent ID for variants), its
// unit price and the quantity bought.
type Line struct {
	ID       string  `json:"id"`
	Price    float64 `json:"price"`
	Quantity int     `json:"quantity"`
}

// Recorder takes events from trackers. Queue and Memory are Recorders.
// Record must not block on slow storage: it is called on the request path.
type Recorder interface {
	Record(ctx context.Context, e Event) error
}

// Sink stores a batch of events. Write must be idempotent by Event.ID, as a
// batch may be delivered again after a failure. Return Permanent(err) for a
// batch that will never succeed, so that it is not retried.
type Sink interface {
	Write(ctx context.Context, events []Event) error
}
