package tracker

import (
	"errors"
	"fmt"
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
