package storekit

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"sync"

	"github.com/visitrack/visitrack/tracker"
)

// Find is Call for a method that looks up what names name (a store, a
// visitor, a customer): when one of them is not Storable, nothing stored
// can match, and it returns the zero T, and no error, without calling f. A
// closed store still returns errClosed.
func Find[T any](closed func() bool, errClosed error, op string, names []string, f func() (T, error)) (T, error) {
	return Call(closed, errClosed, op, func() (T, error) {
		if !Storable(names...) {
			var zero T
			return zero, nil
		}
		return f()
	})
}

// FindEmail is Find for a method asked about an email address in store:
// an address that tracker.NormalizeEmail refuses cannot have been stored
// either. f gets the address normalized.
func FindEmail[T any](closed func() bool, errClosed error, op, store, email string, f func(email string) (T, error)) (T, error) {
	return Call(closed, errClosed, op, func() (T, error) {
		email, ok := storedEmail(store, email)
		if !ok {
			var zero T
			return zero, nil
		}
		return f(email)
	})
}

// storedEmail returns email normalized, and whether it and store can be
// stored names.
func storedEmail(store, email string) (string, bool) {
	email, err := tracker.NormalizeEmail(email)
	return email, err == nil && Storable(store)
}

// History is Find for a store's History and CustomerHistory: vids reads
// the visitors whose activity is asked for, and activity the newest limit
// entries of theirs. With no visitor there is no activity: it returns nil
// without calling activity.
func History(ctx context.Context, closed func() bool, errClosed error, op string, names []string, limit int,
	activity func(ctx context.Context, vids []int64, limit int) ([]tracker.Activity, error),
	vids func() ([]int64, error)) ([]tracker.Activity, error) {
	return Find(closed, errClosed, op, names, func() ([]tracker.Activity, error) {
		ids, err := vids()
		if err != nil || len(ids) == 0 {
			return nil, err
		}
		return activity(ctx, ids, limit)
	})
}

// Forget is what a store's Forget does around its work: an address that
// tracker.NormalizeEmail refuses, or a store name that is not Storable,
// cannot have been stored, and it returns nil (whether or not the store is
// closed). Otherwise it holds mu, the store's writer lock, refuses a closed
// store (closed) with errClosed, and returns what forget returns for the
// normalized address.
func Forget(store, email string, mu sync.Locker, closed func() bool, errClosed error, forget func(email string) error) error {
	email, ok := storedEmail(store, email)
	if !ok {
		return nil // no such address or store can be stored
	}
	mu.Lock()
	defer mu.Unlock()
	if closed() {
		return errClosed
	}
	return forget(email)
}

// Read is what a store's credit.Reports.Read does around the read-only
// transaction read runs: a closed store (closed) returns errClosed, and a
// store name that is not Storable has nothing to read: nil, without
// calling read.
func Read(closed func() bool, errClosed error, store string, read func() error) error {
	if closed() {
		return errClosed
	}
	if !Storable(store) {
		return nil
	}
	return read()
}

// Scan is a driver's scan of a row that may not be there: (*sql.Row).Scan,
// pgx.Row's Scan. It fails with sql.ErrNoRows, which pgx.ErrNoRows wraps,
// when there is no row.
type Scan = func(dest ...any) error

// Found turns the error of a Scan into whether it found the row: no row is
// no error.
func Found(err error) (bool, error) {
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// One returns, as a list, the one value that scan reads: none (nil) when
// there is no row.
func One[T any](scan Scan) ([]T, error) {
	var v T
	if found, err := Found(scan(&v)); !found {
		return nil, err
	}
	return []T{v}, nil
}

// ID returns the ID that the Scan row returns reads, 0 when there is no
// row: row runs a query for name. A name that is not Storable has no ID,
// and row is not called.
func ID(name string, row func() Scan) (int64, error) {
	if !Storable(name) {
		return 0, nil
	}
	var id int64
	_, err := Found(row()(&id))
	return id, err
}

// Set returns ids, what a query read with its error err, as a set of K (a
// credit.LabelSet, say); nil and err when err is not nil.
func Set[K ~int64](ids []int64, err error) (map[K]bool, error) {
	if err != nil {
		return nil, err
	}
	out := make(map[K]bool, len(ids))
	for _, id := range ids {
		out[K(id)] = true
	}
	return out, nil
}

// Drill is what a store's credit.Snapshot.Drill does around its reads,
// into a new D (a credit.Drill): a drill-down about searches is what
// searches reads alone; a label's reads sales with sales when its kinds
// hold tracker.KindSale, then the other kinds at once with labelled, which
// gets them as an SQL list ("1, 2"). The first error ends it, with nil.
func Drill[D any](searching bool, kinds []tracker.Kind, searches, sales func(d *D) error,
	labelled func(d *D, kinds string) error) (*D, error) {
	d := new(D)
	if searching {
		if err := searches(d); err != nil {
			return nil, err
		}
		return d, nil
	}
	var others []string
	for _, k := range kinds {
		if k == tracker.KindSale {
			if err := sales(d); err != nil {
				return nil, err
			}
			continue
		}
		others = append(others, strconv.Itoa(int(k)))
	}
	if len(others) > 0 {
		if err := labelled(d, strings.Join(others, ", ")); err != nil {
			return nil, err
		}
	}
	return d, nil
}
