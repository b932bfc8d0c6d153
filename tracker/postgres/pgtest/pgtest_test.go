package pgtest_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/visitrack/visitrack/tracker/postgres/pgtest"
)

// open connects a pool to a new database of the test's and closes it when
// the test ends.
func open(t testing.TB) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), pgtest.DSN(t))
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	return pool
}

func TestDatabaseWorks(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db := open(t)

	_, err := db.Exec(ctx, `CREATE TABLE visitor (id text PRIMARY KEY, email text, seen timestamptz NOT NULL DEFAULT now())`)
	require.NoError(t, err)
	_, err = db.Exec(ctx, `INSERT INTO visitor (id, email) VALUES ($1, $2), ($3, $4)`,
		"v1", "søren@example.dk", "v2", nil)
	require.NoError(t, err)

	rows, err := db.Query(ctx, `SELECT id, email FROM visitor ORDER BY id`)
	require.NoError(t, err)
	type visitor struct {
		ID    string
		Email *string
	}
	got, err := pgx.CollectRows(rows, pgx.RowToStructByPos[visitor])
	require.NoError(t, err)
	require.Len(t, got, 2)
	assert.Equal(t, "v1", got[0].ID)
	require.NotNil(t, got[0].Email)
	assert.Equal(t, "søren@example.dk", *got[0].Email)
	assert.Nil(t, got[1].Email)

	var encoding, collate string
	require.NoError(t, db.QueryRow(ctx, `SELECT pg_encoding_to_char(encoding), datcollate FROM pg_database WHERE datname = current_database()`).
		Scan(&encoding, &collate))
	assert.Equal(t, "UTF8", encoding)
	assert.Equal(t, "C", collate)
}

// TestEachTestGetsItsOwnEmptyDatabase runs tests side by side that each
// create the same table: they only pass if no two share a database.
func TestEachTestGetsItsOwnEmptyDatabase(t *testing.T) {
	t.Parallel()
	var (
		mu    sync.Mutex
		names = map[string]bool{}
	)
	for i := range 6 {
		t.Run(fmt.Sprint("test", i), func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			db := open(t)

			var tables int
			require.NoError(t, db.QueryRow(ctx,
				`SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
				 WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'`).Scan(&tables))
			assert.Zero(t, tables, "a new database has no relations")

			_, err := db.Exec(ctx, `CREATE TABLE event (n int)`)
			require.NoError(t, err)
			var name string
			require.NoError(t, db.QueryRow(ctx, `SELECT current_database()`).Scan(&name))
			mu.Lock()
			defer mu.Unlock()
			assert.False(t, names[name], "database %s handed out twice", name)
			names[name] = true
		})
	}
}

func TestDatabaseIsDroppedWhenTheTestEnds(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	var name string
	var leftOpen *pgxpool.Pool
	t.Run("test", func(t *testing.T) {
		// A pool the test does not close: the drop must not wait for it.
		var err error
		leftOpen, err = pgxpool.New(ctx, pgtest.DSN(t))
		require.NoError(t, err)
		require.NoError(t, leftOpen.QueryRow(ctx, `SELECT current_database()`).Scan(&name))
	})
	defer leftOpen.Close()

	var exists bool
	require.NoError(t, open(t).QueryRow(ctx, `SELECT EXISTS (SELECT FROM pg_database WHERE datname = $1)`, name).Scan(&exists))
	assert.False(t, exists, "database %s is still there", name)
}

func BenchmarkDSN(b *testing.B) {
	b.ReportAllocs()
	pgtest.DSN(b) // the cluster starts outside the measurement
	b.ResetTimer()
	for b.Loop() {
		pgtest.DSN(b)
	}
}
