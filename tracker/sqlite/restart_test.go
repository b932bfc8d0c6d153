package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/visitrack/visitrack/tracker"
	"github.com/visitrack/visitrack/tracker/sqlite"
)

// A store that is closed and reopened every few batches, or whose write
// transactions fail now and then (and are retried), ends up with the same
// reports and history as one that ran straight through.
func TestRestartsAndFailuresChangeNothing(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	ref, _ := openTemp(t, sqlite.Config{})
	for _, b := range batches(40, 250) {
		require.NoError(t, ref.Write(ctx, b))
	}

	path := filepath.Join(t.TempDir(), "restarts.db")
	open := func(i int) *sqlite.Store {
		cfg := sqlite.Config{}
		if i%2 == 1 {
			cfg.MemoryBudget = 64 << 10 // and sometimes a budget that holds little
		}
		return openAt(t, path, cfg)
	}
	s := open(0)
	boom := errors.New("boom")
	for i, b := range batches(40, 250) {
		if i%3 == 1 {
			restore := sqlite.FailWrites(s, boom)
			require.ErrorIs(t, s.Write(ctx, b), boom)
			restore()
		}
		require.NoError(t, s.Write(ctx, b))
		if i%5 == 4 {
			require.NoError(t, s.Close())
			s = open(i)
		}
	}
	sameAnswers(t, ref, s)
}

// A process that dies without closing its store loses nothing it wrote:
// the next Open finds every event, and the chains the dead writer kept in
// memory.
func TestCrashLosesNothing(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	all := batches(30, 200)
	ref, _ := openTemp(t, sqlite.Config{})
	for _, b := range all {
		require.NoError(t, ref.Write(ctx, b))
	}

	path := filepath.Join(t.TempDir(), "crash.db")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "VISITRACK_CRASH_CHILD="+path)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)

	s := openAt(t, path, sqlite.Config{})
	for _, b := range all[20:] {
		require.NoError(t, s.Write(ctx, b))
	}
	sameAnswers(t, ref, s)
}

// crashChild writes the first 20 batches of TestCrashLosesNothing's stream
// and exits without closing the store.
func crashChild(path string) error {
	s, err := sqlite.Open(context.Background(), path)
	if err != nil {
		return err
	}
	for _, b := range batches(30, 200)[:20] {
		if err := s.Write(context.Background(), b); err != nil {
			return err
		}
	}
	os.Exit(0) // no Close: as if killed
	return nil
}

// With a budget far too small for its traffic, the writer keeps within it
// and reads back from the file what it needs: the answers are those of a
// store that keeps everything.
func TestMemoryBudget(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	const budget = 256 << 10
	big, _ := openTemp(t, sqlite.Config{MemoryBudget: 1 << 30})
	tiny, _ := openTemp(t, sqlite.Config{MemoryBudget: budget})

	peak := int64(0)
	for _, b := range batches(40, 250) {
		require.NoError(t, big.Write(ctx, b))
		require.NoError(t, tiny.Write(ctx, b))
		peak = max(peak, tiny.Stats().Memory)
	}
	sameAnswers(t, big, tiny)

	bs, ts := big.Stats(), tiny.Stats()
	assert.LessOrEqual(t, peak, int64(budget), "the tiny store keeps within its budget")
	assert.Greater(t, bs.Memory, int64(4*budget), "the traffic needs far more than the tiny budget")
	assert.Greater(t, ts.RowsRead, 10*bs.RowsRead, "the tiny store read back what it could not keep")
	t.Logf("big: %+v; tiny: %+v, peak %d", bs, ts, peak)
}

// An old event that arrived after newer ones sits between them on its
// visitor's chains: purging it leaves the newer ones reachable, for
// History, for the writer, and for Forget.
func TestPurgeKeepsLateArrivalsChained(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s, path := openTemp(t, sqlite.Config{})
	v := "cvlatelatelatelate01"
	ev := func(id string, at time.Duration, k tracker.Kind) tracker.Event {
		e := tracker.Event{ID: id, Store: "shop", Visitor: v, Time: benchStart.Add(at), Kind: k, Product: "p" + id}
		switch k {
		case tracker.KindImpression:
			e.Product, e.API, e.Labels, e.Products = "", "recommendations/trending", []string{"Home"}, []string{"p1"}
		case tracker.KindEmail:
			e.Product, e.Email = "", "late@example.com"
		}
		return e
	}
	// Arrival order: new, old (late), new; and an impression, late too.
	require.NoError(t, s.Write(ctx, []tracker.Event{ev("1", 10*24*time.Hour, tracker.KindView)}))
	require.NoError(t, s.Write(ctx, []tracker.Event{ev("2", time.Hour, tracker.KindView), ev("i", time.Hour, tracker.KindImpression)}))
	require.NoError(t, s.Write(ctx, []tracker.Event{ev("3", 11*24*time.Hour, tracker.KindView), ev("e", 11*24*time.Hour, tracker.KindEmail)}))
	n, err := s.Purge(ctx, benchStart.Add(24*time.Hour))
	require.NoError(t, err)
	assert.Equal(t, int64(2), n)

	for round := range 2 { // and again after a restart
		h, err := s.History(ctx, "shop", v, 0)
		require.NoError(t, err)
		require.Len(t, h, 2, "round %d", round)
		assert.Equal(t, "p3", h[0].Product)
		assert.Equal(t, "p1", h[1].Product)
		require.NoError(t, s.Close())
		s = openAt(t, path, sqlite.Config{})
	}
	// A click on p1 now finds no impression (it was purged); Forget still
	// reaches every event.
	c := ev("c", 12*24*time.Hour, tracker.KindClick)
	c.Product = "p1"
	require.NoError(t, s.Write(ctx, []tracker.Event{c}))
	r, err := s.Report(ctx, "shop", benchStart, benchStart.Add(30*24*time.Hour))
	require.NoError(t, err)
	assert.Empty(t, r.Labels)
	require.NoError(t, s.Forget(ctx, "shop", "late@example.com"))
	h, err := s.History(ctx, "shop", v, 0)
	require.NoError(t, err)
	assert.Empty(t, h)
}

// After a purge of everything, new events are stored and found again, also
// after a restart.
func TestPurgeAllThenRestart(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s, path := openTemp(t, sqlite.Config{})
	view := func(id string, at time.Time) tracker.Event {
		return tracker.Event{ID: id, Store: "shop", Visitor: "cvpurgepurgepurge001", Time: at, Kind: tracker.KindView, Product: "p-" + id}
	}
	var evs []tracker.Event
	for i := range 30 {
		evs = append(evs, view(fmt.Sprint("old", i), benchStart.Add(time.Duration(i)*time.Minute)))
	}
	require.NoError(t, s.Write(ctx, evs))
	n, err := s.Purge(ctx, benchStart.Add(time.Hour))
	require.NoError(t, err)
	assert.Equal(t, int64(30), n)
	later := benchStart.Add(2 * time.Hour)
	require.NoError(t, s.Write(ctx, []tracker.Event{view("new1", later), view("new2", later.Add(time.Second))}))
	require.NoError(t, s.Close())

	s = openAt(t, path, sqlite.Config{})
	h, err := s.History(ctx, "shop", "cvpurgepurgepurge001", 0)
	require.NoError(t, err)
	require.Len(t, h, 2)
	assert.Equal(t, "p-new2", h[0].Product)
}
