package postgres_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/visitrack/visitrack/tracker"
	"github.com/visitrack/visitrack/tracker/credit"
	"github.com/visitrack/visitrack/tracker/postgres"
	"github.com/visitrack/visitrack/tracker/postgres/pgtest"
	"github.com/visitrack/visitrack/tracker/storetest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func opener(cfg postgres.Config) func(t *testing.T) storetest.Store {
	return func(t *testing.T) storetest.Store {
		s, err := postgres.OpenConfig(t.Context(), pgtest.DSN(t), cfg)
		require.NoError(t, err)
		return s
	}
}

func TestConformance(t *testing.T) {
	storetest.Run(t, opener(postgres.Config{}))
}

func TestConformanceShortWindow(t *testing.T) {
	storetest.Run(t, opener(postgres.Config{Rules: credit.Rules{Window: 2 * time.Hour, LinkLimit: 5}}),
		storetest.Window(2*time.Hour), storetest.LinkLimit(5), storetest.Events(1500))
}

func TestConformanceTinyBudget(t *testing.T) {
	storetest.Run(t, opener(postgres.Config{MemoryBudget: 1}), storetest.Events(1500))
}

// TestMigrationToVersion2 takes a database as migration 0001 left it (no
// drill-down indexes) and opens it: migration 0002 builds them, and the
// drill-downs answer as they did.
func TestMigrationToVersion2(t *testing.T) {
	ctx := t.Context()
	dsn := pgtest.DSN(t)
	s, err := postgres.Open(ctx, dsn)
	require.NoError(t, err)
	t0 := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	ev := func(id string, k tracker.Kind, d time.Duration) tracker.Event {
		return tracker.Event{ID: id, Kind: k, Store: "shop-dk", Visitor: "v1", Time: t0.Add(d)}
	}
	imp := ev("i1", tracker.KindImpression, time.Minute)
	imp.API, imp.Labels, imp.Query, imp.Products = "search/search", []string{"Search"}, "red shoes", []string{"p1", "p2"}
	search := ev("s1", tracker.KindSearch, 30*time.Second)
	search.Query = "red shoes"
	click := ev("c1", tracker.KindClick, 3*time.Minute)
	click.Product = "p2"
	require.NoError(t, s.Write(ctx, []tracker.Event{search, imp, click}))
	from, to := t0, t0.Add(time.Hour)
	searches, err := s.Searches(ctx, "shop-dk", from, to, 0)
	require.NoError(t, err)
	require.Equal(t, []tracker.SearchStats{{Query: "red shoes", Searches: 1, Impressions: 2, Clicks: 1}}, searches)
	products, err := s.LabelProducts(ctx, "shop-dk", "Search", from, to, 0)
	require.NoError(t, err)
	require.Equal(t, []tracker.ProductStats{{Product: "p1", Shown: 1}, {Product: "p2", Shown: 1, Clicks: 1}}, products)
	require.NoError(t, s.Close())

	indexes := `SELECT count(*) FROM pg_indexes WHERE tablename = 'events'
		AND indexname IN ('events_labels', 'events_searches', 'events_queries', 'events_clicks', 'events_sales')`
	conn, err := pgx.Connect(ctx, dsn)
	require.NoError(t, err)
	defer conn.Close(context.WithoutCancel(ctx))
	for _, q := range []string{
		`DROP INDEX events_labels, events_searches, events_queries, events_clicks, events_sales`,
		`DELETE FROM schema_migrations WHERE version = 2`,
	} {
		_, err := conn.Exec(ctx, q)
		require.NoError(t, err, q)
	}
	var n int
	require.NoError(t, conn.QueryRow(ctx, indexes).Scan(&n))
	require.Zero(t, n, "version 1 has none")

	s, err = postgres.Open(ctx, dsn)
	require.NoError(t, err)
	defer s.Close()
	got, err := s.Searches(ctx, "shop-dk", from, to, 0)
	require.NoError(t, err)
	assert.Equal(t, searches, got)
	gotProducts, err := s.LabelProducts(ctx, "shop-dk", "Search", from, to, 0)
	require.NoError(t, err)
	assert.Equal(t, products, gotProducts)
	var version int
	require.NoError(t, conn.QueryRow(ctx, `SELECT max(version) FROM schema_migrations`).Scan(&version))
	require.NoError(t, conn.QueryRow(ctx, indexes).Scan(&n))
	assert.Equal(t, 2, version)
	assert.Equal(t, 5, n)
}
