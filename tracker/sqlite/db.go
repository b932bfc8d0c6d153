package sqlite

import (
	"context"
	"database/sql"
	_ "embed"
	"errors"
	"fmt"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/visitrack/visitrack/tracker"
	"github.com/visitrack/visitrack/tracker/credit"
	"github.com/visitrack/visitrack/tracker/internal/storekit"
)

// Errors returned by the store; test with errors.Is.
var (
	// ErrClosed: the store was used after Close.
	ErrClosed = errors.New("sqlite: store is closed")
	// ErrLocked: another Store, in this process or another, has the file
	// open. A file has one writer: run Forget, Purge and reports through
	// the Store the server holds, not a second Open.
	ErrLocked = errors.New("sqlite: database file is open in another Store")
	// ErrNotStore: the file is a SQLite database, but not one this store
	// wrote (or one written by a development build before the first
	// release); Open leaves it alone.
	ErrNotStore = errors.New("sqlite: not a visitrack store file")
	// ErrCheckpoint: Forget erased the data but could not yet truncate the
	// write-ahead log, as a reader held it for too long; the bytes leave the
	// files at the next successful checkpoint.
	ErrCheckpoint = errors.New("sqlite: write-ahead log checkpoint incomplete")
)

// applicationID marks a file as a visitrack store ("vtrk").
const applicationID = 0x7674726b

//go:embed schema.sql
var schema string

// schema.sql is the latest version, 1+len(migrations), which a new file
// gets; migrations take an older file from version i+1 to i+2.
var migrations = []string{migration2, migration3, migration4}

// migration2 takes a file from version 1, as the first release wrote it
// (testdata/schema_v1.sql), to version 2: the store's counters per hour,
// the visitors per day, and the drill-downs' indexes.
//
//go:embed migrate2.sql
var migration2 string

// migration3 takes a file from version 2 (testdata/schema_v2.sql) to
// version 3: the visitors per day keyed so that writes append to them.
//
//go:embed migrate3.sql
var migration3 string

// migration4 takes a file from version 3 (testdata/schema_v3.sql) to
// version 4: the drill-downs read through events_time, which holds each
// event's kind and label set, instead of through indexes of their own.
//
//go:embed migrate4.sql
var migration4 string

// Store is the embedded SQLite store. It is a tracker.Sink (events go in
// with Write, usually through a tracker.Queue) and a tracker.Store. It is
// safe for concurrent use: writes go through one connection, one batch per
// transaction; reads through a pool of read-only connections, which WAL
// mode never makes wait for a write.
type Store struct {
	cfg  Config
	path string
	lock *os.File

	w  *sql.DB // the writer: exactly one connection
	r  *sql.DB // read-only pool
	ck *sql.DB // one connection that checkpoints in the background

	ckReq   chan struct{} // asks for a checkpoint; closed by Close
	ckDone  chan struct{}
	commits int   // guarded by wmu
	rowArgs []any // the writer's values of a batch's rows, empty between batches; guarded by wmu

	wmu     sync.Mutex // serialises writes, Forget and Purge, and guards mem
	st      *stmts
	reads   readStmts // prepared on the read pool
	reports credit.Reports
	mem     *memory

	// hmu guards heads: the chain heads the writer has moved since it last
	// wrote them to the visitors table, which History reads.
	hmu   sync.RWMutex
	heads map[int64]chainHeads

	failWrite   error        // set by tests: fails write transactions after their work; guarded by wmu
	historyRows atomic.Int64 // rows History has read, for tests

	isClosed  atomic.Bool
	closeOnce sync.Once
	closeErr  error
}

var _ tracker.Store = (*Store)(nil)

// Open opens the store in the SQLite file at path with the default Config,
// creating the file (mode 0600) if it does not exist.
//
//	db, err := sqlite.Open(ctx, "visitrack.db")
func Open(ctx context.Context, path string) (*Store, error) {
	return OpenConfig(ctx, path, Config{})
}

// OpenConfig opens the store at path with cfg. Only one Store may have a
// file open at a time, in this process or any other: a second one gets
// ErrLocked until the first is closed.
func OpenConfig(ctx context.Context, path string, cfg Config) (*Store, error) {
	if path == "" || path == ":memory:" {
		return nil, errors.New("sqlite: open: a file path is required")
	}
	s := &Store{cfg: cfg.withDefaults(), path: path, heads: make(map[int64]chainHeads)}
	s.reports = credit.Reports{Name: "sqlite", Read: s.read}
	var err error
	if s.lock, err = lockFile(path + "-lock"); err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	if err := s.open(ctx); err != nil {
		s.closeAll()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	return s, nil
}

// Write stores a batch of events in one transaction. It is idempotent: an
// event whose ID the store holds (of whatever kind) is skipped, and so is
// an event older than the last Purge's cut. An event that breaks a rule
// (tracker.Event.Validate) or is dated more than tracker.MaxClockSkew after
// the store's clock is refused: Write stores the others and returns a
// *tracker.BatchError naming the refused ones, each marked permanent. Any
// other error means nothing was stored; the batch may be written again.
//
// Write resolves credit as events arrive, with the rules of package
// tracker/credit, and corrects what earlier events resolved when a late one
// changes it (an impression that explains a click already stored, a click
// before a sale already stored, a link that joins groups), so results never
// depend on the order events arrive in.
func (s *Store) Write(ctx context.Context, events []tracker.Event) error {
	return storekit.Write(ctx, events, s.closed, ErrClosed, s.cfg.Now, "sqlite: write", s.write)
}

func (s *Store) open(ctx context.Context) error {
	// Create the file ourselves so that it never exists with the umask's
	// mode, even for a moment; SQLite gives -wal and -shm the mode of the
	// database file.
	f, err := os.OpenFile(s.path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if s.w, err = openDB(s.path, s.cfg.BusyTimeout, false, 1); err != nil {
		return err
	}
	if err := migrate(ctx, s.w); err != nil {
		return err
	}
	if s.st, err = prepare(ctx, s.w); err != nil {
		return err
	}
	if s.r, err = openDB(s.path, s.cfg.BusyTimeout, true, s.cfg.Readers); err != nil {
		return err
	}
	if err := s.reads.prepare(ctx, s.r); err != nil {
		return err
	}
	if s.ck, err = openDB(s.path, s.cfg.BusyTimeout, false, 1); err != nil {
		return err
	}
	for _, p := range []string{s.path, s.path + "-wal", s.path + "-shm"} {
		if err := os.Chmod(p, 0o600); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	s.mem = newMemory(s)
	if err := s.mem.load(ctx); err != nil {
		return err
	}
	s.ckReq, s.ckDone = make(chan struct{}, 1), make(chan struct{})
	go s.checkpointer()
	return nil
}

// openDB opens a pool of n connections with the store's pragmas: the same
// for every connection, secure_delete above all, since it is per connection
// and erasure depends on it.
func openDB(path string, busy time.Duration, readOnly bool, n int) (*sql.DB, error) {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busy.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "secure_delete(ON)")
	q.Add("_pragma", "cache_size(-32000)")
	q.Add("_pragma", "temp_store(MEMORY)")
	if readOnly {
		q.Add("_pragma", "query_only(ON)")
	} else {
		q.Set("_txlock", "immediate")
		// The background checkpointer runs every few commits; this is the
		// backstop.
		q.Add("_pragma", "wal_autocheckpoint(20000)")
	}
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?"+q.Encode())
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// migrate creates the schema in a new file and applies the migrations a
// file lacks. It refuses files it did not write.
func migrate(ctx context.Context, db *sql.DB) error {
	var app, version, tables int
	if err := db.QueryRowContext(ctx, `PRAGMA application_id`).Scan(&app); err != nil {
		return err
	}
	if err := db.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&version); err != nil {
		return err
	}
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema`).Scan(&tables); err != nil {
		return err
	}
	switch {
	case tables == 0:
		version = 0
	case app != applicationID:
		return ErrNotStore
	case version > 1+len(migrations):
		return fmt.Errorf("%w: schema version %d is newer than this build's %d", ErrNotStore, version, 1+len(migrations))
	}
	if version == 1+len(migrations) {
		return nil
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var steps []string // a new file gets the latest schema
	if version == 0 {
		if _, err := tx.ExecContext(ctx, schema); err != nil {
			return fmt.Errorf("create schema: %w", err)
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf(`PRAGMA application_id = %d`, applicationID)); err != nil {
			return err
		}
	} else {
		steps = migrations[version-1:]
	}
	for i, m := range steps {
		if _, err := tx.ExecContext(ctx, m); err != nil {
			return fmt.Errorf("migration to version %d: %w", 1+len(migrations)-len(steps)+i+1, err)
		}
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf(`PRAGMA user_version = %d`, 1+len(migrations))); err != nil {
		return err
	}
	return tx.Commit()
}

// checkpointEvery is how many write transactions pass between background
// checkpoints.
const checkpointEvery = 64

// checkpointer copies the write-ahead log into the database when asked, on
// a connection of its own, so that the writer does not do it while it holds
// the write lock. A passive checkpoint never waits for the writer or readers.
func (s *Store) checkpointer() {
	defer close(s.ckDone)
	for range s.ckReq {
		var busy, logged, done int
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

// truncateLog checkpoints the write-ahead log and truncates it, so that
// bytes erased from the database leave the log too. The caller holds wmu.
func (s *Store) truncateLog(ctx context.Context) error {
	var busy, logged, done int
	if err := s.w.QueryRowContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &logged, &done); err != nil {
		return err
	}
	if busy != 0 {
		return ErrCheckpoint
	}
	return nil
}

// Close writes what the writer keeps in memory, checkpoints the
// write-ahead log and closes the file. It is safe to call more than once.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.isClosed.Store(true)
		s.wmu.Lock()
		defer s.wmu.Unlock()
		var errs []error
		if s.mem != nil {
			errs = append(errs, s.flushHeads(context.Background()))
		}
		if s.w != nil {
			if _, err := s.w.Exec("PRAGMA optimize"); err != nil {
				errs = append(errs, err)
			}
		}
		errs = append(errs, s.closeAll())
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}

// closeAll closes whatever Open got as far as opening.
func (s *Store) closeAll() error {
	var errs []error
	if s.ckReq != nil {
		close(s.ckReq)
		<-s.ckDone
		s.ckReq = nil
	}
	errs = append(errs, s.reads.close())
	for _, db := range []*sql.DB{s.r, s.ck} {
		if db != nil {
			errs = append(errs, db.Close())
		}
	}
	if s.st != nil {
		errs = append(errs, s.st.close(s.w))
	}
	if s.w != nil {
		errs = append(errs, s.w.Close())
	}
	if s.lock != nil {
		errs = append(errs, s.lock.Close())
	}
	return errors.Join(errs...)
}

func (s *Store) closed() bool { return s.isClosed.Load() }
