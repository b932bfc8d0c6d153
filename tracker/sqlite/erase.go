package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/visitrack/visitrack/tracker/credit"
	"github.com/visitrack/visitrack/tracker/internal/storekit"
)

// Forget erases email from store: the visitors that used it and everyone
// linked to them, every event of theirs but their sales, every email and
// customer ID only they used. Their sales stay as anonymous totals with the
// credit they have, and their other events leave a tombstone of event ID,
// kind and time, so that a redelivery does not bring them back. Every
// connection runs with secure_delete and Forget truncates the write-ahead
// log, so the erased bytes leave the files; ErrCheckpoint says a reader
// kept the log busy and they leave at the next checkpoint. Events still
// waiting in a Queue would reach the store after Forget: flush the queue
// first.
func (s *Store) Forget(ctx context.Context, store, email string) error {
	return storekit.Forget(store, email, &s.wmu, s.closed, ErrClosed, func(email string) error {
		if err := s.flushHeads(ctx); err != nil {
			return err
		}
		tx, err := s.begin(ctx)
		if err != nil {
			return fmt.Errorf("sqlite: forget: %w", err)
		}
		b := newBatch(ctx, s, tx)
		done, err := b.forget(store, email)
		if err == nil && done {
			err = tx.Commit()
		}
		if err != nil || !done {
			tx.Rollback()
		}
		// Cached groups may hold the erased visitors, or what a failed
		// transaction did: start over from the file.
		if rerr := s.mem.reload(context.WithoutCancel(ctx)); err == nil {
			err = rerr
		}
		if err != nil {
			return fmt.Errorf("sqlite: forget: %w", err)
		}
		if !done {
			return nil
		}
		s.committed()
		if err := s.truncateLog(ctx); err != nil {
			return fmt.Errorf("sqlite: forget: %w", err)
		}
		return nil
	})
}

// forget does Forget's work in the batch's transaction; false when there was
// nothing to erase.
func (b *batch) forget(store, email string) (bool, error) {
	var sid, iid int64
	found, err := storekit.Found(b.tx.QueryRowContext(b.ctx, `SELECT i.sid, i.iid FROM identities i JOIN stores s USING (sid)
		WHERE s.name = ? AND i.key = ?`, store, "e:"+email).Scan(&sid, &iid))
	if !found {
		return false, err
	}
	vids, err := b.int64s(`SELECT vid FROM visitors WHERE gid IN (
		SELECT v.gid FROM links l JOIN visitors v USING (vid) WHERE l.iid = ?)`, iid)
	if err != nil {
		return false, err
	}
	gone := make(map[int64]bool, len(vids))
	for _, vid := range vids {
		gone[vid] = true
	}
	vs, err := queryVisitors(b.ctx, b.tx, qVisitorsByVid, string(mustJSON(vids)))
	if err != nil {
		return false, err
	}
	for _, v := range vs {
		if err := b.erase(v); err != nil {
			return false, err
		}
	}
	// The identities they used: gone with them, unless others use them
	// too; an identity that was shared may link those others again.
	iids, err := b.int64s(`SELECT DISTINCT iid FROM links WHERE vid IN (SELECT value FROM json_each(?))`, string(mustJSON(vids)))
	if err != nil {
		return false, err
	}
	if _, err := b.tx.ExecContext(b.ctx, `DELETE FROM links WHERE vid IN (SELECT value FROM json_each(?))`, string(mustJSON(vids))); err != nil {
		return false, err
	}
	for _, q := range []string{`DELETE FROM visitors WHERE vid IN (SELECT value FROM json_each(?))`,
		`DELETE FROM visitor_days WHERE sid = ? AND vid IN (SELECT value FROM json_each(?))`} {
		args := []any{string(mustJSON(vids))}
		if strings.Contains(q, "sid = ?") {
			args = []any{sid, string(mustJSON(vids))}
		}
		if _, err := b.tx.ExecContext(b.ctx, q, args...); err != nil {
			return false, err
		}
	}
	var seeds []int64
	for _, id := range iids {
		users, err := b.linkVisitors(id)
		if err != nil {
			return false, err
		}
		if len(users) == 0 {
			_, err = b.tx.ExecContext(b.ctx, `DELETE FROM identities WHERE iid = ?`, id)
		} else {
			_, err = b.tx.ExecContext(b.ctx, `UPDATE identities SET visitors = ? WHERE iid = ?`, len(users), id)
			seeds = append(seeds, users...)
		}
		if err != nil {
			return false, err
		}
	}
	b.s.hmu.Lock()
	for vid := range gone {
		delete(b.s.heads, vid)
	}
	b.s.hmu.Unlock()
	b.m.reset()
	if len(seeds) > 0 {
		if err := b.regroup(sid, seeds); err != nil {
			return false, err
		}
	}
	return true, b.persistChanges()
}

// erase turns every event of v into a tombstone, but its sales, which lose
// only their visitor; the counters lose v's calls and clicks. It reads both
// chains before it changes a row, as a click is on both.
func (b *batch) erase(v *visitor) error {
	var rows []eventRow
	seen := make(map[int64]bool)
	for _, chain := range []struct {
		head int64
		q    string
	}{
		{v.heads.lastC, `SELECT kind, t, vid, prev_c, item, ls, detail FROM events WHERE rid = ?`},
		{v.heads.lastA, `SELECT kind, t, vid, prev_a, item, ls, detail FROM events WHERE rid = ?`},
	} {
		for rid := chain.head; rid != 0; {
			r := eventRow{rid: rid}
			err := b.tx.QueryRowContext(b.ctx, chain.q, rid).Scan(&r.kind, &r.t, &r.vid, &r.prev, &r.item, &r.ls, &r.detail)
			if errors.Is(err, sql.ErrNoRows) {
				break
			}
			if err != nil {
				return err
			}
			if r.vid.Int64 != v.vid {
				break
			}
			rid = r.prev.Int64
			if !seen[r.rid] {
				seen[r.rid] = true
				rows = append(rows, r)
			}
		}
	}
	for i := range rows {
		if err := b.tombstone(v.sid, &rows[i]); err != nil {
			return err
		}
	}
	return nil
}

func (b *batch) tombstone(sid int64, r *eventRow) error {
	if !r.live() {
		// A purged event's tombstone, kept for its place on the chain.
		_, err := b.tx.ExecContext(b.ctx, `UPDATE events SET vid = NULL, prev_c = NULL, pmax_c = NULL, prev_a = NULL, pmax_a = NULL
			WHERE rid = ?`, r.rid)
		return err
	}
	switch r.kind {
	case kindSale:
		_, err := b.tx.ExecContext(b.ctx, `UPDATE events SET vid = NULL, prev_c = NULL, pmax_c = NULL WHERE rid = ?`, r.rid)
		return err
	case kindImpression:
		var d impressionDetail
		if err := jsonUnmarshal(r.detail.String, &d); err != nil {
			return err
		}
		b.c.Impression(sid, r.t, b.lids(credit.LabelSet(r.ls.Int64)), len(d.Products), -1)
	case kindClick:
		b.c.Click(sid, r.t, b.lids(credit.LabelSet(r.ls.Int64)), -1)
	}
	_, err := b.tx.ExecContext(b.ctx, `UPDATE events SET vid = NULL, prev_c = NULL, pmax_c = NULL, prev_a = NULL, pmax_a = NULL,
		item = NULL, ls = NULL, detail = NULL, credit = NULL WHERE rid = ?`, r.rid)
	return err
}

func (b *batch) int64s(q string, args ...any) ([]int64, error) {
	rows, err := b.tx.QueryContext(b.ctx, q, args...)
	return collect(rows, err, scanOne[int64])
}
