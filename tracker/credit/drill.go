package credit

import (
	"cmp"
	"slices"

	"github.com/visitrack/visitrack/tracker"
)

// Drill holds the events of a range that a dashboard's drill-downs count:
// impressions, clicks, searches and counted sales, as a store read them.
// Its methods count them by the same rules as every store.
type Drill struct {
	Impressions []DrillImpression
	Clicks      []DrillClick
	Sales       []Sale     // counted sales, with their credit
	SaleLines   [][]string // the product IDs of each sale's lines
	Searches    []DrillSearch
}

// DrillImpression is an impression: its label set, the products it showed
// in order, and the search it showed the results of.
type DrillImpression struct {
	ID       string
	Labels   LabelSet
	Products []string
	Query    string
}

// DrillClick is a click: the label set it is credited to, its product and
// position, and the impression it was backtracked to (its event ID).
type DrillClick struct {
	Labels   LabelSet
	Product  string
	Position int
	From     string
}

// DrillSearch is a search and the result count it reported, if it did.
type DrillSearch struct {
	Query   string
	Results *int
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
	by := make(map[string]*acc)
	get := func(p string) *acc {
		if by[p] == nil {
			by[p] = &acc{}
		}
		return by[p]
	}
	for _, imp := range sc.Impressions {
		if sets[imp.Labels] {
			for _, p := range imp.Products {
				get(p).shown++
			}
		}
	}
	for _, c := range sc.Clicks {
		if sets[c.Labels] {
			get(c.Product).clicks++
		}
	}
	for i, sl := range sc.Sales {
		for j, l := range sl.Lines {
			if sets[sl.Credit[j].Labels] {
				a := get(sc.SaleLines[i][j])
				a.units += int(l.Quantity)
				a.revenue += l.Revenue()
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

// Positions returns, for each position (1-based) at which calls under the
// label sets in sets showed products, the products shown there and the
// clicks credited to those sets from it, by position.
func (sc *Drill) Positions(sets map[LabelSet]bool) []tracker.PositionStats {
	by := make(map[int]*tracker.PositionStats)
	get := func(p int) *tracker.PositionStats {
		if by[p] == nil {
			by[p] = &tracker.PositionStats{Position: p}
		}
		return by[p]
	}
	for _, imp := range sc.Impressions {
		if sets[imp.Labels] {
			for i := range imp.Products {
				get(i+1).Impressions++
			}
		}
	}
	for _, c := range sc.Clicks {
		if c.Position > 0 && sets[c.Labels] {
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

// SearchStats returns what each query did: its searches, those that found
// nothing, the products calls for it showed and the clicks backtracked to
// them (queries gives the query of each impression a click may come from,
// by event ID); most searched first, then by query; at most limit (≤ 0:
// all).
func (sc *Drill) SearchStats(queries map[string]string, limit int) []tracker.SearchStats {
	by := make(map[string]*tracker.SearchStats)
	get := func(q string) *tracker.SearchStats {
		if by[q] == nil {
			by[q] = &tracker.SearchStats{Query: q}
		}
		return by[q]
	}
	for _, s := range sc.Searches {
		st := get(s.Query)
		st.Searches++
		if s.Results != nil && *s.Results == 0 {
			st.NoResults++
		}
	}
	for _, imp := range sc.Impressions {
		if imp.Query != "" {
			get(imp.Query).Impressions += len(imp.Products)
		}
	}
	for _, c := range sc.Clicks {
		if q := queries[c.From]; q != "" && c.Labels != 0 {
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
