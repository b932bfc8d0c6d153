package storetest

import (
	"cmp"
	"slices"
	"time"

	"github.com/visitrack/visitrack/tracker"
)

// Overview computes the headline figures of store over [from, to), naively.
func (m *Model) Overview(store string, from, to time.Time) tracker.Overview {
	o := tracker.Overview{Report: m.Report(store, from, to)}
	v := m.view(store)
	visitors := make(map[string]bool)
	for _, e := range m.events {
		if e.Store == store && e.Visitor != "" && inRange(e.Time, from, to) {
			visitors[e.Visitor] = true
		}
	}
	o.Visitors = len(visitors)
	for _, imp := range v.byKind[tracker.KindImpression] {
		if inRange(imp.Time, from, to) {
			o.Calls++
			o.Impressions += len(imp.Products)
		}
	}
	for _, c := range v.byKind[tracker.KindClick] {
		if inRange(c.Time, from, to) && v.clicks[c.ID].labels != nil {
			o.Clicks++
		}
	}
	return o
}

// Series computes a Point for each range of bounds.
func (m *Model) Series(store string, bounds []time.Time) []tracker.Point {
	var out []tracker.Point
	for i := 0; i+1 < len(bounds); i++ {
		o := m.Overview(store, bounds[i], bounds[i+1])
		out = append(out, tracker.Point{From: bounds[i], To: bounds[i+1], Orders: o.Orders, ImpactedOrders: o.ImpactedOrders,
			Revenue: o.Revenue, ImpactedRevenue: o.ImpactedRevenue, Calls: o.Calls, Impressions: o.Impressions, Clicks: o.Clicks})
	}
	return out
}

// LabelSeries computes the label's stats for each range of bounds.
func (m *Model) LabelSeries(store, label string, bounds []time.Time) []tracker.LabelStats {
	var out []tracker.LabelStats
	for i := 0; i+1 < len(bounds); i++ {
		l := tracker.LabelStats{Label: label}
		for _, s := range m.Report(store, bounds[i], bounds[i+1]).Labels {
			if s.Label == label {
				l = s
			}
		}
		out = append(out, l)
	}
	return out
}

// LabelProducts computes what the products label's calls showed did.
func (m *Model) LabelProducts(store, label string, from, to time.Time, limit int) []tracker.ProductStats {
	v := m.view(store)
	type acc struct {
		shown, clicks, units int
		revenue              int64
	}
	by := make(map[string]*acc)
	get := func(p string) *acc {
		if by[p] == nil {
			by[p] = &acc{}
		}
		return by[p]
	}
	for _, imp := range v.byKind[tracker.KindImpression] {
		if inRange(imp.Time, from, to) && slices.Contains(imp.Labels, label) {
			for _, p := range imp.Products {
				get(p).shown++
			}
		}
	}
	for _, c := range v.byKind[tracker.KindClick] {
		if inRange(c.Time, from, to) && slices.Contains(v.clicks[c.ID].labels, label) {
			get(c.Product).clicks++
		}
	}
	for _, s := range v.counted() {
		if !inRange(s.Time, from, to) {
			continue
		}
		credit := v.saleCredit(s)
		for i, l := range s.Lines {
			if slices.Contains(credit[i].labels, label) {
				a := get(l.ID)
				a.units += l.Quantity
				a.revenue += micros(l.Price) * int64(l.Quantity)
			}
		}
	}
	var out []tracker.ProductStats
	for p, a := range by {
		out = append(out, tracker.ProductStats{Product: p, Shown: a.shown, Clicks: a.clicks, Units: a.units, Revenue: tracker.FromMicros(a.revenue)})
	}
	slices.SortFunc(out, func(a, b tracker.ProductStats) int {
		if c := cmp.Compare(b.Shown, a.Shown); c != 0 {
			return c
		}
		return cmp.Compare(a.Product, b.Product)
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out
}

// Positions computes what each position of label's calls did.
func (m *Model) Positions(store, label string, from, to time.Time) []tracker.PositionStats {
	v := m.view(store)
	by := make(map[int]*tracker.PositionStats)
	get := func(p int) *tracker.PositionStats {
		if by[p] == nil {
			by[p] = &tracker.PositionStats{Position: p}
		}
		return by[p]
	}
	for _, imp := range v.byKind[tracker.KindImpression] {
		if inRange(imp.Time, from, to) && slices.Contains(imp.Labels, label) {
			for i := range imp.Products {
				get(i+1).Impressions++
			}
		}
	}
	for _, c := range v.byKind[tracker.KindClick] {
		if inRange(c.Time, from, to) && c.Position > 0 && slices.Contains(v.clicks[c.ID].labels, label) {
			get(c.Position).Clicks++
		}
	}
	var out []tracker.PositionStats
	for _, p := range by {
		out = append(out, *p)
	}
	slices.SortFunc(out, func(a, b tracker.PositionStats) int { return cmp.Compare(a.Position, b.Position) })
	return out
}

// Searches computes what each query did: the searches for it in range, and
// the products calls for it showed, and the clicks backtracked to those
// calls, in range.
func (m *Model) Searches(store string, from, to time.Time, limit int) []tracker.SearchStats {
	v := m.view(store)
	by := make(map[string]*tracker.SearchStats)
	get := func(q string) *tracker.SearchStats {
		if by[q] == nil {
			by[q] = &tracker.SearchStats{Query: q}
		}
		return by[q]
	}
	for _, s := range v.byKind[tracker.KindSearch] {
		if inRange(s.Time, from, to) {
			st := get(s.Query)
			st.Searches++
			if s.Results != nil && *s.Results == 0 {
				st.NoResults++
			}
		}
	}
	query := make(map[string]string) // impression event ID → query
	for _, imp := range v.byKind[tracker.KindImpression] {
		query[imp.ID] = imp.Query
		if imp.Query != "" && inRange(imp.Time, from, to) {
			get(imp.Query).Impressions += len(imp.Products)
		}
	}
	for _, c := range v.byKind[tracker.KindClick] {
		if q := query[v.clicks[c.ID].from]; q != "" && inRange(c.Time, from, to) && v.clicks[c.ID].labels != nil {
			get(q).Clicks++
		}
	}
	var out []tracker.SearchStats
	for _, s := range by {
		out = append(out, *s)
	}
	slices.SortFunc(out, func(a, b tracker.SearchStats) int {
		if c := cmp.Compare(b.Searches, a.Searches); c != 0 {
			return c
		}
		return cmp.Compare(a.Query, b.Query)
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out
}
