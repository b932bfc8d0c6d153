package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/visitrack/visitrack/tracker"
	"github.com/visitrack/visitrack/tracker/credit"
)

var _ tracker.Analytics = (*Store)(nil)

// Overview returns the Report of store over [from, to) with its headline
// figures. Visitors are counted from a row per visitor and day for the
// whole days in the range, and from the events at its ragged ends.
func (s *Store) Overview(ctx context.Context, store string, from, to time.Time) (tracker.Overview, error) {
	o := tracker.Overview{Report: tracker.Report{From: from, To: to}}
	err := s.read(ctx, store, func(tx *sql.Tx, sid int64) error {
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
		return o, fmt.Errorf("sqlite: overview: %w", err)
	}
	return o, nil
}

// countVisitors counts the distinct visitors with an event in [from, to).
func countVisitors(ctx context.Context, tx *sql.Tx, sid int64, from, to time.Time) (int, error) {
	f, t := credit.CeilMicros(from), credit.CeilMicros(to)
	if f >= t {
		return 0, nil
	}
	df, dt := dayOf(f+dayMicros-1), dayOf(t) // whole days: [df, dt)
	var n int
	var err error
	if df >= dt {
		err = tx.QueryRowContext(ctx, `SELECT count(DISTINCT vid) FROM events WHERE sid = ? AND t >= ? AND t < ? AND vid IS NOT NULL AND `+liveSQL,
			sid, f, t).Scan(&n)
	} else {
		err = tx.QueryRowContext(ctx, `SELECT count(*) FROM (
			SELECT vid FROM visitor_days WHERE sid = ?1 AND day >= ?2 AND day < ?3
			UNION SELECT vid FROM events WHERE sid = ?1 AND t >= ?4 AND t < ?2 * 86400000000 AND vid IS NOT NULL AND `+liveSQL+`
			UNION SELECT vid FROM events WHERE sid = ?1 AND t >= ?3 * 86400000000 AND t < ?5 AND vid IS NOT NULL AND `+liveSQL+`)`,
			sid, df, dt, f, t).Scan(&n)
	}
	return n, err
}

// Series returns a Point for each range [bounds[i], bounds[i+1]).
func (s *Store) Series(ctx context.Context, store string, bounds []time.Time) ([]tracker.Point, error) {
	out := make([]tracker.Point, max(0, len(bounds)-1))
	for i := range out {
		out[i].From, out[i].To = bounds[i], bounds[i+1]
	}
	err := s.read(ctx, store, func(tx *sql.Tx, sid int64) error {
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
		return nil, fmt.Errorf("sqlite: series: %w", err)
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
	err := s.read(ctx, store, func(tx *sql.Tx, sid int64) error {
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
		return nil, fmt.Errorf("sqlite: label series: %w", err)
	}
	return out, nil
}

// labelID returns the ID of a label of store sid, or 0.
func labelID(ctx context.Context, tx *sql.Tx, sid int64, label string) (int64, error) {
	var lid int64
	err := tx.QueryRowContext(ctx, `SELECT lid FROM labels WHERE sid = ? AND name = ?`, sid, label).Scan(&lid)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return lid, err
}

// scan reads the live events of [from, to) of the kinds given (an SQL
// list) that the drill-downs count.
func scan(ctx context.Context, tx *sql.Tx, sid int64, from, to time.Time, kinds string) (*credit.Drill, error) {
	f, t := credit.CeilMicros(from), credit.CeilMicros(to)
	out := &credit.Drill{}
	if f >= t {
		return out, nil
	}
	rows, err := tx.QueryContext(ctx, `SELECT rid, eid, kind, t, item, ls, detail, credit, counted FROM events
		WHERE sid = ? AND t >= ? AND t < ? AND kind IN `+kinds+` AND `+liveSQL, sid, f, t)
	evs, err := collect(rows, err, func(rows *sql.Rows, r *eventRow) error {
		return rows.Scan(&r.rid, &r.eid, &r.kind, &r.t, &r.item, &r.ls, &r.detail, &r.credit, &r.counted)
	})
	if err != nil {
		return nil, err
	}
	for _, r := range evs {
		switch r.kind {
		case kindImpression:
			var d impressionDetail
			if err := jsonUnmarshal(r.detail.String, &d); err != nil {
				return nil, fmt.Errorf("event row %d: %w", r.rid, err)
			}
			out.Impressions = append(out.Impressions, credit.DrillImpression{ID: r.eid, Labels: credit.LabelSet(r.ls.Int64), Products: d.Products, Query: d.Query})
		case kindClick:
			var d clickDetail
			if r.detail.Valid {
				if err := jsonUnmarshal(r.detail.String, &d); err != nil {
					return nil, fmt.Errorf("event row %d: %w", r.rid, err)
				}
			}
			out.Clicks = append(out.Clicks, credit.DrillClick{Labels: credit.LabelSet(r.ls.Int64), Product: r.item.String, Position: d.Position, From: d.FromID})
		case kindSale:
			if r.counted.Int64 != 1 {
				continue
			}
			sl, err := r.sale(nil, sid)
			if err != nil {
				return nil, err
			}
			lines, err := decodeLines(r.detail.String)
			if err != nil {
				return nil, err
			}
			ps := make([]string, len(lines))
			for i, l := range lines {
				ps[i] = l.Product
			}
			out.Sales, out.SaleLines = append(out.Sales, sl), append(out.SaleLines, ps)
		case kindSearch:
			var d searchDetail
			if r.detail.Valid {
				if err := jsonUnmarshal(r.detail.String, &d); err != nil {
					return nil, fmt.Errorf("event row %d: %w", r.rid, err)
				}
			}
			out.Searches = append(out.Searches, credit.DrillSearch{Query: r.item.String, Results: d.Results})
		}
	}
	return out, nil
}

// setsWith returns the label sets of store sid that hold label.
func setsWith(ctx context.Context, tx *sql.Tx, sid int64, label string) (map[credit.LabelSet]bool, error) {
	lid, err := labelID(ctx, tx, sid, label)
	if err != nil || lid == 0 {
		return nil, err
	}
	type set struct {
		ls   int64
		lids string
	}
	rows, err := tx.QueryContext(ctx, `SELECT ls, lids FROM labelsets WHERE sid = ?`, sid)
	all, err := collect(rows, err, func(rows *sql.Rows, s *set) error { return rows.Scan(&s.ls, &s.lids) })
	if err != nil {
		return nil, err
	}
	out := make(map[credit.LabelSet]bool)
	for _, s := range all {
		var lids []int64
		if err := jsonUnmarshal(s.lids, &lids); err != nil {
			return nil, err
		}
		if slices.Contains(lids, lid) {
			out[credit.LabelSet(s.ls)] = true
		}
	}
	return out, nil
}

// LabelProducts returns the products calls under label showed in [from,
// to), with the clicks and sales credited to label, most shown first.
func (s *Store) LabelProducts(ctx context.Context, store, label string, from, to time.Time, limit int) ([]tracker.ProductStats, error) {
	var out []tracker.ProductStats
	err := s.read(ctx, store, func(tx *sql.Tx, sid int64) error {
		sets, err := setsWith(ctx, tx, sid, label)
		if err != nil || len(sets) == 0 {
			return err
		}
		sc, err := scan(ctx, tx, sid, from, to, "(1, 2, 3)")
		if err != nil {
			return err
		}
		out = sc.Products(sets, limit)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: label products: %w", err)
	}
	return out, nil
}

// Positions returns, for each position at which calls under label showed
// products in [from, to), the products shown there and the clicks credited
// to label from it.
func (s *Store) Positions(ctx context.Context, store, label string, from, to time.Time) ([]tracker.PositionStats, error) {
	var out []tracker.PositionStats
	err := s.read(ctx, store, func(tx *sql.Tx, sid int64) error {
		sets, err := setsWith(ctx, tx, sid, label)
		if err != nil || len(sets) == 0 {
			return err
		}
		sc, err := scan(ctx, tx, sid, from, to, "(1, 2)")
		if err != nil {
			return err
		}
		out = sc.Positions(sets)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: positions: %w", err)
	}
	return out, nil
}

// Searches returns the queries visitors searched for in [from, to) and the
// queries whose results calls showed then, most searched first, with the
// clicks backtracked to those calls.
func (s *Store) Searches(ctx context.Context, store string, from, to time.Time, limit int) ([]tracker.SearchStats, error) {
	var out []tracker.SearchStats
	err := s.read(ctx, store, func(tx *sql.Tx, sid int64) error {
		sc, err := scan(ctx, tx, sid, from, to, "(1, 2, 6)")
		if err != nil {
			return err
		}
		queries := make(map[string]string) // impression eid → query
		for _, imp := range sc.Impressions {
			queries[imp.ID] = imp.Query
		}
		// The impressions clicks in range came from may be older.
		for _, c := range sc.Clicks {
			if _, ok := queries[c.From]; c.From == "" || ok {
				continue
			}
			var d sql.NullString
			err := tx.QueryRowContext(ctx, `SELECT detail FROM events WHERE sid = ? AND eid = ? AND kind = 1`, sid, c.From).Scan(&d)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			var imp impressionDetail
			if d.Valid {
				if err := jsonUnmarshal(d.String, &imp); err != nil {
					return err
				}
			}
			queries[c.From] = imp.Query
		}
		out = sc.SearchStats(queries, limit)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: searches: %w", err)
	}
	return out, nil
}
