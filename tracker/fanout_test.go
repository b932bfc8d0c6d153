package tracker_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/visitrack/visitrack/consent"
	"github.com/visitrack/visitrack/tracker"
)

// fanoutRecorder adapts a function to tracker.Recorder.
type fanoutRecorder func(ctx context.Context, e tracker.Event) error

func (f fanoutRecorder) Record(ctx context.Context, e tracker.Event) error { return f(ctx, e) }

func TestFanoutRecordsIntoEachDestination(t *testing.T) {
	t.Parallel()
	a, b := tracker.NewMemory(), tracker.NewMemory()
	tr := trkInto(tracker.Fanout(a, nil, b))
	require.NoError(t, tr.View("12793"))
	require.NoError(t, tr.Sale(tracker.Sale{ID: "567", Products: []tracker.Line{{ID: "12793", Price: 10, Quantity: 1}}}))
	require.Equal(t, 2, a.Len())
	assert.Equal(t, a.Events(), b.Events(), "the same events, with the same IDs, in each")

	assert.NoError(t, tracker.Fanout().Record(t.Context(), a.Events()[0]), "no destination: nothing to refuse")
}

func TestFanoutDroppedByOneStillReachesTheOthers(t *testing.T) {
	t.Parallel()
	full := fanoutRecorder(func(context.Context, tracker.Event) error { return tracker.ErrQueueFull })
	broken := errors.New("disk on fire")
	failing := fanoutRecorder(func(context.Context, tracker.Event) error { return broken })
	a, b := tracker.NewMemory(), tracker.NewMemory()
	tr := trkInto(tracker.Fanout(full, a, failing, b))

	err := tr.Click(tracker.Click{Product: "12793"})
	assert.ErrorIs(t, err, tracker.ErrQueueFull)
	assert.ErrorIs(t, err, broken, "every destination's error is returned")
	assert.Equal(t, 1, a.Len(), "the click reached the destinations with room")
	assert.Equal(t, 1, b.Len())
}

// A sale waiting for room in one full queue does not wait before reaching
// the others, and the request waits no longer than its own context.
func TestFanoutSaleWaitingInOneDestinationDoesNotDelayTheOthers(t *testing.T) {
	t.Parallel()
	mem := tracker.NewMemory()
	waiting := make(chan struct{})
	var once sync.Once
	stuck := fanoutRecorder(func(ctx context.Context, _ tracker.Event) error {
		once.Do(func() { close(waiting) })
		<-ctx.Done()
		return ctx.Err()
	})
	ctx, cancel := context.WithCancel(t.Context())
	tr := trkInto(tracker.Fanout(stuck, mem), func(o *tracker.Options) { o.Context = ctx })
	done := make(chan error, 1)
	go func() {
		done <- tr.Sale(tracker.Sale{ID: "567", Products: []tracker.Line{{ID: "12793", Price: 10, Quantity: 1}}})
	}()
	<-waiting
	require.Eventually(t, func() bool { return mem.Len() == 1 }, 5*time.Second, time.Millisecond,
		"the sale reached the other destination while the first still waits")
	cancel()
	assert.ErrorIs(t, <-done, context.Canceled)
}

// With real queues: Clerk's queue full and its sink down, the local queue
// still gets every click, and delivers each exactly once.
func TestFanoutWithQueues(t *testing.T) {
	t.Parallel()
	local := tracker.NewMemory()
	down := make(chan struct{})
	remote := tracker.NewQueue(fanoutSink(func(ctx context.Context, _ []tracker.Event) error {
		select {
		case <-down:
		case <-ctx.Done():
		}
		return errors.New("down")
	}), tracker.QueueConfig{MaxEvents: 2, BatchSize: 1, Senders: 1, FlushInterval: time.Millisecond, MaxElapsed: -1})
	lq := tracker.NewQueue(local, tracker.QueueConfig{FlushInterval: time.Millisecond})
	tr := trkInto(tracker.Fanout(remote, lq))
	var full int
	for i := range 20 {
		if err := tr.View("p" + string(rune('a'+i))); errors.Is(err, tracker.ErrQueueFull) {
			full++
		} else {
			require.NoError(t, err)
		}
	}
	assert.Positive(t, full, "the remote queue filled up")
	require.NoError(t, lq.Close(t.Context()))
	assert.Equal(t, 20, local.Len(), "every view reached the local store, once")
	close(down)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Millisecond)
	defer cancel()
	_ = remote.Close(ctx)
}

// fanoutSink adapts a function to tracker.Sink.
type fanoutSink func(ctx context.Context, events []tracker.Event) error

func (f fanoutSink) Write(ctx context.Context, events []tracker.Event) error { return f(ctx, events) }

// Each destination gets every event; one that refuses it does not keep it
// from the others.
func ExampleFanout() {
	local, remote := tracker.NewMemory(), tracker.NewMemory()
	full := fanoutRecorder(func(context.Context, tracker.Event) error { return tracker.ErrQueueFull })
	t := tracker.New(tracker.Options{Store: "shop-dk", Visitor: "d0lq6ur2ek9ks4d5v2u0", Consent: consent.Cookieless,
		Recorder: tracker.Fanout(local, full, remote)})
	err := t.View("12793")
	fmt.Println(errors.Is(err, tracker.ErrQueueFull), local.Len(), remote.Len())
	// Output:
	// true 1 1
}
