package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/visitrack/visitrack/tracker/credit"
	"github.com/visitrack/visitrack/tracker/internal/storekit"
)

// Purge deletes the events older than before, in every store, and returns
// how many it deleted; events older than before are not stored again if
// they are delivered later. Visitors, emails and customer IDs that no
// longer have an event go with them. The sales it keeps keep the credit
// they have, and a sale whose counted copy it deletes never counts again:
// it leaves a tombstone of the sale's ID and time.
func (s *Store) Purge(ctx context.Context, before time.Time) (int64, error) {
	cut := credit.CeilMicros(before)
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.closed() {
		return 0, ErrClosed
	}
	if err := s.flushHeads(ctx); err != nil {
		return 0, err
	}
	tx, err := s.begin(ctx)
	if err != nil {
		return 0, fmt.Errorf("sqlite: purge: %w", err)
	}
	b := newBatch(ctx, s, tx)
	n, err := b.purge(cut)
	if err == nil {
		err = tx.Commit()
	}
	if err != nil {
		tx.Rollback()
	}
	if rerr := s.mem.reload(context.WithoutCancel(ctx)); err == nil {
		err = rerr
	}
	if err != nil {
		return 0, fmt.Errorf("sqlite: purge: %w", err)
	}
	s.mem.cut = max(s.mem.cut, cut)
	s.committed()
	_ = s.truncateLog(ctx) // best effort: purged bytes leave the log at the next checkpoint otherwise
	return n, nil
}

// PurgeEvery runs Purge every interval, deleting events older than keep,
// until ctx ends; failures go to the logger. Run it in a goroutine:
//
//	go db.PurgeEvery(ctx, time.Hour, 395*24*time.Hour) // keep 13 months
func (s *Store) PurgeEvery(ctx context.Context, interval, keep time.Duration) {
	storekit.PurgeEvery(ctx, interval, keep, s.cfg.Now, s.Purge, s.cfg.Logger)
}

func (b *batch) purge(cut int64) (int64, error) {
	var n int64
	if err := b.tx.QueryRowContext(b.ctx, `SELECT count(*) FROM events WHERE t < ? AND `+liveSQL, cut).Scan(&n); err != nil {
		return 0, err
	}
	// Counters: whole hours before the cut go; the hour it cuts loses what
	// its events before the cut added.
	sids, err := b.int64s(`SELECT sid FROM stores`)
	if err != nil {
		return 0, err
	}
	hour := credit.Hour(cut)
	for _, sid := range sids {
		before := credit.NewTally()
		if err := (snapshot{b.ctx, b.tx.Tx, sid}).SumEvents(hour*credit.HourMicros, cut, before); err != nil {
			return 0, err
		}
		b.c.Sub(before)
		for _, q := range []string{`DELETE FROM label_hours WHERE sid = ? AND hour < ?`, `DELETE FROM store_hours WHERE sid = ? AND hour < ?`} {
			if _, err := b.tx.ExecContext(b.ctx, q, sid, hour); err != nil {
				return 0, err
			}
		}
	}
	if err := writeTally(b.ctx, b.tx, b.s.st, b.c); err != nil {
		return 0, err
	}
	for _, q := range []string{
		// An event that arrived after newer ones may have them behind it on
		// its visitor's chains: it leaves a tombstone that keeps its place.
		`UPDATE events SET item = CASE WHEN kind = 3 THEN item END, ls = NULL, detail = NULL, credit = NULL
			WHERE t < ?1 AND (coalesce(pmax_c, -9223372036854775808) >= ?1 OR coalesce(pmax_a, -9223372036854775808) >= ?1)`,
		// A counted sale leaves a tombstone, so that no later copy counts.
		`UPDATE events SET vid = NULL, prev_c = NULL, pmax_c = NULL, detail = NULL, credit = NULL
			WHERE t < ?1 AND kind = 3 AND counted = 1 AND coalesce(pmax_c, -9223372036854775808) < ?1`,
		`DELETE FROM events WHERE t < ?1 AND NOT (kind = 3 AND counted = 1)
			AND coalesce(pmax_c, -9223372036854775808) < ?1 AND coalesce(pmax_a, -9223372036854775808) < ?1`,
		`DELETE FROM links WHERE last < ?1`,
		`DELETE FROM visitors WHERE coalesce(pmax_c, -9223372036854775808) < ?1 AND coalesce(pmax_a, -9223372036854775808) < ?1`,
		`DELETE FROM links WHERE vid NOT IN (SELECT vid FROM visitors) AND ?1 = ?1`,
		`DELETE FROM identities WHERE iid NOT IN (SELECT iid FROM links) AND ?1 = ?1`,
		`UPDATE identities SET visitors = (SELECT count(*) FROM links l WHERE l.iid = identities.iid) WHERE ?1 = ?1`,
		`UPDATE meta SET value = max(value, ?1) WHERE name = 'purged_before'`,
	} {
		if _, err := b.tx.ExecContext(b.ctx, q, cut); err != nil {
			return 0, err
		}
	}
	// Visitors by day: days before the cut's go; the cut's day is counted
	// again from the events it keeps. The visitors' day marks stay true: a
	// visitor that outlives the cut has an event at or after it, so its mark
	// is the cut's day, rebuilt for it here, or a later one.
	cutDay := credit.Day(cut)
	for _, q := range []string{`DELETE FROM visitor_days WHERE day <= ?`,
		`INSERT INTO visitor_days (sid, day, rid, vid) SELECT sid, ?1, min(rid), vid FROM events
			WHERE t >= ?1 * 86400000000 AND t < (?1 + 1) * 86400000000 AND vid IS NOT NULL AND ` + liveSQL + `
			GROUP BY sid, vid`} {
		if _, err := b.tx.ExecContext(b.ctx, q, cutDay); err != nil {
			return 0, err
		}
	}
	// Links gone may split groups; the sales keep their credit.
	return n, b.regroupAll()
}

// regroupAll sets every visitor's group from the links, with no credit
// resolved again. Links join visitors of one store only, so all stores are
// done at once.
func (b *batch) regroupAll() error {
	rows, err := b.tx.QueryContext(b.ctx, `SELECT iid, vid FROM links`)
	if err != nil {
		return err
	}
	var links []credit.Link
	for rows.Next() {
		var iid, vid int64
		if err := rows.Scan(&iid, &vid); err != nil {
			rows.Close()
			return err
		}
		links = append(links, credit.Link{Visitor: vid, Identity: itoa(iid)})
	}
	if err := rows.Close(); err != nil {
		return err
	}
	comp := b.m.rules.Components(links)
	arg := make([][2]int64, 0, len(comp))
	for vid, gid := range comp {
		arg = append(arg, [2]int64{vid, gid})
	}
	if _, err := b.tx.ExecContext(b.ctx, `UPDATE visitors SET gid = vid WHERE gid != vid`); err != nil {
		return err
	}
	_, err = b.tx.ExecContext(b.ctx, `UPDATE visitors SET gid = value ->> 1 FROM json_each(?) WHERE vid = value ->> 0`, string(mustJSON(arg)))
	return err
}
