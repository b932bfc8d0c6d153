package tracker

import (
	"sync"
	"time"
)

// DeliveryStats tells how a Queue's deliveries went since it started: how
// long batches took, how often writes were retried, and what the events it
// holds weigh. Stats counts the events themselves; tracker/metrics exports
// both to Prometheus.
type DeliveryStats struct {
	// Batches counts the batches that ended: each of their events delivered
	// or given up on, or, at Close, left in the spool.
	Batches uint64
	// BatchTime is how long those batches took in all, each from the moment
	// a sender took it to its end, retries and the waits between them
	// included.
	BatchTime time.Duration
	// BatchBuckets counts the batches by how long they took, cumulatively
	// as Prometheus histograms do: Count of bucket i is how many took at most
	// its UpperBound. Bounds ascend from 1 ms to 10 minutes (the default
	// MaxElapsed); a batch that took longer is counted in Batches only.
	BatchBuckets []LatencyBucket
	// Retries counts the Sink.Write calls that repeated a failed one.
	Retries uint64
	// HeldBytes is the size of the events held (Stats.Pending): with a
	// Spool, their encoded size, about what the spool file holds; without
	// one, about the memory they take (what MaxBytes bounds).
	HeldBytes uint64
	// Spool reports whether the queue keeps its events in a Spool.
	Spool bool
}

// LatencyBucket is one bucket of DeliveryStats.BatchBuckets.
type LatencyBucket struct {
	UpperBound time.Duration
	Count      uint64
}

// batchBounds are the upper bounds of DeliveryStats.BatchBuckets.
var batchBounds = [...]time.Duration{
	time.Millisecond, 2500 * time.Microsecond, 5 * time.Millisecond,
	10 * time.Millisecond, 25 * time.Millisecond, 50 * time.Millisecond,
	100 * time.Millisecond, 250 * time.Millisecond, 500 * time.Millisecond,
	time.Second, 2500 * time.Millisecond, 5 * time.Second, 10 * time.Second,
	30 * time.Second, time.Minute, 5 * time.Minute, 10 * time.Minute,
}

// deliveryTiming keeps the figures of DeliveryStats but HeldBytes. It has
// a lock of its own so that measuring a batch never waits for Queue.mu.
type deliveryTiming struct {
	mu      sync.Mutex
	batches uint64
	total   time.Duration
	counts  [len(batchBounds)]uint64 // not cumulative: batches in (bounds[i-1], bounds[i]]
	retries uint64
}

// batch counts a batch that took d.
func (t *deliveryTiming) batch(d time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.batches++
	t.total += d
	for i, b := range batchBounds {
		if d <= b {
			t.counts[i]++
			break
		}
	}
}

// retry counts a Write that repeats a failed one.
func (t *deliveryTiming) retry() {
	t.mu.Lock()
	t.retries++
	t.mu.Unlock()
}

// DeliveryStats returns how the queue's deliveries went since it started.
func (q *Queue) DeliveryStats() DeliveryStats {
	q.mu.Lock()
	held := q.heldBytes
	q.mu.Unlock()
	t := &q.timing
	t.mu.Lock()
	defer t.mu.Unlock()
	s := DeliveryStats{Batches: t.batches, BatchTime: t.total, Retries: t.retries,
		HeldBytes: uint64(max(held, 0)), Spool: q.cfg.Spool != "",
		BatchBuckets: make([]LatencyBucket, len(batchBounds))}
	var n uint64
	for i, b := range batchBounds {
		n += t.counts[i]
		s.BatchBuckets[i] = LatencyBucket{UpperBound: b, Count: n}
	}
	return s
}
