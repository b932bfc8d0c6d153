package tracker

import (
	"errors"
	"time"
)

// Permanent marks err, returned by a Sink, as a failure that retrying will not
// fix (a batch the store rejects, say). The Queue does not retry it: it hands
// the batch to QueueConfig.OnFailure and counts it Failed. To fail some events
// of a batch only, a Sink marks their errors in a *BatchError. Permanent(nil)
// is nil. Test with IsPermanent; errors.Is and errors.As see through it to err.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err}
}

// IsPermanent reports whether err, or an error it wraps, was marked with
// Permanent.
func IsPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}

type permanentError struct{ err error }

func (e *permanentError) Error() string { return "permanent: " + e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// RetryAfter wraps err, returned by a Sink, with a hint that the next attempt
// should wait d (as an HTTP 429 or 503 with a Retry-After header asks). The
// Queue waits d instead of its own backoff, unless waiting would pass
// QueueConfig.MaxElapsed, in which case it gives up on the batch.
// RetryAfter(nil, d) is nil.
//
// A Sink may instead return its own error type with a method
// RetryAfter() time.Duration; the Queue finds either with errors.As.
func RetryAfter(err error, d time.Duration) error {
	if err == nil {
		return nil
	}
	return &retryAfterError{err: err, d: d}
}

type retryAfterError struct {
	err error
	d   time.Duration
}

func (e *retryAfterError) Error() string {
	return e.err.Error() + " (retry after " + e.d.String() + ")"
}
func (e *retryAfterError) Unwrap() error             { return e.err }
func (e *retryAfterError) RetryAfter() time.Duration { return e.d }

// retryHint returns the wait a sink asked for, if any.
func retryHint(err error) (time.Duration, bool) {
	var h interface{ RetryAfter() time.Duration }
	if errors.As(err, &h) {
		return h.RetryAfter(), true
	}
	return 0, false
}
