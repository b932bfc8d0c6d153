package postgres

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/visitrack/visitrack/tracker/credit"
	"github.com/visitrack/visitrack/tracker/internal/storekit"
)

// Purge deletes the events older than before, in every store, and returns
// how many it deleted: whole monthly partitions it drops, the month the cut
// falls in it deletes from. Events older than before are not stored again
// if they are delivered later. Visitors, emails and customer IDs that no
// longer have an event go with them. The sales it keeps keep the credit
// they have, and a sale whose counted copy it deletes never counts again.
func (s *Store) Purge(ctx context.Context, before time.Time) (int64, error) {
	if s.closed() {
		return 0, ErrClosed
	}
	cut := credit.CeilMicros(before)
	s.wmu.Lock()
	defer s.wmu.Unlock()
	var n int64
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		b := newBatch(ctx, s, tx)
		var err error
		n, err = b.purge(cut)
		return err
	}, s.mem.reset)
	s.mem.reset()
	clear(s.mem.partitions)
	if err != nil {
		return 0, fmt.Errorf("postgres: purge: %w", err)
	}
	return n, nil
}

// PurgeEvery runs Purge every interval, deleting events older than keep,
// until ctx ends; failures go to the logger. Run it in a goroutine:
//
//	go pg.PurgeEvery(ctx, time.Hour, 395*24*time.Hour) // keep 13 months
//
// Every instance of a shop may run it: purges wait for each other.
func (s *Store) PurgeEvery(ctx context.Context, interval, keep time.Duration) {
	storekit.PurgeEvery(ctx, interval, keep, s.cfg.Now, s.Purge, s.cfg.Logger)
}

var partitionRe = regexp.MustCompile(`^events_p(\d{4})(\d{2})$`)

func (b *batch) purge(cut int64) (int64, error) {
	// Purges wait for writes to finish, and the other way round.
	if _, err := b.tx.Exec(b.ctx, `LOCK TABLE groups IN EXCLUSIVE MODE`); err != nil {
		return 0, err
	}
	var n int64
	if err := b.tx.QueryRow(b.ctx, `SELECT count(*) FROM events WHERE t < $1 AND `+liveSQL, cut).Scan(&n); err != nil {
		return 0, err
	}
	rows, _ := b.tx.Query(b.ctx, `SELECT sid FROM stores`)
	sids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return 0, err
	}
	// Counters: whole hours before the cut go; the hour it cuts loses what
	// its events before the cut added.
	hour := credit.Hour(cut)
	before := credit.NewTally()
	for _, sid := range sids {
		if err := (snapshot{b.ctx, b.tx, sid}).SumEvents(hour*credit.HourMicros, cut, before); err != nil {
			return 0, err
		}
	}
	b.c.Sub(before)
	for _, q := range []string{`DELETE FROM label_hours WHERE hour < $1`, `DELETE FROM store_hours WHERE hour < $1`} {
		if _, err := b.tx.Exec(b.ctx, q, hour); err != nil {
			return 0, err
		}
	}
	if err := writeTally(b.ctx, b.tx, b.s.shard, b.c); err != nil {
		return 0, err
	}
	// Whole partitions before the cut are dropped; the one it cuts loses
	// its rows before it.
	rows, _ = b.tx.Query(b.ctx, `SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
		WHERE i.inhparent = 'events'::regclass`)
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return 0, err
	}
	for _, name := range names {
		m := partitionRe.FindStringSubmatch(name)
		if m == nil {
			continue
		}
		year, _ := strconv.Atoi(m[1])
		month, _ := strconv.Atoi(m[2])
		end := time.Date(year, time.Month(month)+1, 1, 0, 0, 0, 0, time.UTC).UnixMicro()
		if end <= cut {
			if _, err := b.tx.Exec(b.ctx, `DROP TABLE `+pgx.Identifier{name}.Sanitize()); err != nil {
				return 0, err
			}
		}
	}
	for _, q := range []string{
		`DELETE FROM events WHERE t < @cut`,
		`DELETE FROM ids WHERE t < @cut`,
		`DELETE FROM links WHERE last < @cut`,
		`DELETE FROM visitors v WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.vid = v.vid)`,
		`DELETE FROM links l WHERE NOT EXISTS (SELECT 1 FROM visitors v WHERE v.vid = l.vid)`,
		`DELETE FROM identities i WHERE NOT EXISTS (SELECT 1 FROM links l WHERE l.iid = i.iid)`,
		`UPDATE meta SET value = greatest(value, @cut) WHERE name = 'purged_before'`,
		`UPDATE meta SET value = value + 1 WHERE name = 'epoch'`,
	} {
		if _, err := b.tx.Exec(b.ctx, q, pgx.NamedArgs{"cut": cut}); err != nil {
			return 0, err
		}
	}
	// Visitors by day: days before the cut's go; the cut's day is counted
	// again from the events it keeps.
	cutDay := credit.Day(cut)
	for _, q := range []string{`DELETE FROM visitor_days WHERE day <= $1`,
		`INSERT INTO visitor_days (sid, day, vid) SELECT DISTINCT sid, $1::int, vid FROM events
			WHERE t >= $1::bigint * 86400000000 AND t < ($1::bigint + 1) * 86400000000 AND vid IS NOT NULL AND ` + liveSQL + `
			ON CONFLICT DO NOTHING`} {
		if _, err := b.tx.Exec(b.ctx, q, cutDay); err != nil {
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
	rows, _ := b.tx.Query(b.ctx, `SELECT iid, vid FROM links`)
	var links []credit.Link
	var iid, vid int64
	if _, err := pgx.ForEachRow(rows, []any{&iid, &vid}, func() error {
		links = append(links, credit.Link{Visitor: vid, Identity: strconv.FormatInt(iid, 10)})
		return nil
	}); err != nil {
		return err
	}
	comp := b.m.rules.Components(links)
	vids, gids := make([]int64, 0, len(comp)), make([]int64, 0, len(comp))
	for v, g := range comp {
		vids, gids = append(vids, v), append(gids, g)
	}
	if _, err := b.tx.Exec(b.ctx, `UPDATE visitors SET gid = vid WHERE gid <> vid`); err != nil {
		return err
	}
	_, err := b.tx.Exec(b.ctx, `UPDATE visitors SET gid = x.gid FROM unnest($1::bigint[], $2::bigint[]) AS x(vid, gid)
		WHERE visitors.vid = x.vid`, vids, gids)
	return err
}
