package sqlite_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/visitrack/visitrack/tracker/sqlite"
)

// With a budget far too small for its traffic, the writer keeps within it
// and reads back from the file what it needs: the answers are those of a
// store that keeps everything.
func TestMemoryBudget(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	const budget = 256 << 10
	big, err := sqlite.OpenConfig(ctx, filepath.Join(t.TempDir(), "big.db"), sqlite.Config{MemoryBudget: 1 << 30})
	require.NoError(t, err)
	defer big.Close()
	tiny, err := sqlite.OpenConfig(ctx, filepath.Join(t.TempDir(), "tiny.db"), sqlite.Config{MemoryBudget: budget})
	require.NoError(t, err)
	defer tiny.Close()

	peak := int64(0)
	for _, b := range batches(40, 250) {
		require.NoError(t, big.Write(ctx, b))
		require.NoError(t, tiny.Write(ctx, b))
		peak = max(peak, tiny.Stats().Memory)
	}
	sameAnswers(t, big, tiny)

	bs, ts := big.Stats(), tiny.Stats()
	assert.LessOrEqual(t, peak, int64(budget), "the tiny store keeps within its budget")
	assert.Greater(t, bs.Memory, int64(4*budget), "the traffic needs far more than the tiny budget")
	assert.Greater(t, ts.RowsRead, 10*bs.RowsRead, "the tiny store read back what it could not keep")
	t.Logf("big: %+v; tiny: %+v, peak %d", bs, ts, peak)
}

// History costs what it returns: the newest entries of a visitor with many
// events are found without reading the rest.
func TestHistoryOfAHeavyVisitor(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "v.db"))
	require.NoError(t, err)
	defer s.Close()
	heavy := heavyVisitor(t, s, "cvheavyheavyheavy001", 5000, benchStart)
	h, err := s.History(ctx, "shop-dk", heavy, 10)
	require.NoError(t, err)
	require.Len(t, h, 10)
	for i, a := range h {
		// The newest first: views every second, the last at 4999 s.
		assert.Equal(t, benchStart.Add(time.Duration(4999-i)*time.Second), a.Time.UTC(), "entry %d", i)
	}
}
