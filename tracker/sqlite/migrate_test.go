package sqlite

import (
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/visitrack/visitrack/tracker"
)

// TestMigrateFromVersion1 fills a database at schema version 1 (no
// counters, impressions and clicks clustered by visitor), then opens it:
// the counters are built from its events, the tables are rewritten in
// arrival order with vix, and the store resolves new events against the
// old ones.
func TestMigrateFromVersion1(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "v1.db")
	t0 := time.Date(2026, 3, 2, 10, 30, 0, 0, time.UTC)
	evs := []tracker.Event{
		{ID: "1", Store: "shop", Visitor: "v", Time: t0, Kind: tracker.KindImpression, Labels: []string{"Home"}, Products: []string{"p1", "p2"}},
		{ID: "2", Store: "shop", Visitor: "v", Time: t0.Add(time.Minute), Kind: tracker.KindClick, Product: "p1"},
		{ID: "3", Store: "shop", Visitor: "v", Time: t0.Add(2 * time.Hour), Kind: tracker.KindSale, Sale: "o1",
			Lines: []tracker.Line{{ID: "p1", Price: 9.95, Quantity: 2}}},
	}
	// Version 2 as Write leaves it, reported over whole hours (counters).
	s, err := Open(ctx, filepath.Join(t.TempDir(), "ref.db"))
	require.NoError(t, err)
	require.NoError(t, s.Write(ctx, evs))
	from, to := t0.Truncate(time.Hour), t0.Truncate(time.Hour).Add(24*time.Hour)
	want, err := s.Report(ctx, "shop", from, to)
	require.NoError(t, err)
	require.NoError(t, s.Close())
	require.Equal(t, 1, want.ImpactedOrders)

	// The same rows, in a database that stopped at version 1.
	db, err := sql.Open("sqlite", dsn(path, time.Second, false))
	require.NoError(t, err)
	require.NoError(t, migrate(ctx, db, 1))
	var v int
	require.NoError(t, db.QueryRow("PRAGMA user_version").Scan(&v))
	require.Equal(t, 1, v)
	_, err = db.Exec(`ATTACH DATABASE ? AS ref`, filepath.Join(filepath.Dir(s.path), "ref.db"))
	require.NoError(t, err)
	// Impressions and activity are packed into blobs since version 3: ref
	// has no table of them to copy from, so they are written below.
	for _, table := range []string{"stores", "visitors", "clicks", "sales", "links", "identities"} {
		// The columns the table had at version 1.
		var cols []string
		rows, err := db.Query(`SELECT name FROM pragma_table_info(?)`, table)
		require.NoError(t, err)
		for rows.Next() {
			var c string
			require.NoError(t, rows.Scan(&c))
			cols = append(cols, c)
		}
		require.NoError(t, rows.Close())
		list := strings.Join(cols, ", ")
		_, err = db.Exec(`INSERT INTO ` + table + ` (` + list + `) SELECT ` + list + ` FROM ref.` + table)
		require.NoError(t, err, table)
	}
	_, err = db.Exec(`INSERT INTO imps (vid, time, id, sid, api, labels, products)
		SELECT v.vid, ?, '1', v.sid, NULL, char(31) || 'Home' || char(31), char(31) || 'p1' || char(31) || 'p2' || char(31)
		FROM visitors v WHERE v.visitor = 'v'`, t0.UnixMicro())
	require.NoError(t, err)
	// A view, written as version 1 kept activity: a row of acts; and a
	// search with the impression's ID, which version 1 allowed (its IDs
	// were per table).
	_, err = db.Exec(`INSERT INTO acts (vid, time, id, sid, kind, value)
		SELECT v.vid, ?, 'a1', v.sid, 4, 'p2' FROM visitors v WHERE v.visitor = 'v'`, t0.Add(30*time.Minute).UnixMicro())
	require.NoError(t, err)
	_, err = db.Exec(`INSERT INTO acts (vid, time, id, sid, kind, value)
		SELECT v.vid, ?, '1', v.sid, 6, 'shoes' FROM visitors v WHERE v.visitor = 'v'`, t0.Add(20*time.Minute).UnixMicro())
	require.NoError(t, err)
	_, err = db.Exec(`DETACH DATABASE ref`)
	require.NoError(t, err)
	require.NoError(t, db.Close())

	s, err = Open(ctx, path)
	require.NoError(t, err)
	defer s.Close()
	got, err := s.Report(ctx, "shop", from, to)
	require.NoError(t, err)
	assert.Equal(t, want, got)
	assert.Equal(t, tracker.LabelStats{Label: "Home", Calls: 1, Impressions: 2, Clicks: 1, Orders: 1, Revenue: 19.9}, got.Labels[0])

	// The migrated click still earns credit, and history finds it.
	require.NoError(t, s.Write(ctx, []tracker.Event{{ID: "4", Store: "shop", Visitor: "v", Time: t0.Add(3 * time.Hour),
		Kind: tracker.KindSale, Sale: "o2", Lines: []tracker.Line{{ID: "p1", Price: 5, Quantity: 1}}}}))
	got, err = s.Report(ctx, "shop", from, to)
	require.NoError(t, err)
	assert.Equal(t, 2, got.ImpactedOrders)
	h, err := s.History(ctx, "shop", "v", 0)
	require.NoError(t, err)
	require.Len(t, h, 3)
	assert.Equal(t, tracker.Activity{Kind: tracker.KindView, Product: "p2", Time: t0.Add(30 * time.Minute)}, h[0])
	assert.Equal(t, tracker.Activity{Kind: tracker.KindSearch, Query: "shoes", Time: t0.Add(20 * time.Minute)}, h[1])
	assert.Equal(t, "p1", h[2].Product)

	// Its ID is known: a redelivery is ignored.
	require.NoError(t, s.Write(ctx, []tracker.Event{{ID: "a1", Store: "shop", Visitor: "v", Time: t0.Add(30 * time.Minute),
		Kind: tracker.KindView, Product: "p2"}}))
	h, err = s.History(ctx, "shop", "v", 0)
	require.NoError(t, err)
	assert.Len(t, h, 3)
}
