package sqlite_test

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/visitrack/visitrack/tracker"
	"github.com/visitrack/visitrack/tracker/internal/loadgen"
	"github.com/visitrack/visitrack/tracker/sqlite"
)

// openTemp opens a store with cfg in a new file in the test's temporary
// directory, and returns it with the file's path. The store is closed when
// the test ends, if it is open still.
func openTemp(tb testing.TB, cfg sqlite.Config) (*sqlite.Store, string) {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "v.db")
	return openAt(tb, path, cfg), path
}

// openAt opens the store at path with cfg, as openTemp does: again after a
// Close, say.
func openAt(tb testing.TB, path string, cfg sqlite.Config) *sqlite.Store {
	tb.Helper()
	s, err := sqlite.OpenConfig(tb.Context(), path, cfg)
	require.NoError(tb, err)
	tb.Cleanup(func() { s.Close() })
	return s
}

// batches is a deterministic stream for restart tests: visitors of one
// store, in time order, 47 s apart.
func batches(n, size int) [][]tracker.Event {
	l := loadgen.New(5, 300, 12, benchStart, 47*time.Second)
	out := make([][]tracker.Event, n)
	for i := range out {
		out[i] = l.Batch(size)
	}
	return out
}

// sameAnswers checks that got answers like want: reports over several
// ranges, and the history of the stream's visitors.
func sameAnswers(t *testing.T, want, got *sqlite.Store) {
	t.Helper()
	ctx := t.Context()
	for _, rg := range [][2]time.Time{
		{benchStart, benchStart.Add(48 * time.Hour)},
		{benchStart.Add(17 * time.Minute), benchStart.Add(5*time.Hour + 3*time.Minute)},
	} {
		w, err := want.Report(ctx, "shop-dk", rg[0], rg[1])
		require.NoError(t, err)
		g, err := got.Report(ctx, "shop-dk", rg[0], rg[1])
		require.NoError(t, err)
		require.NotZero(t, w.Orders)
		assert.Equal(t, w, g)
		// Visitors over whole days come from visitor_days, which the writer
		// skips for a visitor's further events of a day.
		wo, err := want.Overview(ctx, "shop-dk", rg[0], rg[1])
		require.NoError(t, err)
		gotO, err := got.Overview(ctx, "shop-dk", rg[0], rg[1])
		require.NoError(t, err)
		require.NotZero(t, wo.Visitors)
		assert.Equal(t, wo, gotO)
	}
	for _, v := range loadgen.New(5, 300, 12, benchStart, time.Second).Visitors[:40] {
		wh, err := want.History(ctx, "shop-dk", v, 0)
		require.NoError(t, err)
		gh, err := got.History(ctx, "shop-dk", v, 0)
		require.NoError(t, err)
		assert.Equal(t, wh, gh, v)
	}
}

// openRaw opens a SQLite file directly, as a tool would.
func openRaw(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	require.NoError(t, err)
	return db
}

// heavyVisitor writes n views, one a second from start, for one visitor
// (with an impression and a click every tenth), and returns the visitor.
func heavyVisitor(tb testing.TB, s *sqlite.Store, v string, n int, start time.Time) string {
	tb.Helper()
	var batch []tracker.Event
	for i := range n {
		at := start.Add(time.Duration(i) * time.Second)
		batch = append(batch, tracker.Event{ID: fmt.Sprintf("%s-%07d", v, i), Kind: tracker.KindView, Store: "shop-dk",
			Visitor: v, Time: at, Product: fmt.Sprint(i % 500)})
		if i%10 == 0 {
			batch = append(batch,
				tracker.Event{ID: fmt.Sprintf("%s-%07d-i", v, i), Kind: tracker.KindImpression, Store: "shop-dk", Visitor: v,
					Time: at, API: "recommendations/trending", Labels: []string{"Home"}, Products: []string{"1", "2"}},
				tracker.Event{ID: fmt.Sprintf("%s-%07d-c", v, i), Kind: tracker.KindClick, Store: "shop-dk", Visitor: v,
					Time: at, Product: "1"})
		}
		if len(batch) >= 1000 || i == n-1 {
			require.NoError(tb, s.Write(tb.Context(), batch))
			batch = batch[:0]
		}
	}
	return v
}
