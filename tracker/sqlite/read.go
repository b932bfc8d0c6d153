package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/visitrack/visitrack/tracker"
)

// Report returns what tracked results earned in store in [from, to): every
// order with its revenue, the impacted ones, and per label (sorted) the
// calls, impressions, credited clicks, impacted orders and credited
// revenue. A line's revenue is credited in full to each label of the click
// that earned it. Clicks that no tracked call showed count under no label:
// they appear in no LabelStats.
//
// Whole hours come from counters that Write keeps; the part of the range
// that does not cover a whole hour is summed from the events themselves.
func (s *Store) Report(ctx context.Context, store string, from, to time.Time) (tracker.Report, error) {
	rep := tracker.Report{From: from, To: to}
	if s.closed() {
		return rep, ErrClosed
	}
	f, t := micros(from), micros(to)
	if t <= f {
		return rep, nil
	}
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return rep, fmt.Errorf("sqlite: report: %w", err)
	}
	defer tx.Rollback()
	var sid int64
	switch err := tx.QueryRowContext(ctx, `SELECT sid FROM stores WHERE name = ?`, store).Scan(&sid); {
	case errors.Is(err, sql.ErrNoRows):
		return rep, nil
	case err != nil:
		return rep, fmt.Errorf("sqlite: report: %w", err)
	}

	labels := make(map[string]*labelVals)
	var tot totalVals
	raw := newCounters()
	first, last := bucket(f+hour-1), bucket(t) // whole hours: [first, last)
	if first < last {
		if err := reportCounters(ctx, tx, sid, first, last, labels, &tot); err != nil {
			return rep, fmt.Errorf("sqlite: report: %w", err)
		}
		if err := reportRaw(ctx, tx, sid, f, first*hour, raw); err != nil {
			return rep, fmt.Errorf("sqlite: report: %w", err)
		}
		if err := reportRaw(ctx, tx, sid, last*hour, t, raw); err != nil {
			return rep, fmt.Errorf("sqlite: report: %w", err)
		}
	} else if err := reportRaw(ctx, tx, sid, f, t, raw); err != nil {
		return rep, fmt.Errorf("sqlite: report: %w", err)
	}
	for k, v := range raw.labels {
		a := labels[k.label]
		if a == nil {
			a = new(labelVals)
			labels[k.label] = a
		}
		a.calls += v.calls
		a.impressions += v.impressions
		a.clicks += v.clicks
		a.orders += v.orders
		a.revenue += v.revenue
	}
	for _, v := range raw.totals {
		tot.orders += v.orders
		tot.revenue += v.revenue
		tot.impactedOrders += v.impactedOrders
		tot.impactedRevenue += v.impactedRevenue
	}
	rep.Orders, rep.ImpactedOrders = int(tot.orders), int(tot.impactedOrders)
	rep.Revenue, rep.ImpactedRevenue = tracker.FromMicros(tot.revenue), tracker.FromMicros(tot.impactedRevenue)
	for l, v := range labels {
		if *v == (labelVals{}) {
			continue
		}
		rep.Labels = append(rep.Labels, tracker.LabelStats{Label: l, Calls: int(v.calls), Impressions: int(v.impressions),
			Clicks: int(v.clicks), Orders: int(v.orders), Revenue: tracker.FromMicros(v.revenue)})
	}
	slices.SortFunc(rep.Labels, func(a, b tracker.LabelStats) int { return strings.Compare(a.Label, b.Label) })
	return rep, nil
}

func reportCounters(ctx context.Context, tx *sql.Tx, sid int64, first, last int64, labels map[string]*labelVals, tot *totalVals) error {
	rows, err := tx.QueryContext(ctx, `SELECT label, sum(calls), sum(impressions), sum(clicks), sum(orders), sum(revenue)
		FROM label_counts WHERE sid = ? AND bucket >= ? AND bucket < ? GROUP BY label`, sid, first, last)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var l string
		v := new(labelVals)
		if err := rows.Scan(&l, &v.calls, &v.impressions, &v.clicks, &v.orders, &v.revenue); err != nil {
			return err
		}
		labels[l] = v
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return tx.QueryRowContext(ctx, `SELECT coalesce(sum(orders), 0), coalesce(sum(revenue), 0),
		coalesce(sum(impacted_orders), 0), coalesce(sum(impacted_revenue), 0)
		FROM totals WHERE sid = ? AND bucket >= ? AND bucket < ?`, sid, first, last).
		Scan(&tot.orders, &tot.revenue, &tot.impactedOrders, &tot.impactedRevenue)
}

// reportRaw sums the events of store sid in [from, to) into c.
func reportRaw(ctx context.Context, q querier, sid, from, to int64, c *counters) error {
	if to <= from {
		return nil
	}
	rows, err := q.QueryContext(ctx, fmt.Sprintf(rawCounted, "sid = ?1 AND time >= ?2 AND time < ?3"), sid, from, to)
	if err != nil {
		return err
	}
	err = scanContrib(rows, c, +1)
	rows.Close()
	if err != nil {
		return err
	}
	return eachBlobEnt(ctx, q, `tbl = 0 AND sid = ? AND tmin < ? AND tmax >= ?`, []any{sid, to, from}, func(_ int64, e *blobEnt) error {
		if e.vid != 0 && e.time >= from && e.time < to {
			c.contrib(impContrib(sid, e), +1)
		}
		return nil
	})
}

// impContrib is what an impression entry counts for.
func impContrib(sid int64, e *blobEnt) contribRow {
	return contribRow{sid: sid, kind: kindImpression, time: e.time,
		labels: sql.NullString{String: e.val(1), Valid: true}, products: sql.NullString{String: e.val(2), Valid: true}}
}

// History returns the activity of visitor in store, and of every visitor
// linked to it by email or customer ID, newest first: product views,
// clicks, category views and searches. limit ≤ 0 means no limit.
func (s *Store) History(ctx context.Context, store, visitor string, limit int) ([]tracker.Activity, error) {
	if s.closed() {
		return nil, ErrClosed
	}
	if visitor == "" {
		return nil, nil
	}
	if limit <= 0 {
		limit = -1 // no limit
	}
	// The visitor and those linked to it; then where their clicks and
	// activity are: in vix, or still pending in memory.
	var vids []int64
	err := eachRow(ctx, s.r, func(rows *sql.Rows) error {
		var v int64
		err := rows.Scan(&v)
		vids = append(vids, v)
		return err
	}, `WITH x(v) AS (
			SELECT v.vid FROM visitors v JOIN stores s ON s.sid = v.sid WHERE s.name = ?1 AND v.visitor = ?2)
		SELECT v FROM x UNION SELECT g2.vid FROM x JOIN identities g1 ON g1.vid = x.v
			JOIN identities g2 ON g2.grp = g1.grp`, store, visitor)
	if err != nil {
		return nil, fmt.Errorf("sqlite: history: %w", err)
	}
	if len(vids) == 0 {
		return nil, nil
	}
	set := make(map[int64]bool, len(vids))
	for _, v := range vids {
		set[v] = true
	}
	// Pending entries first: a run written meanwhile is then in vix.
	pend := s.pend.of(set)
	ents, err := readVix(ctx, s.r, vids)
	if err != nil {
		return nil, fmt.Errorf("sqlite: history: %w", err)
	}
	var clicks, acts []int64
	for _, e := range append(ents, pend...) {
		switch e.tbl {
		case tClicks:
			clicks = append(clicks, e.rid)
		case tActs:
			acts = append(acts, e.rid)
		}
	}
	type item struct {
		a  tracker.Activity
		id string
	}
	var items []item
	found, err := readBlobs(ctx, s.r, acts)
	if err != nil {
		return nil, fmt.Errorf("sqlite: history: %w", err)
	}
	// Only these visitors' entries: a rid read from pending may belong to
	// a write that was rolled back, and be someone else's by now.
	for _, e := range found {
		if e.tomb() || !set[e.vid] {
			continue
		}
		a := tracker.Activity{Kind: tracker.Kind(e.kind), Time: time.UnixMicro(e.time).UTC()}
		switch a.Kind {
		case tracker.KindView:
			a.Product = e.val(0)
		case tracker.KindCategory:
			a.Category = e.val(0)
		case tracker.KindSearch:
			a.Query = e.val(0)
		default:
			continue // email links are not history
		}
		items = append(items, item{a, e.id})
	}
	slices.Sort(clicks)
	jc, err := jsonArg(slices.Compact(clicks))
	if err != nil {
		return nil, fmt.Errorf("sqlite: history: %w", err)
	}
	jv, err := jsonArg(vids)
	if err != nil {
		return nil, fmt.Errorf("sqlite: history: %w", err)
	}
	err = eachRow(ctx, s.r, func(rows *sql.Rows) error {
		var it item
		var us int64
		if err := rows.Scan(&it.a.Product, &us, &it.id); err != nil {
			return err
		}
		it.a.Kind, it.a.Time = tracker.KindClick, time.UnixMicro(us).UTC()
		items = append(items, it)
		return nil
	}, `SELECT c.product, c.time, c.id FROM json_each(?1) j CROSS JOIN clicks c ON c.rid = j.value
		WHERE c.vid IN (SELECT value FROM json_each(?2))`, jc, jv)
	if err != nil {
		return nil, fmt.Errorf("sqlite: history: %w", err)
	}
	slices.SortFunc(items, func(a, b item) int {
		if c := b.a.Time.Compare(a.a.Time); c != 0 {
			return c
		}
		return strings.Compare(b.id, a.id)
	})
	if limit > 0 && len(items) > limit {
		items = items[:limit]
	}
	out := make([]tracker.Activity, len(items))
	for i, it := range items {
		out[i] = it.a
	}
	return out, nil
}

// Visitors returns the visitors in store linked to email, directly (an
// email event, a sale with that email) or through a customer ID or another
// email they share, sorted.
func (s *Store) Visitors(ctx context.Context, store, email string) ([]string, error) {
	if s.closed() {
		return nil, ErrClosed
	}
	e := normEmail(email)
	if e == "" {
		return nil, nil
	}
	ids, err := keyMembers(ctx, s.r, store, "e:"+e)
	if err != nil {
		return nil, fmt.Errorf("sqlite: visitors: %w", err)
	}
	return ids, nil
}
