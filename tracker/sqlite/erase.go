package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/visitrack/visitrack/tracker"
)

// Forget erases email from store: the email, the customer IDs linked to it
// and every event of every visitor linked to it (through that email, a
// customer ID or another email they share). Their sales stay, as anonymous
// orders with their lines, totals and credit, so that reports keep their
// revenue; the calls, impressions and clicks of those visitors leave the
// reports. Of erased events only their IDs, kinds, stores and times are
// kept, so that a late redelivery of one is still ignored.
//
// Every connection runs with secure_delete, and Forget ends with a
// truncating checkpoint of the write-ahead log, so that afterwards none of
// those bytes is left in the database files. If readers keep the log busy
// for too long, Forget returns ErrCheckpoint: the data is erased but its
// bytes leave the files only at the next checkpoint.
func (s *Store) Forget(ctx context.Context, store, email string) error {
	e := normEmail(email)
	if e == "" {
		return fmt.Errorf("sqlite: forget: %w", tracker.ErrBadEmail)
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.closed() {
		return ErrClosed
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: forget: %w", err)
	}
	defer tx.Rollback() // unless committed, even on a panic
	// Write the pending vix entries first: Forget finds a visitor's rows
	// through vix.
	if err := s.pend.flush(ctx, tx, nil); err != nil {
		tx.Rollback()
		return fmt.Errorf("sqlite: forget: %w", err)
	}
	vids, err := forget(ctx, tx, store, e)
	if err != nil {
		tx.Rollback()
		return fmt.Errorf("sqlite: forget: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: forget: %w", err)
	}
	s.pend.clear()
	clear(s.vids) // erased visitors are no longer stored
	if s.mem != nil {
		for _, v := range vids {
			delete(s.mem.v, v)
		}
		if err := s.mem.loadGroups(ctx, s.w); err != nil {
			s.mem = nil // rebuilt by the next write
		}
	}
	return s.checkpoint(ctx)
}

func forget(ctx context.Context, tx *sql.Tx, store, email string) ([]int64, error) {
	var sid int64
	switch err := tx.QueryRowContext(ctx, `SELECT sid FROM stores WHERE name = ?`, store).Scan(&sid); {
	case errors.Is(err, sql.ErrNoRows):
		return nil, nil
	case err != nil:
		return nil, err
	}
	vids, err := keyVids(ctx, tx, sid, "e:"+email)
	if err != nil {
		return nil, err
	}
	return vids, forgetVids(ctx, tx, sid, email, vids)
}

// forgetVids erases the visitors vids, linked to email, and every key they
// hold.
func forgetVids(ctx context.Context, tx *sql.Tx, sid int64, email string, vids []int64) error {
	keys := []string{"e:" + email}
	for _, v := range vids {
		if err := each(ctx, tx, func(k string) { keys = append(keys, k) },
			`SELECT key FROM links WHERE vid = ?`, v); err != nil {
			return err
		}
	}
	ents, err := readVix(ctx, tx, vids)
	if err != nil {
		return err
	}
	var rids [nTables][]int64
	for _, e := range ents {
		rids[e.tbl] = append(rids[e.tbl], e.rid)
	}
	var js [nTables]string // the rows' rids, for the tables of rows
	for _, t := range []int{tClicks, tSales} {
		if js[t], err = jsonArg(rids[t]); err != nil {
			return err
		}
	}
	c := newCounters()
	imps, err := readBlobs(ctx, tx, rids[tImps])
	if err != nil {
		return err
	}
	for _, e := range imps {
		if !e.tomb() && e.vid != 0 {
			c.contrib(impContrib(sid, &e), -1)
		}
	}
	rows, err := tx.QueryContext(ctx, `SELECT sid, 2, time, NULL, NULL, credit, NULL FROM clicks
		WHERE rid IN (SELECT value FROM json_each(?))`, js[tClicks])
	if err != nil {
		return err
	}
	err = scanContrib(rows, c, -1)
	rows.Close()
	if err != nil {
		return err
	}
	// The events' IDs, kinds and times stay, so that a late redelivery is
	// still ignored; nothing of the visitor does. Sales stay as anonymous
	// totals.
	for _, u := range []struct {
		q   string
		arg string
	}{
		{`UPDATE clicks SET vid = 0, product = NULL, api = NULL, labels = NULL, position = NULL,
			external = NULL, credit = NULL WHERE rid IN (SELECT value FROM json_each(?))`, js[tClicks]},
		{`UPDATE sales SET vid = NULL, customer = NULL, email = NULL WHERE rid IN (SELECT value FROM json_each(?))`, js[tSales]},
	} {
		if _, err := tx.ExecContext(ctx, u.q, u.arg); err != nil {
			return err
		}
	}
	if err := eraseBlobs(ctx, tx, append(rids[tImps], rids[tActs]...)); err != nil {
		return err
	}
	for _, v := range vids {
		for _, q := range []string{
			`DELETE FROM vix WHERE vid = ?`,
			`DELETE FROM links WHERE vid = ?`,
			// The visitors are a whole group: no other group changes.
			`DELETE FROM identities WHERE vid = ?`,
			`DELETE FROM visitors WHERE vid = ?`,
		} {
			if _, err := tx.ExecContext(ctx, q, v); err != nil {
				return err
			}
		}
	}
	// A sale carries its email and customer ID too; its visitor is linked
	// to them, so the loop above has found it, unless its link was purged.
	var emails, customers []any
	for _, k := range keys {
		if after, ok := strings.CutPrefix(k, "e:"); ok {
			emails = append(emails, after)
		} else if after, ok := strings.CutPrefix(k, "c:"); ok {
			customers = append(customers, after)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM links WHERE sid = ? AND key = ?`, sid, k); err != nil {
			return err
		}
	}
	for _, set := range []struct {
		col  string
		vals []any
	}{{"email", emails}, {"customer", customers}} {
		if len(set.vals) == 0 {
			continue
		}
		args := append([]any{sid}, set.vals...)
		if _, err := tx.ExecContext(ctx, `UPDATE sales SET vid = NULL, customer = NULL, email = NULL
			WHERE sid = ? AND `+set.col+` IN (?`+strings.Repeat(", ?", len(set.vals)-1)+`)`, args...); err != nil {
			return err
		}
	}
	return c.flush(txExec(ctx, tx))
}

// checkpoint copies the write-ahead log into the database and truncates it,
// retrying for a while if readers are in the way.
func (s *Store) checkpoint(ctx context.Context) error {
	var busy, logged, done int
	for try := 0; ; try++ {
		if err := s.w.QueryRowContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &logged, &done); err != nil {
			return fmt.Errorf("sqlite: checkpoint: %w", err)
		}
		if busy == 0 {
			return nil
		}
		if try == 20 {
			return ErrCheckpoint
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w: %w", ErrCheckpoint, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Purge deletes, in every store, the events older than before, and the
// email and customer links last seen more than an hour before it (the time
// a link was last seen is kept to the hour), and returns how many events
// it deleted. Reports over ranges before it come out empty afterwards;
// sales after it keep the credit that purged clicks earned them. Run it on
// a schedule with PurgeEvery, or from a job of your own.
func (s *Store) Purge(ctx context.Context, before time.Time) (int64, error) {
	b := micros(before)
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.closed() {
		return 0, ErrClosed
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("sqlite: purge: %w", err)
	}
	defer tx.Rollback() // unless committed, even on a panic
	if err := s.pend.flush(ctx, tx, nil); err != nil {
		tx.Rollback()
		return 0, fmt.Errorf("sqlite: purge: %w", err)
	}
	n, err := purge(ctx, tx, b)
	if err != nil {
		tx.Rollback()
		return 0, fmt.Errorf("sqlite: purge: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("sqlite: purge: %w", err)
	}
	s.pend.clear()
	if s.mem != nil {
		s.mem.purged = max(s.mem.purged, b)
		s.mem.dropBefore(b)
		if err := s.mem.loadGroups(ctx, s.w); err != nil {
			s.mem = nil // rebuilt by the next write
		}
	}
	return n, nil
}

func purge(ctx context.Context, tx *sql.Tx, b int64) (int64, error) {
	fb := bucket(b) // counters of hours before fb go whole; hour fb is cut at b
	c := newCounters()
	var n int64
	var sids []int64
	rows, err := tx.QueryContext(ctx, `SELECT sid FROM stores`)
	if err != nil {
		return 0, err
	}
	for rows.Next() {
		var sid int64
		if err := rows.Scan(&sid); err != nil {
			rows.Close()
			return 0, err
		}
		sids = append(sids, sid)
	}
	if err := rows.Close(); err != nil {
		return 0, err
	}
	for _, sid := range sids {
		if err := reportRaw(ctx, tx, sid, fb*hour, b, c); err != nil {
			return 0, err
		}
		for _, t := range []string{"clicks", "sales"} {
			res, err := tx.ExecContext(ctx, `DELETE FROM `+t+` WHERE sid = ? AND time < ?`, sid, b)
			if err != nil {
				return 0, err
			}
			d, err := res.RowsAffected()
			if err != nil {
				return 0, err
			}
			n += d
		}
	}
	d, err := purgeBlobs(ctx, tx, b)
	if err != nil {
		return 0, err
	}
	n += d
	// c holds what the events of the cut hour added; take it away.
	for _, v := range c.labels {
		*v = labelVals{-v.calls, -v.impressions, -v.clicks, -v.orders, -v.revenue}
	}
	for _, v := range c.totals {
		*v = totalVals{-v.orders, -v.revenue, -v.impactedOrders, -v.impactedRevenue}
	}
	for _, q := range []string{
		`DELETE FROM label_counts WHERE bucket < ?`,
		`DELETE FROM totals WHERE bucket < ?`,
	} {
		if _, err := tx.ExecContext(ctx, q, fb); err != nil {
			return 0, err
		}
	}
	if err := purgeVix(ctx, tx, b); err != nil {
		return 0, err
	}
	// The writer's index looks at nothing before the latest cut, after a
	// restart too.
	if _, err := tx.ExecContext(ctx, `INSERT INTO vix_mark (tbl, rid) VALUES (-2, ?)
		ON CONFLICT (tbl) DO UPDATE SET rid = max(rid, excluded.rid)`, b); err != nil {
		return 0, err
	}
	// Rowids are reused once the newest rows are gone: the marks go back
	// to what is left, all of it in vix (the caller wrote what was
	// pending).
	for _, t := range vixTables {
		q := `SELECT coalesce(max(rid), 0) FROM ` + tableNames[t]
		if t == tImps || t == tActs {
			q = `SELECT coalesce(max(bid), 0) << 16 | 0xffff FROM blobs WHERE tbl = ` + strconv.Itoa(t)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO vix_mark (tbl, rid) SELECT ?1, (`+q+`)
			WHERE true ON CONFLICT (tbl) DO UPDATE SET rid = excluded.rid`, t); err != nil {
			return 0, err
		}
	}
	// A link's time is kept to the hour (Write touches it at most hourly):
	// one seen again after the cut may still read up to an hour before
	// it, and must stay, or Forget would not find its visitor.
	res, err := tx.ExecContext(ctx, `DELETE FROM links WHERE time < ?`, b-hour)
	if err != nil {
		return 0, err
	}
	if d, err := res.RowsAffected(); err != nil {
		return 0, err
	} else if d > 0 {
		if err := rebuildIdentities(ctx, tx); err != nil {
			return 0, err
		}
	}
	return n, c.flush(txExec(ctx, tx))
}

// PurgeEvery runs Purge at once and then every interval, deleting what is
// older than maxAge, until ctx ends; failures are logged to the store's
// logger. Run it in a goroutine of its own:
//
//	go db.PurgeEvery(ctx, time.Hour, 395*24*time.Hour) // keep 13 months
func (s *Store) PurgeEvery(ctx context.Context, interval, maxAge time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		n, err := s.Purge(ctx, s.now().Add(-maxAge))
		switch {
		case err != nil && ctx.Err() == nil:
			s.log.ErrorContext(ctx, "visitrack: purge failed", "err", err)
		case n > 0:
			s.log.InfoContext(ctx, "visitrack: purged old events", "events", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
