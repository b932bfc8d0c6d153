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
func (c *LabelCounts) Add(o LabelCounts) { add(c.fields(), o.fields(), +1) }

// Sub takes o from c.
func (c *LabelCounts) Sub(o LabelCounts) { add(c.fields(), o.fields(), -1) }

func (c *LabelCounts) fields() []*int64 {
	return []*int64{&c.Calls, &c.Impressions, &c.Clicks, &c.Orders, &c.Revenue}
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

// Add adds o to c.
func (c *StoreCounts) Add(o StoreCounts) { add(c.fields(), o.fields(), +1) }

// Sub takes o from c.
func (c *StoreCounts) Sub(o StoreCounts) { add(c.fields(), o.fields(), -1) }

func (c *StoreCounts) fields() []*int64 {
	return []*int64{&c.Calls, &c.Impressions, &c.Clicks, &c.Orders, &c.Revenue, &c.Impacted, &c.ImpactedRevenue}
}

// add adds sign times each count of from to the same count of to.
func add(to, from []*int64, sign int64) {
	for i, n := range from {
		*to[i] += sign * *n
	}
}

// NewTally returns an empty Tally.
func NewTally() *Tally {
	return &Tally{Labels: make(map[LabelHour]*LabelCounts), Stores: make(map[StoreHour]*StoreCounts)}
}

// Label returns the counts of one label of store in the hour of t, to add
// to.
func (c *Tally) Label(store, t, label int64) *LabelCounts {
	return at(c.Labels, LabelHour{store, Hour(t), label})
}

// Store returns the counts of store in the hour of t, to add to.
func (c *Tally) Store(store, t int64) *StoreCounts {
	return at(c.Stores, StoreHour{store, Hour(t)})
}

// at returns m[k], adding a zero value first.
func at[K comparable, V any](m map[K]*V, k K) *V {
	v := m[k]
	if v == nil {
		v = new(V)
		m[k] = v
	}
	return v
}

// Sub takes what o counted from c, hour by hour: what a purge does to the
// counters of the hour its cut falls in.
func (c *Tally) Sub(o *Tally) {
	for k, v := range o.Labels {
		at(c.Labels, k).Sub(*v)
	}
	for k, v := range o.Stores {
		at(c.Stores, k).Sub(*v)
	}
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
		at(byLabel, k.Label).Add(*l)
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
