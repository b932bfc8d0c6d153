package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/visitrack/visitrack/tracker/sqlite"
)

// A file that claims the current schema version without its tables (as one
// written by a development build with other migrations) is refused at Open
// with ErrSchema, not accepted to fail every later write.
func TestOpenRefusesForeignSchema(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	raw, err := sql.Open("sqlite", path)
	require.NoError(t, err)
	_, err = raw.ExecContext(ctx, `CREATE TABLE events (id TEXT PRIMARY KEY); PRAGMA user_version = 2`)
	require.NoError(t, err)
	require.NoError(t, raw.Close())

	_, err = sqlite.Open(ctx, path)
	require.ErrorIs(t, err, sqlite.ErrSchema)
	assert.Contains(t, err.Error(), "old.db")

	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "new.db"))
	require.NoError(t, err, "a new file gets the whole schema")
	require.NoError(t, db.Close())
}
