package credit

import (
	"cmp"

	"github.com/visitrack/visitrack/tracker"
	"github.com/visitrack/visitrack/tracker/internal/storekit"
)

// Drill holds the events of a range that a dashboard's drill-downs count:
// impressions, clicks and counted sales as a store read them, and what
// each query did, as a store counted it. Its methods count them by the
// same rules as every store.
type Drill struct {
	Impressions []DrillImpression
	Clicks      []DrillClick
	Sales       []Sale     // counted sales, with their credit
	SaleLines   [][]string // the product IDs of each sale's lines
	Searches    []DrillSearch
}

// DrillImpression is an impression: its label set and the products it
// showed, in order.
type DrillImpression struct {
	Labels   LabelSet
	Products []string
}

// DrillClick is a click: the label set it is credited to, its product and
// position.
type DrillClick struct {
	Labels   LabelSet
	Product  string
	Position int
}

// DrillSearch is what a query did in a range, as a store counted it: the
// searches for it, those that reported no results, the products that calls
// showing its results showed, and the clicks credited to those calls
// (backtracked to them, however long before the range they were). A store
// may give a query in several parts; they add up.
type DrillSearch struct {
	Query                              string
	Searches, NoResults, Shown, Clicks int
}

// Products returns what the products calls under the label sets in sets
// showed did: how often shown, the clicks and the sales lines credited to
// those sets; most shown first, then by product ID; at most limit (≤ 0:
// all).
func (sc *Drill) Products(sets map[LabelSet]bool, limit int) []tracker.ProductStats {
	type acc struct {
		shown, clicks, units int
		revenue              int64
	}
	var by storekit.Bins[string, acc]
	for _, imp := range sc.Impressions {
		if sets[imp.Labels] {
			for _, p := range imp.Products {
				by.Bin(p).shown++
			}
		}
	}
	for _, c := range sc.Clicks {
		if sets[c.Labels] {
			by.Bin(c.Product).clicks++
		}
	}
	for i, sl := range sc.Sales {
		for j, l := range sl.Lines {
			if sets[sl.Credit[j].Labels] {
				a := by.Bin(sc.SaleLines[i][j])
				a.units += int(l.Quantity)
				a.revenue += l.Revenue()
			}
		}
	}
	out := storekit.Append(nil, &by, func(p string, a *acc) tracker.ProductStats {
		return tracker.ProductStats{Product: p, Shown: a.shown, Clicks: a.clicks, Units: a.units, Revenue: tracker.FromMicros(a.revenue)}
	})
	return storekit.Top(out, storekit.Most(
		func(s tracker.ProductStats) int { return s.Shown },
		func(s tracker.ProductStats) string { return s.Product }), limit)
}

// Positions returns, for each position (1-based) at which calls under the
// label sets in sets showed products, the products shown there and the
// clicks credited to those sets from it, by position.
func (sc *Drill) Positions(sets map[LabelSet]bool) []tracker.PositionStats {
	var by storekit.Bins[int, tracker.PositionStats]
	for _, imp := range sc.Impressions {
		if sets[imp.Labels] {
			for i := range imp.Products {
				by.Bin(i+1).Impressions++
			}
		}
	}
	for _, c := range sc.Clicks {
		if c.Position > 0 && sets[c.Labels] {
			by.Bin(c.Position).Clicks++
		}
	}
	out := storekit.Append(nil, &by, func(p int, s *tracker.PositionStats) tracker.PositionStats {
		s.Position = p
		return *s
	})
	return storekit.Top(out, func(a, b tracker.PositionStats) int { return cmp.Compare(a.Position, b.Position) }, 0)
}

// SearchStats returns what each query did: its searches, those that found
// nothing, the products calls for it showed and the clicks backtracked to
// them; most searched first, then by query; at most limit (≤ 0: all).
func (sc *Drill) SearchStats(limit int) []tracker.SearchStats {
	var by storekit.Bins[string, tracker.SearchStats]
	for _, s := range sc.Searches {
		st := by.Bin(s.Query)
		st.Searches += s.Searches
		st.NoResults += s.NoResults
		st.Impressions += s.Shown
		st.Clicks += s.Clicks
	}
	out := storekit.Append(nil, &by, func(q string, s *tracker.SearchStats) tracker.SearchStats {
		s.Query = q
		return *s
	})
	return storekit.Top(out, storekit.Most(
		func(s tracker.SearchStats) int { return s.Searches },
		func(s tracker.SearchStats) string { return s.Query }), limit)
}
