package storekit

import (
	"io"
	"log/slog"
	"time"
)

// DefaultMemoryBudget is what a store keeps in memory unless its Config
// says otherwise: 128 MiB.
const DefaultMemoryBudget = 128 << 20

// Defaults fills in the settings every store's Config has, where they are
// zero: the memory budget (DefaultMemoryBudget), the logger (one that
// discards) and the clock (time.Now).
func Defaults(budget *int64, logger **slog.Logger, now *func() time.Time) {
	if *budget <= 0 {
		*budget = DefaultMemoryBudget
	}
	if *logger == nil {
		*logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if *now == nil {
		*now = time.Now
	}
}
