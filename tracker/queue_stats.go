package tracker

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

// Stats returns the queue's counts, taken together.
func (q *Queue) Stats() Stats {
	q.mu.Lock()
	defer q.mu.Unlock()
	// Enqueued is not counted apart: every event Record took is in exactly
	// one of the other counts, so the sum is the invariant itself.
	return Stats{Enqueued: q.delivered + q.dropped + q.failed + uint64(q.held), Delivered: q.delivered,
		Dropped: q.dropped, Failed: q.failed, Pending: uint64(q.held)}
}

// The three methods below are the only writers of the counts.

// holdLocked counts n events of size bytes as held and waiting for a batch,
// the newest numbered last. It reports whether a sender should be woken: the
// buffer has a batch ready (full), or the first event waits and no sender
// watches the clock for it.
func (q *Queue) holdLocked(n, size int, last uint64, full bool) (wake bool) {
	first := q.waiting == 0
	q.held += n
	q.heldBytes += size
	q.waiting += n
	q.waitingBytes += size
	q.lastSeq = last
	return full || first && !q.watching
}

// dropLocked counts n events that Record refused.
func (q *Queue) dropLocked(n int) { q.dropped += uint64(n) }

// settleLocked counts held events that left the queue (size bytes in all):
// delivered, or failed and handed to OnFailure. It wakes the sales waiting
// for room and a Flush waiting for progress.
func (q *Queue) settleLocked(delivered, failed, size int) {
	q.delivered += uint64(delivered)
	q.failed += uint64(failed)
	q.held -= delivered + failed
	q.heldBytes -= size
	if q.room != nil {
		close(q.room)
		q.room = nil
	}
	if q.progress != nil {
		close(q.progress)
		q.progress = nil
	}
}
