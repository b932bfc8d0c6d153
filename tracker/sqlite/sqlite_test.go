package sqlite_test

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/visitrack/visitrack/tracker"
	"github.com/visitrack/visitrack/tracker/sqlite"
)

func TestFileModes(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "v.db")
	s, err := sqlite.Open(t.Context(), path)
	require.NoError(t, err)
	defer s.Close()
	l := newLoad(3, 10, 3, benchStart, time.Second)
	require.NoError(t, s.Write(t.Context(), l.batch(100)))
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(p)
		require.NoError(t, err, p)
		assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), p)
	}
}

func TestInvalidBatchStoresNothing(t *testing.T) {
	t.Parallel()
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "v.db"))
	require.NoError(t, err)
	defer s.Close()
	ok := tracker.Event{ID: "a", Store: "shop", Visitor: "v", Time: benchStart, Kind: tracker.KindSale, Sale: "o1",
		Lines: []tracker.Line{{ID: "p", Price: 1, Quantity: 1}}}
	bad := tracker.Event{ID: "b", Store: "shop", Visitor: "v", Time: benchStart, Kind: tracker.KindClick}
	err = s.Write(t.Context(), []tracker.Event{ok, bad})
	require.ErrorIs(t, err, sqlite.ErrInvalidEvent)
	assert.ErrorIs(t, err, tracker.ErrNoProduct)
	assert.True(t, tracker.IsPermanent(err))
	r, err := s.Report(t.Context(), "shop", benchStart.Add(-time.Hour), benchStart.Add(time.Hour))
	require.NoError(t, err)
	assert.Zero(t, r.Orders)
}

func TestClosed(t *testing.T) {
	t.Parallel()
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "v.db"))
	require.NoError(t, err)
	require.NoError(t, s.Close())
	require.NoError(t, s.Close())
	assert.ErrorIs(t, s.Write(t.Context(), newLoad(1, 1, 1, benchStart, time.Second).batch(1)), sqlite.ErrClosed)
	_, err = s.Report(t.Context(), "shop", benchStart, benchStart.Add(time.Hour))
	assert.ErrorIs(t, err, sqlite.ErrClosed)
}

func TestReopenKeepsData(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "v.db")
	s, err := sqlite.Open(t.Context(), path)
	require.NoError(t, err)
	l := newLoad(4, 50, 5, benchStart, time.Second)
	require.NoError(t, s.Write(t.Context(), l.batch(2000)))
	want, err := s.Report(t.Context(), "shop-dk", benchStart, benchStart.Add(24*time.Hour))
	require.NoError(t, err)
	require.NoError(t, s.Close())
	s, err = sqlite.Open(t.Context(), path)
	require.NoError(t, err)
	defer s.Close()
	got, err := s.Report(t.Context(), "shop-dk", benchStart, benchStart.Add(24*time.Hour))
	require.NoError(t, err)
	assert.Equal(t, want, got)
}

// TestConcurrentWriteReport writes and reads at once; run with -race.
func TestConcurrentWriteReport(t *testing.T) {
	t.Parallel()
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "v.db"))
	require.NoError(t, err)
	defer s.Close()
	var wg sync.WaitGroup
	for w := range 3 {
		wg.Go(func() {
			l := newLoad(uint64(10+w), 30, 4, benchStart, time.Second)
			for range 5 {
				evs := l.batch(100)
				for i := range evs {
					evs[i].ID = fmt.Sprintf("w%d-%s", w, evs[i].ID)
					evs[i].Sale = fmt.Sprintf("w%d-%s", w, evs[i].Sale)
				}
				assert.NoError(t, s.Write(t.Context(), evs))
			}
		})
	}
	for range 2 {
		wg.Go(func() {
			for range 10 {
				_, err := s.Report(t.Context(), "shop-dk", benchStart, benchStart.Add(time.Hour))
				assert.NoError(t, err)
				_, err = s.History(t.Context(), "shop-dk", "nobody", 5)
				assert.NoError(t, err)
			}
		})
	}
	wg.Wait()
	r, err := s.Report(t.Context(), "shop-dk", benchStart, benchStart.Add(24*time.Hour))
	require.NoError(t, err)
	assert.NotEmpty(t, r.Labels)
}
