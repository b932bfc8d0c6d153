package tracker

import (
	"context"
	"errors"
	"sync"
)

// Fanout returns a Recorder that records every event into each of
// recorders, typically one Queue per destination:
//
//	rec := tracker.Fanout(tracker.NewQueue(db, tracker.QueueConfig{}), tracker.NewQueue(fw, tracker.QueueConfig{}))
//
// Each destination gets every event whatever the others answered, so a
// droppable event refused by one full queue (ErrQueueFull) still reaches
// the others, and each queue retries only its own sink: one destination
// being down never delays, drops or duplicates what another receives.
// Record returns the destinations' errors joined (errors.Join), nil when
// every one took the event; errors.Is(err, ErrQueueFull) tells that at
// least one refused it.
//
// Most events are recorded into each destination in turn, since a Queue
// takes them at once. Sales and email links may wait for room in a full
// queue (see Queue.Record), so they are recorded into every destination at
// the same time: a full queue delays the request by its own wait, never by
// the sum of them, and never delays what the others receive. Nil recorders
// are left out; Fanout of none records nothing.
func Fanout(recorders ...Recorder) Recorder {
	f := make(fanout, 0, len(recorders))
	for _, r := range recorders {
		if r != nil {
			f = append(f, r)
		}
	}
	return f
}

// fanout is the Recorder Fanout returns.
type fanout []Recorder

// Record implements Recorder.
func (f fanout) Record(ctx context.Context, e Event) error {
	switch {
	case len(f) == 0:
		return nil
	case len(f) == 1:
		return f[0].Record(ctx, e)
	case mustKeep(e.Kind):
		return f.parallel(ctx, e)
	}
	var errs []error
	for _, r := range f {
		if err := r.Record(ctx, e); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// parallel records e into every destination at once and waits for all.
func (f fanout) parallel(ctx context.Context, e Event) error {
	errs := make([]error, len(f))
	var wg sync.WaitGroup
	for i, r := range f[1:] {
		wg.Go(func() { errs[i+1] = r.Record(ctx, e) })
	}
	errs[0] = f[0].Record(ctx, e)
	wg.Wait()
	return errors.Join(errs...)
}
