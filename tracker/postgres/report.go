package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/visitrack/visitrack/tracker"
	"github.com/visitrack/visitrack/tracker/credit"
	"github.com/visitrack/visitrack/tracker/internal/storekit"
)

// snapshot is one store's rows in a read-only transaction: what reports
// read (a credit.Snapshot), and what Purge counts with.
type snapshot struct {
	ctx context.Context
	tx  pgx.Tx
	sid int64
}

// Report returns what tracked results earned in store over [from, to):
// counters for the whole hours in the range, the events themselves for the
// ragged ends, in one snapshot of the database.
func (s *Store) Report(ctx context.Context, store string, from, to time.Time) (tracker.Report, error) {
	return s.reports.Report(ctx, store, from, to)
}

// read calls f with a snapshot of store, in a read-only transaction, one
// snapshot of the database; a store the database does not know has nothing
// to read, and f is not called. It is credit.Reports.Read.
func (s *Store) read(ctx context.Context, store string, f func(credit.Snapshot) error) error {
	return storekit.Read(s.closed, ErrClosed, store, func() error {
		return pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
			var sid int64
			if found, err := storekit.Found(tx.QueryRow(ctx, `SELECT sid FROM stores WHERE name = $1`, store).Scan(&sid)); !found {
				return err
			}
			return f(snapshot{ctx, tx, sid})
		})
	})
}

// LabelNames returns the names of the labels of the store, by ID.
func (sn snapshot) LabelNames() (map[int64]string, error) {
	names := make(map[int64]string)
	rows, _ := sn.tx.Query(sn.ctx, `SELECT lid, name FROM labels WHERE sid = $1`, sn.sid)
	var lid int64
	var name string
	_, err := pgx.ForEachRow(rows, []any{&lid, &name}, func() error {
		names[lid] = name
		return nil
	})
	return names, err
}

// SumHours adds the counters of the hours [from, to), every shard, to sum.
func (sn snapshot) SumHours(from, to int64, sum *credit.Tally) error {
	rows, _ := sn.tx.Query(sn.ctx, `SELECT lid, sum(calls), sum(impressions), sum(clicks), sum(orders), sum(revenue)
		FROM label_hours WHERE sid = $1 AND hour >= $2 AND hour < $3 GROUP BY lid`, sn.sid, from, to)
	var lid int64
	var c credit.LabelCounts
	if _, err := pgx.ForEachRow(rows, []any{&lid, &c.Calls, &c.Impressions, &c.Clicks, &c.Orders, &c.Revenue}, func() error {
		sum.Label(sn.sid, from*credit.HourMicros, lid).Add(c)
		return nil
	}); err != nil {
		return err
	}
	var sc credit.StoreCounts
	if err := sn.tx.QueryRow(sn.ctx, `SELECT coalesce(sum(calls), 0), coalesce(sum(impressions), 0), coalesce(sum(clicks), 0),
		coalesce(sum(orders), 0), coalesce(sum(revenue), 0), coalesce(sum(impacted), 0),
		coalesce(sum(impacted_revenue), 0) FROM store_hours WHERE sid = $1 AND hour >= $2 AND hour < $3`, sn.sid, from, to).
		Scan(&sc.Calls, &sc.Impressions, &sc.Clicks, &sc.Orders, &sc.Revenue, &sc.Impacted, &sc.ImpactedRevenue); err != nil {
		return err
	}
	sum.Store(sn.sid, from*credit.HourMicros).Add(sc)
	return nil
}

// SumEvents counts the events of [from, to) as the counters would.
func (sn snapshot) SumEvents(from, to int64, sum *credit.Tally) error {
	if from >= to {
		return nil
	}
	rows, _ := sn.tx.Query(sn.ctx, `SELECT kind, t, eid, labels, cardinality(products), lines, credit FROM events
		WHERE sid = $1 AND t >= $2 AND t < $3 AND (kind IN (1, 2) OR (kind = 3 AND counted)) AND `+liveSQL, sn.sid, from, to)
	var r row
	var n *int32
	type ev struct {
		r row
		n int
	}
	var evs []ev
	if _, err := pgx.ForEachRow(rows, []any{&r.kind, &r.t, &r.eid, &r.labels, &n, &r.lines, &r.credit}, func() error {
		evs = append(evs, ev{r, int(deref(n))})
		r = row{}
		return nil
	}); err != nil {
		return err
	}
	sets := make(map[credit.LabelSet][]int64)
	lidsOf := func(ls credit.LabelSet) []int64 {
		if ls == 0 {
			return nil
		}
		if l, ok := sets[ls]; ok {
			return l
		}
		var lids []int64
		_ = sn.tx.QueryRow(sn.ctx, `SELECT lids FROM labelsets WHERE ls = $1`, int64(ls)).Scan(&lids)
		sets[ls] = lids
		return lids
	}
	for _, e := range evs {
		ls := credit.LabelSet(deref(e.r.labels))
		switch tracker.Kind(e.r.kind) {
		case tracker.KindImpression:
			sum.Impression(sn.sid, e.r.t, lidsOf(ls), e.n, +1)
		case tracker.KindClick:
			sum.Click(sn.sid, e.r.t, lidsOf(ls), +1)
		case tracker.KindSale:
			s, err := e.r.sale(nil, sn.sid)
			if err != nil {
				return err
			}
			sum.CountSale(sn.sid, e.r.t, s.Lines, s.Credit, lidsOf, +1)
		}
	}
	return nil
}
