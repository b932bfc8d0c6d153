// Package spool keeps encoded events in a SQLite file until a sink has taken
// them, so that a Queue survives a crash or a restart without losing what it
// acknowledged.
//
// A spool is a FIFO of records. Append adds records in one transaction that
// is synced to disk before it returns (WAL, synchronous=FULL); Read returns
// records after a cursor in order; Delete removes a range once it has been
// delivered. Sequence numbers are never reused (AUTOINCREMENT), so a cursor
// stays valid while records are deleted behind it.
//
// Deleted records are erased from the files, not only unlinked: SQLite
// overwrites deleted content with zeros (secure_delete), and the write-ahead
// log, which still holds the pages as they were, is checkpointed into the
// database file and truncated to nothing (wal_checkpoint(TRUNCATE)). Delete
// does that at once when it leaves the spool empty; while records remain, a
// background checkpoint does it within EraseWithin, since a checkpoint after
// every Delete would slow a busy spool several times over (each truncation
// makes the next appends grow the log file again).
package spool

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Record is one spooled record: its sequence number and its payload.
type Record struct {
	Seq  int64
	Data []byte
}

// Spool is an open spool file. It is safe for concurrent use; operations are
// serialised on one connection.
type Spool struct {
	db     *sql.DB
	dirty  atomic.Bool   // records were deleted since the last checkpoint
	stop   chan struct{} // closed by Close: the eraser ends
	erased chan struct{} // closed when the eraser ended
	closed sync.Once
}

// EraseWithin bounds how long deleted records stay readable in the files
// while the spool holds others.
const EraseWithin = time.Second

// Info describes what a spool holds.
type Info struct {
	Records int64 // records in the spool
	Bytes   int64 // sum of their payload sizes
	MaxSeq  int64 // highest sequence number in the spool, 0 when empty
}

const schema = `CREATE TABLE IF NOT EXISTS spool (
	seq  INTEGER PRIMARY KEY AUTOINCREMENT,
	data BLOB NOT NULL
)`

// Open opens the spool at path, creating it with mode 0600 if it does not
// exist.
func Open(ctx context.Context, path string) (*Spool, error) {
	if path == "" || strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("spool: invalid path %q", path)
	}
	// Create the file ourselves so that it gets mode 0600; SQLite gives its
	// -wal and -shm files the mode of the database file.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	// The pragmas apply to every connection the pool opens.
	dsn := "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)" +
		"&_pragma=synchronous(FULL)&_pragma=secure_delete(ON)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	// One connection: the spool has one writer, and reads are short.
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	if _, err := db.ExecContext(ctx, schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("spool: %s: %w", path, err)
	}
	s := &Spool{db: db, stop: make(chan struct{}), erased: make(chan struct{})}
	go s.eraser()
	return s, nil
}

// Append stores records in one transaction, synced before Append returns, and
// returns the sequence number given to each.
func (s *Spool) Append(ctx context.Context, data [][]byte) (seqs []int64, err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("spool: append: %w", err)
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	st, err := tx.PrepareContext(ctx, `INSERT INTO spool (data) VALUES (?)`)
	if err != nil {
		return nil, fmt.Errorf("spool: append: %w", err)
	}
	defer st.Close()
	seqs = make([]int64, len(data))
	for i, d := range data {
		res, err := st.ExecContext(ctx, d)
		if err != nil {
			return nil, fmt.Errorf("spool: append: %w", err)
		}
		if seqs[i], err = res.LastInsertId(); err != nil {
			return nil, fmt.Errorf("spool: append: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("spool: append: %w", err)
	}
	return seqs, nil
}

// Read returns, in order, records with after < Seq <= upTo: at most limit
// records, and no more once their payloads reach maxBytes (at least one
// record is returned if any qualifies).
func (s *Spool) Read(ctx context.Context, after, upTo int64, limit, maxBytes int) ([]Record, error) {
	rows, err := s.db.QueryContext(ctx,
		`SELECT seq, data FROM spool WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?`, after, upTo, limit)
	if err != nil {
		return nil, fmt.Errorf("spool: read: %w", err)
	}
	defer rows.Close()
	var out []Record
	size := 0
	for rows.Next() {
		var r Record
		if err := rows.Scan(&r.Seq, &r.Data); err != nil {
			return nil, fmt.Errorf("spool: read: %w", err)
		}
		out = append(out, r)
		if size += len(r.Data); size >= maxBytes {
			break
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("spool: read: %w", err)
	}
	return out, nil
}

// Delete removes the records with first <= Seq <= last, except those whose
// sequence numbers are in keep (in increasing order). If that leaves the
// spool empty it erases them from the files before it returns; otherwise
// they are erased within EraseWithin.
func (s *Spool) Delete(ctx context.Context, first, last int64, keep []int64) error {
	if err := s.delete(ctx, first, last, keep); err != nil {
		return fmt.Errorf("spool: delete: %w", err)
	}
	var empty bool
	if err := s.db.QueryRowContext(ctx, `SELECT NOT EXISTS (SELECT 1 FROM spool)`).Scan(&empty); err != nil {
		return fmt.Errorf("spool: delete: %w", err)
	}
	if !empty {
		s.dirty.Store(true)
		return nil
	}
	if err := s.checkpoint(ctx); err != nil {
		s.dirty.Store(true) // the eraser tries again
		return fmt.Errorf("spool: erase: %w", err)
	}
	return nil
}

func (s *Spool) delete(ctx context.Context, first, last int64, keep []int64) (err error) {
	const del = `DELETE FROM spool WHERE seq >= ? AND seq <= ?`
	if len(keep) == 0 {
		_, err := s.db.ExecContext(ctx, del, first, last)
		return err
	}
	// The ranges between the records kept, in one transaction.
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	st, err := tx.PrepareContext(ctx, del)
	if err != nil {
		return err
	}
	defer st.Close()
	from := first
	for i := 0; i <= len(keep); i++ {
		to := last
		if i < len(keep) {
			to = min(keep[i]-1, last)
		}
		if to >= from {
			if _, err := st.ExecContext(ctx, from, to); err != nil {
				return err
			}
		}
		if i < len(keep) {
			from = max(from, keep[i]+1)
		}
	}
	return tx.Commit()
}

// eraser checkpoints the spool every EraseWithin if records were deleted
// since the last checkpoint. A checkpoint that fails is tried again at the
// next tick; Close reports the last one's error.
func (s *Spool) eraser() {
	defer close(s.erased)
	tick := time.NewTicker(EraseWithin)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
			if s.dirty.Swap(false) {
				if err := s.checkpoint(context.Background()); err != nil {
					s.dirty.Store(true)
				}
			}
		case <-s.stop:
			return
		}
	}
}

// checkpoint copies the write-ahead log into the database file, where
// secure_delete has zeroed deleted content, and truncates the log.
func (s *Spool) checkpoint(ctx context.Context) error {
	s.dirty.Store(false)
	var busy, logged, done int
	if err := s.db.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &logged, &done); err != nil {
		return err
	}
	if busy != 0 {
		return errors.New("wal checkpoint blocked")
	}
	return nil
}

// Info reports what the spool holds.
func (s *Spool) Info(ctx context.Context) (Info, error) {
	var i Info
	err := s.db.QueryRowContext(ctx,
		`SELECT COUNT(*), COALESCE(SUM(length(data)), 0), COALESCE(MAX(seq), 0) FROM spool`).
		Scan(&i.Records, &i.Bytes, &i.MaxSeq)
	if err != nil {
		return Info{}, fmt.Errorf("spool: %w", err)
	}
	return i, nil
}

// Close erases deleted records from the files, checkpointing and truncating
// the write-ahead log, and closes the spool.
func (s *Spool) Close() error {
	err := errors.New("spool: closed")
	s.closed.Do(func() {
		close(s.stop)
		<-s.erased
		err = errors.Join(s.checkpoint(context.Background()), s.db.Close())
	})
	return err
}
