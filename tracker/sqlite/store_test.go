package sqlite_test

import (
	"os"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/visitrack/visitrack/tracker/credit"
	"github.com/visitrack/visitrack/tracker/sqlite"
	"github.com/visitrack/visitrack/tracker/storetest"
)

// files remembers each store's path, so that RawBytes can read them.
var files sync.Map // *sqlite.Store → path

func opener(cfg sqlite.Config) func(t *testing.T) storetest.Store {
	return func(t *testing.T) storetest.Store {
		s, path := openTemp(t, cfg)
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
	storetest.Run(t, opener(sqlite.Config{}), storetest.RawBytes(rawBytes))
}

func TestConformanceShortWindow(t *testing.T) {
	storetest.Run(t, opener(sqlite.Config{Rules: credit.Rules{Window: 2 * time.Hour, LinkLimit: 5}}),
		storetest.Window(2*time.Hour), storetest.LinkLimit(5), storetest.Events(1500))
}

// With a budget too small to keep anything between writes, the writer reads
// every group back from the file each time: the results must not change.
func TestConformanceTinyBudget(t *testing.T) {
	storetest.Run(t, opener(sqlite.Config{MemoryBudget: 1}), storetest.RawBytes(rawBytes), storetest.Events(1500))
}
