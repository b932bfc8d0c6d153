package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/visitrack/visitrack/tracker"
	"github.com/visitrack/visitrack/tracker/credit"
	"github.com/visitrack/visitrack/tracker/internal/storekit"
)

// snapshot is one store's rows in a read-only transaction of the file's:
// what reports read (a credit.Snapshot), and what Purge counts with.
type snapshot struct {
	ctx context.Context
	tx  *sql.Tx
	sid int64
}

// Report returns what tracked results earned in store over [from, to):
// counters for the whole hours in the range, the events themselves for the
// ragged ends. It reads one snapshot of the file, so a write in progress is
// either all in or all out.
func (s *Store) Report(ctx context.Context, store string, from, to time.Time) (tracker.Report, error) {
	return s.reports.Report(ctx, store, from, to)
}

// read calls f with a snapshot of store, in a read-only transaction, one
// snapshot of the file; a store the file does not know has nothing to read,
// and f is not called. It is credit.Reports.Read.
func (s *Store) read(ctx context.Context, store string, f func(credit.Snapshot) error) error {
	return storekit.Read(s.closed, ErrClosed, store, func() error {
		tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
		if err != nil {
			return err
		}
		defer tx.Rollback()
		var sid int64
		if found, err := storekit.Found(tx.QueryRowContext(ctx, `SELECT sid FROM stores WHERE name = ?`, store).Scan(&sid)); !found {
			return err
		}
		return f(snapshot{ctx, tx, sid})
	})
}

// SumHours adds the label_hours and store_hours of [from, to) to sum.
func (sn snapshot) SumHours(from, to int64, sum *credit.Tally) error {
	rows, err := sn.tx.QueryContext(sn.ctx, `SELECT lid, sum(calls), sum(impressions), sum(clicks), sum(orders), sum(revenue)
		FROM label_hours WHERE sid = ? AND hour >= ? AND hour < ? GROUP BY lid`, sn.sid, from, to)
	if err != nil {
		return err
	}
	for rows.Next() {
		var lid int64
		var c credit.LabelCounts
		if err := rows.Scan(&lid, &c.Calls, &c.Impressions, &c.Clicks, &c.Orders, &c.Revenue); err != nil {
			rows.Close()
			return err
		}
		sum.Label(sn.sid, from*credit.HourMicros, lid).Add(c)
	}
	if err := rows.Close(); err != nil {
		return err
	}
	var c credit.StoreCounts
	if err := sn.tx.QueryRowContext(sn.ctx, `SELECT coalesce(sum(calls), 0), coalesce(sum(impressions), 0), coalesce(sum(clicks), 0),
		coalesce(sum(orders), 0), coalesce(sum(revenue), 0), coalesce(sum(impacted), 0),
		coalesce(sum(impacted_revenue), 0) FROM store_hours WHERE sid = ? AND hour >= ? AND hour < ?`, sn.sid, from, to).
		Scan(&c.Calls, &c.Impressions, &c.Clicks, &c.Orders, &c.Revenue, &c.Impacted, &c.ImpactedRevenue); err != nil {
		return err
	}
	sum.Store(sn.sid, from*credit.HourMicros).Add(c)
	return nil
}

// SumEvents counts the events of [from, to) as the counters would.
func (sn snapshot) SumEvents(from, to int64, sum *credit.Tally) error {
	if from >= to {
		return nil
	}
	rows, err := sn.tx.QueryContext(sn.ctx, `SELECT rid, kind, t, ls, detail, credit, counted FROM events
		WHERE sid = ? AND t >= ? AND t < ? AND kind IN (1, 2, 3) AND `+liveSQL, sn.sid, from, to)
	evs, err := collect(rows, err, func(rows *sql.Rows, r *eventRow) error {
		return rows.Scan(&r.rid, &r.kind, &r.t, &r.ls, &r.detail, &r.credit, &r.counted)
	})
	if err != nil {
		return err
	}
	sets := make(map[credit.LabelSet][]int64)
	lidsOf := func(ls credit.LabelSet) []int64 {
		return labelSetLids(sets, ls, func(ls int64) *sql.Row { return sn.tx.QueryRowContext(sn.ctx, qLabelSet, ls) })
	}
	for _, r := range evs {
		switch r.kind {
		case kindImpression:
			var d impressionDetail
			if err := jsonUnmarshal(r.detail.String, &d); err != nil {
				return fmt.Errorf("event row %d: %w", r.rid, err)
			}
			sum.Impression(sn.sid, r.t, lidsOf(credit.LabelSet(r.ls.Int64)), len(d.Products), +1)
		case kindClick:
			sum.Click(sn.sid, r.t, lidsOf(credit.LabelSet(r.ls.Int64)), +1)
		case kindSale:
			if r.counted.Int64 != 1 {
				continue
			}
			s, err := r.sale(nil, sn.sid)
			if err != nil {
				return err
			}
			sum.CountSale(sn.sid, r.t, s.Lines, s.Credit, lidsOf, +1)
		}
	}
	return nil
}

// LabelNames returns the names of the store's labels, by ID.
func (sn snapshot) LabelNames() (map[int64]string, error) {
	rows, err := sn.tx.QueryContext(sn.ctx, `SELECT lid, name FROM labels WHERE sid = ?`, sn.sid)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make(map[int64]string)
	for rows.Next() {
		var lid int64
		var name string
		if err := rows.Scan(&lid, &name); err != nil {
			return nil, err
		}
		out[lid] = name
	}
	return out, rows.Err()
}
