package tracker_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/visitrack/visitrack/consent"
	"github.com/visitrack/visitrack/tracker"
)

// Without the middleware in front of a handler, From returns a disabled
// tracker: calls still validate, and the visitor travels as null.
func ExampleTracker_Call() {
	t := tracker.From(context.Background())
	call, err := t.Call("recommendations/trending", "Homepage - Trending")
	if err != nil {
		panic(err)
	}
	body, _ := json.Marshal(call.Params())
	fmt.Println(string(body))

	_, err = t.Call("recommendations/trending")
	fmt.Println(errors.Is(err, tracker.ErrNoLabels))
	// Output:
	// {"labels":["Homepage - Trending"],"visitor":null}
	// true
}

// A product ID sent as a number and the same digits sent as a string are the
// same product.
func ExampleProductID() {
	var order struct {
		Products []struct {
			ID tracker.ProductID `json:"id"`
		} `json:"products"`
	}
	err := json.Unmarshal([]byte(`{"products": [{"id": 12793}, {"id": "12793"}]}`), &order)
	if err != nil {
		panic(err)
	}
	fmt.Println(order.Products[0].ID == order.Products[1].ID, order.Products[0].ID)

	var id tracker.ProductID
	err = json.Unmarshal([]byte(`12.5`), &id)
	fmt.Println(errors.Is(err, tracker.ErrBadProductID))
	// Output:
	// true 12793
	// true
}

// A Sale decodes from Clerk.io's log/sale shape, whatever the IDs' JSON type.
func ExampleSale_Validate() {
	var s tracker.Sale
	err := json.Unmarshal([]byte(`{"sale": 567, "email": " A@Example.com",
		"products": [{"id": 12793, "price": 99.95, "quantity": 2}]}`), &s)
	if err != nil {
		panic(err)
	}
	email, err := s.Validate()
	fmt.Println(s.ID, s.Products[0].ID, email, err)

	s.Products[0].Quantity = 0
	_, err = s.Validate()
	fmt.Println(errors.Is(err, tracker.ErrBadQuantity))
	// Output:
	// 567 12793 a@example.com <nil>
	// true
}

// A Memory records events in tests and examples.
func ExampleNewMemory() {
	m := tracker.NewMemory()
	t := tracker.New(tracker.Options{
		Store:    "shop-dk",
		Visitor:  "cv7o1m8a6ts6hq6q0rl0",
		Consent:  consent.Cookieless,
		Recorder: m,
		Now:      func() time.Time { return time.Date(2026, 3, 14, 12, 0, 0, 0, time.UTC) },
	})
	err := t.Click(tracker.Click{Product: "12793", API: "recommendations/trending",
		Labels: []string{"Homepage - Trending"}, Position: 3})
	if err != nil {
		panic(err)
	}
	for _, e := range m.Events() {
		fmt.Println(e.Kind, e.Store, e.Visitor, e.Product, e.Labels, e.Position, e.Time.Format(time.RFC3339))
	}
	// Output:
	// click shop-dk cv7o1m8a6ts6hq6q0rl0 12793 [Homepage - Trending] 3 2026-03-14T12:00:00Z
}

// Stores sum money in micro-units, so that ten times 0.10 is exactly 1.
func ExampleMicros() {
	var total int64
	for range 10 {
		total += tracker.Micros(0.1)
	}
	fmt.Println(total, tracker.FromMicros(total))
	// Output:
	// 1000000 1
}

// A refused input names its field, and errors.Is finds the rule it broke.
func ExampleFieldError() {
	t := tracker.From(context.Background())
	err := t.Sale(tracker.Sale{ID: "567", Products: []tracker.Line{
		{ID: "12793", Price: 99.95, Quantity: 2},
		{ID: "8812", Price: 1, Quantity: 1},
		{ID: "4711", Price: -1, Quantity: 1},
	}})
	fmt.Println(err)

	var fe *tracker.FieldError
	if errors.As(err, &fe) {
		fmt.Println(fe.Field, errors.Is(err, tracker.ErrBadPrice))
	}

	err = t.Search("wo\x00ol")
	fmt.Println(errors.Is(err, tracker.ErrBadText))
	// Output:
	// tracker: sale "567", products[2].price: price must be finite, 0 ≤ price ≤ 1e9 (got -1)
	// products[2].price true
	// true
}

// A store checks each event it is given, as a Tracker does before
// recording: Normalize, then Validate, then CheckTime against its own clock.
func ExampleEvent_Validate() {
	now := time.Date(2026, 3, 14, 12, 0, 0, 0, time.UTC)
	events := []tracker.Event{
		{ID: "d6ncvqq6r8bc73b8ggo0", Kind: tracker.KindClick, Store: "shop-dk", Visitor: "cv7o1m8a6ts6hq6q0rl0",
			Time: now, Product: " 12793 ", Labels: []string{"Home", " Home"}},
		{ID: "d6ncvqq6r8bc73b8ggog", Kind: tracker.KindView, Store: "shop-dk", Visitor: "cv7o1m8a6ts6hq6q0rl0",
			Time: now, Product: "127\x1f93"},
		{ID: "d6ncvqq6r8bc73b8ggp0", Kind: tracker.KindView, Store: "shop-dk", Visitor: "cv7o1m8a6ts6hq6q0rl0",
			Time: now.Add(time.Hour), Product: "12793"},
	}
	for _, e := range events {
		e.Normalize()
		err := e.Validate()
		if err == nil {
			err = e.CheckTime(now)
		}
		fmt.Printf("%q %q %v\n", e.Product, e.Labels, err)
	}
	// Output:
	// "12793" ["Home"] <nil>
	// "127\x1f93" [] tracker: product: text must be valid UTF-8 without control characters (control character U+001F at byte 3)
	// "12793" [] tracker: product, time: dated in the future (1h0m0s after the receiver's clock, at most 5m0s)
}
