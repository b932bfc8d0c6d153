package sqlite_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/visitrack/visitrack/tracker/sqlite"
)

// A file has one writer: a second Store on it, in this process or another,
// is refused while the first is open (an admin's Forget through a second
// Open would leave the server's cached state stale), and welcome after.
func TestOneStorePerFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "v.db")
	s, err := sqlite.Open(t.Context(), path)
	require.NoError(t, err)

	_, err = sqlite.Open(t.Context(), path)
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
