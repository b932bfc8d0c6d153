package sqlite

import (
	"log/slog"
	"runtime"
	"time"

	"github.com/visitrack/visitrack/tracker/credit"
	"github.com/visitrack/visitrack/tracker/internal/storekit"
)

// Config configures OpenConfig. The zero value is ready to use: every zero
// field takes its default.
type Config struct {
	// Rules are the rules of attribution: the window (30 days by default)
	// and the link limit (50). Open a file with the rules it was filled
	// with: credit is resolved as events are written.
	Rules credit.Rules
	// MemoryBudget bounds, in bytes, what the writer keeps in memory: the
	// recent events of groups of linked visitors, the visitors it has seen
	// lately, and caches of labels and links. Past it the writer reads
	// what it needs from the file again: results stay the same, writes get
	// slower. Default DefaultMemoryBudget (128 MiB).
	MemoryBudget int64
	// Logger receives background failures (PurgeEvery) and nothing
	// personal. Nil discards.
	Logger *slog.Logger
	// Now is the clock events are checked against (an event dated more than
	// tracker.MaxClockSkew after it is refused) and that PurgeEvery reads.
	// Nil means time.Now.
	Now func() time.Time
	// BusyTimeout is how long a statement waits for a lock held by a
	// checkpoint or a reader before failing. Default 5 s.
	BusyTimeout time.Duration
	// Readers is the size of the pool of read-only connections that serve
	// reports and history. Default max(2, GOMAXPROCS).
	Readers int
}

// DefaultMemoryBudget is the memory the store's writer keeps for recent
// events, visitors, labels and links unless Config.MemoryBudget says
// otherwise.
const DefaultMemoryBudget = storekit.DefaultMemoryBudget

func (c Config) withDefaults() Config {
	c.Rules = c.Rules.WithDefaults()
	storekit.Defaults(&c.MemoryBudget, &c.Logger, &c.Now)
	if c.BusyTimeout <= 0 {
		c.BusyTimeout = 5 * time.Second
	}
	if c.Readers <= 0 {
		c.Readers = max(2, runtime.GOMAXPROCS(0))
	}
	return c
}
