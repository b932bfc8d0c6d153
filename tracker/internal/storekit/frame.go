package storekit

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/visitrack/visitrack/tracker"
)

// Call is what a store's method does around its work: unless closed
// reports the store closed (then it returns errClosed), it returns what f
// returns, an error of f's wrapped as "op: …" ("sqlite: history: …").
func Call[T any](closed func() bool, errClosed error, op string, f func() (T, error)) (T, error) {
	var zero T
	if closed() {
		return zero, errClosed
	}
	v, err := f()
	if err != nil {
		return zero, fmt.Errorf("%s: %w", op, err)
	}
	return v, nil
}

// Write is what a store's Write does around the transaction write runs:
// an empty batch is nothing to do, and a closed store (closed) refuses a
// batch with errClosed; the events tracker.Accept refuses, checked against
// now, come back in a *tracker.BatchError once write has stored the others.
// An error of write's, which stores nothing, is wrapped as "op: …".
func Write(ctx context.Context, events []tracker.Event, closed func() bool, errClosed error, now func() time.Time,
	op string, write func(context.Context, []tracker.Event) error) error {
	if len(events) == 0 {
		return nil
	}
	if closed() {
		return errClosed
	}
	accepted, refused := tracker.Accept(events, now())
	if len(accepted) > 0 {
		if err := write(ctx, accepted); err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
	}
	return refused
}

// PurgeEvery calls purge every interval, with the time keep before now,
// until ctx ends; a failure goes to log. It is a store's PurgeEvery.
func PurgeEvery(ctx context.Context, interval, keep time.Duration, now func() time.Time,
	purge func(ctx context.Context, before time.Time) (int64, error), log *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := purge(ctx, now().Add(-keep)); err != nil && ctx.Err() == nil {
			log.Error("visitrack: purge failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Storable reports whether every name can be a stored name (a store,
// visitor, customer, label): valid UTF-8 without NUL. A store answers a
// name that is not with nothing, rather than ask its database, which may
// refuse it with an error (PostgreSQL does); the tracker never stores such
// a name.
func Storable(names ...string) bool {
	for _, s := range names {
		if !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 {
			return false
		}
	}
	return true
}
