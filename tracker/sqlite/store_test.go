package sqlite_test

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/visitrack/visitrack/tracker/sqlite"
	"github.com/visitrack/visitrack/tracker/storetest"
)

// files remembers each store's path, so that RawBytes can read them.
var files sync.Map // *sqlite.Store → path

func opener(opts ...sqlite.Option) func(t *testing.T) storetest.Store {
	return func(t *testing.T) storetest.Store {
		path := filepath.Join(t.TempDir(), "visitrack.db")
		s, err := sqlite.Open(t.Context(), path, opts...)
		require.NoError(t, err)
		files.Store(s, path)
		return s
	}
}

// rawBytes reads the database and its -wal and -shm files as they are on
// disk.
func rawBytes(t *testing.T, s storetest.Store) []byte {
	p, ok := files.Load(s)
	require.True(t, ok)
	var all []byte
	for _, f := range []string{"", "-wal", "-shm"} {
		b, err := os.ReadFile(p.(string) + f)
		if os.IsNotExist(err) {
			continue
		}
		require.NoError(t, err)
		all = append(all, b...)
	}
	return all
}

func TestConformance(t *testing.T) {
	storetest.Run(t, opener(), storetest.RawBytes(rawBytes))
}

func TestConformanceShortWindow(t *testing.T) {
	storetest.Run(t, opener(sqlite.WithAttributionWindow(2*time.Hour)), storetest.Window(2*time.Hour))
}

// With tiny vix runs, history, erasure and retention read rows found
// through vix as well as those still pending in memory.
func TestConformanceSmallRuns(t *testing.T) {
	storetest.Run(t, opener(sqlite.WithVixFlushAt(7)), storetest.RawBytes(rawBytes))
}
