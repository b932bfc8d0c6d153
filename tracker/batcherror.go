package tracker

import (
	"fmt"
	"strings"
)

// EventError is one event of a batch that a Sink did not store.
type EventError struct {
	// Index is the event's position in the batch given to Sink.Write.
	Index int
	// Err says why. Permanent(err) marks an event that retrying will not
	// store (it breaks a rule, say); any other error is retried.
	Err error
}

// BatchError is returned by a Sink that stored part of a batch: the events
// in Failed were not stored, every other event of the batch was. A Queue
// counts the others as delivered at once, hands each event failed with a
// Permanent error to QueueConfig.OnFailure with that error, and retries only
// the rest, as a smaller batch with the backoff, RetryAfter hints and
// MaxElapsed of the batch they came in. An Index outside the batch, or listed
// twice, is ignored. With a spool, the events delivered or failed are
// removed from it at once; those retried stay.
//
// A Sink returns a *BatchError (never wrapped in Permanent) so that one bad
// event never costs the valid events of its batch. Since Unwrap exposes the
// events' errors, IsPermanent reports true for a *BatchError with one
// permanent event: a Queue looks for a *BatchError first.
type BatchError struct {
	Failed []EventError
}

// Error summarises the failures: how many, and the first one.
func (e *BatchError) Error() string {
	switch len(e.Failed) {
	case 0:
		return "tracker: batch partly failed"
	case 1:
		return fmt.Sprintf("tracker: event %d of the batch failed: %v", e.Failed[0].Index, e.Failed[0].Err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "tracker: %d events of the batch failed; event %d: %v", len(e.Failed), e.Failed[0].Index, e.Failed[0].Err)
	return b.String()
}

// Unwrap returns the events' errors, so that errors.Is and errors.As look
// through them.
func (e *BatchError) Unwrap() []error {
	errs := make([]error, len(e.Failed))
	for i, f := range e.Failed {
		errs[i] = f.Err
	}
	return errs
}
