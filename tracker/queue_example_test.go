package tracker_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/visitrack/visitrack/consent"
	"github.com/visitrack/visitrack/tracker"
)

func ExampleNewQueue() {
	ctx := context.Background()
	store := tracker.NewMemory() // a Sink: the tracker/sqlite store in a shop
	q := tracker.NewQueue(store, tracker.QueueConfig{})

	// The middleware makes one Tracker per request, recording into q.
	t := tracker.New(tracker.Options{Store: "shop-dk", Visitor: "cv0p5ab8ch2g00b2h3s0",
		Consent: consent.Persistent, Recorder: q})
	t.Click(tracker.Click{Product: "12793", API: "recommendations/trending",
		Labels: []string{"Homepage - Trending"}, Position: 3})
	t.Sale(tracker.Sale{ID: "567", Products: []tracker.Line{{ID: "12793", Price: 99.95, Quantity: 2}}})

	// At shutdown: deliver what is pending, for at most 10 seconds.
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := q.Close(ctx); err != nil {
		fmt.Println(err) // says how many events were not delivered
	}
	for _, e := range store.Events() {
		fmt.Println(e.Kind, e.Product+e.Sale) // a click names a product, a sale its order
	}
	fmt.Printf("%+v\n", q.Stats())
	// Output:
	// click 12793
	// sale 567
	// {Enqueued:2 Delivered:2 Dropped:0 Failed:0 Pending:0}
}

// pickyStore is a Sink that keeps the events it can and says which it
// cannot.
type pickyStore struct{ kept []tracker.Event }

func (s *pickyStore) Write(_ context.Context, events []tracker.Event) error {
	var failed []tracker.EventError
	for i, e := range events {
		if e.Product == "" && e.Kind == tracker.KindClick {
			failed = append(failed, tracker.EventError{Index: i,
				Err: tracker.Permanent(errors.New("click without a product"))})
			continue
		}
		s.kept = append(s.kept, e)
	}
	if failed != nil {
		return &tracker.BatchError{Failed: failed}
	}
	return nil
}

func ExampleBatchError() {
	store := &pickyStore{}
	q := tracker.NewQueue(store, tracker.QueueConfig{
		OnFailure: func(events []tracker.Event, err error) {
			fmt.Println("failed:", events[0].Kind, err)
		},
	})
	ctx := context.Background()
	q.Record(ctx, tracker.Event{ID: "1", Kind: tracker.KindSale, Sale: "567"})
	q.Record(ctx, tracker.Event{ID: "2", Kind: tracker.KindClick})
	q.Close(ctx)
	fmt.Println("stored:", len(store.kept))
	fmt.Printf("%+v\n", q.Stats())
	// Output:
	// failed: click permanent: click without a product
	// stored: 1
	// {Enqueued:2 Delivered:1 Dropped:0 Failed:1 Pending:0}
}
