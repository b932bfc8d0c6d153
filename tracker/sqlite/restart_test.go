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
	"github.com/visitrack/visitrack/tracker/internal/loadgen"
	"github.com/visitrack/visitrack/tracker/sqlite"
)

// batches is a deterministic stream for restart tests: visitors of one
// store, in time order, 47 s apart.
func batches(n, size int) [][]tracker.Event {
	l := loadgen.New(5, 300, 12, benchStart, 47*time.Second)
	out := make([][]tracker.Event, n)
	for i := range out {
		out[i] = l.Batch(size)
	}
	return out
}

// sameAnswers checks that got answers like want: reports over several
// ranges, and the history of the stream's visitors.
func sameAnswers(t *testing.T, want, got *sqlite.Store) {
	t.Helper()
	ctx := t.Context()
	for _, rg := range [][2]time.Time{
		{benchStart, benchStart.Add(48 * time.Hour)},
		{benchStart.Add(17 * time.Minute), benchStart.Add(5*time.Hour + 3*time.Minute)},
	} {
		w, err := want.Report(ctx, "shop-dk", rg[0], rg[1])
		require.NoError(t, err)
		g, err := got.Report(ctx, "shop-dk", rg[0], rg[1])
		require.NoError(t, err)
		require.NotZero(t, w.Orders)
		assert.Equal(t, w, g)
	}
	for _, v := range loadgen.New(5, 300, 12, benchStart, time.Second).Visitors[:40] {
		wh, err := want.History(ctx, "shop-dk", v, 0)
		require.NoError(t, err)
		gh, err := got.History(ctx, "shop-dk", v, 0)
		require.NoError(t, err)
		assert.Equal(t, wh, gh, v)
	}
}

// A store that is closed and reopened every few batches, or whose write
// transactions fail now and then (and are retried), ends up with the same
// reports and history as one that ran straight through.
func TestRestartsAndFailuresChangeNothing(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	ref, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "ref.db"))
	require.NoError(t, err)
	defer ref.Close()
	for _, b := range batches(40, 250) {
		require.NoError(t, ref.Write(ctx, b))
	}

	path := filepath.Join(t.TempDir(), "restarts.db")
	open := func(i int) *sqlite.Store {
		cfg := sqlite.Config{}
		if i%2 == 1 {
			cfg.MemoryBudget = 64 << 10 // and sometimes a budget that holds little
		}
		s, err := sqlite.OpenConfig(ctx, path, cfg)
		require.NoError(t, err)
		return s
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
	defer s.Close()
	sameAnswers(t, ref, s)
}

// A process that dies without closing its store loses nothing it wrote:
// the next Open finds every event, and the chains the dead writer kept in
// memory.
func TestCrashLosesNothing(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	all := batches(30, 200)
	ref, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "ref.db"))
	require.NoError(t, err)
	defer ref.Close()
	for _, b := range all {
		require.NoError(t, ref.Write(ctx, b))
	}

	path := filepath.Join(t.TempDir(), "crash.db")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "VISITRACK_CRASH_CHILD="+path)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)

	s, err := sqlite.Open(ctx, path)
	require.NoError(t, err)
	defer s.Close()
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
