package tracker

import (
	"context"
	crand "crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"
)

// Queue is a Recorder that batches events and delivers them to a Sink from a
// fixed pool of sender goroutines, retrying failures with exponential backoff.
// It is bounded: Record never waits on the sink. Make one with NewQueue or
// OpenQueue and Close it when done. A Queue is safe for concurrent use.
//
// A Sink must return from Write soon after its context is done: Close waits
// for the Writes in flight once it has cancelled them. The Queue reuses the
// slice given to Write once Write returns, so a Sink must not keep it. A Sink
// that stored part of a batch returns a *BatchError: the Queue then retries
// only the events it lists.
type Queue struct {
	sink Sink
	cfg  QueueConfig
	log  *slog.Logger
	buf  buffer // where events wait: in memory, or in cfg.Spool
	bad  error  // the spool could not be opened: every call fails

	mu     sync.Mutex
	closed bool
	taking bool          // a sender takes a batch from buf, which may read without mu
	took   chan struct{} // closed when that take ends, while other senders wait
	// The counts of Stats; only queue_stats.go writes them.
	delivered, dropped, failed uint64
	held                       int // events held: waiting, in flight, or spooled
	heldBytes                  int // their size, as buf counts it
	waiting                    int // of those, events not yet taken in a batch
	waitingBytes               int
	lastSeq                    uint64    // number of the newest event held
	cursor                     uint64    // number of the newest event taken in a batch
	flushTo                    uint64    // events up to this number are sent without waiting
	firstAt                    time.Time // when a sender saw the oldest waiting event
	watching                   bool      // a sender waits for FlushInterval to pass
	inflight                   []*batch
	lastErr                    error
	room                       chan struct{} // closed when room frees, while sales wait
	progress                   chan struct{} // closed when events settle, while Flush waits

	timing deliveryTiming // batch times and retries, for DeliveryStats

	wake        chan struct{} // a batch may be due
	refuse      chan struct{} // closed by Close: no more events
	draining    chan struct{} // closed by Close: send everything now
	runCtx      context.Context
	cancel      context.CancelFunc
	sendersDone chan struct{}

	closeOnce sync.Once
	closeDone chan struct{}
	closeErr  error
}

// NewQueue returns a Queue delivering to sink, its senders started. Without
// cfg.Spool it cannot fail. With one, it opens the spool as OpenQueue does;
// should that fail, the error is logged and the Queue refuses every event
// with it (Record, Flush and Close return it): use OpenQueue to handle the
// error at start.
func NewQueue(sink Sink, cfg QueueConfig) *Queue {
	q, err := OpenQueue(context.Background(), sink, cfg)
	if err != nil {
		q.log.Error("tracker: queue refuses events", "err", err)
	}
	return q
}

// OpenQueue is NewQueue returning the error of opening cfg.Spool; ctx bounds
// the opening. On error it also returns a Queue, which refuses every event
// with that error.
func OpenQueue(ctx context.Context, sink Sink, cfg QueueConfig) (*Queue, error) {
	cfg = cfg.withDefaults()
	q := &Queue{
		sink:        sink,
		cfg:         cfg,
		log:         cfg.Logger,
		wake:        make(chan struct{}, 1),
		refuse:      make(chan struct{}),
		draining:    make(chan struct{}),
		sendersDone: make(chan struct{}),
		closeDone:   make(chan struct{}),
	}
	q.runCtx, q.cancel = context.WithCancel(context.Background())
	if cfg.Spool == "" {
		q.buf = newMemoryBuffer(q)
	} else {
		sb, err := openSpoolBuffer(ctx, q)
		if err != nil {
			q.bad = fmt.Errorf("tracker: queue: %w", err)
			q.cancel()
			close(q.sendersDone)
			return q, q.bad
		}
		q.buf = sb
		// What a previous run left is sent at once.
		q.flushTo = q.lastSeq
	}
	replay := q.waiting > 0
	var wg sync.WaitGroup
	for range cfg.Senders {
		var seed [32]byte
		crand.Read(seed[:])
		rng := rand.New(rand.NewChaCha8(seed))
		wg.Go(func() { q.sender(rng) })
	}
	go func() { wg.Wait(); close(q.sendersDone) }()
	if replay {
		q.signal()
	}
	return q, nil
}

// mustKeep reports whether events of kind k are kept when the queue is full
// (they wait for room, or pass the spool's cap) rather than dropped.
func mustKeep(k Kind) bool { return k == KindSale || k == KindEmail }

// Record queues e for delivery; it implements Recorder. It returns at once,
// except for a sale or email link when the queue is full: those wait for
// room until ctx ends. With a Spool, Record returns once e is synced to it.
// It returns ErrQueueFull (see there), ErrClosed after Close, or the spool's
// write error; it never fails silently.
func (q *Queue) Record(ctx context.Context, e Event) error {
	size := eventSize(&e) // not under mu
	q.mu.Lock()
	if err := q.admitLocked(ctx, e.Kind, size); err != nil {
		q.mu.Unlock()
		return err
	}
	return q.buf.add(e, size) // unlocks q.mu
}

// admitLocked returns once the buffer has room for an event of kind k taking
// size bytes of memory. A full queue refuses droppable kinds at once; sales and email links
// wait for room as long as ctx allows.
func (q *Queue) admitLocked(ctx context.Context, k Kind, size int) error {
	for {
		if q.closed {
			return ErrClosed
		}
		if q.bad != nil {
			q.dropLocked(1)
			return q.bad
		}
		if q.buf.fits(k, size, q.held, q.heldBytes) {
			return nil
		}
		if !mustKeep(k) {
			q.dropLocked(1)
			return ErrQueueFull
		}
		if q.room == nil {
			q.room = make(chan struct{})
		}
		room := q.room
		q.mu.Unlock()
		var err error
		select {
		case <-room:
		case <-q.refuse:
		case <-ctx.Done():
			err = ctx.Err()
		}
		q.mu.Lock()
		if err != nil {
			q.dropLocked(1)
			return fmt.Errorf("%w: %v event not recorded: %w", ErrQueueFull, k, err)
		}
	}
}

// signal wakes one waiting sender.
func (q *Queue) signal() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

func (q *Queue) isDraining() bool {
	select {
	case <-q.draining:
		return true
	default:
		return false
	}
}

// unresolvedLocked returns the lowest number of an event held that is not
// yet delivered or failed.
func (q *Queue) unresolvedLocked() uint64 {
	low := q.lastSeq + 1
	if q.waiting > 0 {
		low = q.cursor + 1
	}
	for _, b := range q.inflight {
		low = min(low, b.first)
	}
	return low
}

// Flush sends every event held when it is called, without waiting for
// batches to fill, and returns once each was delivered or given up on
// (OnFailure). It retries as the queue does, so during a sink outage it waits
// until ctx ends and returns ctx's error.
func (q *Queue) Flush(ctx context.Context) error {
	if q.bad != nil {
		return q.bad
	}
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return ErrClosed
	}
	target := q.lastSeq
	if q.unresolvedLocked() > target {
		q.mu.Unlock()
		return nil
	}
	q.flushTo = max(q.flushTo, target)
	for {
		if q.progress == nil {
			q.progress = make(chan struct{})
		}
		ch := q.progress
		q.mu.Unlock()
		q.signal()
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("tracker: flush: %w", ctx.Err())
		}
		q.mu.Lock()
		if q.unresolvedLocked() > target {
			q.mu.Unlock()
			return nil
		}
	}
}

// Close refuses new events (ErrClosed), sends everything held, and keeps
// retrying until all is delivered or ctx ends. Then it cancels the Writes in
// flight and waits for them. Without a spool, events it could not deliver go
// to OnFailure; with one, they stay in the spool for the next Queue opened
// on it. It returns nil when every event was delivered, or else an
// *UndeliveredError saying how many were not. Later calls return the same.
func (q *Queue) Close(ctx context.Context) error {
	q.closeOnce.Do(func() {
		q.closeErr = q.close(ctx)
		close(q.closeDone)
	})
	select {
	case <-q.closeDone:
		return q.closeErr
	default:
	}
	select {
	case <-q.closeDone:
		return q.closeErr
	case <-ctx.Done():
		return fmt.Errorf("tracker: close: %w", ctx.Err())
	}
}

func (q *Queue) close(ctx context.Context) error {
	q.mu.Lock()
	q.closed = true
	failedBefore := q.failed
	q.mu.Unlock()
	if q.bad != nil {
		return q.bad
	}
	close(q.refuse)
	q.buf.stop()
	close(q.draining)
	select {
	case <-q.sendersDone:
	case <-ctx.Done():
		q.cancel()
		<-q.sendersDone
	}
	q.cancel()

	if !q.buf.durable() {
		// Time ran out before the senders took these.
		for {
			q.mu.Lock()
			if q.waiting == 0 {
				q.mu.Unlock()
				break
			}
			b, _ := q.takeLocked()
			q.mu.Unlock()
			q.fail(b, fmt.Errorf("%w before delivery: %w", ErrClosed, ctx.Err()))
		}
	}
	err := q.buf.close()

	q.mu.Lock()
	defer q.mu.Unlock()
	n := int(q.failed-failedBefore) + q.held
	if n == 0 {
		return err
	}
	cause := ctx.Err()
	if cause == nil {
		cause = q.lastErr
	}
	spooled := 0
	if q.buf.durable() {
		spooled = q.held
	}
	return errors.Join(&UndeliveredError{Events: n, Spooled: spooled, Err: cause}, err)
}
