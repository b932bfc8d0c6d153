package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
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

// TestConcurrentWriteReport writes and reads at once; run with -race.
func TestConcurrentWriteReport(t *testing.T) {
	t.Parallel()
	s, _ := openTemp(t, sqlite.Config{})
	var wg sync.WaitGroup
	for w := range 3 {
		wg.Go(func() {
			l := loadgen.New(uint64(10+w), 30, 4, benchStart, time.Second)
			for range 5 {
				evs := l.Batch(100)
				for i := range evs {
					evs[i].ID = fmt.Sprintf("w%d-%s", w, evs[i].ID)
					evs[i].Sale = fmt.Sprintf("w%d-%s", w, evs[i].Sale)
				}
				assert.NoError(t, s.Write(t.Context(), evs))
			}
		})
	}
	for range 2 {
		wg.Go(func() {
			for range 10 {
				_, err := s.Report(t.Context(), "shop-dk", benchStart, benchStart.Add(time.Hour))
				assert.NoError(t, err)
				_, err = s.History(t.Context(), "shop-dk", "nobody", 5)
				assert.NoError(t, err)
				_ = s.Stats()
			}
		})
	}
	wg.Wait()
	r, err := s.Report(t.Context(), "shop-dk", benchStart, benchStart.Add(24*time.Hour))
	require.NoError(t, err)
	assert.NotEmpty(t, r.Labels)
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

// One bad event in a batch costs only itself: through a Queue, a good sale
// and a click with a control character in its product ID give one order
// stored and one event failed, handed to OnFailure.
func TestBadEventCostsOnlyItself(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db, _ := openTemp(t, sqlite.Config{})
	var mu sync.Mutex
	var failed []tracker.Event
	q := tracker.NewQueue(db, tracker.QueueConfig{FlushInterval: time.Hour, OnFailure: func(evs []tracker.Event, err error) {
		assert.True(t, tracker.IsPermanent(err))
		mu.Lock()
		failed = append(failed, evs...)
		mu.Unlock()
	}})
	sale := tracker.Event{ID: "s1", Kind: tracker.KindSale, Store: "shop", Visitor: "cvgoodgoodgoodgood01", Time: benchStart,
		Sale: "o1", Lines: []tracker.Line{{ID: "p1", Price: 10, Quantity: 1}}}
	bad := tracker.Event{ID: "c1", Kind: tracker.KindClick, Store: "shop", Visitor: "cvgoodgoodgoodgood01", Time: benchStart,
		Product: "p1\x1f"} // a store is handed it anyway, as by an older sender
	require.NoError(t, q.Record(ctx, sale))
	require.NoError(t, q.Record(ctx, bad))
	require.NoError(t, q.Flush(ctx))
	require.NoError(t, q.Close(ctx))

	st := q.Stats()
	assert.Equal(t, uint64(1), st.Delivered)
	assert.Equal(t, uint64(1), st.Failed)
	require.Len(t, failed, 1)
	assert.Equal(t, "c1", failed[0].ID)
	r, err := db.Report(ctx, "shop", benchStart, benchStart.Add(time.Hour))
	require.NoError(t, err)
	assert.Equal(t, 1, r.Orders)
	assert.Equal(t, 10.0, r.Revenue)
}

// History costs what it returns: the newest entries of a visitor with many
// events are found without reading the rest.
func TestHistoryOfAHeavyVisitor(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s, _ := openTemp(t, sqlite.Config{})
	heavy := heavyVisitor(t, s, "cvheavyheavyheavy001", 5000, benchStart)
	h, err := s.History(ctx, "shop-dk", heavy, 10)
	require.NoError(t, err)
	require.Len(t, h, 10)
	for i, a := range h {
		// The newest first: views every second, the last at 4999 s.
		assert.Equal(t, benchStart.Add(time.Duration(4999-i)*time.Second), a.Time.UTC(), "entry %d", i)
	}
}

// TestMigrationFromVersion1 opens a file as the first release wrote it
// (testdata/schema_v1.sql: sale_hours, no visitor_days, no drill-down
// indexes, no queries on impressions): the migration rebuilds what version
// 2 keeps from the events, and every answer is what a file written by
// version 2 gives.
func TestMigrationFromVersion1(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	l := loadgen.New(9, 200, 12, benchStart, 97*time.Second)
	var evs []tracker.Event
	for range 3 {
		for _, e := range l.Batch(1000) {
			if e.Kind == tracker.KindImpression {
				e.Query = "" // version 1 kept no query on an impression
			}
			evs = append(evs, e)
		}
	}
	s, path := openTemp(t, sqlite.Config{})
	require.NoError(t, s.Write(ctx, evs))
	from, to := benchStart.Add(7*time.Minute), benchStart.Add(3*24*time.Hour)
	type answers struct {
		Overview  tracker.Overview
		Series    []tracker.Point
		Products  []tracker.ProductStats
		Positions []tracker.PositionStats
		Searches  []tracker.SearchStats
	}
	ask := func(s *sqlite.Store) answers {
		var a answers
		var err error
		a.Overview, err = s.Overview(ctx, "shop-dk", from, to)
		require.NoError(t, err)
		a.Series, err = s.Series(ctx, "shop-dk", []time.Time{from, from.Add(24 * time.Hour), to})
		require.NoError(t, err)
		a.Products, err = s.LabelProducts(ctx, "shop-dk", "Label 003", from, to, 10)
		require.NoError(t, err)
		a.Positions, err = s.Positions(ctx, "shop-dk", "Label 003", from, to)
		require.NoError(t, err)
		a.Searches, err = s.Searches(ctx, "shop-dk", from, to, 0)
		require.NoError(t, err)
		return a
	}
	want := ask(s)
	require.NotZero(t, want.Overview.Visitors)
	require.NotZero(t, want.Overview.Calls)
	require.NotEmpty(t, want.Products)
	require.NotEmpty(t, want.Searches)
	require.NoError(t, s.Close())

	// Back to version 1's shape, which must be the first release's schema.
	db := openRaw(t, path)
	for _, q := range []string{
		`DROP INDEX events_ls`, `DROP INDEX events_searches`, `DROP INDEX events_queries`, `DROP INDEX events_clicks`, `DROP INDEX events_sales`,
		`DROP TABLE visitor_days`,
		`ALTER TABLE store_hours DROP COLUMN calls`, `ALTER TABLE store_hours DROP COLUMN impressions`, `ALTER TABLE store_hours DROP COLUMN clicks`,
		`ALTER TABLE store_hours RENAME TO sale_hours`,
		`PRAGMA user_version = 1`,
	} {
		_, err := db.Exec(q)
		require.NoError(t, err, q)
	}
	v1, err := os.ReadFile(filepath.Join("testdata", "schema_v1.sql"))
	require.NoError(t, err)
	ref := openRaw(t, filepath.Join(t.TempDir(), "v1.db"))
	_, err = ref.Exec(string(v1))
	require.NoError(t, err)
	assert.Equal(t, schemaOf(t, ref), schemaOf(t, db), "the file is as version 1 wrote it")
	require.NoError(t, ref.Close())
	require.NoError(t, db.Close())

	s = openAt(t, path, sqlite.Config{})
	assert.Equal(t, want, ask(s))
	require.NoError(t, s.Close())
	db = openRaw(t, path)
	defer db.Close()
	var version int
	require.NoError(t, db.QueryRow(`PRAGMA user_version`).Scan(&version))
	assert.Equal(t, 2, version)
	fresh := openRaw(t, filepath.Join(t.TempDir(), "v2.db"))
	defer fresh.Close()
	_, err = fresh.Exec(schemaSQL(t))
	require.NoError(t, err)
	assert.Equal(t, schemaOf(t, fresh), schemaOf(t, db), "a migrated file has what a new one has")
}

// schemaOf lists the tables, their columns and the indexes of db, by name.
func schemaOf(t *testing.T, db *sql.DB) map[string][]string {
	t.Helper()
	rows, err := db.Query(`SELECT type, name FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%' ORDER BY name`)
	require.NoError(t, err)
	type entry struct{ typ, name string }
	var entries []entry
	for rows.Next() {
		var e entry
		require.NoError(t, rows.Scan(&e.typ, &e.name))
		entries = append(entries, e)
	}
	require.NoError(t, rows.Close())
	out := make(map[string][]string)
	for _, e := range entries {
		if e.typ != "table" {
			out[e.name] = []string{e.typ}
			continue
		}
		cols, err := db.Query(`SELECT name FROM pragma_table_info(?) ORDER BY name`, e.name)
		require.NoError(t, err)
		for cols.Next() {
			var c string
			require.NoError(t, cols.Scan(&c))
			out[e.name] = append(out[e.name], c)
		}
		require.NoError(t, cols.Close())
	}
	return out
}

// schemaSQL is the schema a new file gets.
func schemaSQL(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("schema.sql")
	require.NoError(t, err)
	return string(b)
}
