package tracker_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
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

// The behaviour suite: every test here runs once per queueMode. What is
// only about the spool (replay, a killed process, a full disk, its cap) is in
// queue_spool_test.go.

// queueMode is one way a Queue holds events. Where a behaviour differs by
// mode, the difference is a field here, which the tests read.
type queueMode struct {
	name string
	// spooled: QueueConfig.Spool names a file in the test's directory.
	spooled bool
	// bound sets the bound that lets the queue hold the events given and
	// no more: MaxEvents in memory; in a spool, SpoolMaxBytes, a soft cap
	// on their encoded size that the last one reaches.
	bound func(c *tracker.QueueConfig, events []tracker.Event)
	// boundBytes bounds the size of the events held: MaxBytes in memory,
	// SpoolMaxBytes in a spool.
	boundBytes func(c *tracker.QueueConfig, n int)
	// salesPassBound: a sale or email link beyond the bound is stored at
	// once (a spool's cap is soft); otherwise it waits for room until its
	// context ends.
	salesPassBound bool
	// closeKeeps: what Close cannot deliver stays in the spool for the next
	// start; otherwise it goes to OnFailure and counts as failed.
	closeKeeps bool
	// load divides the events of the tests under load: a spool syncs every
	// group of writes to disk.
	load int
}

var queueModes = []queueMode{
	{
		name:       "memory",
		bound:      func(c *tracker.QueueConfig, events []tracker.Event) { c.MaxEvents = len(events) },
		boundBytes: func(c *tracker.QueueConfig, n int) { c.MaxBytes = n },
		load:       1,
	},
	{
		name:    "spool",
		spooled: true,
		bound: func(c *tracker.QueueConfig, events []tracker.Event) {
			c.SpoolMaxBytes = encodedSize(events[:len(events)-1]) + 1
		},
		boundBytes:     func(c *tracker.QueueConfig, n int) { c.SpoolMaxBytes = int64(n) },
		salesPassBound: true,
		closeKeeps:     true,
		load:           50,
	},
}

// config returns c for a queue of this mode.
func (m queueMode) config(t *testing.T, c tracker.QueueConfig) tracker.QueueConfig {
	if m.spooled {
		c.Spool = filepath.Join(t.TempDir(), "spool.db")
	}
	return c
}

// forEachMode runs test in every mode, in parallel.
func forEachMode(t *testing.T, test func(t *testing.T, m queueMode)) {
	t.Parallel()
	for _, m := range queueModes {
		t.Run(m.name, func(t *testing.T) {
			t.Parallel()
			test(t, m)
		})
	}
}

// encodedSize is what events count for against SpoolMaxBytes.
func encodedSize(events []tracker.Event) int64 {
	n := 0
	for _, e := range events {
		b, err := json.Marshal(e)
		if err != nil {
			panic(err)
		}
		n += len(b)
	}
	return int64(n)
}

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

func idList(events []tracker.Event) []string {
	l := make([]string, len(events))
	for i, e := range events {
		l[i] = e.ID
	}
	return l
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

// failures collects what a Queue hands to OnFailure.
type failures struct {
	mu     sync.Mutex
	events []tracker.Event
	errs   []error
}

func (f *failures) onFailure(events []tracker.Event, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, e := range events {
		f.events = append(f.events, e)
		f.errs = append(f.errs, err)
	}
}

func (f *failures) get() ([]tracker.Event, []error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]tracker.Event(nil), f.events...), append([]error(nil), f.errs...)
}

// expect checks that OnFailure was handed n events, the first with an error
// that wraps cause, and returns the events and that error.
func (f *failures) expect(t *testing.T, n int, cause error) ([]tracker.Event, error) {
	t.Helper()
	failed, errs := f.get()
	require.Len(t, failed, n)
	require.Len(t, errs, n)
	assert.ErrorIs(t, errs[0], cause)
	return failed, errs[0]
}

// recordN records events 0 to n-1, of kind, into q.
func recordN(ctx context.Context, t *testing.T, q *tracker.Queue, n int, kind tracker.Kind) {
	t.Helper()
	for i := range n {
		require.NoError(t, q.Record(ctx, event(i, kind)))
	}
}

// produce records events into q from 4 producers at once, perProducer each:
// every saleEvery-th a sale, the others of kind. It hands what each Record
// returns to check, and returns once all are done.
func produce(ctx context.Context, q *tracker.Queue, perProducer int, kind tracker.Kind, saleEvery int, check func(error)) {
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range perProducer {
				k := kind
				if i%saleEvery == 0 {
					k = tracker.KindSale
				}
				check(q.Record(ctx, event(g*100000+i, k)))
			}
		})
	}
	wg.Wait()
}

// assertSettled checks that q has settled its events as want says and that
// it closes without an error.
func assertSettled(ctx context.Context, t *testing.T, q *tracker.Queue, want tracker.Stats) {
	t.Helper()
	assert.Equal(t, want, q.Stats())
	assert.NoError(t, q.Close(ctx))
}

// storeAllBut is what a sink does that stores a batch in part: it writes to
// mem the events that failed does not name, and reports the ones it does in a
// BatchError (no error when failed is nil).
func storeAllBut(ctx context.Context, mem *tracker.Memory, events []tracker.Event, failed []tracker.EventError) error {
	var stored []tracker.Event
	for i, e := range events {
		if !slices.ContainsFunc(failed, func(f tracker.EventError) bool { return f.Index == i }) {
			stored = append(stored, e)
		}
	}
	if err := mem.Write(ctx, stored); err != nil {
		return err
	}
	if failed != nil {
		return &tracker.BatchError{Failed: failed}
	}
	return nil
}

func TestQueueDelivers(t *testing.T) {
	forEachMode(t, func(t *testing.T, m queueMode) {
		ctx := testCtx(t)
		mem := tracker.NewMemory()
		q := tracker.NewQueue(mem, m.config(t, fast(tracker.QueueConfig{BatchSize: 7})))
		recordN(ctx, t, q, 100, tracker.KindClick)
		require.NoError(t, q.Close(ctx))
		assert.Equal(t, 100, mem.Len())
		assert.Equal(t, tracker.Stats{Enqueued: 100, Delivered: 100}, q.Stats())
		assert.ErrorIs(t, q.Record(ctx, event(101, tracker.KindSale)), tracker.ErrClosed)
		assert.NoError(t, q.Close(ctx), "a second Close returns what the first did")
	})
}

func TestQueueBatchesBySizeAndBytes(t *testing.T) {
	forEachMode(t, func(t *testing.T, m queueMode) {
		ctx := testCtx(t)
		var mu sync.Mutex
		var sizes []int
		sink := sinkFunc(func(_ context.Context, events []tracker.Event) error {
			mu.Lock()
			sizes = append(sizes, len(events))
			mu.Unlock()
			return nil
		})
		q := tracker.NewQueue(sink, m.config(t, fast(tracker.QueueConfig{BatchSize: 10, BatchBytes: 1 << 30, FlushInterval: time.Hour})))
		recordN(ctx, t, q, 30, tracker.KindView)
		require.NoError(t, q.Flush(ctx))
		require.NoError(t, q.Close(ctx))
		mu.Lock()
		assert.Equal(t, []int{10, 10, 10}, sizes)
		sizes = nil
		mu.Unlock()

		// Every event is bigger than BatchBytes: one event per batch.
		q = tracker.NewQueue(sink, m.config(t, fast(tracker.QueueConfig{BatchSize: 10, BatchBytes: 1, FlushInterval: time.Hour})))
		recordN(ctx, t, q, 3, tracker.KindView)
		require.NoError(t, q.Close(ctx))
		mu.Lock()
		assert.Equal(t, []int{1, 1, 1}, sizes)
		mu.Unlock()
	})
}

func TestQueueFlush(t *testing.T) {
	forEachMode(t, func(t *testing.T, m queueMode) {
		ctx := testCtx(t)
		mem := tracker.NewMemory()
		// Batches never fill and the interval never passes: only Flush sends.
		q := tracker.NewQueue(mem, m.config(t, fast(tracker.QueueConfig{BatchSize: 1000, FlushInterval: time.Hour})))
		defer q.Close(ctx)
		require.NoError(t, q.Flush(ctx), "nothing to flush")
		recordN(ctx, t, q, 10, tracker.KindSearch)
		require.NoError(t, q.Flush(ctx))
		assert.Equal(t, 10, mem.Len())
		for i := 10; i < 15; i++ {
			require.NoError(t, q.Record(ctx, event(i, tracker.KindSearch)))
		}
		require.NoError(t, q.Flush(ctx))
		assert.Equal(t, 15, mem.Len())
		assert.Equal(t, uint64(0), q.Stats().Pending)
	})
}

func TestQueueFlushInterval(t *testing.T) {
	forEachMode(t, func(t *testing.T, m queueMode) {
		ctx := testCtx(t)
		mem := tracker.NewMemory()
		q := tracker.NewQueue(mem, m.config(t, fast(tracker.QueueConfig{BatchSize: 1000, FlushInterval: 10 * time.Millisecond})))
		defer q.Close(ctx)
		require.NoError(t, q.Record(ctx, event(1, tracker.KindView)))
		require.Eventually(t, func() bool { return mem.Len() == 1 }, 10*time.Second, time.Millisecond,
			"a lone event is sent once the interval passes")
	})
}

// TestQueueRecovers: the sink fails in every way for a while, then recovers;
// nothing is lost.
func TestQueueRecovers(t *testing.T) {
	forEachMode(t, func(t *testing.T, m queueMode) {
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
		q := tracker.NewQueue(sink, m.config(t, fast(tracker.QueueConfig{BatchSize: 16, Senders: 3,
			WriteTimeout: 5 * time.Millisecond, MaxElapsed: -1})))
		perProducer := 250 / m.load
		produce(ctx, q, perProducer, tracker.KindClick, 10, func(err error) { assert.NoError(t, err) })
		require.NoError(t, q.Close(ctx))
		n := uint64(4 * perProducer)
		assert.Equal(t, int(n), mem.Len())
		assert.Greater(t, calls.Load(), int64(30))
		assert.Equal(t, tracker.Stats{Enqueued: n, Delivered: n}, q.Stats())
	})
}

func TestQueuePermanentFailure(t *testing.T) {
	forEachMode(t, func(t *testing.T, m queueMode) {
		ctx := testCtx(t)
		var written atomic.Int64
		bad := errors.New("store rejects batch")
		sink := sinkFunc(func(ctx context.Context, events []tracker.Event) error {
			written.Add(int64(len(events)))
			return fmt.Errorf("write: %w", tracker.Permanent(bad))
		})
		var f failures
		q := tracker.NewQueue(sink, m.config(t, fast(tracker.QueueConfig{BatchSize: 5, Senders: 1,
			OnFailure: f.onFailure})))
		recordN(ctx, t, q, 10, tracker.KindSale)
		require.NoError(t, q.Flush(ctx))
		_, err := f.expect(t, 10, bad)
		assert.True(t, tracker.IsPermanent(err))
		assert.Equal(t, int64(10), written.Load(), "permanent failures are not retried")
		assert.Equal(t, tracker.Stats{Enqueued: 10, Failed: 10}, q.Stats())
		assert.NoError(t, q.Close(ctx), "the failures came before Close")
	})
}

func TestQueueGivesUpAfterMaxElapsed(t *testing.T) {
	forEachMode(t, func(t *testing.T, m queueMode) {
		ctx := testCtx(t)
		down := errors.New("down")
		var f failures
		q := tracker.NewQueue(sinkFunc(func(context.Context, []tracker.Event) error { return down }),
			m.config(t, fast(tracker.QueueConfig{MaxElapsed: 30 * time.Millisecond, OnFailure: f.onFailure})))
		recordN(ctx, t, q, 20, tracker.KindClick)
		require.NoError(t, q.Flush(ctx))
		f.expect(t, 20, down)
		assert.Equal(t, tracker.Stats{Enqueued: 20, Failed: 20}, q.Stats())
		require.NoError(t, q.Close(ctx))
	})
}

func TestQueueRetryAfter(t *testing.T) {
	forEachMode(t, func(t *testing.T, m queueMode) {
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
		q := tracker.NewQueue(sink, m.config(t, fast(tracker.QueueConfig{Senders: 1,
			InitialBackoff: time.Millisecond, MaxBackoff: time.Millisecond})))
		require.NoError(t, q.Record(ctx, event(1, tracker.KindSale)))
		require.NoError(t, q.Close(ctx))
		assert.Equal(t, 1, mem.Len())
		mu.Lock()
		defer mu.Unlock()
		require.Len(t, attempts, 2)
		assert.GreaterOrEqual(t, attempts[1].Sub(attempts[0]), hint, "the retry waited for the hint")
	})
}

func TestQueueRetryAfterBeyondMaxElapsed(t *testing.T) {
	forEachMode(t, func(t *testing.T, m queueMode) {
		ctx := testCtx(t)
		var calls atomic.Int64
		var f failures
		q := tracker.NewQueue(sinkFunc(func(context.Context, []tracker.Event) error {
			calls.Add(1)
			return tracker.RetryAfter(errors.New("503"), time.Hour)
		}), m.config(t, fast(tracker.QueueConfig{MaxElapsed: time.Minute, OnFailure: f.onFailure})))
		require.NoError(t, q.Record(ctx, event(1, tracker.KindClick)))
		require.NoError(t, q.Flush(ctx), "gives up at once rather than wait past MaxElapsed")
		failed, _ := f.get()
		assert.Len(t, failed, 1)
		assert.Equal(t, int64(1), calls.Load())
		require.NoError(t, q.Close(ctx))
	})
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
	forEachMode(t, func(t *testing.T, m queueMode) {
		ctx := testCtx(t)
		sink := newHungSink()
		var f failures
		q := tracker.NewQueue(sink, m.config(t, fast(tracker.QueueConfig{BatchSize: 10, WriteTimeout: time.Hour,
			OnFailure: f.onFailure})))
		recordN(ctx, t, q, 25, tracker.KindClick)
		cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		err := q.Close(cctx)
		var u *tracker.UndeliveredError
		require.ErrorAs(t, err, &u)
		assert.Equal(t, 25, u.Events)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Contains(t, err.Error(), "25 events not delivered")
		failed, _ := f.get()
		if m.closeKeeps {
			assert.Equal(t, 25, u.Spooled)
			assert.Contains(t, err.Error(), "25 kept in the spool")
			assert.Empty(t, failed, "what Close could not deliver stays in the spool")
			assert.Equal(t, tracker.Stats{Enqueued: 25, Pending: 25}, q.Stats())
		} else {
			assert.Equal(t, 0, u.Spooled)
			assert.Len(t, failed, 25, "what Close could not deliver went to OnFailure")
			assert.Equal(t, tracker.Stats{Enqueued: 25, Failed: 25}, q.Stats())
		}
	})
}

func TestQueueFull(t *testing.T) {
	forEachMode(t, func(t *testing.T, m queueMode) {
		ctx := testCtx(t)
		sink := newHungSink()
		var fill []tracker.Event
		for i := range 10 {
			fill = append(fill, event(i, tracker.KindClick))
		}
		cfg := fast(tracker.QueueConfig{BatchSize: 5, Senders: 1, WriteTimeout: time.Hour, MaxElapsed: -1})
		m.bound(&cfg, fill)
		q := tracker.NewQueue(sink, m.config(t, cfg))
		for _, e := range fill {
			require.NoError(t, q.Record(ctx, e))
		}
		for i, k := range []tracker.Kind{tracker.KindImpression, tracker.KindClick, tracker.KindView,
			tracker.KindSearch, tracker.KindCategory} {
			assert.ErrorIs(t, q.Record(ctx, event(100+i, k)), tracker.ErrQueueFull, "%v", k)
		}
		short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
		defer cancel()
		err := q.Record(short, event(200, tracker.KindSale))
		held := 10
		if m.salesPassBound {
			assert.NoError(t, err, "a sale passes the bound")
			held++
		} else {
			// A sale waits for room as long as its request may.
			assert.ErrorIs(t, err, tracker.ErrQueueFull)
			assert.ErrorIs(t, err, context.DeadlineExceeded)
		}
		dropped := uint64(16 - held)
		assert.Equal(t, tracker.Stats{Enqueued: 16, Dropped: dropped, Pending: uint64(held)}, q.Stats())

		// These get in: at once past a soft bound, or once the sink
		// recovers and makes room.
		var wg sync.WaitGroup
		for i, k := range []tracker.Kind{tracker.KindSale, tracker.KindEmail} {
			wg.Go(func() { assert.NoError(t, q.Record(ctx, event(300+i, k))) })
		}
		close(sink.release)
		wg.Wait()
		require.NoError(t, q.Close(ctx))
		got := ids(sink.mem.Events())
		assert.Len(t, got, held+2)
		assert.True(t, got["e000300"] && got["e000301"], "the sale and email link were delivered")
		assert.Equal(t, tracker.Stats{Enqueued: 18, Delivered: uint64(held + 2), Dropped: dropped}, q.Stats())
	})
}

func TestQueueMaxBytes(t *testing.T) {
	forEachMode(t, func(t *testing.T, m queueMode) {
		ctx := testCtx(t)
		sink := newHungSink()
		cfg := fast(tracker.QueueConfig{WriteTimeout: time.Hour})
		m.boundBytes(&cfg, 2000)
		q := tracker.NewQueue(sink, m.config(t, cfg))
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
	})
}

// TestQueueStatsInvariant samples Stats while producers, a flaky sink and
// drops run together.
func TestQueueStatsInvariant(t *testing.T) {
	forEachMode(t, func(t *testing.T, m queueMode) {
		// The heaviest test of a spool, which syncs every write: more time.
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		var calls atomic.Int64
		sink := sinkFunc(func(ctx context.Context, events []tracker.Event) error {
			switch calls.Add(1) % 5 {
			case 0:
				return errors.New("flaky")
			case 1:
				return tracker.Permanent(errors.New("bad batch"))
			case 2:
				// The first event is stored later, the second never.
				return &tracker.BatchError{Failed: []tracker.EventError{{Index: 0, Err: errors.New("busy")},
					{Index: 1, Err: tracker.Permanent(errors.New("bad event"))}}}
			}
			return nil
		})
		var bound []tracker.Event
		for i := range 200 {
			bound = append(bound, event(i, tracker.KindImpression))
		}
		cfg := fast(tracker.QueueConfig{BatchSize: 16, Senders: 3})
		m.bound(&cfg, bound)
		q := tracker.NewQueue(sink, m.config(t, cfg))
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
		perProducer := 5000 / m.load
		produce(ctx, q, perProducer, tracker.KindImpression, 100, func(err error) {
			if err != nil {
				assert.ErrorIs(t, err, tracker.ErrQueueFull)
			}
		})
		// Close fails events as the sink does: its error may say so.
		if err := q.Close(ctx); err != nil {
			require.NotErrorIs(t, err, context.DeadlineExceeded, "Close did not drain the queue in time")
		}
		close(stop)
		sampler.Wait()
		s := q.Stats()
		assertInvariant(t, s)
		assert.Equal(t, uint64(4*perProducer), s.Enqueued)
		assert.Zero(t, s.Pending)
		assert.Greater(t, samples, 0)
	})
}

func TestQueueZeroConfig(t *testing.T) {
	forEachMode(t, func(t *testing.T, m queueMode) {
		ctx := testCtx(t)
		mem := tracker.NewMemory()
		q := tracker.NewQueue(mem, m.config(t, tracker.QueueConfig{Logger: quiet}))
		tr := tracker.New(tracker.Options{Store: "shop", Visitor: "cv0p5ab8ch2g00b2h3s0", Consent: consent.Persistent, Recorder: q})
		require.NoError(t, tr.Click(tracker.Click{Product: "12793", API: "recommendations/trending",
			Labels: []string{"Homepage - Trending"}, Position: 3}))
		require.NoError(t, q.Close(ctx))
		require.Equal(t, 1, mem.Len())
		assert.Equal(t, "12793", mem.Events()[0].Product)
	})
}

// partialSink stores the batches it takes in part, into mem: refuse names
// the events of its write'th batch (from 1) that it does not store.
type partialSink struct {
	mem    *tracker.Memory
	refuse func(write int, events []tracker.Event) []tracker.EventError

	mu     sync.Mutex
	writes [][]string
}

func newPartialSink(refuse func(write int, events []tracker.Event) []tracker.EventError) *partialSink {
	return &partialSink{mem: tracker.NewMemory(), refuse: refuse}
}

func (s *partialSink) Write(ctx context.Context, events []tracker.Event) error {
	s.mu.Lock()
	s.writes = append(s.writes, idList(events))
	failed := s.refuse(len(s.writes), events)
	s.mu.Unlock()
	return storeAllBut(ctx, s.mem, events, failed)
}

// written returns the IDs of the events of each batch the sink took.
func (s *partialSink) written() [][]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.writes)
}

// refuseWhere refuses, with err, the events of every batch that bad says.
func refuseWhere(bad func(e tracker.Event) bool, err error) func(int, []tracker.Event) []tracker.EventError {
	return func(_ int, events []tracker.Event) []tracker.EventError {
		var failed []tracker.EventError
		for i, e := range events {
			if bad(e) {
				failed = append(failed, tracker.EventError{Index: i, Err: err})
			}
		}
		return failed
	}
}

// partialQueue returns a queue of mode m, configured by cfg, that sends to
// sink when a batch is full or on Flush, and what it hands to OnFailure.
func partialQueue(t *testing.T, m queueMode, sink tracker.Sink, cfg tracker.QueueConfig) (*tracker.Queue, *failures) {
	f := new(failures)
	cfg.FlushInterval = time.Hour
	cfg.OnFailure = f.onFailure
	return tracker.NewQueue(sink, m.config(t, fast(cfg))), f
}

// TestQueuePartialBatch: a sink that stores the good events of a batch and
// refuses a bad one for good. The good one is delivered, the bad one fails.
func TestQueuePartialBatch(t *testing.T) {
	forEachMode(t, func(t *testing.T, m queueMode) {
		ctx := testCtx(t)
		badClick := errors.New("click names no product")
		sink := newPartialSink(refuseWhere(func(e tracker.Event) bool { return e.Kind == tracker.KindClick },
			tracker.Permanent(badClick)))
		q, f := partialQueue(t, m, sink, tracker.QueueConfig{BatchSize: 2, Senders: 1})
		sale, click := event(1, tracker.KindSale), event(2, tracker.KindClick)
		require.NoError(t, q.Record(ctx, sale))
		require.NoError(t, q.Record(ctx, click))
		require.NoError(t, q.Flush(ctx))

		assert.Equal(t, [][]string{{sale.ID, click.ID}}, sink.written(), "one batch, written once")
		assert.Equal(t, []tracker.Event{sale}, sink.mem.Events())
		failed, err := f.expect(t, 1, badClick)
		assert.Equal(t, []tracker.Event{click}, failed)
		assert.True(t, tracker.IsPermanent(err))
		assertSettled(ctx, t, q, tracker.Stats{Enqueued: 2, Delivered: 1, Failed: 1})
	})
}

// TestQueuePartialRetry: the events a sink failed to store, but may store
// later, are retried as a batch of their own; the sink never sees the others
// again.
func TestQueuePartialRetry(t *testing.T) {
	forEachMode(t, func(t *testing.T, m queueMode) {
		ctx := testCtx(t)
		bad := errors.New("bad event")
		var q *tracker.Queue
		var during []tracker.Stats
		sink := newPartialSink(func(write int, _ []tracker.Event) []tracker.EventError {
			during = append(during, q.Stats())
			if write > 1 {
				return nil
			}
			// Events 1 and 4 are not stored this time, event 3 never.
			return []tracker.EventError{{Index: 4, Err: errors.New("lock timeout")},
				{Index: 3, Err: tracker.Permanent(bad)}, {Index: 1, Err: errors.New("lock timeout")}}
		})
		q, f := partialQueue(t, m, sink, tracker.QueueConfig{BatchSize: 6, Senders: 1})
		var events []tracker.Event
		for i := range 6 {
			events = append(events, event(i, tracker.KindSale))
			require.NoError(t, q.Record(ctx, events[i]))
		}
		require.NoError(t, q.Flush(ctx))

		assert.Equal(t, [][]string{idList(events), {events[1].ID, events[4].ID}}, sink.written(),
			"only the events not stored are written again")
		assert.Equal(t, []tracker.Stats{{Enqueued: 6, Pending: 6},
			{Enqueued: 6, Delivered: 3, Failed: 1, Pending: 2}}, during,
			"the events stored count as delivered at once")
		failed, _ := f.expect(t, 1, bad)
		assert.Equal(t, []tracker.Event{events[3]}, failed)
		assert.Len(t, sink.mem.Events(), 5)
		assertSettled(ctx, t, q, tracker.Stats{Enqueued: 6, Delivered: 5, Failed: 1})
	})
}

// TestQueuePartialGivesUp: an event a sink keeps failing to store is given
// up on after MaxElapsed, like a batch; the others were written once.
func TestQueuePartialGivesUp(t *testing.T) {
	forEachMode(t, func(t *testing.T, m queueMode) {
		ctx := testCtx(t)
		stuck := errors.New("row locked")
		sink := newPartialSink(refuseWhere(func(e tracker.Event) bool { return e.ID == "e000001" }, stuck))
		// Long enough for a retry after a slow first write (a spool's
		// sync on a loaded machine); retries wait 5 ms at most.
		q, f := partialQueue(t, m, sink, tracker.QueueConfig{BatchSize: 3, MaxElapsed: time.Second})
		recordN(ctx, t, q, 3, tracker.KindSale)
		require.NoError(t, q.Flush(ctx))
		failed, err := f.expect(t, 1, stuck)
		assert.Equal(t, "e000001", failed[0].ID)
		assert.Contains(t, err.Error(), "gave up")
		assert.Equal(t, 2, sink.mem.Len())
		written := make(map[string]int)
		for _, batch := range sink.written() {
			for _, id := range batch {
				written[id]++
			}
		}
		assert.Equal(t, 1, written["e000000"])
		assert.Equal(t, 1, written["e000002"])
		assert.Greater(t, written["e000001"], 1, "the stuck event was retried alone")
		assertSettled(ctx, t, q, tracker.Stats{Enqueued: 3, Delivered: 2, Failed: 1})
	})
}
