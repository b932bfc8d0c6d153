package tracker

import (
	"context"
	crand "crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"
	"unsafe"

	"github.com/visitrack/visitrack/tracker/internal/spool"
)

// Errors of the Queue.
var (
	// ErrQueueFull: the queue is at its bounds (QueueConfig.MaxEvents,
	// MaxBytes or SpoolMaxBytes) and the event was not recorded. Impressions,
	// clicks, views, searches and category views are refused at once; sales
	// and email links only once the context given to Record ends, and then
	// the error also wraps the context's error.
	ErrQueueFull = errors.New("tracker: queue full")
	// ErrClosed: the queue is closed and takes no more events.
	ErrClosed = errors.New("tracker: queue closed")
)

// Defaults of QueueConfig.
const (
	DefaultMaxEvents      = 100_000
	DefaultMaxBytes       = 64 << 20
	DefaultBatchSize      = 512
	DefaultBatchBytes     = 1 << 20
	DefaultFlushInterval  = time.Second
	DefaultSenders        = 2
	DefaultWriteTimeout   = 30 * time.Second
	DefaultInitialBackoff = 100 * time.Millisecond
	DefaultMaxBackoff     = 30 * time.Second
	DefaultMaxElapsed     = 10 * time.Minute
	DefaultSpoolMaxBytes  = 1 << 30
)

// QueueConfig configures a Queue. The zero value is ready to use: every zero
// (or negative, unless said otherwise) field takes its default.
type QueueConfig struct {
	// MaxEvents bounds how many events the queue holds in memory, waiting
	// or being sent. Default 100 000. Ignored with a Spool.
	MaxEvents int
	// MaxBytes bounds the approximate memory those events take. Default 64
	// MiB. Ignored with a Spool.
	MaxBytes int
	// BatchSize is the most events given to one Sink.Write. Default 512.
	BatchSize int
	// BatchBytes ends a batch once its events take about this many bytes.
	// Default 1 MiB.
	BatchBytes int
	// FlushInterval is about the longest an event waits for its batch to
	// fill before it is sent anyway. Default 1 s.
	FlushInterval time.Duration
	// Senders is the number of goroutines that write batches to the sink,
	// so the most Writes in flight at once. Default 2.
	Senders int
	// WriteTimeout bounds one Sink.Write; a Write that takes longer is
	// cancelled and retried. Default 30 s.
	WriteTimeout time.Duration
	// InitialBackoff and MaxBackoff bound the wait before a retry: the n-th
	// retry of a batch waits a random time (full jitter) between 0 and
	// min(MaxBackoff, InitialBackoff·2ⁿ), or what the sink asked for with
	// RetryAfter. Defaults 100 ms and 30 s.
	InitialBackoff time.Duration
	MaxBackoff     time.Duration
	// MaxElapsed is how long the queue keeps retrying a batch before it
	// gives up and hands it to OnFailure. Default 10 min; negative means no
	// limit (retry until Close's context ends).
	MaxElapsed time.Duration
	// OnFailure receives the events the queue gave up on: a batch the sink
	// failed with Permanent, a batch still failing after MaxElapsed, and
	// without a Spool, what Close could not deliver before its context
	// ended. It is called from a sender goroutine and may keep events. Nil
	// means the events are only counted (Stats.Failed) and logged, by
	// count.
	OnFailure func(events []Event, err error)
	// Logger receives the queue's warnings and errors: failed writes, by
	// count of events and never by content. Nil means slog.Default().
	Logger *slog.Logger

	// Spool names a SQLite file that makes the queue durable: Record
	// returns only once the event is synced to it, events are sent from it
	// and removed once the sink took them, and events still in it are sent
	// after a restart. Empty means no spool: the queue is in memory only.
	Spool string
	// SpoolMaxBytes caps the size of the spooled events (their encoded
	// size, about what the file holds). Once reached, impressions, clicks,
	// views, searches and category views are refused with ErrQueueFull;
	// sales and email links are still written, since losing an order is
	// worse than a larger file, until the disk itself refuses, which
	// Record returns as an error. Default 1 GiB; negative means no cap.
	SpoolMaxBytes int64
}

func (c QueueConfig) withDefaults() QueueConfig {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defDur := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&c.MaxEvents, DefaultMaxEvents)
	def(&c.MaxBytes, DefaultMaxBytes)
	def(&c.BatchSize, DefaultBatchSize)
	def(&c.BatchBytes, DefaultBatchBytes)
	def(&c.Senders, DefaultSenders)
	defDur(&c.FlushInterval, DefaultFlushInterval)
	defDur(&c.WriteTimeout, DefaultWriteTimeout)
	defDur(&c.InitialBackoff, DefaultInitialBackoff)
	defDur(&c.MaxBackoff, DefaultMaxBackoff)
	if c.MaxBackoff < c.InitialBackoff {
		c.MaxBackoff = c.InitialBackoff
	}
	if c.MaxElapsed == 0 {
		c.MaxElapsed = DefaultMaxElapsed
	}
	if c.SpoolMaxBytes == 0 {
		c.SpoolMaxBytes = DefaultSpoolMaxBytes
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// Stats counts a Queue's events. Enqueued = Delivered + Dropped + Failed +
// Pending holds in every value Stats returns.
type Stats struct {
	// Enqueued counts every event Record was given while the queue was
	// open (not those refused with ErrClosed), and with a Spool, the events
	// found in it at start.
	Enqueued uint64
	// Delivered counts events a Sink.Write took.
	Delivered uint64
	// Dropped counts events Record refused with an error: ErrQueueFull, a
	// sale whose context ended while it waited for room, or a failed write
	// to the spool.
	Dropped uint64
	// Failed counts events the queue gave up on and handed to OnFailure.
	Failed uint64
	// Pending counts events held: waiting, being sent, or (with a Spool)
	// kept in the spool.
	Pending uint64
}

// UndeliveredError is returned by Close when events were not delivered.
type UndeliveredError struct {
	// Events is how many events the queue held at Close, or took during
	// it, that did not reach the sink.
	Events int
	// Spooled is how many of them stay in the spool, to be sent by the
	// next Queue opened on it.
	Spooled int
	// Err is why: the context's error, or the last failure.
	Err error
}

func (e *UndeliveredError) Error() string {
	s := fmt.Sprintf("tracker: queue closed with %d events not delivered", e.Events)
	if e.Spooled > 0 {
		s += fmt.Sprintf(" (%d kept in the spool for the next start)", e.Spooled)
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *UndeliveredError) Unwrap() error { return e.Err }

// Queue is a Recorder that batches events and delivers them to a Sink from a
// fixed pool of sender goroutines, retrying failures with exponential backoff.
// It is bounded: Record never waits on the sink. Make one with NewQueue or
// OpenQueue and Close it when done. A Queue is safe for concurrent use.
//
// A Sink must return from Write soon after its context is done: Close waits
// for the Writes in flight once it has cancelled them. The Queue reuses the
// slice given to Write once Write returns, so a Sink must not keep it.
type Queue struct {
	sink  Sink
	cfg   QueueConfig
	log   *slog.Logger
	spool *spool.Spool // nil without a spool
	bad   error        // the spool could not be opened: every call fails

	mu        sync.Mutex
	closed    bool
	enqueued  uint64
	delivered uint64
	dropped   uint64
	failed    uint64
	count     int // events held: waiting, in flight, or spooled
	bytes     int // their approximate size (encoded size with a spool)
	bufN      int // of those, events not yet in a batch
	bufBytes  int
	lastSeq   uint64 // sequence number of the newest event held
	flushTo   uint64 // events up to this sequence number are sent without waiting
	firstAt   time.Time
	watching  bool // a sender waits for FlushInterval to pass
	inflight  []*batch
	lastErr   error
	room      chan struct{} // closed when room frees, while sales wait
	waiters   int
	progress  chan struct{} // closed when a batch ends, while Flush waits

	// In memory: the batch being filled, full batches, buffers to reuse.
	cur   *batch
	ready []*batch
	free  [][]Event

	// With a spool: events after cursor are not yet in a batch. readMu
	// serialises reading them; it is taken before mu.
	readMu sync.Mutex
	cursor uint64

	appends      chan *appendReq
	appenderDone chan struct{}
	recording    sync.WaitGroup

	wake        chan struct{} // a batch may be ready
	refuse      chan struct{} // closed by Close: no more events
	draining    chan struct{} // closed by Close: send everything now
	runCtx      context.Context
	cancel      context.CancelFunc
	sendersDone chan struct{}

	closeOnce sync.Once
	closeDone chan struct{}
	closeErr  error
}

type batch struct {
	events []Event
	first  uint64 // sequence number of events[0]
	last   uint64 // with a spool: sequence number of the last record
	bytes  int
	bad    int // with a spool: records that did not decode
}

type appendReq struct {
	data []byte
	done chan error
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
	if cfg.Spool != "" {
		sp, err := spool.Open(ctx, cfg.Spool)
		var info spool.Info
		if err == nil {
			if info, err = sp.Info(ctx); err != nil {
				sp.Close()
			}
		}
		if err != nil {
			q.bad = fmt.Errorf("tracker: queue: %w", err)
			q.cancel()
			close(q.sendersDone)
			return q, q.bad
		}
		q.spool = sp
		// What a previous run left is pending again, and sent at once.
		q.enqueued = uint64(info.Records)
		q.count, q.bufN = int(info.Records), int(info.Records)
		q.bytes, q.bufBytes = int(info.Bytes), int(info.Bytes)
		q.lastSeq, q.flushTo = uint64(info.MaxSeq), uint64(info.MaxSeq)
		q.appends = make(chan *appendReq, 256)
		q.appenderDone = make(chan struct{})
		go q.appender()
	}
	replay := q.bufN > 0
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

// batchCap is the capacity of a batch's buffer in memory.
func (q *Queue) batchCap() int {
	return min(q.cfg.BatchSize, q.cfg.BatchBytes/eventOverhead+1)
}

// mustKeep reports whether events of kind k wait for room rather than being
// dropped when the queue is full.
func mustKeep(k Kind) bool { return k == KindSale || k == KindEmail }

const eventOverhead = int(unsafe.Sizeof(Event{}))

// eventSize approximates the memory e takes.
func eventSize(e *Event) int {
	n := eventOverhead + len(e.ID) + len(e.Store) + len(e.Visitor) + len(e.API) + len(e.Product) +
		len(e.Sale) + len(e.Customer) + len(e.Email) + len(e.Category) + len(e.Query)
	for _, s := range e.Labels {
		n += 16 + len(s)
	}
	for _, s := range e.Products {
		n += 16 + len(s)
	}
	for _, l := range e.Lines {
		n += int(unsafe.Sizeof(l)) + len(l.ID)
	}
	return n
}

// Record queues e for delivery; it implements Recorder. It returns at once,
// except for a sale or email link when the queue is full: those wait for
// room until ctx ends. With a Spool, Record returns once e is synced to it.
// It returns ErrQueueFull (see there), ErrClosed after Close, or the spool's
// write error; it never fails silently.
func (q *Queue) Record(ctx context.Context, e Event) error {
	if q.spool != nil || q.bad != nil {
		return q.recordSpool(ctx, e)
	}
	size := eventSize(&e)
	q.mu.Lock()
	for q.count >= q.cfg.MaxEvents || (q.count > 0 && q.bytes+size > q.cfg.MaxBytes) {
		if q.closed {
			q.mu.Unlock()
			return ErrClosed
		}
		if !mustKeep(e.Kind) {
			q.enqueued++
			q.dropped++
			q.mu.Unlock()
			return ErrQueueFull
		}
		if q.room == nil {
			q.room = make(chan struct{})
		}
		room := q.room
		q.waiters++
		q.mu.Unlock()
		var err error
		select {
		case <-room:
		case <-q.refuse:
		case <-ctx.Done():
			err = ctx.Err()
		}
		q.mu.Lock()
		q.waiters--
		if err != nil {
			q.enqueued++
			q.dropped++
			q.mu.Unlock()
			return fmt.Errorf("%w: %v event not recorded: %w", ErrQueueFull, e.Kind, err)
		}
	}
	if q.closed {
		q.mu.Unlock()
		return ErrClosed
	}
	if q.cur == nil {
		q.cur = &batch{first: q.lastSeq + 1}
		if n := len(q.free); n > 0 {
			q.cur.events, q.free = q.free[n-1], q.free[:n-1]
		} else {
			// Full size at once rather than growing: batches in memory
			// are full but for the few being sent.
			q.cur.events = make([]Event, 0, q.batchCap())
		}
	}
	b := q.cur
	b.events = append(b.events, e)
	b.bytes += size
	q.lastSeq++
	q.enqueued++
	q.count++
	q.bytes += size
	q.bufN++
	q.bufBytes += size
	wake := q.bufN == 1 && !q.watching
	if len(b.events) >= q.cfg.BatchSize || b.bytes >= q.cfg.BatchBytes {
		q.ready = append(q.ready, b)
		q.cur = nil
		wake = true
	}
	q.mu.Unlock()
	if wake {
		q.signal()
	}
	return nil
}

func (q *Queue) recordSpool(ctx context.Context, e Event) error {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return ErrClosed
	}
	if q.bad != nil {
		q.enqueued++
		q.dropped++
		q.mu.Unlock()
		return q.bad
	}
	if q.cfg.SpoolMaxBytes >= 0 && int64(q.bytes) >= q.cfg.SpoolMaxBytes && !mustKeep(e.Kind) {
		q.enqueued++
		q.dropped++
		q.mu.Unlock()
		return ErrQueueFull
	}
	q.recording.Add(1)
	q.mu.Unlock()
	defer q.recording.Done()

	data, err := json.Marshal(e)
	if err == nil {
		req := &appendReq{data: data, done: make(chan error, 1)}
		q.appends <- req
		// The write is on its way: wait for it whatever ctx says, so that
		// a nil error always means the event is on disk.
		err = <-req.done
		if err == nil {
			return nil
		}
		return fmt.Errorf("tracker: %v event not recorded: %w", e.Kind, err)
	}
	q.mu.Lock()
	q.enqueued++
	q.dropped++
	q.mu.Unlock()
	return fmt.Errorf("tracker: %v event not recorded: %w", e.Kind, err)
}

// appender writes events to the spool, all that wait in one transaction
// (group commit), and answers each Record.
func (q *Queue) appender() {
	defer close(q.appenderDone)
	var reqs []*appendReq
	var data [][]byte
	for req := range q.appends {
		reqs, data = append(reqs[:0], req), append(data[:0], req.data)
	more:
		for len(reqs) < 4096 {
			select {
			case r, ok := <-q.appends:
				if !ok {
					break more
				}
				reqs, data = append(reqs, r), append(data, r.data)
			default:
				break more
			}
		}
		seqs, err := q.spool.Append(context.Background(), data)
		size := 0
		for _, d := range data {
			size += len(d)
		}
		q.mu.Lock()
		n := uint64(len(reqs))
		q.enqueued += n
		wake := false
		if err != nil {
			q.dropped += n
		} else {
			wake = q.bufN == 0
			q.count += len(reqs)
			q.bufN += len(reqs)
			q.bytes += size
			q.bufBytes += size
			q.lastSeq = uint64(seqs[len(seqs)-1])
			wake = wake || q.bufN >= q.cfg.BatchSize || q.bufBytes >= q.cfg.BatchBytes
		}
		q.mu.Unlock()
		if err != nil {
			q.log.Error("tracker: spool write failed", "events", len(reqs), "err", err)
		}
		if wake {
			q.signal()
		}
		for i, r := range reqs {
			r.done <- err
			reqs[i], data[i] = nil, nil
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

// head returns the sequence number of the oldest event not yet in a batch;
// with a spool, a lower bound of it.
func (q *Queue) headLocked() uint64 {
	if q.spool != nil {
		return q.cursor + 1
	}
	return q.lastSeq + 1 - uint64(q.bufN)
}

// readyLocked reports whether a sender should take a batch now.
func (q *Queue) readyLocked() bool {
	if q.bufN == 0 {
		return false
	}
	if q.spool == nil && len(q.ready) > 0 {
		return true
	}
	return q.bufN >= q.cfg.BatchSize || q.bufBytes >= q.cfg.BatchBytes ||
		q.headLocked() <= q.flushTo || q.isDraining()
}

// sender delivers batches until the queue is drained or its time is up.
func (q *Queue) sender(rng *rand.Rand) {
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		b := q.next(timer)
		if b == nil {
			return
		}
		q.deliver(b, rng, timer)
	}
}

// next waits for a batch to be ready and takes it; nil means stop.
func (q *Queue) next(timer *time.Timer) *batch {
	for {
		if q.runCtx.Err() != nil {
			return nil
		}
		if q.spool != nil {
			q.readMu.Lock()
		}
		q.mu.Lock()
		q.watching = false
		if q.readyLocked() {
			var b *batch
			var err error
			if q.spool != nil {
				b, err = q.takeSpooled()
			} else {
				b = q.takeLocked()
			}
			more := q.readyLocked()
			q.mu.Unlock()
			if q.spool != nil {
				q.readMu.Unlock()
			}
			if more {
				q.signal()
			}
			if b != nil {
				return b
			}
			if err != nil {
				// Wait before reading the spool again.
				timer.Reset(q.cfg.InitialBackoff)
				select {
				case <-timer.C:
				case <-q.runCtx.Done():
					timer.Stop()
				}
			}
			continue
		}
		if q.bufN == 0 && q.isDraining() {
			q.mu.Unlock()
			if q.spool != nil {
				q.readMu.Unlock()
			}
			return nil
		}
		armed := false
		if q.bufN > 0 {
			now := time.Now()
			if q.firstAt.IsZero() {
				q.firstAt = now
			}
			wait := q.firstAt.Add(q.cfg.FlushInterval).Sub(now)
			if wait <= 0 {
				// The interval is up: send everything held now.
				q.flushTo = max(q.flushTo, q.lastSeq)
				q.firstAt = time.Time{}
				q.mu.Unlock()
				if q.spool != nil {
					q.readMu.Unlock()
				}
				continue
			}
			timer.Reset(wait)
			armed = true
			q.watching = true
		}
		q.mu.Unlock()
		if q.spool != nil {
			q.readMu.Unlock()
		}
		var fired <-chan time.Time
		if armed {
			fired = timer.C
		}
		select {
		case <-q.wake:
		case <-fired:
		case <-q.draining:
		case <-q.runCtx.Done():
		}
		timer.Stop()
	}
}

// takeLocked takes the oldest batch held in memory.
func (q *Queue) takeLocked() *batch {
	var b *batch
	if len(q.ready) > 0 {
		b = q.ready[0]
		copy(q.ready, q.ready[1:])
		q.ready[len(q.ready)-1] = nil
		q.ready = q.ready[:len(q.ready)-1]
	} else {
		b, q.cur = q.cur, nil
	}
	q.bufN -= len(b.events)
	q.bufBytes -= b.bytes
	if q.bufN == 0 {
		q.firstAt = time.Time{}
	}
	q.inflight = append(q.inflight, b)
	return b
}

// takeSpooled reads the next batch from the spool. It is called with readMu
// and mu held, and returns with them held.
func (q *Queue) takeSpooled() (*batch, error) {
	after, upTo := q.cursor, q.lastSeq
	q.mu.Unlock()
	recs, err := q.spool.Read(q.runCtx, int64(after), int64(upTo), q.cfg.BatchSize, q.cfg.BatchBytes)
	q.mu.Lock()
	if err != nil {
		if q.runCtx.Err() == nil {
			q.log.Error("tracker: spool read failed", "err", err)
		}
		return nil, err
	}
	if len(recs) == 0 {
		// Only if the file changed under us: forget what cannot be found,
		// so as not to spin.
		q.log.Error("tracker: spool holds fewer events than counted", "missing", q.bufN)
		q.count -= q.bufN
		q.bytes -= q.bufBytes
		q.failed += uint64(q.bufN)
		q.bufN, q.bufBytes = 0, 0
		return nil, nil
	}
	b := &batch{events: make([]Event, 0, len(recs)), first: after + 1, last: uint64(recs[len(recs)-1].Seq)}
	for _, r := range recs {
		b.bytes += len(r.Data)
		var e Event
		if err := json.Unmarshal(r.Data, &e); err != nil {
			b.bad++
			continue
		}
		b.events = append(b.events, e)
	}
	if b.bad > 0 {
		q.log.Error("tracker: spooled events do not decode and are dropped", "events", b.bad)
	}
	q.cursor = b.last
	q.bufN -= len(recs)
	q.bufBytes -= b.bytes
	if q.bufN == 0 {
		q.firstAt = time.Time{}
	}
	q.inflight = append(q.inflight, b)
	return b, nil
}

// deliver writes b to the sink until it succeeds, fails permanently, runs out
// of time (MaxElapsed) or the queue's time is up.
func (q *Queue) deliver(b *batch, rng *rand.Rand, timer *time.Timer) {
	start := time.Now()
	for attempt := 1; ; attempt++ {
		var err error
		if len(b.events) > 0 {
			ctx, cancel := context.WithTimeout(q.runCtx, q.cfg.WriteTimeout)
			err = q.sink.Write(ctx, b.events)
			cancel()
		}
		if err == nil {
			q.succeed(b)
			return
		}
		if IsPermanent(err) {
			q.fail(b, err)
			return
		}
		if q.runCtx.Err() != nil {
			q.abort(b, err)
			return
		}
		wait, hinted := retryHint(err)
		if !hinted {
			ceil := q.cfg.MaxBackoff
			if attempt < 62 {
				ceil = min(ceil, q.cfg.InitialBackoff<<(attempt-1))
			}
			if ceil <= 0 { // overflow
				ceil = q.cfg.MaxBackoff
			}
			wait = time.Duration(rng.Int64N(int64(ceil) + 1))
		}
		if elapsed := time.Since(start); q.cfg.MaxElapsed >= 0 && elapsed+wait > q.cfg.MaxElapsed {
			q.fail(b, fmt.Errorf("tracker: gave up after %d attempts in %v: %w", attempt, elapsed.Round(time.Millisecond), err))
			return
		}
		q.log.Warn("tracker: sink write failed, retrying", "events", len(b.events), "attempt", attempt, "wait", wait, "err", err)
		timer.Reset(wait)
		select {
		case <-timer.C:
		case <-q.runCtx.Done():
			timer.Stop()
			q.abort(b, err)
			return
		}
	}
}

// succeed accounts for b, which the sink took.
func (q *Queue) succeed(b *batch) {
	if q.spool != nil {
		if err := q.spool.Delete(context.Background(), int64(b.first), int64(b.last)); err != nil {
			// Delivered all the same; they will be delivered again after
			// a restart, which sinks allow.
			q.log.Error("tracker: spool delete failed", "events", len(b.events), "err", err)
		}
	}
	n := len(b.events)
	q.mu.Lock()
	q.delivered += uint64(n)
	q.failed += uint64(b.bad)
	q.endLocked(b, n+b.bad, b.bytes)
	if q.spool == nil && len(q.free) < q.cfg.Senders+6 && cap(b.events) == q.batchCap() {
		clear(b.events)
		q.free = append(q.free, b.events[:0])
	}
	q.mu.Unlock()
}

// fail gives b to OnFailure and accounts for it.
func (q *Queue) fail(b *batch, err error) {
	if q.spool != nil {
		if derr := q.spool.Delete(context.Background(), int64(b.first), int64(b.last)); derr != nil {
			q.log.Error("tracker: spool delete failed", "events", len(b.events), "err", derr)
		}
	}
	q.log.Error("tracker: events not delivered", "events", len(b.events), "err", err)
	if q.cfg.OnFailure != nil && len(b.events) > 0 {
		q.cfg.OnFailure(b.events, err)
	}
	q.mu.Lock()
	q.failed += uint64(len(b.events) + b.bad)
	q.lastErr = err
	q.endLocked(b, len(b.events)+b.bad, b.bytes)
	q.mu.Unlock()
}

// abort ends b when Close's time is up: in memory, the events fail; in the
// spool, they stay for the next start.
func (q *Queue) abort(b *batch, err error) {
	if q.spool == nil {
		q.fail(b, fmt.Errorf("%w before delivery: %w", ErrClosed, err))
		return
	}
	q.mu.Lock()
	q.failed += uint64(b.bad)
	q.endLocked(b, b.bad, 0)
	q.mu.Unlock()
}

// endLocked removes b from the batches in flight, n of its events (size
// bytes) no longer held, and tells those who wait.
func (q *Queue) endLocked(b *batch, n, size int) {
	q.count -= n
	q.bytes -= size
	for i, f := range q.inflight {
		if f == b {
			q.inflight = append(q.inflight[:i], q.inflight[i+1:]...)
			break
		}
	}
	if q.room != nil {
		close(q.room)
		q.room = nil
	}
	if q.progress != nil {
		close(q.progress)
		q.progress = nil
	}
}

// unresolvedLocked returns the lowest sequence number of an event held that
// is not yet delivered or failed.
func (q *Queue) unresolvedLocked() uint64 {
	low := q.lastSeq + 1
	if q.bufN > 0 {
		low = q.headLocked()
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

// Stats returns the queue's counts, taken together.
func (q *Queue) Stats() Stats {
	q.mu.Lock()
	defer q.mu.Unlock()
	return Stats{Enqueued: q.enqueued, Delivered: q.delivered, Dropped: q.dropped,
		Failed: q.failed, Pending: uint64(q.count)}
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
	if q.bad != nil {
		q.mu.Lock()
		q.closed = true
		q.mu.Unlock()
		return q.bad
	}
	q.mu.Lock()
	q.closed = true
	failedBefore := q.failed
	close(q.refuse)
	q.mu.Unlock()
	if q.spool != nil {
		// Records under way end with the disk write they wait for.
		q.recording.Wait()
		close(q.appends)
		<-q.appenderDone
	}
	close(q.draining)
	select {
	case <-q.sendersDone:
	case <-ctx.Done():
		q.cancel()
		<-q.sendersDone
	}
	q.cancel()

	// Time ran out before the senders took these.
	q.mu.Lock()
	var left []*batch
	if q.spool == nil {
		left = append(left, q.ready...)
		if q.cur != nil {
			left = append(left, q.cur)
		}
		q.ready, q.cur = nil, nil
		q.bufN, q.bufBytes = 0, 0
		q.inflight = append(q.inflight, left...)
	}
	q.mu.Unlock()
	for _, b := range left {
		q.fail(b, fmt.Errorf("%w before delivery: %w", ErrClosed, ctx.Err()))
	}

	var err error
	if q.spool != nil {
		err = q.spool.Close()
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	n := int(q.failed-failedBefore) + q.count
	if n == 0 {
		return err
	}
	cause := ctx.Err()
	if cause == nil {
		cause = q.lastErr
	}
	spooled := 0
	if q.spool != nil {
		spooled = q.count
	}
	return errors.Join(&UndeliveredError{Events: n, Spooled: spooled, Err: cause}, err)
}
