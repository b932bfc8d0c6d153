package tracker_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/visitrack/visitrack/consent"
	"github.com/visitrack/visitrack/tracker"
)

// sinkFunc adapts a function to a Sink.
type sinkFunc func(ctx context.Context, events []tracker.Event) error

func (f sinkFunc) Write(ctx context.Context, events []tracker.Event) error { return f(ctx, events) }

var quiet = slog.New(slog.DiscardHandler)

// fast is a config with short waits, for tests.
func fast(c tracker.QueueConfig) tracker.QueueConfig {
	if c.FlushInterval == 0 {
		c.FlushInterval = 5 * time.Millisecond
	}
	if c.InitialBackoff == 0 {
		c.InitialBackoff = time.Millisecond
	}
	if c.MaxBackoff == 0 {
		c.MaxBackoff = 5 * time.Millisecond
	}
	if c.Logger == nil {
		c.Logger = quiet
	}
	return c
}

func event(i int, kind tracker.Kind) tracker.Event {
	e := tracker.Event{ID: fmt.Sprintf("e%06d", i), Kind: kind, Store: "shop", Visitor: "v1",
		Time: time.Unix(1700000000, 0).UTC()}
	switch kind {
	case tracker.KindSale:
		e.Sale = "s" + strconv.Itoa(i)
		e.Lines = []tracker.Line{{ID: "p1", Price: 9.5, Quantity: 2}}
	case tracker.KindEmail:
		e.Email = "a@example.com"
	default:
		e.Product = "p" + strconv.Itoa(i)
	}
	return e
}

func ids(events []tracker.Event) map[string]bool {
	m := make(map[string]bool, len(events))
	for _, e := range events {
		m[e.ID] = true
	}
	return m
}

func assertInvariant(t *testing.T, s tracker.Stats) {
	t.Helper()
	assert.Equal(t, s.Enqueued, s.Delivered+s.Dropped+s.Failed+s.Pending, "stats %+v", s)
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestQueueDelivers(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	mem := tracker.NewMemory()
	q := tracker.NewQueue(mem, fast(tracker.QueueConfig{BatchSize: 7}))
	for i := range 100 {
		require.NoError(t, q.Record(ctx, event(i, tracker.KindClick)))
	}
	require.NoError(t, q.Close(ctx))
	assert.Equal(t, 100, mem.Len())
	s := q.Stats()
	assert.Equal(t, tracker.Stats{Enqueued: 100, Delivered: 100}, s)
	assert.ErrorIs(t, q.Record(ctx, event(101, tracker.KindSale)), tracker.ErrClosed)
	assert.NoError(t, q.Close(ctx), "a second Close returns what the first did")
}

func TestQueueBatchesBySizeAndBytes(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	var mu sync.Mutex
	var sizes []int
	sink := sinkFunc(func(_ context.Context, events []tracker.Event) error {
		mu.Lock()
		sizes = append(sizes, len(events))
		mu.Unlock()
		return nil
	})
	q := tracker.NewQueue(sink, fast(tracker.QueueConfig{BatchSize: 10, BatchBytes: 1 << 30, FlushInterval: time.Hour}))
	for i := range 30 {
		require.NoError(t, q.Record(ctx, event(i, tracker.KindView)))
	}
	require.NoError(t, q.Flush(ctx))
	require.NoError(t, q.Close(ctx))
	mu.Lock()
	assert.Equal(t, []int{10, 10, 10}, sizes)
	sizes = nil
	mu.Unlock()

	// Every event is bigger than BatchBytes: one event per batch.
	q = tracker.NewQueue(sink, fast(tracker.QueueConfig{BatchSize: 10, BatchBytes: 1, FlushInterval: time.Hour}))
	for i := range 3 {
		require.NoError(t, q.Record(ctx, event(i, tracker.KindView)))
	}
	require.NoError(t, q.Close(ctx))
	mu.Lock()
	assert.Equal(t, []int{1, 1, 1}, sizes)
	mu.Unlock()
}

func TestQueueFlush(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	mem := tracker.NewMemory()
	// Batches never fill and the interval never passes: only Flush sends.
	q := tracker.NewQueue(mem, fast(tracker.QueueConfig{BatchSize: 1000, FlushInterval: time.Hour}))
	defer q.Close(ctx)
	require.NoError(t, q.Flush(ctx), "nothing to flush")
	for i := range 10 {
		require.NoError(t, q.Record(ctx, event(i, tracker.KindSearch)))
	}
	require.NoError(t, q.Flush(ctx))
	assert.Equal(t, 10, mem.Len())
	for i := 10; i < 15; i++ {
		require.NoError(t, q.Record(ctx, event(i, tracker.KindSearch)))
	}
	require.NoError(t, q.Flush(ctx))
	assert.Equal(t, 15, mem.Len())
	assert.Equal(t, uint64(0), q.Stats().Pending)
}

func TestQueueFlushInterval(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	mem := tracker.NewMemory()
	q := tracker.NewQueue(mem, fast(tracker.QueueConfig{BatchSize: 1000, FlushInterval: 10 * time.Millisecond}))
	defer q.Close(ctx)
	require.NoError(t, q.Record(ctx, event(1, tracker.KindView)))
	require.Eventually(t, func() bool { return mem.Len() == 1 }, 10*time.Second, time.Millisecond,
		"a lone event is sent once the interval passes")
}

// TestQueueRecovers: the sink fails in every way for a while, then recovers;
// nothing is lost.
func TestQueueRecovers(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	mem := tracker.NewMemory()
	var calls atomic.Int64
	sink := sinkFunc(func(ctx context.Context, events []tracker.Event) error {
		switch n := calls.Add(1); {
		case n <= 30 && n%3 == 0:
			return errors.New("connection refused")
		case n <= 30 && n%3 == 1:
			<-ctx.Done() // hangs until WriteTimeout
			return ctx.Err()
		case n <= 30:
			return fmt.Errorf("wrapped: %w", context.DeadlineExceeded)
		}
		return mem.Write(ctx, events)
	})
	q := tracker.NewQueue(sink, fast(tracker.QueueConfig{BatchSize: 16, Senders: 3,
		WriteTimeout: 5 * time.Millisecond, MaxElapsed: -1}))
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 250 {
				kind := tracker.KindClick
				if i%10 == 0 {
					kind = tracker.KindSale
				}
				assert.NoError(t, q.Record(ctx, event(g*1000+i, kind)))
			}
		})
	}
	wg.Wait()
	require.NoError(t, q.Close(ctx))
	assert.Equal(t, 1000, mem.Len())
	assert.Greater(t, calls.Load(), int64(30))
	s := q.Stats()
	assert.Equal(t, tracker.Stats{Enqueued: 1000, Delivered: 1000}, s)
}

func TestQueuePermanentFailure(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	var calls atomic.Int64
	bad := errors.New("store rejects batch")
	sink := sinkFunc(func(ctx context.Context, events []tracker.Event) error {
		calls.Add(1)
		return fmt.Errorf("write: %w", tracker.Permanent(bad))
	})
	var mu sync.Mutex
	var failed []tracker.Event
	var failErr error
	q := tracker.NewQueue(sink, fast(tracker.QueueConfig{BatchSize: 5, Senders: 1,
		OnFailure: func(events []tracker.Event, err error) {
			mu.Lock()
			failed = append(failed, events...)
			failErr = err
			mu.Unlock()
		}}))
	for i := range 10 {
		require.NoError(t, q.Record(ctx, event(i, tracker.KindSale)))
	}
	require.NoError(t, q.Flush(ctx))
	mu.Lock()
	assert.Len(t, failed, 10)
	assert.True(t, tracker.IsPermanent(failErr))
	assert.ErrorIs(t, failErr, bad)
	mu.Unlock()
	assert.Equal(t, int64(2), calls.Load(), "permanent failures are not retried")
	s := q.Stats()
	assert.Equal(t, tracker.Stats{Enqueued: 10, Failed: 10}, s)

	err := q.Close(ctx)
	assert.NoError(t, err, "the failures came before Close")
}

func TestPermanent(t *testing.T) {
	t.Parallel()
	assert.NoError(t, tracker.Permanent(nil))
	assert.NoError(t, tracker.RetryAfter(nil, time.Second))
	base := errors.New("x")
	assert.False(t, tracker.IsPermanent(base))
	assert.True(t, tracker.IsPermanent(fmt.Errorf("a: %w", tracker.Permanent(base))))
	assert.ErrorIs(t, tracker.Permanent(base), base)
	assert.ErrorIs(t, tracker.RetryAfter(base, time.Second), base)
}

func TestQueueGivesUpAfterMaxElapsed(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	down := errors.New("down")
	var got atomic.Int64
	var gotErr atomic.Value
	q := tracker.NewQueue(sinkFunc(func(context.Context, []tracker.Event) error { return down }),
		fast(tracker.QueueConfig{MaxElapsed: 30 * time.Millisecond,
			OnFailure: func(events []tracker.Event, err error) {
				got.Add(int64(len(events)))
				gotErr.Store(err)
			}}))
	for i := range 20 {
		require.NoError(t, q.Record(ctx, event(i, tracker.KindClick)))
	}
	require.NoError(t, q.Flush(ctx))
	assert.Equal(t, int64(20), got.Load())
	assert.ErrorIs(t, gotErr.Load().(error), down)
	assert.Equal(t, tracker.Stats{Enqueued: 20, Failed: 20}, q.Stats())
	require.NoError(t, q.Close(ctx))
}

func TestQueueRetryAfter(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	const hint = 150 * time.Millisecond
	var mu sync.Mutex
	var attempts []time.Time
	mem := tracker.NewMemory()
	sink := sinkFunc(func(ctx context.Context, events []tracker.Event) error {
		mu.Lock()
		attempts = append(attempts, time.Now())
		n := len(attempts)
		mu.Unlock()
		if n == 1 {
			return tracker.RetryAfter(errors.New("429 too many requests"), hint)
		}
		return mem.Write(ctx, events)
	})
	// Without the hint the retry would come within 1 ms.
	q := tracker.NewQueue(sink, fast(tracker.QueueConfig{Senders: 1, InitialBackoff: time.Millisecond, MaxBackoff: time.Millisecond}))
	require.NoError(t, q.Record(ctx, event(1, tracker.KindSale)))
	require.NoError(t, q.Close(ctx))
	assert.Equal(t, 1, mem.Len())
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, attempts, 2)
	assert.GreaterOrEqual(t, attempts[1].Sub(attempts[0]), hint, "the retry waited for the hint")
}

func TestQueueRetryAfterBeyondMaxElapsed(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	var calls atomic.Int64
	failed := make(chan []tracker.Event, 1)
	q := tracker.NewQueue(sinkFunc(func(context.Context, []tracker.Event) error {
		calls.Add(1)
		return tracker.RetryAfter(errors.New("503"), time.Hour)
	}), fast(tracker.QueueConfig{MaxElapsed: time.Minute, OnFailure: func(e []tracker.Event, _ error) { failed <- e }}))
	require.NoError(t, q.Record(ctx, event(1, tracker.KindClick)))
	require.NoError(t, q.Flush(ctx), "gives up at once rather than wait past MaxElapsed")
	assert.Len(t, <-failed, 1)
	assert.Equal(t, int64(1), calls.Load())
	require.NoError(t, q.Close(ctx))
}

// hungSink blocks every Write until its context ends or it is released.
type hungSink struct {
	release chan struct{}
	mem     *tracker.Memory
	calls   atomic.Int64
}

func newHungSink() *hungSink {
	return &hungSink{release: make(chan struct{}), mem: tracker.NewMemory()}
}

func (h *hungSink) Write(ctx context.Context, events []tracker.Event) error {
	h.calls.Add(1)
	select {
	case <-h.release:
		return h.mem.Write(ctx, events)
	case <-ctx.Done():
		return ctx.Err()
	}
}

func TestQueueCloseDeadline(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	sink := newHungSink()
	var failed atomic.Int64
	q := tracker.NewQueue(sink, fast(tracker.QueueConfig{BatchSize: 10, WriteTimeout: time.Hour,
		OnFailure: func(events []tracker.Event, _ error) { failed.Add(int64(len(events))) }}))
	for i := range 25 {
		require.NoError(t, q.Record(ctx, event(i, tracker.KindClick)))
	}
	cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	err := q.Close(cctx)
	var u *tracker.UndeliveredError
	require.ErrorAs(t, err, &u)
	assert.Equal(t, 25, u.Events)
	assert.Equal(t, 0, u.Spooled)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Contains(t, err.Error(), "25 events not delivered")
	assert.Equal(t, int64(25), failed.Load(), "what Close could not deliver went to OnFailure")
	s := q.Stats()
	assert.Equal(t, tracker.Stats{Enqueued: 25, Failed: 25}, s)
}

func TestQueueFull(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	sink := newHungSink()
	q := tracker.NewQueue(sink, fast(tracker.QueueConfig{MaxEvents: 10, BatchSize: 5, Senders: 1,
		WriteTimeout: time.Hour, MaxElapsed: -1}))
	for i := range 10 {
		require.NoError(t, q.Record(ctx, event(i, tracker.KindClick)))
	}
	for i, k := range []tracker.Kind{tracker.KindImpression, tracker.KindClick, tracker.KindView,
		tracker.KindSearch, tracker.KindCategory} {
		assert.ErrorIs(t, q.Record(ctx, event(100+i, k)), tracker.ErrQueueFull, "%v", k)
	}
	// A sale waits for room as long as its request may.
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	err := q.Record(short, event(200, tracker.KindSale))
	assert.ErrorIs(t, err, tracker.ErrQueueFull)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	s := q.Stats()
	assert.Equal(t, tracker.Stats{Enqueued: 16, Dropped: 6, Pending: 10}, s)

	// These wait until the sink recovers, then get in.
	var wg sync.WaitGroup
	for i, k := range []tracker.Kind{tracker.KindSale, tracker.KindEmail} {
		wg.Go(func() { assert.NoError(t, q.Record(ctx, event(300+i, k))) })
	}
	close(sink.release)
	wg.Wait()
	require.NoError(t, q.Close(ctx))
	got := ids(sink.mem.Events())
	assert.Len(t, got, 12)
	assert.True(t, got["e000300"] && got["e000301"], "the sale and email link were delivered")
	assert.Equal(t, tracker.Stats{Enqueued: 18, Delivered: 12, Dropped: 6}, q.Stats())
}

func TestQueueMaxBytes(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	sink := newHungSink()
	q := tracker.NewQueue(sink, fast(tracker.QueueConfig{MaxBytes: 2000, WriteTimeout: time.Hour}))
	defer q.Close(ctx)
	defer close(sink.release) // before Close
	var n int
	for ; n < 100; n++ {
		if err := q.Record(ctx, event(n, tracker.KindClick)); err != nil {
			require.ErrorIs(t, err, tracker.ErrQueueFull)
			break
		}
	}
	assert.Greater(t, n, 0)
	assert.Less(t, n, 100, "bounded by bytes long before by count")
}

// TestQueueStatsInvariant samples Stats while producers, a flaky sink and
// drops run together.
func TestQueueStatsInvariant(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	var calls atomic.Int64
	sink := sinkFunc(func(ctx context.Context, events []tracker.Event) error {
		switch calls.Add(1) % 5 {
		case 0:
			return errors.New("flaky")
		case 1:
			return tracker.Permanent(errors.New("bad batch"))
		}
		return nil
	})
	q := tracker.NewQueue(sink, fast(tracker.QueueConfig{MaxEvents: 200, BatchSize: 16, Senders: 3}))
	stop := make(chan struct{})
	var sampler sync.WaitGroup
	var samples int
	sampler.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			assertInvariant(t, q.Stats())
			samples++
		}
	})
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 5000 {
				kind := tracker.KindImpression
				if i%100 == 0 {
					kind = tracker.KindSale
				}
				err := q.Record(ctx, event(g*100000+i, kind))
				if err != nil {
					assert.ErrorIs(t, err, tracker.ErrQueueFull)
				}
			}
		})
	}
	wg.Wait()
	_ = q.Close(ctx)
	close(stop)
	sampler.Wait()
	s := q.Stats()
	assertInvariant(t, s)
	assert.Equal(t, uint64(20000), s.Enqueued)
	assert.Zero(t, s.Pending)
	assert.Greater(t, samples, 0)
}

func TestQueueZeroConfig(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	mem := tracker.NewMemory()
	q := tracker.NewQueue(mem, tracker.QueueConfig{Logger: quiet})
	tr := tracker.New(tracker.Options{Store: "shop", Visitor: "cv0p5ab8ch2g00b2h3s0", Consent: consent.Persistent, Recorder: q})
	require.NoError(t, tr.Click(tracker.Click{Product: "12793", API: "recommendations/trending",
		Labels: []string{"Homepage - Trending"}, Position: 3}))
	require.NoError(t, q.Close(ctx))
	require.Equal(t, 1, mem.Len())
	assert.Equal(t, "12793", mem.Events()[0].Product)
}
