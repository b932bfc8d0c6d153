package sqlite_test

import (
	"context"
	"errors"
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
	// Restarts, failed writes and a budget that evicts visitors add no
	// second visitor_days row for a visitor's day (the stream is in time
	// order).
	require.NoError(t, s.Close())
	rows, distinct := visitorDays(t, path)
	assert.Equal(t, distinct, rows)
	assert.NotZero(t, rows)
}

// visitorDays counts the visitor_days rows of the file at path, and the
// distinct visitor-days among them.
func visitorDays(t *testing.T, path string) (rows, distinct int) {
	t.Helper()
	db := openRaw(t, path)
	defer db.Close()
	require.NoError(t, db.QueryRow(`SELECT count(*), (SELECT count(*) FROM (SELECT DISTINCT sid, day, vid FROM visitor_days))
		FROM visitor_days`).Scan(&rows, &distinct))
	return rows, distinct
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
	// The visitors' day marks come back from the rows too: the writes after
	// the crash add no second row for a visitor's day.
	require.NoError(t, s.Close())
	rows, distinct := visitorDays(t, path)
	assert.Equal(t, distinct, rows)
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

// A visitor's newest day with a visitor_days row outlives a restart, so its
// further events that day add no row; events that arrive late for an
// earlier day may add a second row for it, and the visitor still counts
// once.
func TestVisitorOfADayCountsOnce(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s, path := openTemp(t, sqlite.Config{})
	day := benchStart.Add(24 * time.Hour)
	view := func(id string, at time.Duration) []tracker.Event {
		return []tracker.Event{{ID: id, Kind: tracker.KindView, Store: "shop-dk", Visitor: "cvonceonceonceonce01", Time: day.Add(at), Product: "p1"}}
	}
	rows := func() int {
		db := openRaw(t, path)
		defer db.Close()
		var n int
		require.NoError(t, db.QueryRow(`SELECT count(*) FROM visitor_days`).Scan(&n))
		return n
	}
	require.NoError(t, s.Write(ctx, view("e1", time.Hour)))
	require.NoError(t, s.Write(ctx, view("e2", 2*time.Hour)))
	require.NoError(t, s.Close())
	s = openAt(t, path, sqlite.Config{})
	require.NoError(t, s.Write(ctx, view("e3", 3*time.Hour)))
	require.NoError(t, s.Close())
	assert.Equal(t, 1, rows(), "one row for the day, across a restart")

	s = openAt(t, path, sqlite.Config{})
	require.NoError(t, s.Write(ctx, view("e4", -19*time.Hour))) // the day before, late
	require.NoError(t, s.Write(ctx, view("e5", -18*time.Hour))) // and again
	require.NoError(t, s.Close())
	assert.Equal(t, 3, rows(), "late events for the day before add a row each")

	s = openAt(t, path, sqlite.Config{})
	o, err := s.Overview(ctx, "shop-dk", benchStart, benchStart.Add(3*24*time.Hour))
	require.NoError(t, err)
	assert.Equal(t, 1, o.Visitors)
}

// Events sent again after a restart, as a queue's spool does after a crash,
// are known by their IDs and stored once.
func TestResentAfterRestartStoredOnce(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	ref, _ := openTemp(t, sqlite.Config{})
	s, path := openTemp(t, sqlite.Config{})
	bs := batches(12, 250)
	for _, b := range bs {
		require.NoError(t, ref.Write(ctx, b))
		require.NoError(t, s.Write(ctx, b))
	}
	require.NoError(t, s.Close())
	s = openAt(t, path, sqlite.Config{})
	for _, b := range bs {
		require.NoError(t, s.Write(ctx, b))
	}
	sameAnswers(t, ref, s)
}
