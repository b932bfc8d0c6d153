package dashboard_test

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/visitrack/visitrack/tracker"
)

// fake is a tracker.Analytics whose answers a test sets, and which records
// what it was asked.
type fake struct {
	mu sync.Mutex
	// overview answers Overview by range start; missing ranges get zeros.
	overview  map[time.Time]tracker.Overview
	report    tracker.Report
	labelRows []tracker.LabelStats // LabelSeries gives these, in turn
	products  []tracker.ProductStats
	positions []tracker.PositionStats
	searches  []tracker.SearchStats
	err       error

	bounds    [][]time.Time // Series and LabelSeries were asked for
	ranges    [][2]time.Time
	stores    []string
	lastLimit int
}

var errStore = errors.New("store is down")

func (f *fake) note(store string, from, to time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stores = append(f.stores, store)
	f.ranges = append(f.ranges, [2]time.Time{from, to})
}

func (f *fake) Report(ctx context.Context, store string, from, to time.Time) (tracker.Report, error) {
	f.note(store, from, to)
	r := f.report
	r.From, r.To = from, to
	return r, f.err
}

func (f *fake) Overview(ctx context.Context, store string, from, to time.Time) (tracker.Overview, error) {
	f.note(store, from, to)
	var o tracker.Overview
	for start, v := range f.overview {
		if start.Equal(from) { // a map key would compare locations too
			o = v
		}
	}
	o.From, o.To = from, to
	return o, f.err
}

func (f *fake) Series(ctx context.Context, store string, bounds []time.Time) ([]tracker.Point, error) {
	f.mu.Lock()
	f.bounds = append(f.bounds, bounds)
	f.mu.Unlock()
	out := make([]tracker.Point, len(bounds)-1)
	for i := range out {
		out[i] = tracker.Point{From: bounds[i], To: bounds[i+1], Orders: i, Clicks: 2 * i, ImpactedRevenue: float64(i) * 10.5}
	}
	return out, f.err
}

func (f *fake) LabelSeries(ctx context.Context, store, label string, bounds []time.Time) ([]tracker.LabelStats, error) {
	f.mu.Lock()
	f.bounds = append(f.bounds, bounds)
	f.mu.Unlock()
	out := make([]tracker.LabelStats, len(bounds)-1)
	for i := range out {
		out[i].Label = label
		if len(f.labelRows) > 0 {
			out[i] = f.labelRows[i%len(f.labelRows)]
		}
	}
	return out, f.err
}

func (f *fake) LabelProducts(ctx context.Context, store, label string, from, to time.Time, limit int) ([]tracker.ProductStats, error) {
	f.note(store, from, to)
	f.mu.Lock()
	f.lastLimit = limit
	f.mu.Unlock()
	return f.products, f.err
}

func (f *fake) Positions(ctx context.Context, store, label string, from, to time.Time) ([]tracker.PositionStats, error) {
	f.note(store, from, to)
	return f.positions, f.err
}

func (f *fake) Searches(ctx context.Context, store string, from, to time.Time, limit int) ([]tracker.SearchStats, error) {
	f.note(store, from, to)
	return f.searches, f.err
}
