package tracker

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"
)

// sender delivers batches until the queue is drained or its time is up.
func (q *Queue) sender(rng *rand.Rand) {
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		b := q.next(timer)
		if b == nil {
			return
		}
		start := time.Now()
		q.deliver(b, rng, timer)
		q.timing.batch(time.Since(start))
	}
}

// drained is what poll returns once nothing is left to send during Close.
const drained time.Duration = -1

// next waits for a batch to be due and takes it; nil means stop.
func (q *Queue) next(timer *time.Timer) *batch {
	for q.runCtx.Err() == nil {
		b, wait, took, err := q.poll()
		switch {
		case b != nil:
			return b
		case err != nil:
			// The buffer could not be read: wait before trying again.
			timer.Reset(q.cfg.InitialBackoff)
			select {
			case <-timer.C:
			case <-q.runCtx.Done():
				timer.Stop()
			}
			continue
		case took != nil:
			select {
			case <-took:
			case <-q.runCtx.Done():
			}
			continue
		case wait == drained:
			return nil
		}
		var fired <-chan time.Time
		if wait > 0 {
			timer.Reset(wait)
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
	return nil
}

// poll takes a batch if one is due. If none is, it returns how long until
// the oldest waiting event has waited FlushInterval (0 when no event waits),
// or drained when none waits during Close; if another sender is taking a
// batch, a channel closed once it is done.
func (q *Queue) poll() (_ *batch, wait time.Duration, took <-chan struct{}, _ error) {
	more := false
	defer func() {
		if more {
			q.signal() // for another sender, once mu is free
		}
	}()
	q.mu.Lock()
	defer q.mu.Unlock()
	q.watching = false
	for {
		if q.taking {
			if q.took == nil {
				q.took = make(chan struct{})
			}
			return nil, 0, q.took, nil
		}
		if q.dueLocked() {
			b, err := q.takeLocked()
			if b == nil && err == nil {
				continue // lost events: what is left may be due
			}
			more = q.dueLocked()
			return b, 0, nil, err
		}
		if q.waiting == 0 {
			if q.isDraining() {
				return nil, drained, nil, nil
			}
			return nil, 0, nil, nil
		}
		now := time.Now()
		if q.firstAt.IsZero() {
			q.firstAt = now
		}
		if wait := q.firstAt.Add(q.cfg.FlushInterval).Sub(now); wait > 0 {
			q.watching = true
			return nil, wait, nil, nil
		}
		// The interval is up: send everything waiting now.
		q.flushTo = max(q.flushTo, q.lastSeq)
		q.firstAt = time.Time{}
	}
}

// dueLocked reports whether a sender should take a batch now: a batch's
// worth waits, Flush or FlushInterval asked for the oldest, or Close did.
func (q *Queue) dueLocked() bool {
	return q.waiting > 0 && (q.batchWaitsLocked() || q.cursor+1 <= q.flushTo || q.isDraining())
}

// batchWaitsLocked reports whether a batch's worth of events waits.
func (q *Queue) batchWaitsLocked() bool {
	return q.waiting >= q.cfg.BatchSize || q.waitingBytes >= q.cfg.BatchBytes
}

// takeLocked takes the next batch from the buffer and puts it in flight. It
// returns nil and no error if the buffer lost what was counted as waiting.
func (q *Queue) takeLocked() (*batch, error) {
	n, size := q.waiting, q.waitingBytes
	upTo := q.lastSeq
	q.taking = true
	b, err := q.buf.take(q.cursor, upTo)
	q.taking = false
	if q.took != nil {
		close(q.took)
		q.took = nil
	}
	switch {
	case err != nil:
		return nil, err
	case b == nil:
		// Only if the spool file changed under us: forget what cannot be
		// found, so as not to spin.
		q.log.Error("tracker: queue holds fewer events than counted", "missing", n)
		q.waiting -= n
		q.waitingBytes -= size
		q.cursor = upTo
		q.settleLocked(0, n, size)
	default:
		q.waiting -= len(b.events) + b.bad
		q.waitingBytes -= b.bytes + b.badBytes
		q.cursor = b.last
		q.inflight = append(q.inflight, b)
		if b.bad > 0 {
			q.settleLocked(0, b.bad, b.badBytes)
		}
	}
	if q.waiting == 0 {
		q.firstAt = time.Time{}
	}
	return b, nil
}

// deliver writes b to the sink until each of its events is delivered or
// given up on (failed permanently, or for longer than MaxElapsed), or the
// queue's time is up.
func (q *Queue) deliver(b *batch, rng *rand.Rand, timer *time.Timer) {
	start := time.Now()
	for attempt := 1; ; attempt++ {
		if attempt > 1 {
			q.timing.retry()
		}
		var err error
		if len(b.events) > 0 {
			ctx, cancel := context.WithTimeout(q.runCtx, q.cfg.WriteTimeout)
			err = q.sink.Write(ctx, b.events)
			cancel()
		}
		if err = q.settle(b, err); err == nil {
			return
		}
		if q.runCtx.Err() != nil {
			q.abort(b, err)
			return
		}
		wait, hinted := retryHint(err)
		if !hinted {
			wait = time.Duration(rng.Int64N(int64(backoff(attempt, q.cfg.InitialBackoff, q.cfg.MaxBackoff)) + 1))
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

// settle acts on err, what Write returned for b: without an error every
// event was delivered; a *BatchError says which were not (see settlePartial);
// a Permanent error fails them all; any other error is retried. It returns
// the error of the events left in b to retry, or nil once b has ended.
func (q *Queue) settle(b *batch, err error) error {
	var partial *BatchError
	switch {
	case err == nil:
		q.resolve(b, nil, len(b.events), 0)
		return nil
	case errors.As(err, &partial):
		return q.settlePartial(b, partial, err)
	case IsPermanent(err):
		q.fail(b, err)
		return nil
	}
	return err
}

// settlePartial acts on a *BatchError: the events it does not list were
// delivered, those it lists with a Permanent error go to OnFailure each with
// its error, and b keeps the others to retry. It returns their error: the
// event's own if one is left, else a *BatchError indexing b as it is now.
func (q *Queue) settlePartial(b *batch, be *BatchError, err error) error {
	n := len(b.events)
	listed := make([]bool, n)
	var keep []int
	var retry []EventError
	failed := 0
	var failErr error
	for _, f := range be.Failed {
		if f.Index < 0 || f.Index >= n || listed[f.Index] {
			continue // not an event of b: the sink's mistake
		}
		listed[f.Index] = true
		if IsPermanent(f.Err) {
			q.handOut([]Event{b.events[f.Index]}, f.Err)
			failed++
			failErr = f.Err
			continue
		}
		keep = append(keep, f.Index)
		retry = append(retry, f)
	}
	if failed > 0 {
		q.log.Error("tracker: events not delivered", "events", failed, "err", failErr)
	}
	if len(keep) == n {
		return err // none stored: retry them all
	}
	slices.SortFunc(retry, func(a, b EventError) int { return a.Index - b.Index })
	slices.Sort(keep)
	q.resolve(b, keep, n-failed-len(keep), failed)
	switch {
	case len(retry) == 0:
		return nil
	case len(retry) == 1 && retry[0].Err != nil:
		return retry[0].Err
	}
	for j := range retry {
		retry[j].Index = j
	}
	return &BatchError{Failed: retry}
}

// fail gives every event of b to OnFailure with err, and ends b.
func (q *Queue) fail(b *batch, err error) {
	n := len(b.events)
	q.log.Error("tracker: events not delivered", "events", n, "err", err)
	q.handOut(b.events, err)
	b.handedOut = true
	q.resolve(b, nil, 0, n)
}

// handOut gives events the queue gave up on to OnFailure, and keeps err for
// Close to report.
func (q *Queue) handOut(events []Event, err error) {
	if q.cfg.OnFailure != nil && len(events) > 0 {
		q.cfg.OnFailure(events, err)
	}
	q.mu.Lock()
	q.lastErr = err
	q.mu.Unlock()
}

// resolve lets the buffer go of the events of b but those at keep, counts
// delivered of them as delivered and failed as failed, and ends b when none
// is kept.
func (q *Queue) resolve(b *batch, keep []int, delivered, failed int) {
	size := b.bytes
	q.buf.release(b, keep)
	size -= b.bytes
	q.mu.Lock()
	q.settleLocked(delivered, failed, size)
	if len(keep) == 0 {
		q.endLocked(b)
	}
	q.mu.Unlock()
}

// abort ends b when Close's time is up: a durable buffer keeps its events
// for the next start; otherwise they fail.
func (q *Queue) abort(b *batch, err error) {
	if !q.buf.durable() {
		q.fail(b, fmt.Errorf("%w before delivery: %w", ErrClosed, err))
		return
	}
	q.mu.Lock()
	q.endLocked(b)
	q.mu.Unlock()
}

// endLocked takes b out of flight and tells a Flush waiting for it.
func (q *Queue) endLocked(b *batch) {
	if i := slices.Index(q.inflight, b); i >= 0 {
		q.inflight = slices.Delete(q.inflight, i, i+1)
	}
	if q.progress != nil {
		close(q.progress)
		q.progress = nil
	}
}
