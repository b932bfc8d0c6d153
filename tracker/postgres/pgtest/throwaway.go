package pgtest

import (
	"errors"
	"fmt"
	"os"
)

// Throwaway starts a PostgreSQL of its own, as DSN does for tests, for a
// program that wants one for a while (make run-cluster): on
// $VISITRACK_POSTGRES_DSN's server when it is set, else a throwaway cluster
// from Debian's postgresql package. It creates a database named name and
// returns its DSN, and stop, which drops the database and stops the
// cluster, removing its directory.
func Throwaway(name string) (dsn string, stop func() error, err error) {
	srv, err := newServer()
	if err != nil {
		return "", nil, err
	}
	stop = func() error {
		srv.admin.Close()
		if srv.cluster != nil {
			return srv.cluster.stop(os.Getenv(envKeep) == "1")
		}
		return nil
	}
	if err := srv.createDatabase(name); err != nil {
		stop()
		return "", nil, fmt.Errorf("pgtest: create database %s: %w", name, err)
	}
	if dsn, err = withDatabase(srv.dsn, name); err != nil {
		stop()
		return "", nil, err
	}
	if srv.cluster == nil {
		drop := stop
		stop = func() error {
			err := srv.dropDatabase(name)
			return errors.Join(err, drop())
		}
	}
	return dsn, stop, nil
}
