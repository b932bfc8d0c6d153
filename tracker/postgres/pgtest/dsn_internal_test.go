package pgtest

import (
	"regexp"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWithDatabase(t *testing.T) {
	for _, tc := range []struct {
		name, dsn string
	}{
		{"url", "postgres://shop:secret@db.example:6543/postgres?sslmode=disable"},
		{"url without database", "postgresql://shop@db.example"},
		{"url with dbname parameter", "postgres://shop@db.example/?dbname=postgres&sslmode=disable"},
		{"unix socket url", "postgres://postgres@/postgres?host=%2Ftmp%2Fpg&port=5432"},
		{"unix socket url, slashes unescaped", "postgres://postgres@/postgres?host=/tmp/my%20pg&port=5432&sslmode=disable"},
		{"keyword/value", "host=db.example port=6543 user=shop dbname=postgres sslmode=disable"},
		{"keyword/value without dbname", "host=db.example user=shop "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want, err := pgconn.ParseConfig(tc.dsn)
			require.NoError(t, err)

			dsn, err := withDatabase(tc.dsn, "test_x")
			require.NoError(t, err)

			got, err := pgconn.ParseConfig(dsn)
			require.NoError(t, err)
			assert.Equal(t, "test_x", got.Database)
			assert.Equal(t, want.Host, got.Host)
			assert.Equal(t, want.Port, got.Port)
			assert.Equal(t, want.User, got.User)
			assert.Equal(t, want.Password, got.Password)
		})
	}
}

func TestDatabaseName(t *testing.T) {
	valid := regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)
	for _, test := range []string{
		"TestX",
		"TestStore/Write/sale_counted_once",
		"TestÆbleGrød/#00",
		strings.Repeat("TestVeryLong", 20),
		"",
	} {
		a, b := databaseName(test), databaseName(test)
		assert.Regexp(t, valid, a, test)
		assert.LessOrEqual(t, len(a), 63, test) // what PostgreSQL keeps of a name
		assert.NotEqual(t, a, b, test)
	}
	assert.True(t, strings.HasPrefix(databaseName("TestStore/Write"), "test_teststore_write_"))
}
