package postgres

import (
	"context"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/visitrack/visitrack/tracker"
	"github.com/visitrack/visitrack/tracker/internal/storekit"
)

// History returns up to limit entries of the visitor's own activity (clicks,
// product and category views, searches) in store, newest first; limit ≤ 0
// means all. It never includes the activity of visitors linked to this one
// (see CustomerHistory). It reads the visitor's index from the newest entry,
// so its cost grows with limit, not with the visitor's past.
func (s *Store) History(ctx context.Context, store, visitor string, limit int) ([]tracker.Activity, error) {
	return storekit.History(ctx, s.closed, ErrClosed, "postgres: history", []string{store, visitor}, limit, s.activity,
		func() ([]int64, error) {
			return storekit.One[int64](s.pool.QueryRow(ctx, `SELECT v.vid FROM visitors v JOIN stores s USING (sid) WHERE s.name = $1 AND v.xid = $2`,
				store, visitor).Scan)
		})
}

// CustomerHistory returns up to limit entries of the activity of every
// visitor the shop has seen as customer (in a sale carrying that customer
// ID), newest first. Call it only for a customer the shop has verified
// itself, such as the one signed in; never with an ID taken from a form.
func (s *Store) CustomerHistory(ctx context.Context, store, customer string, limit int) ([]tracker.Activity, error) {
	return storekit.History(ctx, s.closed, ErrClosed, "postgres: customer history", []string{store, customer}, limit, s.activity,
		func() ([]int64, error) {
			rows, _ := s.pool.Query(ctx, `SELECT l.vid FROM links l JOIN identities i USING (iid) JOIN stores s USING (sid)
				WHERE s.name = $1 AND i.key = $2`, store, "c:"+strings.TrimSpace(customer))
			return pgx.CollectRows(rows, pgx.RowTo[int64])
		})
}

// activity returns the newest limit entries (all when limit ≤ 0) of the
// activity of vids: for each visitor its newest limit, read backwards along
// its index, then the newest limit of those.
func (s *Store) activity(ctx context.Context, vids []int64, limit int) ([]tracker.Activity, error) {
	lim := "ALL"
	if limit > 0 {
		lim = strconv.Itoa(limit)
	}
	var out []tracker.Activity
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		// A visitor with many events is the one the planner, estimating
		// from the average, reads whole and sorts; walking the index
		// backwards reads only what is returned.
		if _, err := tx.Exec(ctx, `SET LOCAL enable_bitmapscan = off`); err != nil {
			return err
		}
		rows, _ := tx.Query(ctx, `SELECT a.kind, a.t, a.item FROM unnest($1::bigint[]) AS v(vid)
			CROSS JOIN LATERAL (SELECT kind, t, eid, item FROM events e WHERE e.vid = v.vid AND kind IN (2, 4, 5, 6) AND item IS NOT NULL
				ORDER BY t DESC, eid DESC LIMIT `+lim+`) a
			ORDER BY a.t DESC, a.eid DESC LIMIT `+lim, vids)
		var err error
		out, err = pgx.CollectRows(rows, scanActivity)
		return err
	})
	return out, err
}

func scanActivity(r pgx.CollectableRow) (tracker.Activity, error) {
	var kind int16
	var t int64
	var item string
	err := r.Scan(&kind, &t, &item)
	return storekit.Activity(tracker.Kind(kind), t, item), err
}

// Visitors returns the visitor IDs of store linked to email: those that
// used it, and everyone in their groups of linked visitors, sorted.
func (s *Store) Visitors(ctx context.Context, store, email string) ([]string, error) {
	return storekit.FindEmail(s.closed, ErrClosed, "postgres: visitors", store, email, func(email string) ([]string, error) {
		rows, _ := s.pool.Query(ctx, `SELECT xid FROM visitors WHERE gid IN (
				SELECT v.gid FROM links l JOIN identities i USING (iid) JOIN visitors v ON v.vid = l.vid JOIN stores s ON s.sid = i.sid
				WHERE s.name = $1 AND i.key = $2)
			ORDER BY xid`, store, "e:"+email)
		return pgx.CollectRows(rows, pgx.RowTo[string])
	})
}
