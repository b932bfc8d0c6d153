package tracker

import (
	"math"
	"time"
)

// Report is what tracked results earned in [From, To): every order in the
// range, and those impacted by a tracked result. An order is impacted when one
// of its lines was clicked through a tracked call by one of the order's
// visitors within the attribution window before the sale.
type Report struct {
	From, To        time.Time
	Orders          int
	ImpactedOrders  int
	Revenue         float64
	ImpactedRevenue float64
	Labels          []LabelStats // sorted by Label
}

// LabelStats is one label's part of a Report. Calls counts impression events
// (calls that showed products), Impressions the products they showed, Clicks
// the clicks credited to the label (given or backtracked), Orders the
// impacted orders with a line credited to it and Revenue those lines'
// revenue.
type LabelStats struct {
	Label       string
	Calls       int
	Impressions int
	Clicks      int
	Orders      int
	Revenue     float64
}

// CTR returns clicks per impression, or 0 without impressions.
func (l LabelStats) CTR() float64 { return ratio(l.Clicks, l.Impressions) }

// ImpactedShare returns the share of revenue that impacted orders brought,
// or 0 without revenue.
func (r Report) ImpactedShare() float64 { return ratio(r.ImpactedRevenue, r.Revenue) }

// ratio returns n/d, or 0 when d is 0: every rate of a report is 0 when
// there is nothing to divide by.
func ratio[T int | float64](n, d T) float64 {
	if d == 0 {
		return 0
	}
	return float64(n) / float64(d)
}

// Activity is one entry of a visitor's history.
type Activity struct {
	Kind     Kind
	Product  string
	Category string
	Query    string
	Time     time.Time
}

// Micros converts a price to integer micro-units (1e-6), the unit stores sum
// money in so that totals are exact.
func Micros(price float64) int64 { return int64(math.Round(price * 1e6)) }

// FromMicros converts micro-units back to a price.
func FromMicros(m int64) float64 { return float64(m) / 1e6 }
