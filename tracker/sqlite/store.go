package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/visitrack/visitrack/tracker"
)

// DefaultAttributionWindow is how long before a sale a click still earns
// credit for it, unless WithAttributionWindow says otherwise.
const DefaultAttributionWindow = 30 * 24 * time.Hour

// MinLookback is the least time a click without labels is backtracked
// over: it is credited to the latest impression of its product shown to
// its visitor within the longer of this and the attribution window before
// it.
const MinLookback = 30 * 24 * time.Hour

// lateness is how late an event may arrive (after events this much newer)
// and still be resolved exactly; the writer's index holds the lookback, the
// window and this much.
const lateness = 7 * 24 * time.Hour

// Errors returned by the store; test with errors.Is.
var (
	// ErrInvalidEvent: Write was given an event it can never store (no ID
	// or store, an unknown kind, a kind without its required fields).
	ErrInvalidEvent = errors.New("sqlite: invalid event")
	// ErrClosed: the store was used after Close.
	ErrClosed = errors.New("sqlite: store is closed")
	// ErrCheckpoint: Forget erased the data but could not yet truncate the
	// write-ahead log, as a reader held it for too long; the bytes leave the
	// files at the next successful checkpoint.
	ErrCheckpoint = errors.New("sqlite: write-ahead log checkpoint incomplete")
	// ErrSchema: the file claims the current schema version but lacks its
	// tables, as a file written by a development build before its
	// migrations were rewritten does. Open refuses it rather than failing
	// every write.
	ErrSchema = errors.New("sqlite: database file does not have the schema its version claims")
)

// Store is the embedded SQLite store. It is a tracker.Sink (events go in
// with Write, usually through a tracker.Queue) and a tracker.Store. It is
// safe for concurrent use: writes go through one connection in batched
// transactions, reads through a small pool of read-only connections, and
// the database runs in WAL mode so that reads never wait for writes.
type Store struct {
	path     string
	window   int64 // attribution window in microseconds
	lookback int64 // backtracking reaches this far back, in microseconds
	flushAt  int   // pending vix entries that make a run
	horizon  int64 // the writer's index holds this much before the newest event
	log      *slog.Logger
	now      func() time.Time

	wmu sync.Mutex // serialises write transactions on w
	w   *sql.DB    // exactly one connection
	r   *sql.DB    // read-only pool

	st      *stmts        // statements prepared on w; guarded by wmu
	ck      *sql.DB       // one connection that checkpoints in the background
	ckReq   chan struct{} // asks for a checkpoint; closed by Close, under wmu
	ckDone  chan struct{}
	commits int              // guarded by wmu
	sids    map[string]int64 // store IDs known to be committed; guarded by wmu
	vids    map[vidKey]int64 // visitor IDs known to be committed; guarded by wmu
	mem     *memIndex        // nil until loaded, or after a failed write; guarded by wmu
	pend    pending          // vix entries not written yet

	failWrite func() error // set by tests: fails write transactions after their work; guarded by wmu

	isClosed  atomic.Bool
	closeOnce sync.Once
	closeErr  error
}

var _ tracker.Store = (*Store)(nil)

// Option configures Open.
type Option func(*options)

type options struct {
	window      time.Duration
	log         *slog.Logger
	now         func() time.Time
	busyTimeout time.Duration
	readers     int
	flushAt     int
	horizon     time.Duration // of the writer's index; 0: lookback + window + lateness
}

// WithAttributionWindow sets how long before a sale a click still earns
// credit for it. The default is DefaultAttributionWindow (30 days); d ≤ 0
// keeps the default. The window is applied when events are written, so
// reopen a database with the window it was filled with.
func WithAttributionWindow(d time.Duration) Option {
	return func(o *options) {
		if d > 0 {
			o.window = d
		}
	}
}

// WithLogger sets the logger for background work such as PurgeEvery. The
// default discards. The store never logs emails, customer or visitor IDs.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) {
		if l != nil {
			o.log = l
		}
	}
}

// WithNow sets the clock PurgeEvery reads; the default is time.Now.
func WithNow(now func() time.Time) Option {
	return func(o *options) {
		if now != nil {
			o.now = now
		}
	}
}

// WithBusyTimeout sets how long a statement waits for a lock held by
// another process before failing; the default is 5 seconds.
func WithBusyTimeout(d time.Duration) Option {
	return func(o *options) {
		if d > 0 {
			o.busyTimeout = d
		}
	}
}

// Open opens the SQLite database at path, creating it with mode 0600 (and
// its -wal and -shm files alike) when it does not exist, and migrates its
// schema to the current version.
//
//	db, err := sqlite.Open(ctx, "visitrack.db")
func Open(ctx context.Context, path string, opts ...Option) (*Store, error) {
	o := options{
		window:      DefaultAttributionWindow,
		log:         slog.New(slog.NewTextHandler(io.Discard, nil)),
		now:         time.Now,
		busyTimeout: 5 * time.Second,
		readers:     max(2, runtime.GOMAXPROCS(0)),
		flushAt:     vixFlushAt,
	}
	for _, opt := range opts {
		opt(&o)
	}
	if path == "" || path == ":memory:" {
		return nil, fmt.Errorf("sqlite: open: a file path is required")
	}
	// Create the file ourselves so that it never exists with the umask's
	// mode, even for a moment; SQLite gives -wal and -shm the mode of the
	// database file.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}

	s := &Store{path: path, window: o.window.Microseconds(), lookback: max(o.window, MinLookback).Microseconds(), flushAt: o.flushAt, log: o.log,
		horizon: max(o.window, MinLookback).Microseconds() + o.window.Microseconds() + lateness.Microseconds(), now: o.now, sids: make(map[string]int64), vids: make(map[vidKey]int64)}
	s.w, err = sql.Open("sqlite", dsn(path, o.busyTimeout, false))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	s.w.SetMaxOpenConns(1)
	s.w.SetMaxIdleConns(1)
	s.w.SetConnMaxLifetime(0)
	s.w.SetConnMaxIdleTime(0)
	if err := s.w.PingContext(ctx); err != nil {
		s.w.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	// A file that claims a version without its tables would fail the
	// migrations or every write; refuse it before and after migrating.
	if err := checkSchema(ctx, s.w); err != nil {
		s.w.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	if err := migrate(ctx, s.w, len(migrations)); err != nil {
		s.w.Close()
		return nil, err
	}
	if err := checkSchema(ctx, s.w); err != nil {
		s.w.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	if o.horizon > 0 {
		s.horizon = o.horizon.Microseconds()
	}
	s.st = &stmts{db: s.w, m: make(map[string]*sql.Stmt), missing: make(map[string]bool)}
	if s.pend.ents, err = loadPending(ctx, s.w); err != nil {
		s.w.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	if err := s.loadMem(ctx); err != nil {
		s.w.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	s.r, err = sql.Open("sqlite", dsn(path, o.busyTimeout, true))
	if err != nil {
		s.w.Close()
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	s.r.SetMaxOpenConns(o.readers)
	s.r.SetMaxIdleConns(o.readers)
	if err := s.r.PingContext(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	s.ck, err = sql.Open("sqlite", dsn(path, o.busyTimeout, false))
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	s.ck.SetMaxOpenConns(1)
	s.ck.SetMaxIdleConns(1)
	s.ck.SetConnMaxLifetime(0)
	s.ck.SetConnMaxIdleTime(0)
	s.ckReq, s.ckDone = make(chan struct{}, 1), make(chan struct{})
	go s.checkpointer()
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Chmod(p, 0o600); err != nil && !errors.Is(err, os.ErrNotExist) {
			s.Close()
			return nil, fmt.Errorf("sqlite: open: %w", err)
		}
	}
	return s, nil
}

// checkpointEvery is how many write transactions pass between background
// checkpoints.
const checkpointEvery = 64

// checkpointer copies the write-ahead log into the database when Write asks
// it to, on a connection of its own, so that the writer does not do it
// while it holds the write lock. A passive checkpoint never waits for the
// writer or readers; the writer's own automatic checkpoint remains as a
// backstop, with less left to copy.
func (s *Store) checkpointer() {
	defer close(s.ckDone)
	for range s.ckReq {
		var busy, logged, done int
		// Failures (busy) are left for the next round or the backstop.
		_ = s.ck.QueryRow("PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &logged, &done)
	}
}

// committed is called by writers, under wmu, after each commit.
func (s *Store) committed() {
	s.commits++
	if s.commits%checkpointEvery == 0 {
		select {
		case s.ckReq <- struct{}{}:
		default: // one is running or asked for already
		}
	}
}

// dsn builds the connection string. Every connection gets the same pragmas:
// secure_delete above all, as it is per connection and erasure depends on it.
func dsn(path string, busy time.Duration, readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busy.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "secure_delete(ON)")
	q.Add("_pragma", "foreign_keys(OFF)")
	q.Add("_pragma", "cache_size(-64000)")
	q.Add("_pragma", "temp_store(MEMORY)")
	if readOnly {
		q.Add("_pragma", "query_only(ON)")
	} else {
		q.Set("_txlock", "immediate")
		// The background checkpointer runs every 64 commits; this is the
		// backstop. A page that many batches write (the tails of the
		// tables and indexes, the counters) is then copied into the
		// database once per checkpoint rather than once per batch. The log
		// grows to about 80 MB at most.
		q.Add("_pragma", "wal_autocheckpoint(20000)")
	}
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
}

// Close checkpoints the write-ahead log and closes the database. It is
// safe to call more than once.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.isClosed.Store(true)
		var errs []error
		if s.r != nil {
			errs = append(errs, s.r.Close())
		}
		s.wmu.Lock()
		if s.ckReq != nil {
			close(s.ckReq)
			<-s.ckDone
		}
		if s.ck != nil {
			errs = append(errs, s.ck.Close())
		}
		errs = append(errs, s.st.close())
		if _, err := s.w.Exec("PRAGMA optimize"); err != nil {
			errs = append(errs, err)
		}
		errs = append(errs, s.w.Close())
		s.wmu.Unlock()
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}

func (s *Store) closed() bool { return s.isClosed.Load() }

// micros is the unit times are stored in.
func micros(t time.Time) int64 { return t.UnixMicro() }

const hour = int64(time.Hour / time.Microsecond)

// bucket is the hour a time in micros falls in; counters are kept per hour.
func bucket(us int64) int64 {
	b := us / hour
	if us%hour < 0 {
		b--
	}
	return b
}

// stmts keeps statements prepared on the writer's one connection, so that
// each is compiled once. A transaction holds that connection, so a
// statement first needed inside one is prepared for that transaction only,
// and kept by prepareMissing once the connection is free again.
type stmts struct {
	db      *sql.DB
	m       map[string]*sql.Stmt
	missing map[string]bool
}

// prepareMissing prepares the statements transactions asked for and did
// not find. It must not be called while a transaction holds the
// connection. Failures are left for the next call.
func (s *stmts) prepareMissing(ctx context.Context) {
	for q := range s.missing {
		st, err := s.db.PrepareContext(ctx, q)
		if err != nil {
			return
		}
		s.m[q] = st
		delete(s.missing, q)
	}
}

// in returns query bound to tx: prepared once, or for this transaction
// only the first time it is asked for.
func (s *stmts) in(ctx context.Context, tx *sql.Tx, query string) (*sql.Stmt, error) {
	if st := s.m[query]; st != nil {
		return tx.StmtContext(ctx, st), nil
	}
	s.missing[query] = true
	return tx.PrepareContext(ctx, query)
}

func (s *stmts) close() error {
	var errs []error
	for _, st := range s.m {
		errs = append(errs, st.Close())
	}
	return errors.Join(errs...)
}

// vidKey is a visitor of a store.
type vidKey struct {
	sid     int64
	visitor string
}

// maxCachedVisitors bounds the memory the writer's visitor cache takes.
const maxCachedVisitors = 1 << 18

// loadMem builds the writer's index if it has none; the caller holds wmu
// (or is Open).
func (s *Store) loadMem(ctx context.Context) error {
	if s.mem != nil {
		return nil
	}
	m, err := loadMem(ctx, s.w, s.horizon)
	if err != nil {
		return err
	}
	s.mem = m
	return nil
}
