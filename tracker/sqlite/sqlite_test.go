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

	"github.com/visitrack/visitrack/tracker/internal/loadgen"
	"github.com/visitrack/visitrack/tracker/sqlite"
)

func TestFileModes(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "v.db")
	s, err := sqlite.Open(t.Context(), path)
	require.NoError(t, err)
	defer s.Close()
	l := loadgen.New(3, 10, 3, benchStart, time.Second)
	require.NoError(t, s.Write(t.Context(), l.Batch(100)))
	for _, p := range []string{path, path + "-wal", path + "-shm", path + "-lock"} {
		fi, err := os.Stat(p)
		require.NoError(t, err, p)
		assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), p)
	}
}

func TestOpenRefusesOtherFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	_, err := sqlite.Open(t.Context(), "")
	assert.Error(t, err, "no path")
	_, err = sqlite.Open(t.Context(), ":memory:")
	assert.Error(t, err, "not a file")

	// A SQLite file of someone else's (or of a development build).
	other := filepath.Join(dir, "other.db")
	s, err := sqlite.Open(t.Context(), other)
	require.NoError(t, err)
	require.NoError(t, s.Close())
	db := openRaw(t, other)
	_, err = db.Exec(`PRAGMA application_id = 42`)
	require.NoError(t, err)
	require.NoError(t, db.Close())
	_, err = sqlite.Open(t.Context(), other)
	assert.ErrorIs(t, err, sqlite.ErrNotStore)

	notDB := filepath.Join(dir, "text.db")
	require.NoError(t, os.WriteFile(notDB, []byte("hello, this is not a database at all, just some text that is long enough"), 0o600))
	_, err = sqlite.Open(t.Context(), notDB)
	assert.Error(t, err)
}

func TestClosed(t *testing.T) {
	t.Parallel()
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "v.db"))
	require.NoError(t, err)
	require.NoError(t, s.Close())
	require.NoError(t, s.Close(), "twice")
	assert.ErrorIs(t, s.Write(t.Context(), loadgen.New(1, 1, 1, benchStart, time.Second).Batch(1)), sqlite.ErrClosed)
	_, err = s.Report(t.Context(), "shop", benchStart, benchStart.Add(time.Hour))
	assert.ErrorIs(t, err, sqlite.ErrClosed)
	_, err = s.History(t.Context(), "shop", "v", 1)
	assert.ErrorIs(t, err, sqlite.ErrClosed)
	assert.ErrorIs(t, s.Forget(t.Context(), "shop", "a@example.com"), sqlite.ErrClosed)
	_, err = s.Purge(t.Context(), benchStart)
	assert.ErrorIs(t, err, sqlite.ErrClosed)
}

func TestReopenKeepsData(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "v.db")
	s, err := sqlite.Open(t.Context(), path)
	require.NoError(t, err)
	l := loadgen.New(4, 50, 5, benchStart, time.Second)
	require.NoError(t, s.Write(t.Context(), l.Batch(2000)))
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
			l := loadgen.New(uint64(10+w), 30, 4, benchStart, time.Second)
			for range 5 {
				evs := l.Batch(100)
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
				_ = s.Stats()
			}
		})
	}
	wg.Wait()
	r, err := s.Report(t.Context(), "shop-dk", benchStart, benchStart.Add(24*time.Hour))
	require.NoError(t, err)
	assert.NotEmpty(t, r.Labels)
}
