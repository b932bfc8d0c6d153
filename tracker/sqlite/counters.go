package sqlite

import (
	"context"
	"database/sql"

	"github.com/visitrack/visitrack/tracker/credit"
)

// counters are the changes one write makes to label_hours and sale_hours.
type counters struct {
	labels map[labelHour]*labelCounts
	sales  map[saleHour]*saleCounts
}

type labelHour struct{ sid, hour, lid int64 }

type labelCounts struct{ calls, impressions, clicks, orders, revenue int64 }

type saleHour struct{ sid, hour int64 }

type saleCounts struct{ orders, revenue, impacted, impactedRevenue int64 }

func newCounters() *counters {
	return &counters{labels: make(map[labelHour]*labelCounts), sales: make(map[saleHour]*saleCounts)}
}

func (c *counters) label(sid, t, lid int64) *labelCounts {
	k := labelHour{sid, credit.Hour(t), lid}
	lc := c.labels[k]
	if lc == nil {
		lc = &labelCounts{}
		c.labels[k] = lc
	}
	return lc
}

// impression counts a call at t showing n products under lids, sign +1 or −1.
func (c *counters) impression(sid, t int64, lids []int64, n int, sign int64) {
	for _, lid := range lids {
		lc := c.label(sid, t, lid)
		lc.calls += sign
		lc.impressions += sign * int64(n)
	}
}

// click counts a click at t credited to lids.
func (c *counters) click(sid, t int64, lids []int64, sign int64) {
	for _, lid := range lids {
		c.label(sid, t, lid).clicks += sign
	}
}

// sale counts a sale at t: the order, its revenue, and what each label's
// lines earned (lidsOf gives a label set's labels).
func (c *counters) sale(sid, t int64, lines []credit.Line, cr []credit.LineCredit, lidsOf func(credit.LabelSet) []int64, sign int64) {
	con := credit.Contribute(lines, cr)
	k := saleHour{sid, credit.Hour(t)}
	sc := c.sales[k]
	if sc == nil {
		sc = &saleCounts{}
		c.sales[k] = sc
	}
	sc.orders += sign
	sc.revenue += sign * con.Total
	if con.Impacted {
		sc.impacted += sign
		sc.impactedRevenue += sign * con.Total
	}
	if len(con.ByLabels) == 0 {
		return
	}
	byLid := make(map[int64]int64)
	for ls, rev := range con.ByLabels {
		for _, lid := range lidsOf(ls) {
			byLid[lid] += rev
		}
	}
	for lid, rev := range byLid {
		lc := c.label(sid, t, lid)
		lc.orders += sign
		lc.revenue += sign * rev
	}
}

// write adds the changes to the tables.
func (c *counters) write(ctx context.Context, tx *sql.Tx, st *stmts) error {
	args := make([]any, 0, 8*len(c.labels))
	for k, v := range c.labels {
		if *v != (labelCounts{}) {
			args = append(args, k.sid, k.hour, k.lid, v.calls, v.impressions, v.clicks, v.orders, v.revenue)
		}
	}
	if err := st.labelHours.exec(ctx, tx, args); err != nil {
		return err
	}
	args = args[:0]
	for k, v := range c.sales {
		if *v != (saleCounts{}) {
			args = append(args, k.sid, k.hour, v.orders, v.revenue, v.impacted, v.impactedRevenue)
		}
	}
	return st.saleHours.exec(ctx, tx, args)
}

func (c *labelCounts) sub(o *labelCounts) {
	c.calls -= o.calls
	c.impressions -= o.impressions
	c.clicks -= o.clicks
	c.orders -= o.orders
	c.revenue -= o.revenue
}

func (c *counters) saleAt(sid, t int64) *saleCounts {
	k := saleHour{sid, credit.Hour(t)}
	sc := c.sales[k]
	if sc == nil {
		sc = &saleCounts{}
		c.sales[k] = sc
	}
	return sc
}
