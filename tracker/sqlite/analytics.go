package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/visitrack/visitrack/tracker"
	"github.com/visitrack/visitrack/tracker/credit"
)

var _ tracker.Analytics = (*Store)(nil)

// Overview returns the Report of store over [from, to) with its headline
// figures. Visitors are counted from a row per visitor and day for the
// whole days in the range, and from the events at its ragged ends.
func (s *Store) Overview(ctx context.Context, store string, from, to time.Time) (tracker.Overview, error) {
	return s.reports.Overview(ctx, store, from, to)
}

// Visitors counts the distinct visitors with an event in [from, to): from
// visitor_days for the whole days [df, dt), from the events for the rest.
func (sn snapshot) Visitors(from, to, df, dt int64) (int, error) {
	var n int
	var err error
	if df >= dt {
		err = sn.tx.QueryRowContext(sn.ctx, `SELECT count(DISTINCT vid) FROM events WHERE sid = ? AND t >= ? AND t < ? AND vid IS NOT NULL AND `+liveSQL,
			sn.sid, from, to).Scan(&n)
	} else {
		err = sn.tx.QueryRowContext(sn.ctx, `SELECT count(*) FROM (
			SELECT vid FROM visitor_days WHERE sid = ?1 AND day >= ?2 AND day < ?3
			UNION SELECT vid FROM events WHERE sid = ?1 AND t >= ?4 AND t < ?2 * 86400000000 AND vid IS NOT NULL AND `+liveSQL+`
			UNION SELECT vid FROM events WHERE sid = ?1 AND t >= ?3 * 86400000000 AND t < ?5 AND vid IS NOT NULL AND `+liveSQL+`)`,
			sn.sid, df, dt, from, to).Scan(&n)
	}
	return n, err
}

// Series returns a Point for each range [bounds[i], bounds[i+1]).
func (s *Store) Series(ctx context.Context, store string, bounds []time.Time) ([]tracker.Point, error) {
	return s.reports.Series(ctx, store, bounds)
}

// LabelSeries returns the stats of label for each range [bounds[i],
// bounds[i+1]).
func (s *Store) LabelSeries(ctx context.Context, store, label string, bounds []time.Time) ([]tracker.LabelStats, error) {
	return s.reports.LabelSeries(ctx, store, label, bounds)
}

// LabelID returns the ID of a label of the store, or 0.
func (sn snapshot) LabelID(label string) (int64, error) {
	var lid int64
	err := sn.tx.QueryRowContext(sn.ctx, `SELECT lid FROM labels WHERE sid = ? AND name = ?`, sn.sid, label).Scan(&lid)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return lid, err
}

// SetsWith returns the label sets of the store that hold the label lid.
func (sn snapshot) SetsWith(lid int64) (map[credit.LabelSet]bool, error) {
	type set struct {
		ls   int64
		lids string
	}
	rows, err := sn.tx.QueryContext(sn.ctx, `SELECT ls, lids FROM labelsets WHERE sid = ?`, sn.sid)
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
	return s.reports.LabelProducts(ctx, store, label, from, to, limit)
}

// Positions returns, for each position at which calls under label showed
// products in [from, to), the products shown there and the clicks credited
// to label from it.
func (s *Store) Positions(ctx context.Context, store, label string, from, to time.Time) ([]tracker.PositionStats, error) {
	return s.reports.Positions(ctx, store, label, from, to)
}

// Drill reads the live events of [from, to) of the kinds given that the
// drill-downs count.
func (sn snapshot) Drill(from, to int64, kinds ...tracker.Kind) (*credit.Drill, error) {
	in := make([]string, len(kinds))
	for i, k := range kinds {
		in[i] = strconv.Itoa(int(k))
	}
	rows, err := sn.tx.QueryContext(sn.ctx, `SELECT rid, eid, kind, t, item, ls, detail, credit, counted FROM events
		WHERE sid = ? AND t >= ? AND t < ? AND kind IN (`+strings.Join(in, ", ")+`) AND `+liveSQL, sn.sid, from, to)
	evs, err := collect(rows, err, func(rows *sql.Rows, r *eventRow) error {
		return rows.Scan(&r.rid, &r.eid, &r.kind, &r.t, &r.item, &r.ls, &r.detail, &r.credit, &r.counted)
	})
	if err != nil {
		return nil, err
	}
	out := &credit.Drill{}
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
			sl, err := r.sale(nil, sn.sid)
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

// Searches returns the queries visitors searched for in [from, to) and the
// queries whose results calls showed then, most searched first, with the
// clicks backtracked to those calls.
func (s *Store) Searches(ctx context.Context, store string, from, to time.Time, limit int) ([]tracker.SearchStats, error) {
	return s.reports.Searches(ctx, store, from, to, limit)
}

// Queries adds the queries of the impressions ids names to queries.
func (sn snapshot) Queries(ids []string, queries map[string]string) error {
	for _, id := range ids {
		var d sql.NullString
		err := sn.tx.QueryRowContext(sn.ctx, `SELECT detail FROM events WHERE sid = ? AND eid = ? AND kind = 1`, sn.sid, id).Scan(&d)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		var imp impressionDetail
		if d.Valid {
			if err := jsonUnmarshal(d.String, &imp); err != nil {
				return err
			}
		}
		queries[id] = imp.Query
	}
	return nil
}
