package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/visitrack/visitrack/tracker"
	"github.com/visitrack/visitrack/tracker/credit"
)

const hourMicros = int64(time.Hour / time.Microsecond)

// Report returns what tracked results earned in store over [from, to):
// counters for the whole hours in the range, the events themselves for the
// ragged ends, in one snapshot of the database.
func (s *Store) Report(ctx context.Context, store string, from, to time.Time) (tracker.Report, error) {
	rep := tracker.Report{From: from, To: to}
	err := s.read(ctx, store, func(tx pgx.Tx, sid int64) error {
		sum, err := tally(ctx, tx, sid, from, to)
		if err != nil {
			return err
		}
		names, err := labelNames(ctx, tx, sid)
		if err != nil {
			return err
		}
		sum.Report(&rep, names)
		return nil
	})
	if err != nil {
		return rep, fmt.Errorf("postgres: report: %w", err)
	}
	return rep, nil
}

// read runs f in a read-only transaction, one snapshot of the database,
// with the ID of store; a store the database does not know has nothing to
// read, and f is not called.
func (s *Store) read(ctx context.Context, store string, f func(tx pgx.Tx, sid int64) error) error {
	if s.closed() {
		return ErrClosed
	}
	return pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		var sid int64
		if err := tx.QueryRow(ctx, `SELECT sid FROM stores WHERE name = $1`, store).Scan(&sid); err != nil {
			if errors.Is(err, pgx.ErrNoRows) {
				return nil
			}
			return err
		}
		return f(tx, sid)
	})
}

// tally counts [from, to): counters for the whole hours in it, the events
// themselves for the ragged ends.
func tally(ctx context.Context, tx pgx.Tx, sid int64, from, to time.Time) (*credit.Tally, error) {
	sum := credit.NewTally()
	f, t := credit.CeilMicros(from), credit.CeilMicros(to)
	if f >= t {
		return sum, nil
	}
	hf, ht := credit.Hour(f+hourMicros-1), credit.Hour(t)
	if hf >= ht {
		return sum, sumEvents(ctx, tx, sid, f, t, sum)
	}
	if err := sumHours(ctx, tx, sid, hf, ht, sum); err != nil {
		return nil, err
	}
	if err := sumEvents(ctx, tx, sid, f, hf*hourMicros, sum); err != nil {
		return nil, err
	}
	return sum, sumEvents(ctx, tx, sid, ht*hourMicros, t, sum)
}

// labelNames returns the names of the labels of store sid, by ID.
func labelNames(ctx context.Context, tx pgx.Tx, sid int64) (map[int64]string, error) {
	names := make(map[int64]string)
	rows, _ := tx.Query(ctx, `SELECT lid, name FROM labels WHERE sid = $1`, sid)
	var lid int64
	var name string
	_, err := pgx.ForEachRow(rows, []any{&lid, &name}, func() error {
		names[lid] = name
		return nil
	})
	return names, err
}

func sumHours(ctx context.Context, tx pgx.Tx, sid, from, to int64, sum *credit.Tally) error {
	rows, _ := tx.Query(ctx, `SELECT lid, sum(calls), sum(impressions), sum(clicks), sum(orders), sum(revenue)
		FROM label_hours WHERE sid = $1 AND hour >= $2 AND hour < $3 GROUP BY lid`, sid, from, to)
	var lid int64
	var c credit.LabelCounts
	if _, err := pgx.ForEachRow(rows, []any{&lid, &c.Calls, &c.Impressions, &c.Clicks, &c.Orders, &c.Revenue}, func() error {
		sum.Label(sid, from*hourMicros, lid).Add(c)
		return nil
	}); err != nil {
		return err
	}
	var sc credit.StoreCounts
	if err := tx.QueryRow(ctx, `SELECT coalesce(sum(calls), 0), coalesce(sum(impressions), 0), coalesce(sum(clicks), 0),
		coalesce(sum(orders), 0), coalesce(sum(revenue), 0), coalesce(sum(impacted), 0),
		coalesce(sum(impacted_revenue), 0) FROM store_hours WHERE sid = $1 AND hour >= $2 AND hour < $3`, sid, from, to).
		Scan(&sc.Calls, &sc.Impressions, &sc.Clicks, &sc.Orders, &sc.Revenue, &sc.Impacted, &sc.ImpactedRevenue); err != nil {
		return err
	}
	sum.Store(sid, from*hourMicros).Add(sc)
	return nil
}

// querier is a pool or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// sumEvents counts the events of [from, to) as the counters would.
func sumEvents(ctx context.Context, q querier, sid, from, to int64, sum *credit.Tally) error {
	if from >= to {
		return nil
	}
	rows, _ := q.Query(ctx, `SELECT kind, t, eid, labels, cardinality(products), lines, credit FROM events
		WHERE sid = $1 AND t >= $2 AND t < $3 AND (kind IN (1, 2) OR (kind = 3 AND counted)) AND `+liveSQL, sid, from, to)
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
		_ = q.QueryRow(ctx, `SELECT lids FROM labelsets WHERE ls = $1`, int64(ls)).Scan(&lids)
		sets[ls] = lids
		return lids
	}
	for _, e := range evs {
		ls := credit.LabelSet(deref(e.r.labels))
		switch e.r.kind {
		case kindImpression:
			sum.Impression(sid, e.r.t, lidsOf(ls), e.n, +1)
		case kindClick:
			sum.Click(sid, e.r.t, lidsOf(ls), +1)
		case kindSale:
			s, err := e.r.sale(nil, sid)
			if err != nil {
				return err
			}
			sum.CountSale(sid, e.r.t, s.Lines, s.Credit, lidsOf, +1)
		}
	}
	return nil
}
