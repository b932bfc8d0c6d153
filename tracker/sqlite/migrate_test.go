package sqlite_test

import (
	"database/sql"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/visitrack/visitrack/tracker"
	"github.com/visitrack/visitrack/tracker/internal/loadgen"
	"github.com/visitrack/visitrack/tracker/sqlite"
)

// migrationAnswers are what the migration tests compare: the answers of a
// store over a range that cuts hours and days.
type migrationAnswers struct {
	Overview  tracker.Overview
	Series    []tracker.Point
	Products  []tracker.ProductStats
	Positions []tracker.PositionStats
	Searches  []tracker.SearchStats
}

func askMigration(t *testing.T, s *sqlite.Store) migrationAnswers {
	t.Helper()
	ctx := t.Context()
	from, to := benchStart.Add(7*time.Minute), benchStart.Add(3*24*time.Hour)
	var a migrationAnswers
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

// migrationFile writes 3,000 events of three days into a new file with
// this build, and returns its path with the answers it gives.
func migrationFile(t *testing.T, oldImpressions bool) (string, migrationAnswers) {
	t.Helper()
	l := loadgen.New(9, 200, 12, benchStart, 97*time.Second)
	var evs []tracker.Event
	for range 3 {
		for _, e := range l.Batch(1000) {
			if oldImpressions && e.Kind == tracker.KindImpression {
				e.Query = "" // version 1 kept no query on an impression
			}
			evs = append(evs, e)
		}
	}
	s, path := openTemp(t, sqlite.Config{})
	require.NoError(t, s.Write(t.Context(), evs))
	want := askMigration(t, s)
	require.NotZero(t, want.Overview.Visitors)
	require.NotZero(t, want.Overview.Calls)
	require.NotEmpty(t, want.Products)
	require.NotEmpty(t, want.Searches)
	require.NoError(t, s.Close())
	return path, want
}

// downgrade takes the file at path back to an earlier version's shape with
// qs, and checks it is the schema in testdata/old.
func downgrade(t *testing.T, path, old string, qs ...string) {
	t.Helper()
	db := openRaw(t, path)
	defer db.Close()
	for _, q := range qs {
		_, err := db.Exec(q)
		require.NoError(t, err, q)
	}
	ddl, err := os.ReadFile(filepath.Join("testdata", old))
	require.NoError(t, err)
	ref := openRaw(t, filepath.Join(t.TempDir(), "old.db"))
	defer ref.Close()
	_, err = ref.Exec(string(ddl))
	require.NoError(t, err)
	assert.Equal(t, schemaOf(t, ref), schemaOf(t, db), "the file is as %s has it", old)
}

// migrated opens the file at path, which migrates it, checks the answers
// are want's, and that the file now has what a new one has.
func migrated(t *testing.T, path string, want migrationAnswers) {
	t.Helper()
	s := openAt(t, path, sqlite.Config{})
	assert.Equal(t, want, askMigration(t, s))
	require.NoError(t, s.Close())
	db := openRaw(t, path)
	defer db.Close()
	var version int
	require.NoError(t, db.QueryRow(`PRAGMA user_version`).Scan(&version))
	assert.Equal(t, 4, version)
	fresh := openRaw(t, filepath.Join(t.TempDir(), "new.db"))
	defer fresh.Close()
	_, err := fresh.Exec(schemaSQL(t))
	require.NoError(t, err)
	assert.Equal(t, schemaOf(t, fresh), schemaOf(t, db), "a migrated file has what a new one has")
}

// TestMigrationFromVersion1 opens a file as the first release wrote it
// (testdata/schema_v1.sql: sale_hours, no visitor_days, no drill-down
// indexes, no queries on impressions): the migrations rebuild what later
// versions keep from the events, and every answer is what a file written
// by this build gives.
func TestMigrationFromVersion1(t *testing.T) {
	t.Parallel()
	path, want := migrationFile(t, true)
	downgrade(t, path, "schema_v1.sql", `DROP INDEX events_time`, `CREATE INDEX events_time ON events (sid, t)`,
		`DROP TABLE visitor_days`, `ALTER TABLE visitors DROP COLUMN day`,
		`ALTER TABLE store_hours DROP COLUMN calls`, `ALTER TABLE store_hours DROP COLUMN impressions`, `ALTER TABLE store_hours DROP COLUMN clicks`,
		`ALTER TABLE store_hours RENAME TO sale_hours`,
		`PRAGMA user_version = 1`)
	migrated(t, path, want)
}

// TestMigrationFromVersion2 opens a file of version 2
// (testdata/schema_v2.sql), whose visitor_days is keyed by visitor: the
// migration rebuilds it keyed by event, and the visitor counts stay.
func TestMigrationFromVersion2(t *testing.T) {
	t.Parallel()
	path, want := migrationFile(t, false)
	downgrade(t, path, "schema_v2.sql", append(version3Indexes,
		`DROP TABLE visitor_days`,
		`CREATE TABLE visitor_days (sid INTEGER NOT NULL, day INTEGER NOT NULL, vid INTEGER NOT NULL,
			PRIMARY KEY (sid, day, vid)) WITHOUT ROWID`,
		`INSERT INTO visitor_days SELECT DISTINCT sid, t / 86400000000, vid FROM events WHERE vid IS NOT NULL`,
		`ALTER TABLE visitors DROP COLUMN day`,
		`PRAGMA user_version = 2`)...)
	migrated(t, path, want)
}

// version3Indexes take a file's indexes back to versions 2 and 3: the
// drill-downs' own, and events_time by store and time alone.
var version3Indexes = []string{
	`DROP INDEX events_time`,
	`CREATE INDEX events_time ON events (sid, t)`,
	`CREATE INDEX events_ls ON events (sid, t, ls) WHERE ls IS NOT NULL`,
	`CREATE INDEX events_searches ON events (sid, t, item, json_extract(detail, '$.results')) WHERE kind = 6 AND item IS NOT NULL`,
	`CREATE INDEX events_queries ON events (sid, t, item, eid, json_array_length(detail, '$.products')) WHERE kind = 1 AND item IS NOT NULL`,
	`CREATE INDEX events_clicks ON events (sid, t, json_extract(detail, '$.ft'), json_extract(detail, '$.fid')) WHERE kind = 2 AND ls IS NOT NULL`,
	`CREATE INDEX events_sales ON events (sid, t) WHERE kind = 3 AND counted = 1`,
}

// TestMigrationFromVersion3 opens a file of version 3
// (testdata/schema_v3.sql), whose drill-downs read through indexes of
// their own: the migration drops them and widens events_time, and every
// answer stays.
func TestMigrationFromVersion3(t *testing.T) {
	t.Parallel()
	path, want := migrationFile(t, false)
	downgrade(t, path, "schema_v3.sql", append(version3Indexes, `PRAGMA user_version = 3`)...)
	migrated(t, path, want)
}

// schemaOf lists the tables and indexes of db with their columns, by name.
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
		// A table's columns by name; an index's in order, an expression
		// as "<expr>".
		q := `SELECT name FROM pragma_table_info(?) ORDER BY name`
		if e.typ == "index" {
			q = `SELECT coalesce(name, '<expr>') FROM pragma_index_info(?) ORDER BY seqno`
		}
		out[e.name] = []string{e.typ}
		cols, err := db.Query(q, e.name)
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

// A file of version 2 that was purged keeps tombstones of old events that
// arrived late, with their visitor: the migration does not count those
// visitors on the purged days again.
func TestMigrationAfterPurge(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s, path := openTemp(t, sqlite.Config{})
	view := func(id string, at time.Duration) tracker.Event {
		return tracker.Event{ID: id, Kind: tracker.KindView, Store: "shop-dk", Visitor: "cvpurgedpurgedpurge1", Time: benchStart.Add(at), Product: "p1"}
	}
	require.NoError(t, s.Write(ctx, []tracker.Event{view("new", 10*24*time.Hour)}))
	require.NoError(t, s.Write(ctx, []tracker.Event{view("late", 24*time.Hour)})) // old, after a newer one
	_, err := s.Purge(ctx, benchStart.Add(3*24*time.Hour))
	require.NoError(t, err)
	purged := func(s *sqlite.Store) int {
		o, err := s.Overview(ctx, "shop-dk", benchStart, benchStart.Add(5*24*time.Hour))
		require.NoError(t, err)
		return o.Visitors
	}
	require.Equal(t, 0, purged(s))
	require.NoError(t, s.Close())
	downgrade(t, path, "schema_v2.sql", append(version3Indexes,
		`DROP TABLE visitor_days`,
		`CREATE TABLE visitor_days (sid INTEGER NOT NULL, day INTEGER NOT NULL, vid INTEGER NOT NULL,
			PRIMARY KEY (sid, day, vid)) WITHOUT ROWID`,
		`ALTER TABLE visitors DROP COLUMN day`,
		`PRAGMA user_version = 2`)...)
	s = openAt(t, path, sqlite.Config{})
	assert.Equal(t, 0, purged(s))
}
