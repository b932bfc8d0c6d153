// Package pgtest gives tests a real PostgreSQL: a fresh, empty database per
// test, on a server that is there whenever the tests run. It never skips: a
// machine without PostgreSQL fails the test and says how to install it.
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
//
//	func TestSomething(t *testing.T) {
//		pool, err := pgxpool.New(t.Context(), pgtest.DSN(t))
//		require.NoError(t, err)
//		t.Cleanup(pool.Close)
//		...
//	}
//
// # Which server
//
// When $VISITRACK_POSTGRES_DSN is set, DSN creates its databases on that
// server; the DSN's user must be allowed to CREATE DATABASE. Otherwise the
// first call to DSN in a test binary starts a throwaway cluster from Debian's
// postgresql package (the highest version under /usr/lib/postgresql, else
// initdb on $PATH), in about a second: initdb into a new directory (under
// /dev/shm when that is a tmpfs with room, where databases are created
// several times faster than on a busy disk; else under the temp dir), then
// postgres listening on a unix socket in that directory only — no TCP port,
// so it never meets the system cluster that installing the package may have
// started on 5432, nor another test binary's cluster. Durability is off
// (fsync, synchronous_commit, full_page_writes): a crash loses nothing a test
// needs. PostgreSQL refuses to run as root, so when the tests do, the cluster
// runs as the postgres user (nobody if there is none).
//
// Main stops the cluster (an immediate shutdown) and removes its directory
// when the binary's tests are done. On Linux the cluster also dies with the
// test binary if that is killed or does not use Main; the directory such a
// binary leaves behind is removed by the next binary that starts a cluster.
//
// # Databases
//
// Each DSN call creates a database named after the test (test_<name>_<random>)
// from template0, UTF8 with the C locale, in some 10 to 50 ms, and drops it
// when the test ends, closing connections the test left open. With
// VISITRACK_PGTEST_KEEP=1 a failed test's database is kept and its DSN
// logged; a throwaway cluster whose binary failed is then stopped but kept on
// disk, with the command to start it again printed.
package pgtest
