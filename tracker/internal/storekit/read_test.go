package storekit_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/visitrack/visitrack/tracker"
	"github.com/visitrack/visitrack/tracker/internal/storekit"
)

// hostile are names no store holds: Storable refuses them.
var hostile = []string{"a\x00b", "\xff\xfe"}

func TestFind(t *testing.T) {
	errClosed := errors.New("closed")
	closed := false
	isClosed := func() bool { return closed }
	v, err := storekit.Find(isClosed, errClosed, "x: op", []string{"shop", "v1"}, func() (int, error) { return 7, nil })
	require.NoError(t, err)
	assert.Equal(t, 7, v)
	_, err = storekit.Find(isClosed, errClosed, "x: op", []string{"shop"}, func() (int, error) { return 0, errors.New("boom") })
	assert.EqualError(t, err, "x: op: boom")
	for _, bad := range hostile {
		v, err := storekit.Find(isClosed, errClosed, "x: op", []string{"shop", bad}, func() (int, error) { panic("not called") })
		assert.NoError(t, err, "%q", bad)
		assert.Zero(t, v, "%q", bad)
	}
	closed = true
	_, err = storekit.Find(isClosed, errClosed, "x: op", hostile, func() (int, error) { panic("not called") })
	assert.Same(t, errClosed, err, "closed comes first")
}

func TestFindEmail(t *testing.T) {
	errClosed := errors.New("closed")
	closed := false
	isClosed := func() bool { return closed }
	got, err := storekit.FindEmail(isClosed, errClosed, "x: visitors", "shop", " A@Example.com ", func(email string) (string, error) {
		return email, nil
	})
	require.NoError(t, err)
	want, err := tracker.NormalizeEmail(" A@Example.com ")
	require.NoError(t, err)
	assert.Equal(t, want, got, "f gets the address normalized")
	for _, c := range []struct{ store, email string }{{"shop", "not an address"}, {hostile[0], "a@example.com"}, {hostile[1], "a@example.com"}} {
		got, err := storekit.FindEmail(isClosed, errClosed, "x: visitors", c.store, c.email, func(string) ([]string, error) { panic("not called") })
		assert.NoError(t, err, "%+v", c)
		assert.Nil(t, got, "%+v", c)
	}
	closed = true
	_, err = storekit.FindEmail(isClosed, errClosed, "x: visitors", "shop", "not an address", func(string) (int, error) { panic("not called") })
	assert.Same(t, errClosed, err, "closed comes first")
}

func TestHistory(t *testing.T) {
	errClosed := errors.New("closed")
	type key struct{}
	ctx := context.WithValue(t.Context(), key{}, "the caller's")
	activity := func(c context.Context, vids []int64, limit int) ([]tracker.Activity, error) {
		assert.Equal(t, ctx, c)
		out := make([]tracker.Activity, 0, len(vids))
		for _, vid := range vids {
			out = append(out, tracker.Activity{Product: fmt.Sprint(vid, "/", limit)})
		}
		return out, nil
	}
	never := func() bool { return false }
	got, err := storekit.History(ctx, never, errClosed, "x: history", []string{"shop", "v1"}, 5, activity,
		func() ([]int64, error) { return []int64{1, 2}, nil })
	require.NoError(t, err)
	assert.Equal(t, []tracker.Activity{{Product: "1/5"}, {Product: "2/5"}}, got)
	noActivity := func(context.Context, []int64, int) ([]tracker.Activity, error) { panic("not called") }
	for _, vids := range [][]int64{nil, {}} {
		got, err := storekit.History(ctx, never, errClosed, "x: history", []string{"shop", "v1"}, 5, noActivity,
			func() ([]int64, error) { return vids, nil })
		assert.NoError(t, err)
		assert.Nil(t, got, "no visitor, no activity")
	}
	_, err = storekit.History(ctx, never, errClosed, "x: history", []string{"shop", "v1"}, 5, noActivity,
		func() ([]int64, error) { return nil, errors.New("boom") })
	assert.EqualError(t, err, "x: history: boom")
	got, err = storekit.History(ctx, never, errClosed, "x: history", []string{"shop", hostile[0]}, 5, noActivity,
		func() ([]int64, error) { panic("not called") })
	assert.NoError(t, err)
	assert.Nil(t, got)
}

// locker records whether it is held.
type locker struct {
	sync.Mutex
	held bool
}

func (l *locker) Lock()   { l.Mutex.Lock(); l.held = true }
func (l *locker) Unlock() { l.held = false; l.Mutex.Unlock() }

func TestForget(t *testing.T) {
	errClosed := errors.New("closed")
	closed := false
	isClosed := func() bool { return closed }
	var mu locker
	boom := errors.New("boom")
	err := storekit.Forget("shop", " A@Example.com ", &mu, isClosed, errClosed, func(email string) error {
		assert.True(t, mu.held, "forget runs under the lock")
		want, err := tracker.NormalizeEmail(" A@Example.com ")
		require.NoError(t, err)
		assert.Equal(t, want, email)
		return boom
	})
	assert.Same(t, boom, err, "forget's error as it is")
	assert.False(t, mu.held)
	closed = true
	for _, c := range []struct{ store, email string }{{"shop", "not an address"}, {hostile[0], "a@example.com"}, {hostile[1], "a@example.com"}} {
		assert.NoError(t, storekit.Forget(c.store, c.email, &mu, isClosed, errClosed, func(string) error { panic("not called") }),
			"%+v: nothing to forget, closed or not", c)
	}
	err = storekit.Forget("shop", "a@example.com", &mu, isClosed, errClosed, func(string) error { panic("not called") })
	assert.Same(t, errClosed, err)
	assert.False(t, mu.held)
}

func TestRead(t *testing.T) {
	errClosed := errors.New("closed")
	closed := false
	isClosed := func() bool { return closed }
	boom := errors.New("boom")
	assert.Same(t, boom, storekit.Read(isClosed, errClosed, "shop", func() error { return boom }), "read's error as it is")
	for _, bad := range hostile {
		assert.NoError(t, storekit.Read(isClosed, errClosed, bad, func() error { panic("not called") }), "%q", bad)
	}
	closed = true
	assert.Same(t, errClosed, storekit.Read(isClosed, errClosed, hostile[0], func() error { panic("not called") }))
}

func TestFoundOneAndID(t *testing.T) {
	boom := errors.New("boom")
	scan := func(v int64, err error) storekit.Scan {
		return func(dest ...any) error {
			if err == nil {
				*dest[0].(*int64) = v
			}
			return err
		}
	}
	for _, noRows := range []error{sql.ErrNoRows, pgx.ErrNoRows, fmt.Errorf("row: %w", sql.ErrNoRows)} {
		found, err := storekit.Found(noRows)
		assert.False(t, found, "%v", noRows)
		assert.NoError(t, err, "%v: no row is no error", noRows)
		vs, err := storekit.One[int64](scan(0, noRows))
		assert.NoError(t, err)
		assert.Nil(t, vs)
		id, err := storekit.ID("Home", func() storekit.Scan { return scan(0, noRows) })
		assert.NoError(t, err)
		assert.Zero(t, id)
	}
	found, err := storekit.Found(nil)
	assert.True(t, found)
	assert.NoError(t, err)
	found, err = storekit.Found(boom)
	assert.False(t, found)
	assert.Same(t, boom, err)

	vs, err := storekit.One[int64](scan(7, nil))
	require.NoError(t, err)
	assert.Equal(t, []int64{7}, vs)
	_, err = storekit.One[int64](scan(0, boom))
	assert.Same(t, boom, err)

	id, err := storekit.ID("Home", func() storekit.Scan { return scan(7, nil) })
	require.NoError(t, err)
	assert.Equal(t, int64(7), id)
	_, err = storekit.ID("Home", func() storekit.Scan { return scan(0, boom) })
	assert.Same(t, boom, err)
	for _, bad := range hostile {
		id, err := storekit.ID(bad, func() storekit.Scan { panic("not called") })
		assert.NoError(t, err)
		assert.Zero(t, id)
	}
}

func TestSet(t *testing.T) {
	type set int64
	got, err := storekit.Set[set]([]int64{3, 1, 3}, nil)
	require.NoError(t, err)
	assert.Equal(t, map[set]bool{1: true, 3: true}, got)
	got, err = storekit.Set[set](nil, nil)
	require.NoError(t, err)
	assert.Empty(t, got)
	assert.NotNil(t, got)
	boom := errors.New("boom")
	got, err = storekit.Set[set]([]int64{1}, boom)
	assert.Same(t, boom, err)
	assert.Nil(t, got)
}

func TestDrill(t *testing.T) {
	type drill struct{ reads []string }
	searches := func(d *drill) error { d.reads = append(d.reads, "searches"); return nil }
	sales := func(d *drill) error { d.reads = append(d.reads, "sales"); return nil }
	labelled := func(d *drill, kinds string) error { d.reads = append(d.reads, "kinds "+kinds); return nil }

	d, err := storekit.Drill(true, []tracker.Kind{tracker.KindSale}, searches, sales, labelled)
	require.NoError(t, err)
	assert.Equal(t, []string{"searches"}, d.reads, "searches alone")

	d, err = storekit.Drill(false, []tracker.Kind{tracker.KindImpression, tracker.KindSale, tracker.KindClick}, searches, sales, labelled)
	require.NoError(t, err)
	assert.Equal(t, []string{"sales", fmt.Sprintf("kinds %d, %d", tracker.KindImpression, tracker.KindClick)}, d.reads,
		"sales, then the other kinds in one read")

	d, err = storekit.Drill(false, []tracker.Kind{tracker.KindImpression}, searches, sales, labelled)
	require.NoError(t, err)
	assert.Equal(t, []string{fmt.Sprintf("kinds %d", tracker.KindImpression)}, d.reads)

	d, err = storekit.Drill(false, nil, searches, sales, labelled)
	require.NoError(t, err)
	assert.Empty(t, d.reads)

	boom := errors.New("boom")
	d, err = storekit.Drill(true, nil, func(*drill) error { return boom }, sales, labelled)
	assert.Same(t, boom, err)
	assert.Nil(t, d, "an error ends a search drill-down as it ends a label's")
	d, err = storekit.Drill(false, []tracker.Kind{tracker.KindSale, tracker.KindClick}, searches, func(*drill) error { return boom },
		func(*drill, string) error { panic("not called") })
	assert.Same(t, boom, err)
	assert.Nil(t, d)
	d, err = storekit.Drill(false, []tracker.Kind{tracker.KindClick}, searches, sales, func(*drill, string) error { return boom })
	assert.Same(t, boom, err)
	assert.Nil(t, d)
}
