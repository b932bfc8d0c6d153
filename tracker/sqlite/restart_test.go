package sqlite_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/visitrack/visitrack/tracker"
	"github.com/visitrack/visitrack/tracker/sqlite"
)

// The writer's in-memory index and the pending vix entries are rebuilt
// from the file: a store that is closed and reopened every few batches, or
// whose write transactions fail now and then (and are retried), ends up
// with the same reports and history as one that ran straight through.
func TestRestartsAndFailuresChangeNothing(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	const batches, size = 40, 250
	mk := func() []([]tracker.Event) {
		l := newLoad(5, 300, 12, benchStart, 47*time.Second)
		var out [][]tracker.Event
		for range batches {
			out = append(out, l.batch(size))
		}
		return out
	}

	ref, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "ref.db"))
	require.NoError(t, err)
	defer ref.Close()
	for _, b := range mk() {
		require.NoError(t, ref.Write(ctx, b))
	}

	path := filepath.Join(t.TempDir(), "restarts.db")
	open := func() *sqlite.Store {
		s, err := sqlite.Open(ctx, path, sqlite.WithVixFlushAt(333))
		require.NoError(t, err)
		return s
	}
	s := open()
	boom := errors.New("boom")
	for i, b := range mk() {
		if i%3 == 1 {
			restore := s.FailWrites(boom)
			require.ErrorIs(t, s.Write(ctx, b), boom)
			restore()
		}
		require.NoError(t, s.Write(ctx, b))
		if i%5 == 4 {
			require.NoError(t, s.Close())
			s = open()
		}
	}
	defer s.Close()

	from, to := benchStart, benchStart.Add(batches*size*47*time.Second+time.Hour)
	want, err := ref.Report(ctx, "shop-dk", from, to)
	require.NoError(t, err)
	got, err := s.Report(ctx, "shop-dk", from, to)
	require.NoError(t, err)
	require.NotZero(t, want.ImpactedOrders)
	assert.Equal(t, want, got)
	l := newLoad(5, 300, 12, benchStart, time.Second)
	for _, v := range l.visitors[:20] {
		wh, err := ref.History(ctx, "shop-dk", v, 0)
		require.NoError(t, err)
		gh, err := s.History(ctx, "shop-dk", v, 0)
		require.NoError(t, err)
		assert.Equal(t, wh, gh, v)
	}
}

// A click is backtracked over the lookback (the longer of MinLookback and
// the attribution window), not further.
func TestBacktrackingLookback(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "v.db"))
	require.NoError(t, err)
	defer s.Close()
	t0 := benchStart
	ev := func(id string, at time.Duration, k tracker.Kind) tracker.Event {
		return tracker.Event{ID: id, Store: "shop", Visitor: "v", Time: t0.Add(at), Kind: k}
	}
	imp := ev("i", 0, tracker.KindImpression)
	imp.Labels, imp.Products = []string{"Home"}, []string{"p1"}
	in := ev("c1", sqlite.MinLookback, tracker.KindClick)
	in.Product = "p1"
	out := ev("c2", sqlite.MinLookback+time.Second, tracker.KindClick)
	out.Product = "p1"
	require.NoError(t, s.Write(ctx, []tracker.Event{imp, in, out}))
	rep, err := s.Report(ctx, "shop", t0, t0.Add(2*sqlite.MinLookback))
	require.NoError(t, err)
	require.Len(t, rep.Labels, 1)
	assert.Equal(t, 1, rep.Labels[0].Clicks, "the click at the edge of the lookback counts, the one after it does not")
}

// After a purge of everything, rowids start again from 1; rows written then
// and not yet in vix are still found after a restart.
func TestPurgeAllThenRestart(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "v.db")
	s, err := sqlite.Open(ctx, path, sqlite.WithVixFlushAt(10))
	require.NoError(t, err)
	view := func(id string, at time.Time) tracker.Event {
		return tracker.Event{ID: id, Store: "shop", Visitor: "v", Time: at, Kind: tracker.KindView, Product: "p-" + id}
	}
	var evs []tracker.Event
	for i := range 30 {
		evs = append(evs, view(fmt.Sprint("old", i), benchStart.Add(time.Duration(i)*time.Minute)))
	}
	require.NoError(t, s.Write(ctx, evs))
	_, err = s.Purge(ctx, benchStart.Add(time.Hour))
	require.NoError(t, err)
	later := benchStart.Add(2 * time.Hour)
	require.NoError(t, s.Write(ctx, []tracker.Event{view("new1", later), view("new2", later.Add(time.Second))}))
	require.NoError(t, s.Close())

	s, err = sqlite.Open(ctx, path, sqlite.WithVixFlushAt(10))
	require.NoError(t, err)
	defer s.Close()
	h, err := s.History(ctx, "shop", "v", 0)
	require.NoError(t, err)
	require.Len(t, h, 2)
	assert.Equal(t, "p-new2", h[0].Product)
}

// The writer's index drops what is older than its horizon and compacts
// what it keeps: for events that arrive in order, that changes nothing.
func TestIndexEvictionChangesNothing(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	const batches, size = 60, 200
	step := 200 * 24 * time.Hour / (batches * size) // 200 days
	run := func(opts ...sqlite.Option) (*sqlite.Store, tracker.Report) {
		s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "v.db"), opts...)
		require.NoError(t, err)
		l := newLoad(9, 200, 8, benchStart, step)
		for range batches {
			require.NoError(t, s.Write(ctx, l.batch(size)))
		}
		rep, err := s.Report(ctx, "shop-dk", benchStart, benchStart.Add(201*24*time.Hour))
		require.NoError(t, err)
		return s, rep
	}
	all, want := run(sqlite.WithMemHorizon(1000 * 24 * time.Hour))
	defer all.Close()
	s, got := run()
	defer s.Close()
	require.NotZero(t, want.ImpactedOrders)
	assert.Equal(t, want, got)
	assert.Equal(t, batches*size, all.MemEntries()+countActs())
	assert.Less(t, s.MemEntries(), all.MemEntries()/2, "the default index keeps the last ~67 of 200 days")
}

// countActs counts the events the writer's index never holds: views,
// categories, searches and email links.
func countActs() int {
	n := 0
	l := newLoad(9, 200, 8, benchStart, time.Second)
	for range 60 * 200 {
		switch l.next().Kind {
		case tracker.KindImpression, tracker.KindClick, tracker.KindSale:
		default:
			n++
		}
	}
	return n
}
