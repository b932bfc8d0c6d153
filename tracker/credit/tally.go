package credit

import (
	"cmp"
	"slices"

	"github.com/visitrack/visitrack/tracker"
)

// Tally adds up what events contribute to reports, per store, hour and
// label: the rule for label counting that every store applies to its
// counters, and to the events at the ragged ends of a range. The zero value
// is not usable; call NewTally.
type Tally struct {
	Labels map[LabelHour]*LabelCounts
	Stores map[StoreHour]*StoreCounts
}

// LabelHour is one label of one store in one hour (Hour).
type LabelHour struct{ Store, Hour, Label int64 }

// LabelCounts is what one label earned: calls (impression events),
// impressions (products shown), clicks credited to it, impacted orders
// with a line credited to it, and those lines' revenue in micro-units.
type LabelCounts struct{ Calls, Impressions, Clicks, Orders, Revenue int64 }

// Add adds o to c.
func (c *LabelCounts) Add(o LabelCounts) {
	c.Calls += o.Calls
	c.Impressions += o.Impressions
	c.Clicks += o.Clicks
	c.Orders += o.Orders
	c.Revenue += o.Revenue
}

// Sub takes o from c.
func (c *LabelCounts) Sub(o LabelCounts) {
	c.Add(LabelCounts{-o.Calls, -o.Impressions, -o.Clicks, -o.Orders, -o.Revenue})
}

// StoreHour is one store in one hour.
type StoreHour struct{ Store, Hour int64 }

// StoreCounts is what a store's tracked calls and orders did: calls,
// products shown and clicks credited to a call, each once however many
// labels it has; orders, their value, and of those the impacted ones.
type StoreCounts struct {
	Calls, Impressions, Clicks                 int64
	Orders, Revenue, Impacted, ImpactedRevenue int64
}

// Sub takes o from c.
func (c *StoreCounts) Sub(o StoreCounts) {
	c.Add(StoreCounts{-o.Calls, -o.Impressions, -o.Clicks, -o.Orders, -o.Revenue, -o.Impacted, -o.ImpactedRevenue})
}

// Add adds o to c.
func (c *StoreCounts) Add(o StoreCounts) {
	c.Calls += o.Calls
	c.Impressions += o.Impressions
	c.Clicks += o.Clicks
	c.Orders += o.Orders
	c.Revenue += o.Revenue
	c.Impacted += o.Impacted
	c.ImpactedRevenue += o.ImpactedRevenue
}

// NewTally returns an empty Tally.
func NewTally() *Tally {
	return &Tally{Labels: make(map[LabelHour]*LabelCounts), Stores: make(map[StoreHour]*StoreCounts)}
}

// Label returns the counts of one label of store in the hour of t, to add
// to.
func (c *Tally) Label(store, t, label int64) *LabelCounts {
	k := LabelHour{store, Hour(t), label}
	lc := c.Labels[k]
	if lc == nil {
		lc = &LabelCounts{}
		c.Labels[k] = lc
	}
	return lc
}

// Store returns the counts of store in the hour of t, to add to.
func (c *Tally) Store(store, t int64) *StoreCounts {
	k := StoreHour{store, Hour(t)}
	sc := c.Stores[k]
	if sc == nil {
		sc = &StoreCounts{}
		c.Stores[k] = sc
	}
	return sc
}

// Impression counts a call at t showing n products under labels, sign +1
// to add it or −1 to take it back.
func (c *Tally) Impression(store, t int64, labels []int64, n int, sign int64) {
	for _, l := range labels {
		lc := c.Label(store, t, l)
		lc.Calls += sign
		lc.Impressions += sign * int64(n)
	}
	sc := c.Store(store, t)
	sc.Calls += sign
	sc.Impressions += sign * int64(n)
}

// Click counts a click at t credited to labels; a click credited to none
// is not tracked and counts nowhere.
func (c *Tally) Click(store, t int64, labels []int64, sign int64) {
	for _, l := range labels {
		c.Label(store, t, l).Clicks += sign
	}
	if len(labels) > 0 {
		c.Store(store, t).Clicks += sign
	}
}

// CountSale counts a counted sale at t: the order and its revenue, whether it
// is impacted, and for each label the revenue of the lines credited to it;
// a label counts the order once however many of its lines it earned.
// labelsOf gives the labels of a label set.
func (c *Tally) CountSale(store, t int64, lines []Line, cr []LineCredit, labelsOf func(LabelSet) []int64, sign int64) {
	con := Contribute(lines, cr)
	sc := c.Store(store, t)
	sc.Orders += sign
	sc.Revenue += sign * con.Total
	if con.Impacted {
		sc.Impacted += sign
		sc.ImpactedRevenue += sign * con.Total
	}
	if len(con.ByLabels) == 0 {
		return
	}
	byLabel := make(map[int64]int64)
	for ls, rev := range con.ByLabels {
		for _, l := range labelsOf(ls) {
			byLabel[l] += rev
		}
	}
	for l, rev := range byLabel {
		lc := c.Label(store, t, l)
		lc.Orders += sign
		lc.Revenue += sign * rev
	}
}

// Sum adds up what c counted over all its hours: each label's stats, named
// by names and sorted by name, leaving out labels with no call, click or
// order; and the store's totals.
func (c *Tally) Sum(names map[int64]string) ([]tracker.LabelStats, StoreCounts) {
	var total StoreCounts
	for _, s := range c.Stores {
		total.Add(*s)
	}
	byLabel := make(map[int64]*LabelCounts)
	for k, l := range c.Labels {
		a := byLabel[k.Label]
		if a == nil {
			a = &LabelCounts{}
			byLabel[k.Label] = a
		}
		a.Add(*l)
	}
	var out []tracker.LabelStats
	for lid, l := range byLabel {
		if l.Calls == 0 && l.Clicks == 0 && l.Orders == 0 {
			continue
		}
		out = append(out, tracker.LabelStats{Label: names[lid], Calls: int(l.Calls), Impressions: int(l.Impressions),
			Clicks: int(l.Clicks), Orders: int(l.Orders), Revenue: tracker.FromMicros(l.Revenue)})
	}
	slices.SortFunc(out, func(a, b tracker.LabelStats) int { return cmp.Compare(a.Label, b.Label) })
	return out, total
}

// Report fills r with the totals and labels of c.
func (c *Tally) Report(r *tracker.Report, names map[int64]string) StoreCounts {
	labels, total := c.Sum(names)
	r.Labels = labels
	r.Orders, r.ImpactedOrders = int(total.Orders), int(total.Impacted)
	r.Revenue, r.ImpactedRevenue = tracker.FromMicros(total.Revenue), tracker.FromMicros(total.ImpactedRevenue)
	return total
}
