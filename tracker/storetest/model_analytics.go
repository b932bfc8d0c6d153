package storetest

import (
	"cmp"
	"slices"
	"time"

	"github.com/visitrack/visitrack/tracker"
	"github.com/visitrack/visitrack/tracker/internal/storekit"
)

// Popular computes the products of store clicked (any live click) or
// bought (the units of the copies of sales that count) at or after since,
// most popular first: by clicks plus units, then by product ID.
func (m *Model) Popular(store string, since time.Time, limit int) []tracker.ProductCount {
	v := m.view(store)
	var by storekit.Bins[string, tracker.ProductCount]
	for _, c := range v.byKind[tracker.KindClick] {
		if !c.Time.Before(since) {
			by.Bin(c.Product).Clicks++
		}
	}
	for _, s := range v.counted() {
		if !s.Time.Before(since) {
			for _, l := range s.Lines {
				by.Bin(l.ID).Units += l.Quantity
			}
		}
	}
	out := []tracker.ProductCount{} // as the stores answer: empty, not nil
	for p, c := range by.All() {
		c.Product = p
		out = append(out, *c)
	}
	return storekit.Top(out, storekit.Most(func(c tracker.ProductCount) int { return c.Clicks + c.Units },
		func(c tracker.ProductCount) string { return c.Product }), limit)
}

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
	var by storekit.Bins[string, acc]
	for _, imp := range v.byKind[tracker.KindImpression] {
		if inRange(imp.Time, from, to) && slices.Contains(imp.Labels, label) {
			for _, p := range imp.Products {
				by.Bin(p).shown++
			}
		}
	}
	for _, c := range v.byKind[tracker.KindClick] {
		if inRange(c.Time, from, to) && slices.Contains(v.clicks[c.ID].labels, label) {
			by.Bin(c.Product).clicks++
		}
	}
	for _, s := range v.counted() {
		if !inRange(s.Time, from, to) {
			continue
		}
		credit := v.saleCredit(s)
		for i, l := range s.Lines {
			if slices.Contains(credit[i].labels, label) {
				a := by.Bin(l.ID)
				a.units += l.Quantity
				a.revenue += micros(l.Price) * int64(l.Quantity)
			}
		}
	}
	var out []tracker.ProductStats
	for p, a := range by.All() {
		out = append(out, tracker.ProductStats{Product: p, Shown: a.shown, Clicks: a.clicks, Units: a.units, Revenue: tracker.FromMicros(a.revenue)})
	}
	mostShown := storekit.Most(func(s tracker.ProductStats) int { return s.Shown }, func(s tracker.ProductStats) string { return s.Product })
	return storekit.Top(out, mostShown, limit)
}

// Positions computes what each position of label's calls did.
func (m *Model) Positions(store, label string, from, to time.Time) []tracker.PositionStats {
	v := m.view(store)
	var by storekit.Bins[int, tracker.PositionStats]
	for _, imp := range v.byKind[tracker.KindImpression] {
		if inRange(imp.Time, from, to) && slices.Contains(imp.Labels, label) {
			for i := range imp.Products {
				by.Bin(i+1).Impressions++
			}
		}
	}
	for _, c := range v.byKind[tracker.KindClick] {
		if inRange(c.Time, from, to) && c.Position > 0 && slices.Contains(v.clicks[c.ID].labels, label) {
			by.Bin(c.Position).Clicks++
		}
	}
	var out []tracker.PositionStats
	for p, s := range by.All() {
		s.Position = p
		out = append(out, *s)
	}
	slices.SortFunc(out, func(a, b tracker.PositionStats) int { return cmp.Compare(a.Position, b.Position) })
	return out
}

// Searches computes what each query did: the searches for it in range, and
// the products calls for it showed, and the clicks backtracked to those
// calls, in range.
func (m *Model) Searches(store string, from, to time.Time, limit int) []tracker.SearchStats {
	v := m.view(store)
	var by storekit.Bins[string, tracker.SearchStats]
	for _, s := range v.byKind[tracker.KindSearch] {
		if inRange(s.Time, from, to) {
			st := by.Bin(s.Query)
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
			by.Bin(imp.Query).Impressions += len(imp.Products)
		}
	}
	for _, c := range v.byKind[tracker.KindClick] {
		if q := query[v.clicks[c.ID].from]; q != "" && inRange(c.Time, from, to) && v.clicks[c.ID].labels != nil {
			by.Bin(q).Clicks++
		}
	}
	var out []tracker.SearchStats
	for q, s := range by.All() {
		s.Query = q
		out = append(out, *s)
	}
	mostSearched := storekit.Most(func(s tracker.SearchStats) int { return s.Searches }, func(s tracker.SearchStats) string { return s.Query })
	return storekit.Top(out, mostSearched, limit)
}
