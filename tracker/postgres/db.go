package postgres

import (
	"context"
	"crypto/rand"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/visitrack/visitrack/tracker"
	"github.com/visitrack/visitrack/tracker/credit"
	"github.com/visitrack/visitrack/tracker/internal/storekit"
)

// Errors returned by the store; test with errors.Is.
var (
	// ErrClosed: the store was used after Close.
	ErrClosed = errors.New("postgres: store is closed")
	// ErrSchema: the database holds a schema version newer than this
	// build knows.
	ErrSchema = errors.New("postgres: database schema is newer than this build")
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrationLock is the advisory lock key under which Stores starting
// together migrate one at a time.
const migrationLock = 0x76747261636b // "vtrack"

// Store is the PostgreSQL store: a tracker.Store for shops that run many
// instances. Any number of Stores, in any number of processes, may write to
// one database at once; each is safe for concurrent use.
type Store struct {
	cfg   Config
	pool  *pgxpool.Pool
	shard int16 // the counter rows this Store adds to

	wmu sync.Mutex // one write transaction at a time per Store, and guards mem
	mem *memory

	reports credit.Reports

	refs atomic.Int64 // handles for events in cached groups

	isClosed  atomic.Bool
	closeOnce sync.Once
}

var _ tracker.Store = (*Store)(nil)

// Open connects to the database at dsn (a postgres:// URL or key=value
// string) with the default Config and migrates its schema.
//
//	pg, err := postgres.Open(ctx, "postgres://shop@db/visitrack")
func Open(ctx context.Context, dsn string) (*Store, error) {
	return OpenConfig(ctx, dsn, Config{})
}

// OpenConfig connects to the database at dsn with cfg and migrates its
// schema: under an advisory lock, so that instances starting together
// migrate once.
func OpenConfig(ctx context.Context, dsn string, cfg Config) (*Store, error) {
	cfg = cfg.withDefaults()
	pc, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	if !strings.Contains(dsn, "pool_max_conns") {
		pc.MaxConns = cfg.MaxConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	if err := migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	n, err := rand.Int(rand.Reader, big.NewInt(shards))
	if err != nil {
		pool.Close()
		return nil, err
	}
	s := &Store{cfg: cfg, pool: pool, shard: int16(n.Int64())}
	s.reports = credit.Reports{Name: "postgres", Read: s.read}
	s.mem = newMemory(s)
	return s, nil
}

// Write stores a batch of events in one transaction. It is idempotent: an
// event whose ID the store holds is skipped, and so is an event older than
// the last Purge's cut. An event that breaks a rule (tracker.Event.Validate)
// or is dated more than tracker.MaxClockSkew after the store's clock is
// refused: Write stores the others and returns a *tracker.BatchError naming
// the refused ones, each marked permanent. Any other error means nothing was
// stored.
//
// Write holds an advisory lock on each group of linked visitors its events
// touch (in a fixed order), so that Stores writing the same visitors at
// once resolve credit one after the other; a conflict with another writer
// (a deadlock between locks taken out of order, a key two writers inserted
// at once) is retried inside Write.
func (s *Store) Write(ctx context.Context, events []tracker.Event) error {
	return storekit.Write(ctx, events, s.closed, ErrClosed, s.cfg.Now, "postgres: write", s.write)
}

// shards is how many rows of counters concurrent writers spread an hour of
// a label over.
const shards = 16

// migrate applies the migrations the database lacks, in order, each in a
// transaction, holding a session advisory lock.
func migrate(ctx context.Context, pool *pgxpool.Pool) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, int64(migrationLock)); err != nil {
		return err
	}
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, int64(migrationLock))
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return err
	}
	var have int
	if err := conn.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&have); err != nil {
		return err
	}
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	if have > len(names) {
		return fmt.Errorf("%w: version %d, this build knows %d", ErrSchema, have, len(names))
	}
	for i, name := range names[have:] {
		version := have + i + 1
		body, err := migrationFiles.ReadFile(name)
		if err != nil {
			return err
		}
		err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, string(body)); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version) VALUES ($1)`, version)
			return err
		})
		if err != nil {
			return fmt.Errorf("migration %s: %w", name, err)
		}
	}
	return nil
}

// Close releases the connections. It is safe to call more than once.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.isClosed.Store(true)
		s.wmu.Lock()
		s.pool.Close()
		s.wmu.Unlock()
	})
	return nil
}

func (s *Store) closed() bool { return s.isClosed.Load() }

// retryable reports whether err is a conflict with another writer that the
// same transaction, run again, gets past: a serialization failure, a
// deadlock, or a unique key two writers inserted at once.
func retryable(err error) bool {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return false
	}
	switch pe.Code {
	case "40001", "40P01", "23505":
		return true
	}
	return false
}

// attempts is how often a write transaction is tried when it meets other
// writers.
const attempts = 8

// inTx runs f in a transaction, again when it conflicts with another
// writer, with a short random pause in between.
func (s *Store) inTx(ctx context.Context, f func(tx pgx.Tx) error, onRetry func()) error {
	var err error
	for i := range attempts {
		err = pgx.BeginFunc(ctx, s.pool, f)
		if err == nil || !retryable(err) {
			return err
		}
		onRetry()
		n, _ := rand.Int(rand.Reader, big.NewInt(int64(5+i*20)))
		select {
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		case <-time.After(time.Duration(n.Int64()+1) * time.Millisecond):
		}
	}
	return err
}
