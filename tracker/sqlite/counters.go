package sqlite

import (
	"database/sql"
	"fmt"
	"strconv"
	"strings"
)

// sep separates the items of a stored list. Labels and product IDs may not
// contain it (Write rejects them), so "\x1fA\x1f" matches product A only.
const sep = "\x1f"

func encodeList(items []string) string {
	if len(items) == 0 {
		return sep
	}
	n := len(sep) * (len(items) + 1)
	for _, s := range items {
		n += len(s)
	}
	var b strings.Builder
	b.Grow(n)
	b.WriteString(sep)
	for _, s := range items {
		b.WriteString(s)
		b.WriteString(sep)
	}
	return b.String()
}

func decodeList(s string) []string {
	s = strings.TrimPrefix(strings.TrimSuffix(s, sep), sep)
	if s == "" {
		return nil
	}
	return strings.Split(s, sep)
}

// credit is what a sale's lines earned each label, in micro-units; nil when
// the sale was not impacted. Encoded as label, amount, label, amount ...
// between separators, labels sorted, so that equal credit encodes equally.
type credit map[string]int64

func (c credit) encode() sql.NullString {
	if len(c) == 0 {
		return sql.NullString{}
	}
	labels := make([]string, 0, len(c))
	for l := range c {
		labels = append(labels, l)
	}
	sortStrings(labels)
	items := make([]string, 0, 2*len(labels))
	for _, l := range labels {
		items = append(items, l, strconv.FormatInt(c[l], 10))
	}
	return sql.NullString{String: encodeList(items), Valid: true}
}

func decodeCredit(s sql.NullString) credit {
	if !s.Valid {
		return nil
	}
	items := decodeList(s.String)
	c := make(credit, len(items)/2)
	for i := 0; i+1 < len(items); i += 2 {
		m, _ := strconv.ParseInt(items[i+1], 10, 64)
		c[items[i]] = m
	}
	return c
}

type labelKey struct {
	sid    int64
	bucket int64
	label  string
}

type labelVals struct{ calls, impressions, clicks, orders, revenue int64 }

type totalKey struct {
	sid    int64
	bucket int64
}

type totalVals struct{ orders, revenue, impactedOrders, impactedRevenue int64 }

// counters accumulates changes to the per-hour counters during a
// transaction (or, for Report, sums raw events) so that they are written
// once per key.
type counters struct {
	labels map[labelKey]*labelVals
	totals map[totalKey]*totalVals
}

func newCounters() *counters {
	return &counters{labels: make(map[labelKey]*labelVals), totals: make(map[totalKey]*totalVals)}
}

func (c *counters) label(sid int64, us int64, label string) *labelVals {
	k := labelKey{sid, bucket(us), label}
	v := c.labels[k]
	if v == nil {
		v = new(labelVals)
		c.labels[k] = v
	}
	return v
}

func (c *counters) total(sid int64, us int64) *totalVals {
	k := totalKey{sid, bucket(us)}
	v := c.totals[k]
	if v == nil {
		v = new(totalVals)
		c.totals[k] = v
	}
	return v
}

// contribRow is what an event row adds to the counters.
type contribRow struct {
	sid      int64
	kind     int
	time     int64
	labels   sql.NullString
	products sql.NullString
	credit   sql.NullString
	total    sql.NullInt64
}

// contrib adds (sign +1) or removes (sign -1) what row r counts for.
func (c *counters) contrib(r contribRow, sign int64) {
	switch r.kind {
	case kindImpression:
		n := int64(len(decodeList(r.products.String)))
		for _, l := range decodeList(r.labels.String) {
			v := c.label(r.sid, r.time, l)
			v.calls += sign
			v.impressions += sign * n
		}
	case kindClick:
		c.clickCredit(r.sid, r.time, r.credit, sign)
	case kindSale:
		t := c.total(r.sid, r.time)
		t.orders += sign
		t.revenue += sign * r.total.Int64
		c.saleCredit(r.sid, r.time, r.total.Int64, decodeCredit(r.credit), sign)
	}
}

func (c *counters) clickCredit(store int64, us int64, labels sql.NullString, sign int64) {
	if !labels.Valid {
		return
	}
	for _, l := range decodeList(labels.String) {
		c.label(store, us, l).clicks += sign
	}
}

func (c *counters) saleCredit(store int64, us, total int64, cr credit, sign int64) {
	if len(cr) == 0 {
		return
	}
	t := c.total(store, us)
	t.impactedOrders += sign
	t.impactedRevenue += sign * total
	for l, m := range cr {
		v := c.label(store, us, l)
		v.orders += sign
		v.revenue += sign * m
	}
}

const (
	// %s is the rows' placeholders.
	upsertLabel = `INSERT INTO label_counts (sid, bucket, label, calls, impressions, clicks, orders, revenue)
		VALUES %s
		ON CONFLICT (sid, bucket, label) DO UPDATE SET
			calls = calls + excluded.calls, impressions = impressions + excluded.impressions,
			clicks = clicks + excluded.clicks, orders = orders + excluded.orders,
			revenue = revenue + excluded.revenue`
	upsertTotal = `INSERT INTO totals (sid, bucket, orders, revenue, impacted_orders, impacted_revenue)
		VALUES %s
		ON CONFLICT (sid, bucket) DO UPDATE SET
			orders = orders + excluded.orders, revenue = revenue + excluded.revenue,
			impacted_orders = impacted_orders + excluded.impacted_orders,
			impacted_revenue = impacted_revenue + excluded.impacted_revenue`
)

// flush adds the accumulated changes to the stored counters, through
// exec (the writer's prepared statements, or txExec).
func (c *counters) flush(exec execer) error {
	// upsert writes rows (of ncols values each), many per statement.
	upsert := func(q string, ncols int, rows []any) error {
		query := func(n int) string { return fmt.Sprintf(q, placeholders(n, ncols)) }
		return execRows(exec, query, ncols, rows, nil)
	}
	var rows []any
	for k, v := range c.labels {
		if *v != (labelVals{}) {
			rows = append(rows, k.sid, k.bucket, k.label, v.calls, v.impressions, v.clicks, v.orders, v.revenue)
		}
	}
	if err := upsert(upsertLabel, 8, rows); err != nil {
		return err
	}
	rows = rows[:0]
	for k, v := range c.totals {
		if *v != (totalVals{}) {
			rows = append(rows, k.sid, k.bucket, v.orders, v.revenue, v.impactedOrders, v.impactedRevenue)
		}
	}
	return upsert(upsertTotal, 6, rows)
}
