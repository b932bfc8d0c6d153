package tracker

import (
	"context"
	"time"
)

// Analytics is what a dashboard asks a store, beyond a Store's Report: the
// headline figures of a range, series over time, a label's products and
// positions, and the searches visitors made. tracker/sqlite and
// tracker/postgres implement it; tracker/dashboard draws it. Every range is
// half-open, [from, to), and every figure follows the same rules as Report.
type Analytics interface {
	Report(ctx context.Context, store string, from, to time.Time) (Report, error)
	// Overview returns the Report of [from, to) and the headline figures
	// that go with it.
	Overview(ctx context.Context, store string, from, to time.Time) (Overview, error)
	// Series returns one Point for each range [bounds[i], bounds[i+1]):
	// len(bounds)−1 points, for a chart. Bounds must ascend.
	Series(ctx context.Context, store string, bounds []time.Time) ([]Point, error)
	// LabelSeries returns one LabelStats of label for each range
	// [bounds[i], bounds[i+1]).
	LabelSeries(ctx context.Context, store, label string, bounds []time.Time) ([]LabelStats, error)
	// LabelProducts returns the products calls under label showed in
	// [from, to), with the clicks and sales credited to label, most shown
	// first, at most limit (≤ 0: all).
	LabelProducts(ctx context.Context, store, label string, from, to time.Time, limit int) ([]ProductStats, error)
	// Positions returns, for each position (1-based) at which calls under
	// label showed products in [from, to), how many products they showed
	// there and how many clicks credited to label came from it.
	Positions(ctx context.Context, store, label string, from, to time.Time) ([]PositionStats, error)
	// Searches returns the queries visitors searched for in [from, to),
	// most searched first, at most limit (≤ 0: all).
	Searches(ctx context.Context, store string, from, to time.Time, limit int) ([]SearchStats, error)
}

// Overview is a Report with the headline figures of its range.
type Overview struct {
	Report
	// Visitors is how many distinct visitors had an event in the range.
	Visitors int
	// Calls, Impressions and Clicks count tracked calls, the products they
	// showed, and clicks credited to a tracked call, once each however many
	// labels they have (a label's LabelStats count them under each label).
	Calls, Impressions, Clicks int
}

// ConversionRate returns orders per visitor, or 0 without visitors.
func (o Overview) ConversionRate() float64 { return ratio(o.Orders, o.Visitors) }

// AverageOrderValue returns revenue per order, or 0 without orders.
func (o Overview) AverageOrderValue() float64 { return ratio(o.Revenue, float64(o.Orders)) }

// CTR returns tracked clicks per product shown, or 0 without impressions.
func (o Overview) CTR() float64 { return ratio(o.Clicks, o.Impressions) }

// Point is one range of a series: what Overview counts but visitors.
type Point struct {
	From, To        time.Time
	Orders          int
	ImpactedOrders  int
	Revenue         float64
	ImpactedRevenue float64
	Calls           int
	Impressions     int
	Clicks          int
}

// ProductStats is what one product did under one label: how often calls
// showed it, clicks on it credited to the label, units sold in lines
// credited to the label and their revenue.
type ProductStats struct {
	Product string
	Shown   int
	Clicks  int
	Units   int
	Revenue float64
}

// PositionStats is what one position of a label's calls did: products shown
// there and clicks credited to the label from there.
type PositionStats struct {
	Position    int
	Impressions int
	Clicks      int
}

// CTR returns clicks per impression, or 0 without impressions.
func (p PositionStats) CTR() float64 { return ratio(p.Clicks, p.Impressions) }

// SearchStats is what one query did: how often visitors searched for it,
// how many of those searches found nothing (as the shop reported with
// Tracker.SearchResults), the products calls for it showed, and the clicks
// on them.
type SearchStats struct {
	Query       string
	Searches    int
	NoResults   int
	Impressions int
	Clicks      int
}

// CTR returns clicks per product shown for the query, or 0.
func (s SearchStats) CTR() float64 { return ratio(s.Clicks, s.Impressions) }

// ProductCount is how often visitors clicked a product and how many units
// of it they bought (in the copies of sales that count): what a store's
// Popular returns, for "Trending" lists.
type ProductCount struct {
	Product string
	Clicks  int
	Units   int
}
