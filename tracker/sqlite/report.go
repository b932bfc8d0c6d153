package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/visitrack/visitrack/tracker"
	"github.com/visitrack/visitrack/tracker/credit"
)

const hourMicros = int64(time.Hour / time.Microsecond)

// Report returns what tracked results earned in store over [from, to):
// counters for the whole hours in the range, the events themselves for the
// ragged ends. It reads one snapshot of the file, so a write in progress is
// either all in or all out.
func (s *Store) Report(ctx context.Context, store string, from, to time.Time) (tracker.Report, error) {
	rep := tracker.Report{From: from, To: to}
	err := s.read(ctx, store, func(tx *sql.Tx, sid int64) error {
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
		return rep, fmt.Errorf("sqlite: report: %w", err)
	}
	return rep, nil
}

// read runs f in a read-only transaction, one snapshot of the file, with
// the ID of store; a store the file does not know has nothing to read, and
// f is not called.
func (s *Store) read(ctx context.Context, store string, f func(tx *sql.Tx, sid int64) error) error {
	if s.closed() {
		return ErrClosed
	}
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var sid int64
	if err := tx.QueryRowContext(ctx, `SELECT sid FROM stores WHERE name = ?`, store).Scan(&sid); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		return err
	}
	return f(tx, sid)
}

// tally counts [from, to): counters for the whole hours in it, the events
// themselves for the ragged ends.
func tally(ctx context.Context, tx *sql.Tx, sid int64, from, to time.Time) (*credit.Tally, error) {
	sum := credit.NewTally()
	f, t := credit.CeilMicros(from), credit.CeilMicros(to)
	if f >= t {
		return sum, nil
	}
	// Whole hours from the first that starts at or after f to the last that
	// ends at or before t; events for the rest.
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

func sumHours(ctx context.Context, tx *sql.Tx, sid, from, to int64, sum *credit.Tally) error {
	rows, err := tx.QueryContext(ctx, `SELECT lid, sum(calls), sum(impressions), sum(clicks), sum(orders), sum(revenue)
		FROM label_hours WHERE sid = ? AND hour >= ? AND hour < ? GROUP BY lid`, sid, from, to)
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
		sum.Label(sid, from*hourMicros, lid).Add(c)
	}
	if err := rows.Close(); err != nil {
		return err
	}
	var c credit.StoreCounts
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(sum(calls), 0), coalesce(sum(impressions), 0), coalesce(sum(clicks), 0),
		coalesce(sum(orders), 0), coalesce(sum(revenue), 0), coalesce(sum(impacted), 0),
		coalesce(sum(impacted_revenue), 0) FROM store_hours WHERE sid = ? AND hour >= ? AND hour < ?`, sid, from, to).
		Scan(&c.Calls, &c.Impressions, &c.Clicks, &c.Orders, &c.Revenue, &c.Impacted, &c.ImpactedRevenue); err != nil {
		return err
	}
	sum.Store(sid, from*hourMicros).Add(c)
	return nil
}

// sumEvents counts the events of [from, to) as the counters would.
func sumEvents(ctx context.Context, tx *sql.Tx, sid, from, to int64, sum *credit.Tally) error {
	if from >= to {
		return nil
	}
	rows, err := tx.QueryContext(ctx, `SELECT rid, kind, t, ls, detail, credit, counted FROM events
		WHERE sid = ? AND t >= ? AND t < ? AND kind IN (1, 2, 3) AND `+liveSQL, sid, from, to)
	evs, err := collect(rows, err, func(rows *sql.Rows, r *eventRow) error {
		return rows.Scan(&r.rid, &r.kind, &r.t, &r.ls, &r.detail, &r.credit, &r.counted)
	})
	if err != nil {
		return err
	}
	sets := make(map[credit.LabelSet][]int64)
	lidsOf := func(ls credit.LabelSet) []int64 {
		return labelSetLids(sets, ls, func(ls int64) *sql.Row { return tx.QueryRowContext(ctx, qLabelSet, ls) })
	}
	for _, r := range evs {
		switch r.kind {
		case kindImpression:
			var d impressionDetail
			if err := jsonUnmarshal(r.detail.String, &d); err != nil {
				return fmt.Errorf("event row %d: %w", r.rid, err)
			}
			sum.Impression(sid, r.t, lidsOf(credit.LabelSet(r.ls.Int64)), len(d.Products), +1)
		case kindClick:
			sum.Click(sid, r.t, lidsOf(credit.LabelSet(r.ls.Int64)), +1)
		case kindSale:
			if r.counted.Int64 != 1 {
				continue
			}
			s, err := r.sale(nil, sid)
			if err != nil {
				return err
			}
			sum.CountSale(sid, r.t, s.Lines, s.Credit, lidsOf, +1)
		}
	}
	return nil
}

func labelNames(ctx context.Context, tx *sql.Tx, sid int64) (map[int64]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT lid, name FROM labels WHERE sid = ?`, sid)
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
