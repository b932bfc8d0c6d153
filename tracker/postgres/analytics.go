package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/visitrack/visitrack/tracker"
	"github.com/visitrack/visitrack/tracker/credit"
	"github.com/visitrack/visitrack/tracker/internal/storekit"
)

var _ tracker.Analytics = (*Store)(nil)

// Overview returns the Report of store over [from, to) with its headline
// figures. Visitors are counted from a row per visitor and day for the
// whole days in the range, and from the events at its ragged ends.
func (s *Store) Overview(ctx context.Context, store string, from, to time.Time) (tracker.Overview, error) {
	return s.reports.Overview(ctx, store, from, to)
}

// Series returns a Point for each range [bounds[i], bounds[i+1]).
func (s *Store) Series(ctx context.Context, store string, bounds []time.Time) ([]tracker.Point, error) {
	return s.reports.Series(ctx, store, bounds)
}

// Visitors counts the distinct visitors with an event in [from, to): from
// visitor_days for the whole days [df, dt), from the events for the rest.
func (sn snapshot) Visitors(from, to, df, dt int64) (int, error) {
	var n int
	var err error
	if df >= dt {
		err = sn.tx.QueryRow(sn.ctx, `SELECT count(DISTINCT vid) FROM events WHERE sid = $1 AND t >= $2 AND t < $3 AND vid IS NOT NULL AND `+liveSQL,
			sn.sid, from, to).Scan(&n)
	} else {
		err = sn.tx.QueryRow(sn.ctx, `SELECT count(*) FROM (
			SELECT vid FROM visitor_days WHERE sid = $1 AND day >= $2 AND day < $3
			UNION SELECT vid FROM events WHERE sid = $1 AND t >= $4 AND t < $2::bigint * 86400000000 AND vid IS NOT NULL AND `+liveSQL+`
			UNION SELECT vid FROM events WHERE sid = $1 AND t >= $3::bigint * 86400000000 AND t < $5 AND vid IS NOT NULL AND `+liveSQL+`) v`,
			sn.sid, int32(df), int32(dt), from, to).Scan(&n)
	}
	return n, err
}

// LabelSeries returns the stats of label for each range [bounds[i],
// bounds[i+1]).
func (s *Store) LabelSeries(ctx context.Context, store, label string, bounds []time.Time) ([]tracker.LabelStats, error) {
	return s.reports.LabelSeries(ctx, store, label, bounds)
}

// LabelID returns the ID of a label of the store, or 0.
func (sn snapshot) LabelID(label string) (int64, error) {
	return storekit.ID(label, func() storekit.Scan {
		return sn.tx.QueryRow(sn.ctx, `SELECT lid FROM labels WHERE sid = $1 AND name = $2`, sn.sid, label).Scan
	})
}

// LabelProducts returns the products calls under label showed in [from,
// to), with the clicks and sales credited to label, most shown first.
func (s *Store) LabelProducts(ctx context.Context, store, label string, from, to time.Time, limit int) ([]tracker.ProductStats, error) {
	return s.reports.LabelProducts(ctx, store, label, from, to, limit)
}

// SetsWith returns the label sets of the store that hold the label lid.
func (sn snapshot) SetsWith(lid int64) (map[credit.LabelSet]bool, error) {
	rows, _ := sn.tx.Query(sn.ctx, `SELECT ls FROM labelsets WHERE sid = $1 AND $2 = ANY(lids)`, sn.sid, lid)
	return storekit.Set[credit.LabelSet](pgx.CollectRows(rows, pgx.RowTo[int64]))
}

// Positions returns, for each position at which calls under label showed
// products in [from, to), the products shown there and the clicks credited
// to label from it.
func (s *Store) Positions(ctx context.Context, store, label string, from, to time.Time) ([]tracker.PositionStats, error) {
	return s.reports.Positions(ctx, store, label, from, to)
}

// Drill reads the live events of [from, to) that q asks for. A label's
// impressions and clicks come from events_labels, searches from
// events_searches, the impressions that showed a search's results from
// events_queries and the clicks credited to them from events_clicks, sales
// from events_sales, so that none reads the range's other events.
func (sn snapshot) Drill(from, to int64, q credit.DrillQuery) (*credit.Drill, error) {
	sets := make([]int64, len(q.Sets))
	for i, ls := range q.Sets {
		sets[i] = int64(ls)
	}
	// Kinds are written out, so that the planner sees which partial index
	// matches; impressions and clicks come in one read.
	return storekit.Drill(q.Searching, q.Kinds, func(out *credit.Drill) error {
		return sn.searches(from, to, out)
	}, func(out *credit.Drill) error {
		return sn.drillRows(`kind = 3 AND counted
			AND EXISTS (SELECT 1 FROM jsonb_array_elements(credit) c WHERE (c->>'ls')::bigint = ANY($4))`, out, sn.sid, from, to, sets)
	}, func(out *credit.Drill, kinds string) error {
		return sn.drillRows(`kind IN (`+kinds+`) AND labels = ANY($4)`, out, sn.sid, from, to, sets)
	})
}

// drillRows adds to out the live events of [from, to) that match where,
// with args: $1 the store, $2 and $3 the range.
func (sn snapshot) drillRows(where string, out *credit.Drill, args ...any) error {
	rows, _ := sn.tx.Query(sn.ctx, `SELECT kind, t, eid, item, labels, position, products, lines, credit FROM events
		WHERE sid = $1 AND t >= $2 AND t < $3 AND `+where+` AND `+liveSQL, args...)
	var r row
	var position *int32
	_, err := pgx.ForEachRow(rows, []any{&r.kind, &r.t, &r.eid, &r.item, &r.labels, &position, &r.prods, &r.lines, &r.credit},
		func() error {
			ls := credit.LabelSet(deref(r.labels))
			switch tracker.Kind(r.kind) {
			case tracker.KindImpression:
				// pgx scans an array into a slice of its own each row.
				out.Impressions = append(out.Impressions, credit.DrillImpression{Labels: ls, Products: r.prods})
			case tracker.KindClick:
				out.Clicks = append(out.Clicks, credit.DrillClick{Labels: ls, Product: deref(r.item), Position: int(deref(position))})
			case tracker.KindSale:
				sl, err := r.sale(nil, sn.sid)
				if err != nil {
					return err
				}
				lines, err := productsOf(r.lines)
				if err != nil {
					return err
				}
				out.Sales, out.SaleLines = append(out.Sales, sl), append(out.SaleLines, lines)
			}
			return nil
		})
	return err
}

// searches adds to out what each query did in [from, to), counted by
// PostgreSQL: searches from events_searches, the calls that showed a
// search's results from events_queries, and the clicks credited to them
// from events_clicks, joined to their impression by its key.
func (sn snapshot) searches(from, to int64, out *credit.Drill) error {
	rows, _ := sn.tx.Query(sn.ctx, `
		SELECT item, count(*), count(*) FILTER (WHERE results = 0), 0, 0 FROM events
			WHERE sid = $1 AND t >= $2 AND t < $3 AND kind = 6 AND item IS NOT NULL GROUP BY item
		UNION ALL
		SELECT item, 0, 0, sum(cardinality(products)), 0 FROM events
			WHERE sid = $1 AND t >= $2 AND t < $3 AND kind = 1 AND item IS NOT NULL AND products IS NOT NULL GROUP BY item
		UNION ALL
		SELECT i.item, 0, 0, 0, count(*) FROM events c
			JOIN events i ON i.sid = c.sid AND i.eid = c.from_id AND i.t = c.from_t
			WHERE c.sid = $1 AND c.t >= $2 AND c.t < $3 AND c.kind = 2 AND c.labels IS NOT NULL AND c.item IS NOT NULL
				AND i.kind = 1 AND i.item IS NOT NULL AND i.products IS NOT NULL
			GROUP BY i.item`, sn.sid, from, to)
	var p credit.DrillSearch
	var searches, none, shown, clicks int64
	_, err := pgx.ForEachRow(rows, []any{&p.Query, &searches, &none, &shown, &clicks}, func() error {
		p.Searches, p.NoResults, p.Shown, p.Clicks = int(searches), int(none), int(shown), int(clicks)
		out.Searches = append(out.Searches, p)
		return nil
	})
	return err
}

// Searches returns the queries visitors searched for in [from, to) and the
// queries whose results calls showed then, most searched first, with the
// clicks backtracked to those calls.
func (s *Store) Searches(ctx context.Context, store string, from, to time.Time, limit int) ([]tracker.SearchStats, error) {
	return s.reports.Searches(ctx, store, from, to, limit)
}
