package tracker

import (
	"context"
	"time"
)

// Store is a Sink that also answers what tracking is for: reports, visitor
// history, email links, erasure and retention. The embedded tracker/sqlite
// store implements it, and so must every other store; tracker/storetest
// checks that one behaves as the rules of attribution require.
type Store interface {
	Sink
	// Report returns what tracked results earned in [from, to) in store.
	Report(ctx context.Context, store string, from, to time.Time) (Report, error)
	// History returns up to limit entries of the visitor's own activity
	// (clicks, product and category views, searches), newest first; limit
	// ≤ 0 means all. It never includes the activity of visitors linked to
	// this one: an email typed at checkout proves nothing about who typed
	// it, so what one visitor is shown never depends on another's links.
	History(ctx context.Context, store, visitor string, limit int) ([]Activity, error)
	// CustomerHistory returns up to limit entries of the activity of every
	// visitor the shop has seen as customer (a sale carrying that customer
	// ID), newest first. Call it only for a customer the shop has verified
	// itself, such as the one signed in to the request's session; never
	// with an ID taken from a form.
	CustomerHistory(ctx context.Context, store, customer string, limit int) ([]Activity, error)
	// Visitors returns the visitor IDs linked to email, directly or through
	// other emails and customer IDs, sorted.
	Visitors(ctx context.Context, store, email string) ([]string, error)
	// Forget erases email, the customer IDs linked to it and every activity
	// of the visitors linked to it; sales stay as anonymous totals.
	Forget(ctx context.Context, store, email string) error
	// Purge deletes events older than before in every store and returns
	// how many it deleted.
	Purge(ctx context.Context, before time.Time) (int64, error)
	// Close releases the store.
	Close() error
}
