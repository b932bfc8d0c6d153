package clerk_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/visitrack/visitrack/consent"
	"github.com/visitrack/visitrack/tracker"
	"github.com/visitrack/visitrack/tracker/clerk"
	"github.com/visitrack/visitrack/tracker/clerk/clerktest"
)

// A shop fetches Trending from Clerk and sends its events both to its own
// store (here a Memory) and to Clerk, each through its own queue.
func Example() {
	ctx := context.Background()
	api := clerktest.New() // a fake Clerk; leave URL out to reach the real one
	defer api.Close()
	cfg := clerk.Config{Key: clerktest.Key, URL: api.URL}

	fw, err := clerk.NewSink(cfg)
	if err != nil {
		panic(err)
	}
	local := tracker.NewMemory()
	remote := tracker.NewQueue(fw, tracker.QueueConfig{})
	rec := tracker.Fanout(local, remote)

	// In a handler, the middleware's tracker: tracker.From(r.Context()).
	t := tracker.New(tracker.Options{Store: "shop-dk", Visitor: "d0lq6ur2ek9ks4d5v2u0", Consent: consent.Cookieless, Recorder: rec})
	cl := clerk.NewClient(cfg)
	res, err := cl.Call(ctx, t, "recommendations/trending", map[string]any{"limit": 3}, "Homepage - Trending")
	if err != nil {
		panic(err)
	}
	fmt.Println("trending:", res.Products)
	_ = t.Click(tracker.Click{Product: res.Products[0], Position: 1})

	if err := remote.Close(ctx); err != nil {
		panic(err)
	}
	for _, r := range api.Received() {
		fmt.Println(r.Endpoint, r.Body["visitor"], r.Accepted)
	}
	fmt.Println("local events:", local.Len())
	// Output:
	// trending: [12793 13001 12794]
	// recommendations/trending d0lq6ur2ek9ks4d5v2u0 true
	// log/click d0lq6ur2ek9ks4d5v2u0 true
	// local events: 2
}

// Clerk's errors come back typed, with its type and message.
func ExampleError() {
	api := clerktest.New()
	defer api.Close()
	api.Fail(clerktest.Failure{Type: "invalid_argument", Message: "limit must be at most 100"}) // with HTTP 200

	cl := clerk.NewClient(clerk.Config{Key: clerktest.Key, URL: api.URL})
	_, err := cl.Call(context.Background(), tracker.From(context.Background()), "recommendations/trending",
		map[string]any{"limit": 1000}, "Homepage - Trending")
	var ce *clerk.Error
	if errors.As(err, &ce) {
		fmt.Println(ce.Status, ce.Type, ce.Message)
	}
	// Output:
	// 200 invalid_argument limit must be at most 100
}
