package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"time"

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
	return storekit.ID(label, func() storekit.Scan {
		return sn.tx.QueryRowContext(sn.ctx, `SELECT lid FROM labels WHERE sid = ? AND name = ?`, sn.sid, label).Scan
	})
}

// SetsWith returns the label sets of the store that hold the label lid.
func (sn snapshot) SetsWith(lid int64) (map[credit.LabelSet]bool, error) {
	rows, err := sn.tx.QueryContext(sn.ctx, `SELECT ls FROM labelsets
		WHERE sid = ? AND EXISTS (SELECT 1 FROM json_each(lids) WHERE value = ?)`, sn.sid, lid)
	return storekit.Set[credit.LabelSet](collect(rows, err, scanOne[int64]))
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

// Drill reads the live events of [from, to) that q asks for, through
// events_time: it holds each event's kind and label set, so that the
// range's other events are passed over in the index and only the rows
// counted are read.
func (sn snapshot) Drill(from, to int64, q credit.DrillQuery) (*credit.Drill, error) {
	sets := string(mustJSON(q.Sets))
	return storekit.Drill(q.Searching, q.Kinds, func(out *credit.Drill) error {
		return sn.searches(from, to, out)
	}, func(out *credit.Drill) error {
		return sn.drillSales(from, to, sets, out)
	}, func(out *credit.Drill, kinds string) error { // impressions and clicks: one read
		return sn.drillRows(from, to, `ls IN (SELECT value FROM json_each(?4)) AND kind IN (`+kinds+`)`, sets, out)
	})
}

// drillRows adds to out the live impressions and clicks of [from, to)
// that match where, whose ?4 is arg.
func (sn snapshot) drillRows(from, to int64, where string, arg any, out *credit.Drill) error {
	rows, err := sn.tx.QueryContext(sn.ctx, `SELECT rid, kind, item, ls, detail FROM events
		WHERE sid = ?1 AND t >= ?2 AND t < ?3 AND `+where+` AND `+liveSQL, sn.sid, from, to, arg)
	if err != nil {
		return err
	}
	defer rows.Close()
	var r eventRow
	for rows.Next() {
		if err := rows.Scan(&r.rid, &r.kind, &r.item, &r.ls, &r.detail); err != nil {
			return err
		}
		switch tracker.Kind(r.kind) {
		case tracker.KindImpression:
			var d impressionDetail
			if err := jsonUnmarshal(r.detail.String, &d); err != nil {
				return fmt.Errorf("event row %d: %w", r.rid, err)
			}
			out.Impressions = append(out.Impressions, credit.DrillImpression{Labels: credit.LabelSet(r.ls.Int64), Products: d.Products})
		case tracker.KindClick:
			var d clickDetail
			if r.detail.Valid {
				if err := jsonUnmarshal(r.detail.String, &d); err != nil {
					return fmt.Errorf("event row %d: %w", r.rid, err)
				}
			}
			out.Clicks = append(out.Clicks, credit.DrillClick{Labels: credit.LabelSet(r.ls.Int64), Product: r.item.String, Position: d.Position})
		}
	}
	return rows.Err()
}

// drillSales adds to out the counted sales of [from, to) with a line
// credited to one of sets (a JSON list of label sets).
func (sn snapshot) drillSales(from, to int64, sets string, out *credit.Drill) error {
	// LIKE passes over the sales no line of which is credited cheaply.
	rows, err := sn.tx.QueryContext(sn.ctx, `SELECT rid, detail, credit FROM events
		WHERE sid = ?1 AND t >= ?2 AND t < ?3 AND kind = 3 AND counted = 1 AND detail IS NOT NULL
			AND credit LIKE '%"ls":%' AND EXISTS (SELECT 1 FROM json_each(credit)
				WHERE json_extract(value, '$.ls') IN (SELECT value FROM json_each(?4)))`, sn.sid, from, to, sets)
	evs, err := collect(rows, err, func(rows *sql.Rows, r *eventRow) error {
		return rows.Scan(&r.rid, &r.detail, &r.credit)
	})
	if err != nil {
		return err
	}
	for _, r := range evs {
		stored, err := decodeLines(r.detail.String)
		if err != nil {
			return fmt.Errorf("event row %d: %w", r.rid, err)
		}
		cr, err := decodeCredit(r.credit.String, len(stored))
		if err != nil {
			return fmt.Errorf("event row %d: %w", r.rid, err)
		}
		sl := credit.Sale{Ref: r.rid, Lines: make([]credit.Line, len(stored)), Credit: cr}
		ps := make([]string, len(stored))
		for i, l := range stored {
			sl.Lines[i], ps[i] = credit.Line{Price: l.Price, Quantity: l.Quantity}, l.Product
		}
		out.Sales, out.SaleLines = append(out.Sales, sl), append(out.SaleLines, ps)
	}
	return nil
}

// searches adds to out what each query did in [from, to): the searches
// for it, the products shown by calls that showed its results, and the
// clicks backtracked to those calls. A click's detail names the impression
// it was backtracked to; the earliest of those bounds the impressions to
// look at.
func (sn snapshot) searches(from, to int64, out *credit.Drill) error {
	// Counted here rather than by GROUP BY, which sorts in a temporary
	// b-tree: a map is several times faster.
	by := make(map[string]*credit.DrillSearch)
	bin := func(q string) *credit.DrillSearch {
		if by[q] == nil {
			by[q] = &credit.DrillSearch{Query: q}
		}
		return by[q]
	}
	// Tombstones have no item: they are passed over.
	rows, err := sn.tx.QueryContext(sn.ctx, `SELECT item, json_extract(detail, '$.results') FROM events
		WHERE sid = ? AND t >= ? AND t < ? AND kind = 6 AND item IS NOT NULL`, sn.sid, from, to)
	err = each(rows, err, func(rows *sql.Rows) error {
		var item string
		var results sql.NullInt64
		if err := rows.Scan(&item, &results); err != nil {
			return err
		}
		d := bin(item)
		d.Searches++
		if results.Valid && results.Int64 == 0 {
			d.NoResults++
		}
		return nil
	})
	if err != nil {
		return err
	}
	// The clicks credited in the range, by the impression each was
	// backtracked to.
	earliest := int64(math.MaxInt64)
	clicksOn := make(map[string]int)
	rows, err = sn.tx.QueryContext(sn.ctx, `SELECT json_extract(detail, '$.ft'), json_extract(detail, '$.fid') FROM events
		WHERE sid = ? AND t >= ? AND t < ? AND kind = 2 AND ls IS NOT NULL`, sn.sid, from, to)
	err = each(rows, err, func(rows *sql.Rows) error {
		var ft sql.NullInt64
		var fid sql.NullString
		if err := rows.Scan(&ft, &fid); err != nil {
			return err
		}
		if ft.Valid && fid.Valid {
			earliest = min(earliest, ft.Int64)
			clicksOn[fid.String]++
		}
		return nil
	})
	if err != nil {
		return err
	}
	// The impressions that showed a search's results: their products count
	// in the range, their clicks from the earliest any click names.
	rows, err = sn.tx.QueryContext(sn.ctx, `SELECT t, eid, item, json_array_length(detail, '$.products') FROM events
		WHERE sid = ? AND t >= ? AND t < ? AND kind = 1 AND item IS NOT NULL`, sn.sid, min(from, earliest), to)
	err = each(rows, err, func(rows *sql.Rows) error {
		var t, n int64
		var eid, item string
		if err := rows.Scan(&t, &eid, &item, &n); err != nil {
			return err
		}
		if t >= from {
			bin(item).Shown += int(n)
		}
		if c := clicksOn[eid]; c > 0 {
			bin(item).Clicks += c
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, d := range by {
		out.Searches = append(out.Searches, *d)
	}
	return nil
}

// Searches returns the queries visitors searched for in [from, to) and the
// queries whose results calls showed then, most searched first, with the
// clicks backtracked to those calls.
func (s *Store) Searches(ctx context.Context, store string, from, to time.Time, limit int) ([]tracker.SearchStats, error) {
	return s.reports.Searches(ctx, store, from, to, limit)
}
