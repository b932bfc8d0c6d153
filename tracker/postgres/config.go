package postgres

import (
	"log/slog"
	"time"

	"github.com/visitrack/visitrack/tracker/credit"
	"github.com/visitrack/visitrack/tracker/internal/storekit"
)

// DefaultMemoryBudget is the memory a Store keeps for the recent events of
// the groups it writes, unless Config.MemoryBudget says otherwise.
const DefaultMemoryBudget = storekit.DefaultMemoryBudget

// Config configures OpenConfig. The zero value is ready to use: every zero
// field takes its default.
type Config struct {
	// Rules are the rules of attribution: the window (30 days by default)
	// and the link limit (50). Every Store on a database must use the same.
	Rules credit.Rules
	// MemoryBudget bounds, in bytes, what the Store keeps in memory of the
	// groups of linked visitors it writes. A group another Store wrote to
	// since, or one past the budget, is read again from the database:
	// results stay the same, writes get slower. Default 128 MiB.
	MemoryBudget int64
	// MaxConns is the size of the connection pool. Default 8; a DSN's
	// pool_max_conns overrides it.
	MaxConns int32
	// Logger receives background failures (PurgeEvery) and nothing
	// personal. Nil discards.
	Logger *slog.Logger
	// Now is the clock events are checked against (an event dated more than
	// tracker.MaxClockSkew after it is refused) and that PurgeEvery reads.
	// Nil means time.Now.
	Now func() time.Time
}

func (c Config) withDefaults() Config {
	c.Rules = c.Rules.WithDefaults()
	storekit.Defaults(&c.MemoryBudget, &c.Logger, &c.Now)
	if c.MaxConns <= 0 {
		c.MaxConns = 8
	}
	return c
}
