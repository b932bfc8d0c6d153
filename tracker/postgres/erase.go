package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/visitrack/visitrack/tracker"
	"github.com/visitrack/visitrack/tracker/credit"
	"github.com/visitrack/visitrack/tracker/internal/storekit"
)

// Forget erases email from store: the visitors that used it and everyone
// linked to them, every event of theirs but their sales, every email and
// customer ID only they used. Their sales stay as anonymous totals with the
// credit they have; their other events keep only their ID, kind and time,
// so that a redelivery does not bring them back.
//
// What PostgreSQL keeps afterwards: the old row versions stay in the table
// files as dead tuples until VACUUM reclaims them (Forget runs VACUUM on
// the tables it changed once it has committed, so that they go at once
// rather than at autovacuum's leisure), and the write-ahead log, its
// archive and any replica or backup keep what they held until they are
// recycled, rotated or expired: erasure reaches them only through the
// operator's retention of WAL and backups. Events still waiting in a Queue
// would reach the store after Forget: flush the queue first.
func (s *Store) Forget(ctx context.Context, store, email string) error {
	return storekit.Forget(store, email, &s.wmu, s.closed, ErrClosed, func(email string) error {
		done := false
		err := s.inTx(ctx, func(tx pgx.Tx) error {
			b := newBatch(ctx, s, tx)
			var err error
			done, err = b.forget(store, email)
			return err
		}, s.mem.reset)
		s.mem.reset()
		if err != nil {
			return fmt.Errorf("postgres: forget: %w", err)
		}
		if done {
			// Dead tuples hold the erased values until vacuumed.
			if _, err := s.pool.Exec(ctx, `VACUUM events, visitors, links, identities`); err != nil {
				return fmt.Errorf("postgres: forget: vacuum: %w", err)
			}
		}
		return nil
	})
}

func (b *batch) forget(store, email string) (bool, error) {
	var sid, iid int64
	found, err := storekit.Found(b.tx.QueryRow(b.ctx, `SELECT i.sid, i.iid FROM identities i JOIN stores s USING (sid) WHERE s.name = $1 AND i.key = $2`,
		store, "e:"+email).Scan(&sid, &iid))
	if !found {
		return false, err
	}
	if err := b.lock(identityKey(iid)); err != nil {
		return false, err
	}
	// The visitors: those that used the address and their groups, locked.
	var vids []int64
	for {
		rows, _ := b.tx.Query(b.ctx, `SELECT vid, gid, xid FROM visitors WHERE gid IN (
			SELECT v.gid FROM links l JOIN visitors v USING (vid) WHERE l.iid = $1)`, iid)
		vs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (visitor, error) {
			v := visitor{sid: sid}
			return v, r.Scan(&v.vid, &v.gid, &v.xid)
		})
		if err != nil {
			return false, err
		}
		var keys []int64
		vids = vids[:0]
		for _, v := range vs {
			keys = append(keys, groupKey(v.gid))
			vids = append(vids, v.vid)
			nv := v
			b.byVid[v.vid] = &nv
		}
		before := len(b.locked)
		if err := b.lock(keys...); err != nil {
			return false, err
		}
		if len(b.locked) == before {
			break // nothing new to lock: the set is stable
		}
	}
	// Counters lose their calls and clicks; the sales stay, anonymous.
	type gone struct {
		kind int16
		t    int64
		ls   *int64
		n    int32
	}
	rows, _ := b.tx.Query(b.ctx, `SELECT kind, t, labels, coalesce(cardinality(products), 0) FROM events
		WHERE vid = ANY($1) AND kind IN (1, 2) AND `+liveSQL, vids)
	evs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (gone, error) {
		var g gone
		return g, r.Scan(&g.kind, &g.t, &g.ls, &g.n)
	})
	if err != nil {
		return false, err
	}
	for _, e := range evs {
		lids := b.lids(credit.LabelSet(deref(e.ls)))
		if tracker.Kind(e.kind) == tracker.KindImpression {
			b.c.Impression(sid, e.t, lids, int(e.n), -1)
		} else {
			b.c.Click(sid, e.t, lids, -1)
		}
	}
	for _, q := range []string{
		`UPDATE events SET vid = NULL WHERE vid = ANY($1) AND kind = 3`,
		`UPDATE events SET vid = NULL, item = NULL, api = NULL, labels = NULL, given = NULL, position = NULL, external = NULL,
			products = NULL, from_t = NULL, from_id = NULL, results = NULL WHERE vid = ANY($1)`,
	} {
		if _, err := b.tx.Exec(b.ctx, q, vids); err != nil {
			return false, err
		}
	}
	// Their identities go with them, unless others use them too; one that
	// was shared may link those others again.
	rows, _ = b.tx.Query(b.ctx, `DELETE FROM links WHERE vid = ANY($1) RETURNING iid`, vids)
	iids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return false, err
	}
	for _, q := range []string{`DELETE FROM visitors WHERE vid = ANY($1)`, `DELETE FROM visitor_days WHERE vid = ANY($1)`} {
		if _, err := b.tx.Exec(b.ctx, q, vids); err != nil {
			return false, err
		}
	}
	if _, err := b.tx.Exec(b.ctx, `DELETE FROM identities i WHERE iid = ANY($1) AND NOT EXISTS (SELECT 1 FROM links l WHERE l.iid = i.iid)`, iids); err != nil {
		return false, err
	}
	rows, _ = b.tx.Query(b.ctx, `SELECT vid FROM links WHERE iid = ANY($1)`, iids)
	seeds, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return false, err
	}
	for _, vid := range vids {
		delete(b.byVid, vid)
	}
	if len(seeds) > 0 {
		if err := b.regroup(sid, seeds); err != nil {
			return false, err
		}
	}
	if err := b.persistChanges(); err != nil {
		return false, err
	}
	if err := b.bumpVersions(); err != nil {
		return false, err
	}
	_, err = b.tx.Exec(b.ctx, `UPDATE meta SET value = value + 1 WHERE name = 'epoch'`)
	return true, err
}
