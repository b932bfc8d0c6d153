package sqlite_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/visitrack/visitrack/tracker/internal/loadgen"
	"github.com/visitrack/visitrack/tracker/sqlite"
)

func TestFileModes(t *testing.T) {
	t.Parallel()
	s, path := openTemp(t, sqlite.Config{})
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
	s, _ := openTemp(t, sqlite.Config{})
	require.NoError(t, s.Close())
	require.NoError(t, s.Close(), "twice")
	assert.ErrorIs(t, s.Write(t.Context(), loadgen.New(1, 1, 1, benchStart, time.Second).Batch(1)), sqlite.ErrClosed)
	_, err := s.Report(t.Context(), "shop", benchStart, benchStart.Add(time.Hour))
	assert.ErrorIs(t, err, sqlite.ErrClosed)
	_, err = s.History(t.Context(), "shop", "v", 1)
	assert.ErrorIs(t, err, sqlite.ErrClosed)
	assert.ErrorIs(t, s.Forget(t.Context(), "shop", "a@example.com"), sqlite.ErrClosed)
	_, err = s.Purge(t.Context(), benchStart)
	assert.ErrorIs(t, err, sqlite.ErrClosed)
}

func TestReopenKeepsData(t *testing.T) {
	t.Parallel()
	s, path := openTemp(t, sqlite.Config{})
	l := loadgen.New(4, 50, 5, benchStart, time.Second)
	require.NoError(t, s.Write(t.Context(), l.Batch(2000)))
	want, err := s.Report(t.Context(), "shop-dk", benchStart, benchStart.Add(24*time.Hour))
	require.NoError(t, err)
	require.NoError(t, s.Close())
	s = openAt(t, path, sqlite.Config{})
	got, err := s.Report(t.Context(), "shop-dk", benchStart, benchStart.Add(24*time.Hour))
	require.NoError(t, err)
	assert.Equal(t, want, got)
}

// A file has one writer: a second Store on it, in this process or another,
// is refused while the first is open (an admin's Forget through a second
// Open would leave the server's cached state stale), and welcome after.
func TestOneStorePerFile(t *testing.T) {
	t.Parallel()
	s, path := openTemp(t, sqlite.Config{})

	_, err := sqlite.Open(t.Context(), path)
	require.ErrorIs(t, err, sqlite.ErrLocked, "a second Store in this process")

	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "VISITRACK_LOCK_CHILD="+path)
	out, err := cmd.CombinedOutput()
	require.Error(t, err, "a second process")
	assert.Contains(t, string(out), sqlite.ErrLocked.Error())

	require.NoError(t, s.Close())
	s, err = sqlite.Open(t.Context(), path)
	require.NoError(t, err, "once the first is closed")
	require.NoError(t, s.Close())
	cmd = exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "VISITRACK_LOCK_CHILD="+path)
	out, err = cmd.CombinedOutput()
	assert.NoError(t, err, "another process, once no one has it open: %s", strings.TrimSpace(string(out)))
}

// lockChild opens the store at path, as another process would.
func lockChild(path string) error {
	s, err := sqlite.Open(context.Background(), path)
	if err != nil {
		return err
	}
	return s.Close()
}
