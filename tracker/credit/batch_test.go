package credit_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/visitrack/visitrack/tracker"
	"github.com/visitrack/visitrack/tracker/credit"
)

// record is a store's record of a pending event, as the stores keep one.
type record struct {
	credit.Pending
	note string
}

func pend(store int64, e tracker.Event) *record {
	return &record{Pending: credit.Pending{Event: &e, Store: store, Visitor: 1}}
}

var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

func TestResolveLabelsAndCopies(t *testing.T) {
	imp := pend(1, tracker.Event{ID: "i", Kind: tracker.KindImpression, Time: t0, Labels: []string{"Home"}})
	click := pend(1, tracker.Event{ID: "c", Kind: tracker.KindClick, Time: t0})
	named := pend(1, tracker.Event{ID: "n", Kind: tracker.KindClick, Time: t0, Labels: []string{"Side"}})
	late := pend(1, tracker.Event{ID: "s2", Kind: tracker.KindSale, Time: t0.Add(time.Minute), Sale: "o1"})
	early := pend(1, tracker.Event{ID: "s9", Kind: tracker.KindSale, Time: t0, Sale: "o1"})
	other := pend(2, tracker.Event{ID: "s1", Kind: tracker.KindSale, Time: t0, Sale: "o1"})
	batch := []*record{imp, click, named, late, early, other}

	sets := map[string]credit.LabelSet{"Home": 10, "Side": 20}
	require.NoError(t, credit.ResolveLabels(batch, func(store int64, names []string) (credit.LabelSet, error) {
		return sets[names[0]], nil
	}))
	assert.Equal(t, credit.LabelSet(10), imp.Labels)
	assert.Zero(t, click.Labels, "a click that names no labels")
	assert.Equal(t, credit.LabelSet(20), named.Labels)
	boom := errors.New("boom")
	assert.ErrorIs(t, credit.ResolveLabels(batch, func(int64, []string) (credit.LabelSet, error) { return 0, boom }), boom)

	best, ids := credit.CountingCopies(batch)
	assert.Equal(t, map[credit.SaleKey]*record{{Store: 1, Sale: "o1"}: early, {Store: 2, Sale: "o1"}: other}, best,
		"the earliest copy, per store")
	assert.Equal(t, map[int64][]string{1: {"o1"}, 2: {"o1"}}, ids)

	early.Counts = true
	for _, r := range batch {
		assert.Equal(t, r == imp || r == click || r == named || r == early, r.Grouped(), r.Event.ID)
	}
}

func TestNeedForAndAddTo(t *testing.T) {
	var products credit.Products
	g := credit.NewGroup(credit.Rules{}, credit.All)
	imp := pend(1, tracker.Event{ID: "i", Kind: tracker.KindImpression, Time: t0, Products: []string{"p1", "p2"}})
	imp.Labels = 10
	click := pend(1, tracker.Event{ID: "c", Kind: tracker.KindClick, Time: t0.Add(time.Minute), Product: "p2"})
	sale := pend(1, tracker.Event{ID: "s", Kind: tracker.KindSale, Time: t0.Add(2 * time.Minute), Sale: "o",
		Lines: []tracker.Line{{ID: "p2", Price: 5, Quantity: 2}}})
	sale.Ref, sale.Counts = 7, true
	batch := []*record{sale, click, imp} // any order

	need := credit.NeedFor(g, batch, &products)
	assert.Equal(t, credit.Micros(click.Event.Time)-credit.Rules{}.LookbackMicros(), need, "the click looks back furthest")
	assert.Equal(t, products.Of(1, "p2"), click.Click.Product, "the click is set up")
	var ch credit.Changes
	credit.AddTo(g, batch, &products, &ch)
	assert.Equal(t, []*record{imp, click, sale}, batch, "added in time order")
	assert.Equal(t, credit.LabelSet(10), click.Click.Credit, "backtracked to the impression added before it")
	require.Len(t, sale.Sale.Credit, 1)
	assert.Equal(t, credit.LabelSet(10), sale.Sale.Credit[0].Labels)
	assert.Equal(t, int64(7), sale.Sale.Ref)
	assert.Equal(t, 2, products.Len())
	assert.Equal(t, products.Of(1, "p1"), products.Of(1, "p1"), "one handle per product ID")
	assert.NotEqual(t, products.Of(1, "p1"), products.Of(2, "p1"), "and store")
}

func TestReachAndParts(t *testing.T) {
	// Visitors 1-2 are a group; 2 and 3 share identity 100; identity 200 is
	// used by 4, 5 and 6, more than the limit.
	groups := map[int64][]int64{1: {1, 2}, 2: {1, 2}, 3: {3}, 4: {4}, 5: {5}, 6: {6}}
	uses := map[int64][]int64{2: {100}, 3: {100}, 4: {200}, 5: {200}, 6: {200}}
	users := map[int64][]int64{100: {2, 3}, 200: {4, 5, 6}}
	var rounds [][]int64
	r := credit.Rules{LinkLimit: 2}
	all, links, err := r.Reach([]int64{1, 1, 4}, func(fresh []int64) ([]int64, map[int64][]int64, error) {
		rounds = append(rounds, fresh)
		var members []int64
		found := make(map[int64][]int64)
		for _, v := range fresh {
			members = append(members, groups[v]...)
			for _, iid := range uses[v] {
				found[iid] = users[iid]
			}
		}
		return members, found, nil
	})
	require.NoError(t, err)
	assert.ElementsMatch(t, []int64{1, 4, 2, 3}, all, "not 5 and 6: identity 200 links no one")
	assert.Equal(t, []int64{1, 4}, rounds[0], "each visitor once")
	assert.Len(t, links, 5, "every use of each identity, once")
	comp := r.Components(links)
	assert.Equal(t, int64(2), credit.GroupIn(comp, 3))
	assert.Equal(t, int64(4), credit.GroupIn(comp, 4), "a visitor without links is its own group")

	gids, partOf := credit.Parts([]int64{3, 4, 2}, func(vid int64) int64 { return credit.GroupIn(comp, vid) })
	assert.Equal(t, []int64{2, 4}, gids)
	assert.Equal(t, map[int64]int{3: 0, 4: 1, 2: 0}, partOf)

	boom := errors.New("boom")
	_, _, err = r.Reach([]int64{1}, func([]int64) ([]int64, map[int64][]int64, error) { return nil, nil, boom })
	assert.ErrorIs(t, err, boom)
}

func TestTallySubAndDay(t *testing.T) {
	c, o := credit.NewTally(), credit.NewTally()
	c.Impression(1, 5*minute, []int64{10}, 3, +1)
	c.Click(1, 6*minute, []int64{10}, +1)
	o.Impression(1, 7*minute, []int64{10}, 3, +1)
	c.Sub(o)
	assert.Equal(t, credit.LabelCounts{Clicks: 1}, *c.Label(1, 0, 10))
	assert.Equal(t, credit.StoreCounts{Clicks: 1}, *c.Store(1, 0))
	assert.Equal(t, int64(-1), credit.Day(-1))
	assert.Equal(t, int64(0), credit.Day(0))
	assert.Equal(t, int64(1), credit.Day(credit.DayMicros))
}

// snap is a Snapshot over fixed answers.
type snap struct {
	hours, events [][2]int64 // the ranges asked for
	drills        []credit.DrillQuery
}

func (s *snap) SumHours(from, to int64, sum *credit.Tally) error {
	s.hours = append(s.hours, [2]int64{from, to})
	sum.Store(1, from*credit.HourMicros).Orders += to - from
	return nil
}
func (s *snap) SumEvents(from, to int64, sum *credit.Tally) error {
	s.events = append(s.events, [2]int64{from, to})
	return nil
}
func (s *snap) LabelNames() (map[int64]string, error) { return map[int64]string{}, nil }
func (s *snap) LabelID(label string) (int64, error) {
	if label == "Home" {
		return 7, nil
	}
	return 0, nil
}
func (s *snap) SetsWith(lid int64) (map[credit.LabelSet]bool, error) {
	return map[credit.LabelSet]bool{3: true, 1: true}, nil
}
func (s *snap) Visitors(from, to, fromDay, toDay int64) (int, error) {
	return int(toDay - fromDay), nil
}
func (s *snap) Drill(from, to int64, q credit.DrillQuery) (*credit.Drill, error) {
	s.drills = append(s.drills, q)
	return &credit.Drill{Searches: []credit.DrillSearch{{Query: "shoes", Clicks: 1}, {Query: "shoes", Searches: 3, NoResults: 1, Shown: 8, Clicks: 1}}}, nil
}

func TestReports(t *testing.T) {
	s := &snap{}
	boom := errors.New("boom")
	reports := credit.Reports{Name: "test", Read: func(ctx context.Context, store string, f func(credit.Snapshot) error) error {
		if store == "broken" {
			return boom
		}
		return f(s)
	}}
	ctx := t.Context()
	from, to := t0.Add(90*time.Minute+time.Microsecond), t0.Add(48*time.Hour+30*time.Minute)
	o, err := reports.Overview(ctx, "shop", from, to)
	require.NoError(t, err)
	h := credit.Micros(t0) / credit.HourMicros
	assert.Equal(t, [][2]int64{{h + 2, h + 48}}, s.hours, "whole hours from counters")
	assert.Equal(t, [][2]int64{{credit.CeilMicros(from), (h + 2) * credit.HourMicros}, {(h + 48) * credit.HourMicros, credit.Micros(to)}},
		s.events, "the ragged ends from events")
	assert.Equal(t, 46, o.Orders)
	assert.Equal(t, 1, o.Visitors, "one whole day")

	st, err := reports.Searches(ctx, "shop", from, to, 0)
	require.NoError(t, err)
	assert.Equal(t, []credit.DrillQuery{{Searching: true}}, s.drills, "one read, of what searches need")
	assert.Equal(t, []tracker.SearchStats{{Query: "shoes", Searches: 3, NoResults: 1, Impressions: 8, Clicks: 2}}, st, "parts add up")

	p, err := reports.LabelProducts(ctx, "shop", "nolabel", from, to, 0)
	assert.NoError(t, err)
	assert.Nil(t, p, "a label the store does not know")
	s.drills = nil
	_, err = reports.Positions(ctx, "shop", "Home", from, to)
	require.NoError(t, err)
	assert.Equal(t, []credit.DrillQuery{{Kinds: []tracker.Kind{tracker.KindImpression, tracker.KindClick}, Sets: []credit.LabelSet{1, 3}}},
		s.drills, "a label's drill-down reads its label sets only, in order")

	_, err = reports.Series(ctx, "broken", []time.Time{from, to})
	assert.ErrorIs(t, err, boom)
	assert.EqualError(t, err, "test: series: boom")
}
