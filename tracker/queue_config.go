package tracker

import (
	"log/slog"
	"time"
)

// Defaults of QueueConfig, each taken by the field named after it.
const (
	// DefaultMaxEvents bounds the events a Queue holds in memory.
	DefaultMaxEvents = 100_000
	// DefaultMaxBytes bounds the memory those events take: 64 MiB.
	DefaultMaxBytes = 64 << 20
	// DefaultBatchSize is the most events in one Sink.Write.
	DefaultBatchSize = 512
	// DefaultBatchBytes ends a batch at about 1 MiB of events.
	DefaultBatchBytes = 1 << 20
	// DefaultFlushInterval is about the longest an event waits for its batch
	// to fill.
	DefaultFlushInterval = time.Second
	// DefaultSenders is the number of Writes in flight at once.
	DefaultSenders = 2
	// DefaultWriteTimeout bounds one Sink.Write.
	DefaultWriteTimeout = 30 * time.Second
	// DefaultInitialBackoff is the longest wait before a first retry.
	DefaultInitialBackoff = 100 * time.Millisecond
	// DefaultMaxBackoff is the longest wait before any retry.
	DefaultMaxBackoff = 30 * time.Second
	// DefaultMaxElapsed is how long a batch is retried before the queue
	// gives up on it.
	DefaultMaxElapsed = 10 * time.Minute
	// DefaultSpoolMaxBytes caps a spool at 1 GiB of encoded events.
	DefaultSpoolMaxBytes = 1 << 30
)

// QueueConfig configures a Queue. The zero value is ready to use: every zero
// (or negative, unless said otherwise) field takes the Default constant of
// its name.
type QueueConfig struct {
	// MaxEvents bounds how many events the queue holds in memory, waiting
	// or being sent. Ignored with a Spool.
	MaxEvents int
	// MaxBytes bounds the approximate memory those events take. Ignored
	// with a Spool.
	MaxBytes int
	// BatchSize is the most events given to one Sink.Write.
	BatchSize int
	// BatchBytes ends a batch once its events take about this many bytes.
	BatchBytes int
	// FlushInterval is about the longest an event waits for its batch to
	// fill before it is sent anyway.
	FlushInterval time.Duration
	// Senders is the number of goroutines that write batches to the sink,
	// so the most Writes in flight at once.
	Senders int
	// WriteTimeout bounds one Sink.Write; a Write that takes longer is
	// cancelled and retried.
	WriteTimeout time.Duration
	// InitialBackoff and MaxBackoff bound the wait before a retry: the n-th
	// retry of a batch waits a random time (full jitter) between 0 and
	// min(MaxBackoff, InitialBackoff·2ⁿ⁻¹), or what the sink asked for with
	// RetryAfter. A MaxBackoff below InitialBackoff is raised to it.
	InitialBackoff time.Duration
	MaxBackoff     time.Duration
	// MaxElapsed is how long the queue keeps retrying a batch before it
	// gives up and hands it to OnFailure. Negative means no limit (retry
	// until Close's context ends).
	MaxElapsed time.Duration
	// OnFailure receives the events the queue gave up on: a batch the sink
	// failed with Permanent, the events of a *BatchError marked Permanent
	// (each with its own error), events still failing after MaxElapsed,
	// and without a Spool, what Close could not deliver before its context
	// ended. It is called from a sender goroutine and may keep events. Nil
	// means the events are only counted (Stats.Failed) and logged, by
	// count.
	OnFailure func(events []Event, err error)
	// Logger receives the queue's warnings and errors: failed writes, by
	// count of events and never by content. Nil means slog.Default().
	Logger *slog.Logger

	// Spool names a SQLite file that makes the queue durable: Record
	// returns only once the event is synced to it, events are sent from it
	// and removed once the sink took them (or the queue gave up on them),
	// and events still in it are sent after a restart. Delivered events
	// are erased from the spool's files, not only removed from its table,
	// so that their emails, visitor IDs and search queries do not stay on
	// disk: SQLite overwrites deleted records (secure_delete), and the
	// write-ahead log is checkpointed and truncated at once when the spool
	// empties, within a second while it holds other events, and at Close.
	// Empty means no spool: the queue is in memory only.
	Spool string
	// SpoolMaxBytes caps the size of the spooled events (their encoded
	// size, about what the file holds). Once reached, impressions, clicks,
	// views, searches and category views are refused with ErrQueueFull;
	// sales and email links are still written, since losing an order is
	// worse than a larger file, until the disk itself refuses, which
	// Record returns as an error. Negative means no cap.
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
