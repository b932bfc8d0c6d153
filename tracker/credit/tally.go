package credit

// Tally adds up what events contribute to reports, per store, hour and
// label: the rule for label counting that every store applies to its
// counters, and to the events at the ragged ends of a range. The zero value
// is not usable; call NewTally.
type Tally struct {
	Labels map[LabelHour]*LabelCounts
	Sales  map[SaleHour]*SaleCounts
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

// SaleHour is one store in one hour.
type SaleHour struct{ Store, Hour int64 }

// SaleCounts is what orders brought: how many, their value, and of those
// the impacted ones.
type SaleCounts struct{ Orders, Revenue, Impacted, ImpactedRevenue int64 }

// Sub takes o from c.
func (c *SaleCounts) Sub(o SaleCounts) {
	c.Add(SaleCounts{-o.Orders, -o.Revenue, -o.Impacted, -o.ImpactedRevenue})
}

// Add adds o to c.
func (c *SaleCounts) Add(o SaleCounts) {
	c.Orders += o.Orders
	c.Revenue += o.Revenue
	c.Impacted += o.Impacted
	c.ImpactedRevenue += o.ImpactedRevenue
}

// NewTally returns an empty Tally.
func NewTally() *Tally {
	return &Tally{Labels: make(map[LabelHour]*LabelCounts), Sales: make(map[SaleHour]*SaleCounts)}
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

// Sale returns the counts of store in the hour of t, to add to.
func (c *Tally) Sale(store, t int64) *SaleCounts {
	k := SaleHour{store, Hour(t)}
	sc := c.Sales[k]
	if sc == nil {
		sc = &SaleCounts{}
		c.Sales[k] = sc
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
}

// Click counts a click at t credited to labels.
func (c *Tally) Click(store, t int64, labels []int64, sign int64) {
	for _, l := range labels {
		c.Label(store, t, l).Clicks += sign
	}
}

// CountSale counts a counted sale at t: the order and its revenue, whether it
// is impacted, and for each label the revenue of the lines credited to it;
// a label counts the order once however many of its lines it earned.
// labelsOf gives the labels of a label set.
func (c *Tally) CountSale(store, t int64, lines []Line, cr []LineCredit, labelsOf func(LabelSet) []int64, sign int64) {
	con := Contribute(lines, cr)
	sc := c.Sale(store, t)
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
