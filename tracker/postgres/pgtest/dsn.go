package pgtest

import (
	"crypto/rand"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
)

// DSN returns the connection string of a new, empty database for this test
// and drops the database when the test ends. The database is UTF8 with the C
// locale. The form follows the server's: a URL for the throwaway cluster
// (postgres://postgres@/test_…?host=/tmp/…), the same form as
// $VISITRACK_POSTGRES_DSN otherwise; pgx and psql read both.
//
// A test that cannot have a database fails at once, with what to install;
// DSN never skips. Tests may call it in parallel, and more than once for more
// databases.
func DSN(t testing.TB) string {
	t.Helper()
	srv, err := shared()
	if err != nil {
		t.Fatal(err)
	}
	name := databaseName(t.Name())
	if err := srv.createDatabase(name); err != nil {
		t.Fatalf("pgtest: create database %s: %v", name, err)
	}
	dsn, err := withDatabase(srv.dsn, name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() && os.Getenv(envKeep) == "1" {
			t.Logf("pgtest: kept database %s", dsn)
			return
		}
		if err := srv.dropDatabase(name); err != nil {
			t.Errorf("pgtest: drop database %s: %v", name, err)
		}
	})
	return dsn
}

// databaseName makes a database name from a test's name: readable in a kept
// database's DSN, unique through a random suffix, at most 63 bytes (what
// PostgreSQL keeps of an identifier), and needing no quotes.
func databaseName(test string) string {
	var b strings.Builder
	b.WriteString("test_")
	underscore := true
	for _, r := range strings.ToLower(test) {
		if b.Len() >= 45 {
			break
		}
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
			underscore = false
		case !underscore:
			b.WriteByte('_')
			underscore = true
		}
	}
	if !underscore {
		b.WriteByte('_')
	}
	b.WriteString(strings.ToLower(rand.Text()[:10]))
	return b.String()
}

// withDatabase returns dsn with its database set to name. dsn is a URL
// (postgres:// or postgresql://) or keyword/value settings, where a later
// dbname wins over an earlier one.
func withDatabase(dsn, name string) (string, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "", fmt.Errorf("pgtest: $%s is not a valid URL: %w", envDSN, err)
		}
		u.Path = "/" + name
		u.RawPath = ""
		q := u.Query()
		if q.Has("dbname") {
			q.Set("dbname", name)
			u.RawQuery = q.Encode()
		}
		return u.String(), nil
	}
	return strings.TrimSpace(dsn) + " dbname=" + name, nil
}
