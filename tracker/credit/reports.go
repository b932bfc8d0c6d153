package credit

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/visitrack/visitrack/tracker"
)

// Snapshot is one store's data at one moment, as Reports reads it: a store
// implements it on a read-only transaction. Times are microseconds and
// every range is half-open, [from, to).
type Snapshot interface {
	// SumHours adds to sum the counters of the whole hours [from, to)
	// (Hour numbers).
	SumHours(from, to int64, sum *Tally) error
	// SumEvents adds to sum the live events of [from, to), as the counters
	// count them.
	SumEvents(from, to int64, sum *Tally) error
	// LabelNames returns the names of the store's labels, by ID.
	LabelNames() (map[int64]string, error)
	// LabelID returns the ID of the store's label, or 0 when it has none
	// by that name.
	LabelID(label string) (int64, error)
	// SetsWith returns the store's label sets that hold the label lid.
	SetsWith(lid int64) (map[LabelSet]bool, error)
	// Visitors counts the distinct visitors with a live event in [from,
	// to); those of the whole days [fromDay, toDay) in it, if fromDay <
	// toDay, may come from a row per visitor and day.
	Visitors(from, to, fromDay, toDay int64) (int, error)
	// Drill reads the live events of [from, to) that q asks for; of sales,
	// those that count.
	Drill(from, to int64, q DrillQuery) (*Drill, error)
}

// Reports answers a store's Report and tracker.Analytics from snapshots of
// its data: the store reads, Reports adds up, by the rules every store
// applies. Counters serve the whole hours of a range, events its ragged
// ends.
type Reports struct {
	// Name starts every error: "sqlite" gives "sqlite: report: …".
	Name string
	// Read calls f with a snapshot of store's data; for a store it has no
	// data of, it returns nil without calling f.
	Read func(ctx context.Context, store string, f func(Snapshot) error) error
}

func (r Reports) wrap(op string, err error) error {
	if err != nil {
		return fmt.Errorf("%s: %s: %w", r.Name, op, err)
	}
	return nil
}

// count counts [from, to) in s: counters for the whole hours in it, the
// events themselves for the ragged ends.
func count(s Snapshot, from, to time.Time) (*Tally, error) {
	sum := NewTally()
	f, t := CeilMicros(from), CeilMicros(to)
	if f >= t {
		return sum, nil
	}
	// Whole hours from the first that starts at or after f to the last that
	// ends at or before t; events for the rest.
	hf, ht := ceilDiv(f, HourMicros), Hour(t)
	if hf >= ht {
		return sum, s.SumEvents(f, t, sum)
	}
	if err := s.SumHours(hf, ht, sum); err != nil {
		return nil, err
	}
	if err := s.SumEvents(f, hf*HourMicros, sum); err != nil {
		return nil, err
	}
	return sum, s.SumEvents(ht*HourMicros, t, sum)
}

// report fills rep, whose range is set, from s, and returns the totals.
func report(s Snapshot, rep *tracker.Report) (StoreCounts, error) {
	sum, err := count(s, rep.From, rep.To)
	if err != nil {
		return StoreCounts{}, err
	}
	names, err := s.LabelNames()
	if err != nil {
		return StoreCounts{}, err
	}
	return sum.Report(rep, names), nil
}

// Report returns what tracked results earned in store over [from, to).
func (r Reports) Report(ctx context.Context, store string, from, to time.Time) (tracker.Report, error) {
	rep := tracker.Report{From: from, To: to}
	err := r.Read(ctx, store, func(s Snapshot) error {
		_, err := report(s, &rep)
		return err
	})
	return rep, r.wrap("report", err)
}

// Overview returns the Report of store over [from, to) with its headline
// figures.
func (r Reports) Overview(ctx context.Context, store string, from, to time.Time) (tracker.Overview, error) {
	o := tracker.Overview{Report: tracker.Report{From: from, To: to}}
	err := r.Read(ctx, store, func(s Snapshot) error {
		total, err := report(s, &o.Report)
		if err != nil {
			return err
		}
		o.Calls, o.Impressions, o.Clicks = int(total.Calls), int(total.Impressions), int(total.Clicks)
		f, t := CeilMicros(from), CeilMicros(to)
		if f < t {
			o.Visitors, err = s.Visitors(f, t, ceilDiv(f, DayMicros), Day(t))
		}
		return err
	})
	return o, r.wrap("overview", err)
}

// Series returns a Point for each range [bounds[i], bounds[i+1]).
func (r Reports) Series(ctx context.Context, store string, bounds []time.Time) ([]tracker.Point, error) {
	out := make([]tracker.Point, max(0, len(bounds)-1))
	for i := range out {
		out[i].From, out[i].To = bounds[i], bounds[i+1]
	}
	err := r.Read(ctx, store, func(s Snapshot) error {
		for i := range out {
			sum, err := count(s, bounds[i], bounds[i+1])
			if err != nil {
				return err
			}
			_, c := sum.Sum(nil)
			out[i].Orders, out[i].ImpactedOrders = int(c.Orders), int(c.Impacted)
			out[i].Revenue, out[i].ImpactedRevenue = tracker.FromMicros(c.Revenue), tracker.FromMicros(c.ImpactedRevenue)
			out[i].Calls, out[i].Impressions, out[i].Clicks = int(c.Calls), int(c.Impressions), int(c.Clicks)
		}
		return nil
	})
	if err != nil {
		return nil, r.wrap("series", err)
	}
	return out, nil
}

// LabelSeries returns the stats of label for each range [bounds[i],
// bounds[i+1]).
func (r Reports) LabelSeries(ctx context.Context, store, label string, bounds []time.Time) ([]tracker.LabelStats, error) {
	out := make([]tracker.LabelStats, max(0, len(bounds)-1))
	for i := range out {
		out[i].Label = label
	}
	err := r.Read(ctx, store, func(s Snapshot) error {
		lid, err := s.LabelID(label)
		if err != nil || lid == 0 {
			return err
		}
		for i := range out {
			sum, err := count(s, bounds[i], bounds[i+1])
			if err != nil {
				return err
			}
			labels, _ := sum.Sum(map[int64]string{lid: label})
			for _, l := range labels {
				if l.Label == label {
					out[i] = l
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, r.wrap("label series", err)
	}
	return out, nil
}

// DrillQuery says what a drill-down reads of a range. A store answers it
// from indexes, so that a page about one label or about searches does not
// read every event of the range.
type DrillQuery struct {
	// Kinds are the kinds of events to read of a label's calls: the
	// impressions and clicks under the label sets Sets, and the sales with
	// a line credited to one of them.
	Kinds []tracker.Kind
	Sets  []LabelSet
	// Searching asks instead for what each query did (Drill.Searches):
	// searches, calls showing a search's results and the clicks credited
	// to them, which a store counts where it reads them.
	Searching bool
}

// drill reads from s what a label's drill-downs count of [from, to): the
// events of kinds under the label's label sets. It returns nil when no
// call was ever under label.
func drill(s Snapshot, label string, from, to time.Time, kinds ...tracker.Kind) (map[LabelSet]bool, *Drill, error) {
	lid, err := s.LabelID(label)
	if err != nil || lid == 0 {
		return nil, nil, err
	}
	sets, err := s.SetsWith(lid)
	if err != nil || len(sets) == 0 {
		return nil, nil, err
	}
	d, err := read(s, from, to, DrillQuery{Kinds: kinds, Sets: slices.Sorted(maps.Keys(sets))})
	return sets, d, err
}

// read asks s for q over [from, to), which may be empty.
func read(s Snapshot, from, to time.Time, q DrillQuery) (*Drill, error) {
	f, t := CeilMicros(from), CeilMicros(to)
	if f >= t {
		return &Drill{}, nil
	}
	return s.Drill(f, t, q)
}

// LabelProducts returns the products calls under label showed in [from,
// to), with the clicks and sales credited to label, most shown first.
func (r Reports) LabelProducts(ctx context.Context, store, label string, from, to time.Time, limit int) ([]tracker.ProductStats, error) {
	var out []tracker.ProductStats
	err := r.Read(ctx, store, func(s Snapshot) error {
		sets, d, err := drill(s, label, from, to, tracker.KindImpression, tracker.KindClick, tracker.KindSale)
		if d != nil {
			out = d.Products(sets, limit)
		}
		return err
	})
	if err != nil {
		return nil, r.wrap("label products", err)
	}
	return out, nil
}

// Positions returns, for each position at which calls under label showed
// products in [from, to), the products shown there and the clicks credited
// to label from it.
func (r Reports) Positions(ctx context.Context, store, label string, from, to time.Time) ([]tracker.PositionStats, error) {
	var out []tracker.PositionStats
	err := r.Read(ctx, store, func(s Snapshot) error {
		sets, d, err := drill(s, label, from, to, tracker.KindImpression, tracker.KindClick)
		if d != nil {
			out = d.Positions(sets)
		}
		return err
	})
	if err != nil {
		return nil, r.wrap("positions", err)
	}
	return out, nil
}

// Searches returns the queries visitors searched for in [from, to) and the
// queries whose results calls showed then, most searched first, with the
// clicks backtracked to those calls.
func (r Reports) Searches(ctx context.Context, store string, from, to time.Time, limit int) ([]tracker.SearchStats, error) {
	var out []tracker.SearchStats
	err := r.Read(ctx, store, func(s Snapshot) error {
		d, err := read(s, from, to, DrillQuery{Searching: true})
		if err != nil {
			return err
		}
		out = d.SearchStats(limit)
		return nil
	})
	if err != nil {
		return nil, r.wrap("searches", err)
	}
	return out, nil
}
