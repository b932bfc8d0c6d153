package pgtest

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// adminTimeout bounds each CREATE or DROP DATABASE, connecting included.
const adminTimeout = 30 * time.Second

// createDatabase creates an empty database from template0 (template1 may
// have been changed on a server of the user's), UTF8 with the C locale so
// that sorting is the same on every server. On PostgreSQL 15 and later it
// copies the template's files instead of writing them through the WAL: three
// times faster here, and the checkpoint that costs is cheap with fsync off.
func (s *server) createDatabase(name string) error {
	return s.exec(func(ctx context.Context, conn *pgx.Conn) error {
		sql := "CREATE DATABASE " + pgx.Identifier{name}.Sanitize() +
			" TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'"
		if major(conn) >= 15 {
			sql += " STRATEGY FILE_COPY"
		}
		_, err := conn.Exec(ctx, sql)
		return err
	})
}

// dropDatabase drops a database, ending the connections a test left open so
// that a forgotten pool does not fail the drop.
func (s *server) dropDatabase(name string) error {
	return s.exec(func(ctx context.Context, conn *pgx.Conn) error {
		_, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
		return err
	})
}

// exec runs f on a connection to the server's maintenance database.
func (s *server) exec(f func(context.Context, *pgx.Conn) error) error {
	// Not the test's context: that is canceled before cleanups run.
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	conn, err := s.admin.Acquire(ctx)
	if err != nil {
		if s.cluster == nil {
			return fmt.Errorf("connect to $%s: %w", envDSN, err)
		}
		return fmt.Errorf("connect to the test cluster: %w\n%s", err, s.cluster.logTail())
	}
	defer conn.Release()
	return f(ctx, conn.Conn())
}

// major is the server's major version, 0 if it does not say.
func major(conn *pgx.Conn) int {
	v := conn.PgConn().ParameterStatus("server_version") // "15.18 (Debian 15.18-0+deb12u1)"
	n, _ := strconv.Atoi(strings.SplitN(v, ".", 2)[0])
	return n
}
