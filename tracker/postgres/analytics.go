package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/visitrack/visitrack/tracker"
	"github.com/visitrack/visitrack/tracker/credit"
)

var _ tracker.Analytics = (*Store)(nil)

// Overview returns the Report of store over [from, to) with its headline
// figures. Visitors are counted from a row per visitor and day for the
// whole days in the range, and from the events at its ragged ends.
func (s *Store) Overview(ctx context.Context, store string, from, to time.Time) (tracker.Overview, error) {
	o := tracker.Overview{Report: tracker.Report{From: from, To: to}}
	err := s.read(ctx, store, func(tx pgx.Tx, sid int64) error {
		sum, err := tally(ctx, tx, sid, from, to)
		if err != nil {
			return err
		}
		names, err := labelNames(ctx, tx, sid)
		if err != nil {
			return err
		}
		total := sum.Report(&o.Report, names)
		o.Calls, o.Impressions, o.Clicks = int(total.Calls), int(total.Impressions), int(total.Clicks)
		o.Visitors, err = countVisitors(ctx, tx, sid, from, to)
		return err
	})
	if err != nil {
		return o, fmt.Errorf("postgres: overview: %w", err)
	}
	return o, nil
}

// countVisitors counts the distinct visitors with an event in [from, to).
func countVisitors(ctx context.Context, tx pgx.Tx, sid int64, from, to time.Time) (int, error) {
	f, t := credit.CeilMicros(from), credit.CeilMicros(to)
	if f >= t {
		return 0, nil
	}
	df, dt := dayOf(f+dayMicros-1), dayOf(t)
	var n int
	var err error
	if df >= dt {
		err = tx.QueryRow(ctx, `SELECT count(DISTINCT vid) FROM events WHERE sid = $1 AND t >= $2 AND t < $3 AND vid IS NOT NULL AND `+liveSQL,
			sid, f, t).Scan(&n)
	} else {
		err = tx.QueryRow(ctx, `SELECT count(*) FROM (
			SELECT vid FROM visitor_days WHERE sid = $1 AND day >= $2 AND day < $3
			UNION SELECT vid FROM events WHERE sid = $1 AND t >= $4 AND t < $2::bigint * 86400000000 AND vid IS NOT NULL AND `+liveSQL+`
			UNION SELECT vid FROM events WHERE sid = $1 AND t >= $3::bigint * 86400000000 AND t < $5 AND vid IS NOT NULL AND `+liveSQL+`) v`,
			sid, int32(df), int32(dt), f, t).Scan(&n)
	}
	return n, err
}

// Series returns a Point for each range [bounds[i], bounds[i+1]).
func (s *Store) Series(ctx context.Context, store string, bounds []time.Time) ([]tracker.Point, error) {
	out := make([]tracker.Point, max(0, len(bounds)-1))
	for i := range out {
		out[i].From, out[i].To = bounds[i], bounds[i+1]
	}
	err := s.read(ctx, store, func(tx pgx.Tx, sid int64) error {
		for i := range out {
			sum, err := tally(ctx, tx, sid, bounds[i], bounds[i+1])
			if err != nil {
				return err
			}
			_, c := sum.Sum(nil)
			out[i].Orders, out[i].ImpactedOrders = int(c.Orders), int(c.Impacted)
			out[i].Revenue, out[i].ImpactedRevenue = tracker.FromMicros(c.Revenue), tracker.FromMicros(c.ImpactedRevenue)
			out[i].Calls, out[i].Impressions, out[i].Clicks = int(c.Calls), int(c.Impressions), int(c.Clicks)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: series: %w", err)
	}
	return out, nil
}

// LabelSeries returns the stats of label for each range [bounds[i],
// bounds[i+1]).
func (s *Store) LabelSeries(ctx context.Context, store, label string, bounds []time.Time) ([]tracker.LabelStats, error) {
	out := make([]tracker.LabelStats, max(0, len(bounds)-1))
	for i := range out {
		out[i].Label = label
	}
	err := s.read(ctx, store, func(tx pgx.Tx, sid int64) error {
		lid, err := labelID(ctx, tx, sid, label)
		if err != nil || lid == 0 {
			return err
		}
		for i := range out {
			sum, err := tally(ctx, tx, sid, bounds[i], bounds[i+1])
			if err != nil {
				return err
			}
			labels, _ := sum.Sum(map[int64]string{lid: label})
			for _, l := range labels {
				if l.Label == label {
					out[i] = l
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: label series: %w", err)
	}
	return out, nil
}

func labelID(ctx context.Context, tx pgx.Tx, sid int64, label string) (int64, error) {
	var lid int64
	err := tx.QueryRow(ctx, `SELECT lid FROM labels WHERE sid = $1 AND name = $2`, sid, label).Scan(&lid)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	return lid, err
}

// setsWith returns the label sets of store sid that hold label.
func setsWith(ctx context.Context, tx pgx.Tx, sid int64, label string) (map[credit.LabelSet]bool, error) {
	lid, err := labelID(ctx, tx, sid, label)
	if err != nil || lid == 0 {
		return nil, err
	}
	rows, _ := tx.Query(ctx, `SELECT ls FROM labelsets WHERE sid = $1 AND $2 = ANY(lids)`, sid, lid)
	sets, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, err
	}
	out := make(map[credit.LabelSet]bool, len(sets))
	for _, ls := range sets {
		out[credit.LabelSet(ls)] = true
	}
	return out, nil
}

// scan reads the live events of [from, to) of the kinds given that the
// drill-downs count.
func scan(ctx context.Context, tx pgx.Tx, sid int64, from, to time.Time, kinds []int16) (*credit.Drill, error) {
	f, t := credit.CeilMicros(from), credit.CeilMicros(to)
	out := &credit.Drill{}
	if f >= t {
		return out, nil
	}
	rows, _ := tx.Query(ctx, `SELECT kind, t, eid, item, labels, position, from_id, products, lines, credit, counted, results FROM events
		WHERE sid = $1 AND t >= $2 AND t < $3 AND kind = ANY($4) AND `+liveSQL, sid, f, t, kinds)
	var r row
	var position, results *int32
	_, err := pgx.ForEachRow(rows, []any{&r.kind, &r.t, &r.eid, &r.item, &r.labels, &position, &r.fromID, &r.prods, &r.lines, &r.credit, &r.counted, &results},
		func() error {
			ls := credit.LabelSet(deref(r.labels))
			switch r.kind {
			case kindImpression:
				out.Impressions = append(out.Impressions, credit.DrillImpression{ID: r.eid, Labels: ls, Products: slices.Clone(r.prods), Query: deref(r.item)})
			case kindClick:
				out.Clicks = append(out.Clicks, credit.DrillClick{Labels: ls, Product: deref(r.item), Position: int(deref(position)), From: deref(r.fromID)})
			case kindSale:
				if r.counted == nil || !*r.counted {
					return nil
				}
				sl, err := r.sale(nil, sid)
				if err != nil {
					return err
				}
				lines, err := productsOf(r.lines)
				if err != nil {
					return err
				}
				out.Sales, out.SaleLines = append(out.Sales, sl), append(out.SaleLines, lines)
			case kindSearch:
				var n *int
				if results != nil {
					v := int(*results)
					n = &v
				}
				out.Searches = append(out.Searches, credit.DrillSearch{Query: deref(r.item), Results: n})
			}
			r, position, results = row{}, nil, nil
			return nil
		})
	return out, err
}

// LabelProducts returns the products calls under label showed in [from,
// to), with the clicks and sales credited to label, most shown first.
func (s *Store) LabelProducts(ctx context.Context, store, label string, from, to time.Time, limit int) ([]tracker.ProductStats, error) {
	var out []tracker.ProductStats
	err := s.read(ctx, store, func(tx pgx.Tx, sid int64) error {
		sets, err := setsWith(ctx, tx, sid, label)
		if err != nil || len(sets) == 0 {
			return err
		}
		d, err := scan(ctx, tx, sid, from, to, []int16{kindImpression, kindClick, kindSale})
		if err != nil {
			return err
		}
		out = d.Products(sets, limit)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: label products: %w", err)
	}
	return out, nil
}

// Positions returns, for each position at which calls under label showed
// products in [from, to), the products shown there and the clicks credited
// to label from it.
func (s *Store) Positions(ctx context.Context, store, label string, from, to time.Time) ([]tracker.PositionStats, error) {
	var out []tracker.PositionStats
	err := s.read(ctx, store, func(tx pgx.Tx, sid int64) error {
		sets, err := setsWith(ctx, tx, sid, label)
		if err != nil || len(sets) == 0 {
			return err
		}
		d, err := scan(ctx, tx, sid, from, to, []int16{kindImpression, kindClick})
		if err != nil {
			return err
		}
		out = d.Positions(sets)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: positions: %w", err)
	}
	return out, nil
}

// Searches returns the queries visitors searched for in [from, to) and the
// queries whose results calls showed then, most searched first, with the
// clicks backtracked to those calls.
func (s *Store) Searches(ctx context.Context, store string, from, to time.Time, limit int) ([]tracker.SearchStats, error) {
	var out []tracker.SearchStats
	err := s.read(ctx, store, func(tx pgx.Tx, sid int64) error {
		d, err := scan(ctx, tx, sid, from, to, []int16{kindImpression, kindClick, kindSearch})
		if err != nil {
			return err
		}
		queries := make(map[string]string)
		for _, imp := range d.Impressions {
			queries[imp.ID] = imp.Query
		}
		var missing []string // impressions clicks in range came from before it
		for _, c := range d.Clicks {
			if _, ok := queries[c.From]; c.From != "" && !ok && !slices.Contains(missing, c.From) {
				missing = append(missing, c.From)
			}
		}
		if len(missing) > 0 {
			rows, _ := tx.Query(ctx, `SELECT eid, coalesce(item, '') FROM events WHERE sid = $1 AND eid = ANY($2) AND kind = 1`, sid, missing)
			var eid, q string
			if _, err := pgx.ForEachRow(rows, []any{&eid, &q}, func() error {
				queries[eid] = q
				return nil
			}); err != nil {
				return err
			}
		}
		out = d.SearchStats(queries, limit)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: searches: %w", err)
	}
	return out, nil
}
