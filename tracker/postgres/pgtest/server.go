package pgtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Environment variables that steer the harness.
const (
	envDSN  = "VISITRACK_POSTGRES_DSN" // a server to use instead of a throwaway cluster
	envKeep = "VISITRACK_PGTEST_KEEP"  // "1": keep what a failed test or binary leaves
)

// server is where DSN creates databases.
type server struct {
	dsn     string        // of the maintenance database, where CREATE and DROP DATABASE run
	admin   *pgxpool.Pool // on dsn: a connection costs tens of milliseconds on a busy machine
	cluster *cluster      // the throwaway cluster behind dsn; nil for $VISITRACK_POSTGRES_DSN
}

// errStopped is what DSN says when called after Main has stopped the cluster,
// from a goroutine that outlived its test.
var errStopped = errors.New("pgtest: the test binary's PostgreSQL was already stopped by Main")

// binary is the one server of this test binary. It is package state on
// purpose: a test binary is one process, every test in it shares the server,
// and starting a cluster takes a couple of seconds.
var binary struct {
	mu      sync.Mutex
	started bool
	stopped bool
	srv     *server
	err     error
}

// shared returns the binary's server, starting it on first use. A failure is
// kept: every later test fails with the same error instead of retrying.
func shared() (*server, error) {
	binary.mu.Lock()
	defer binary.mu.Unlock()
	if binary.stopped {
		return nil, errStopped
	}
	if !binary.started {
		binary.started = true
		binary.srv, binary.err = newServer()
	}
	return binary.srv, binary.err
}

func newServer() (*server, error) {
	if dsn := os.Getenv(envDSN); dsn != "" {
		admin, err := pgxpool.New(context.Background(), dsn)
		if err != nil {
			return nil, fmt.Errorf("pgtest: $%s: %w", envDSN, err)
		}
		return &server{dsn: dsn, admin: admin}, nil
	}
	c, err := startCluster()
	if err != nil {
		return nil, err
	}
	dsn := c.dsn("postgres")
	admin, err := pgxpool.New(context.Background(), dsn)
	if err != nil {
		c.stop(false)
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	return &server{dsn: dsn, admin: admin, cluster: c}, nil
}

// Main runs the tests and then stops the throwaway cluster, if the tests
// started one, and removes its directory. It returns m.Run's exit code. Call
// it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
//
// With VISITRACK_PGTEST_KEEP=1 and a failed run, the cluster's directory is
// kept and the command to start it again is printed.
func Main(m *testing.M) int {
	code := m.Run()
	binary.mu.Lock()
	defer binary.mu.Unlock()
	binary.stopped = true
	if binary.srv == nil {
		return code
	}
	binary.srv.admin.Close()
	if binary.srv.cluster == nil {
		return code
	}
	keep := code != 0 && os.Getenv(envKeep) == "1"
	if err := binary.srv.cluster.stop(keep); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	return code
}
