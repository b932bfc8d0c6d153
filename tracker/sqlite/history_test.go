package sqlite_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/visitrack/visitrack/tracker/sqlite"
)

// History costs what it returns: the newest entries of a visitor with many
// events are found without reading the rest.
func TestHistoryOfAHeavyVisitor(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s, _ := openTemp(t, sqlite.Config{})
	heavy := heavyVisitor(t, s, "cvheavyheavyheavy001", 5000, benchStart)
	before := sqlite.HistoryRows(s)
	h, err := s.History(ctx, "shop-dk", heavy, 10)
	require.NoError(t, err)
	require.Len(t, h, 10)
	for i, a := range h {
		// The newest first: views every second, the last at 4999 s.
		assert.Equal(t, benchStart.Add(time.Duration(4999-i)*time.Second), a.Time.UTC(), "entry %d", i)
	}
	// Ten entries, a click next to one of them, and the row that shows the
	// rest is older: not the 5,500 rows of the visitor's activity, nor the
	// 1,000 of its last batch.
	assert.LessOrEqual(t, sqlite.HistoryRows(s)-before, int64(15), "rows History read")
}
