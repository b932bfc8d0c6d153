package tracker

import (
	"sync"
	"unsafe"
)

// memoryBuffer keeps events in memory, bounded by QueueConfig.MaxEvents and
// MaxBytes. It fills batches as events come, so that a sender takes a whole
// batch at once, and reuses the buffers of delivered batches.
type memoryBuffer struct {
	q                     *Queue
	maxEvents, maxBytes   int
	batchSize, batchBytes int
	batchCap              int // capacity of a batch's buffer

	// Guarded by q.mu.
	cur   *batch   // being filled
	ready []*batch // full, oldest first

	// Emptied buffers of delivered batches (*[]Event), for new batches: a
	// buffer is a large allocation, and a new one per batch keeps the
	// garbage collector busy under load. The collector empties the pool
	// when the queue is idle.
	free sync.Pool
}

func newMemoryBuffer(q *Queue) *memoryBuffer {
	c := q.cfg
	return &memoryBuffer{q: q, maxEvents: c.MaxEvents, maxBytes: c.MaxBytes,
		batchSize: c.BatchSize, batchBytes: c.BatchBytes,
		batchCap: min(c.BatchSize, c.BatchBytes/eventOverhead+1)}
}

// fits bounds the events by count and by size; an event larger than
// MaxBytes still fits in an empty queue.
func (m *memoryBuffer) fits(_ Kind, size, held, heldBytes int) bool {
	return held < m.maxEvents && (held == 0 || heldBytes+size <= m.maxBytes)
}

func (m *memoryBuffer) add(e Event, size int) error {
	q := m.q
	seq := q.lastSeq + 1
	b := m.cur
	if b == nil {
		b = &batch{first: seq}
		if p, ok := m.free.Get().(*[]Event); ok {
			b.events = *p
		} else {
			// Full size at once rather than growing: batches in memory
			// are full but for the few being sent.
			b.events = make([]Event, 0, m.batchCap)
		}
		m.cur = b
	}
	b.events = append(b.events, e)
	b.bytes += size
	b.last = seq
	full := len(b.events) >= m.batchSize || b.bytes >= m.batchBytes
	if full {
		m.ready = append(m.ready, b)
		m.cur = nil
	}
	wake := q.holdLocked(1, size, seq, full)
	q.mu.Unlock()
	if wake {
		q.signal()
	}
	return nil
}

// take returns the oldest batch, full or not: events are taken in the order
// they came, so it holds the events after after.
func (m *memoryBuffer) take(_, _ uint64) (*batch, error) {
	if len(m.ready) == 0 {
		b := m.cur
		m.cur = nil
		return b, nil
	}
	b := m.ready[0]
	copy(m.ready, m.ready[1:])
	m.ready[len(m.ready)-1] = nil
	m.ready = m.ready[:len(m.ready)-1]
	return b, nil
}

func (m *memoryBuffer) release(b *batch, keep []int) {
	if len(keep) > 0 {
		b.events = retain(b.events, keep)
		b.bytes = 0
		for i := range b.events {
			b.bytes += eventSize(&b.events[i])
		}
		return
	}
	if !b.handedOut && cap(b.events) == m.batchCap {
		clear(b.events)
		free := b.events[:0]
		m.free.Put(&free)
	}
	b.events, b.bytes = nil, 0
}

// durable is false: what Close cannot deliver fails.
func (m *memoryBuffer) durable() bool { return false }

// stop has nothing to wait for: add returns before Queue.mu is free.
func (m *memoryBuffer) stop() {}

func (m *memoryBuffer) close() error { return nil }

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
