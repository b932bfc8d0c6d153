package sqlite_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/visitrack/visitrack/tracker"
	"github.com/visitrack/visitrack/tracker/sqlite"
)

func Example() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "visitrack-example-")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	db, err := sqlite.Open(ctx, filepath.Join(dir, "visitrack.db"))
	if err != nil {
		panic(err)
	}
	defer db.Close()

	t0 := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	ev := func(id string, min int, e tracker.Event) tracker.Event {
		e.ID, e.Store, e.Visitor, e.Time = id, "shop-dk", "cv1", t0.Add(time.Duration(min)*time.Minute)
		return e
	}
	err = db.Write(ctx, []tracker.Event{
		ev("1", 0, tracker.Event{Kind: tracker.KindImpression, API: "recommendations/trending",
			Labels: []string{"Homepage - Trending"}, Products: []string{"12793", "8812"}}),
		ev("2", 1, tracker.Event{Kind: tracker.KindClick, Product: "12793"}), // backtracked
		ev("3", 5, tracker.Event{Kind: tracker.KindSale, Sale: "567", Email: "a@example.com",
			Lines: []tracker.Line{{ID: "12793", Price: 99.95, Quantity: 2}, {ID: "5", Price: 0.10, Quantity: 1}}}),
	})
	if err != nil {
		panic(err)
	}
	rep, err := db.Report(ctx, "shop-dk", t0, t0.Add(24*time.Hour))
	if err != nil {
		panic(err)
	}
	fmt.Printf("orders %d, impacted %d, revenue %.2f\n", rep.Orders, rep.ImpactedOrders, rep.Revenue)
	for _, l := range rep.Labels {
		fmt.Printf("%s: calls %d, impressions %d, clicks %d, orders %d, revenue %.2f\n",
			l.Label, l.Calls, l.Impressions, l.Clicks, l.Orders, l.Revenue)
	}
	ids, _ := db.Visitors(ctx, "shop-dk", "a@example.com")
	fmt.Println("visitors of a@example.com:", ids)
	// Output:
	// orders 1, impacted 1, revenue 200.00
	// Homepage - Trending: calls 1, impressions 2, clicks 1, orders 1, revenue 199.90
	// visitors of a@example.com: [cv1]
}

// ExampleStore_PurgeEvery keeps 13 months of events, purging every hour
// until the context ends.
func ExampleStore_PurgeEvery() {
	dir, err := os.MkdirTemp("", "visitrack-example-")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	db, err := sqlite.Open(context.Background(), filepath.Join(dir, "visitrack.db"))
	if err != nil {
		panic(err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	db.PurgeEvery(ctx, time.Hour, 395*24*time.Hour) // usually: go db.PurgeEvery(...)
	fmt.Println("stopped:", ctx.Err())
	// Output: stopped: context deadline exceeded
}
