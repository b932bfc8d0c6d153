package credit_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/visitrack/visitrack/tracker/credit"
)

const (
	minute = int64(time.Minute / time.Microsecond)
	day    = 24 * 60 * minute
)

func TestGroupBacktracksToTheLatestImpression(t *testing.T) {
	g := credit.NewGroup(credit.Rules{}, credit.All)
	var ch credit.Changes
	g.AddImpression(&credit.Impression{ID: "i1", Time: 0, Visitor: 1, Labels: 10, Products: []credit.Product{7}}, &ch)
	g.AddImpression(&credit.Impression{ID: "i2", Time: minute, Visitor: 1, Labels: 20, Products: []credit.Product{7, 8}}, &ch)
	g.AddImpression(&credit.Impression{ID: "i3", Time: minute, Visitor: 2, Labels: 30, Products: []credit.Product{7}}, &ch)
	c := &credit.Click{Ref: 1, ID: "c1", Time: 2 * minute, Visitor: 1, Product: 7}
	g.AddClick(c, &ch)
	assert.Equal(t, credit.LabelSet(20), c.Credit, "the later of the visitor's own impressions")
	assert.Equal(t, credit.Mark{Time: minute, ID: "i2"}, c.From)
	far := &credit.Click{Ref: 2, ID: "c2", Time: minute + 30*day + 1, Visitor: 1, Product: 8}
	g.AddClick(far, &ch)
	assert.Zero(t, far.Credit, "past the lookback")
	given := &credit.Click{Ref: 3, ID: "c3", Time: 3 * minute, Visitor: 1, Product: 7, Given: 99}
	g.AddClick(given, &ch)
	assert.Equal(t, credit.LabelSet(99), given.Credit, "named labels are credited as given")
	assert.Empty(t, ch.Clicks, "nothing stored changed")
}

func TestGroupLateEventsCorrectWhatCameBefore(t *testing.T) {
	g := credit.NewGroup(credit.Rules{}, credit.All)
	var ch credit.Changes
	// A sale, then the click it needed, then the impression the click needed.
	s := &credit.Sale{Ref: 1, ID: "s1", Time: 10 * minute, Visitor: 1, Lines: []credit.Line{{Product: 7, Price: 5, Quantity: 2}}}
	g.AddSale(s)
	assert.Zero(t, s.Credit[0].Labels)
	c := &credit.Click{Ref: 2, ID: "c1", Time: 5 * minute, Visitor: 1, Product: 7}
	g.AddClick(c, &ch)
	assert.Zero(t, c.Credit, "no impression yet")
	assert.Empty(t, ch.Sales, "an untracked click earns nothing")
	g.AddImpression(&credit.Impression{ID: "i1", Time: minute, Visitor: 1, Labels: 10, Products: []credit.Product{7}}, &ch)
	require.Contains(t, ch.Clicks, int64(2))
	assert.Equal(t, credit.LabelSet(0), ch.Clicks[2].Old)
	assert.Equal(t, credit.LabelSet(10), ch.Clicks[2].Click.Credit)
	require.Contains(t, ch.Sales, int64(1))
	assert.Equal(t, credit.LabelSet(0), ch.Sales[1].Old[0].Labels)
	assert.Equal(t, credit.LineCredit{Labels: 10, Click: credit.Mark{Time: 5 * minute, ID: "c1"}}, ch.Sales[1].Sale.Credit[0])
}

func TestRegroupResolvesSalesAgain(t *testing.T) {
	r := credit.Rules{}
	a, b := credit.NewGroup(r, credit.All), credit.NewGroup(r, credit.All)
	var ch credit.Changes
	a.AddClick(&credit.Click{Ref: 1, ID: "c1", Time: minute, Visitor: 1, Product: 7, Given: 10}, &ch)
	b.AddSale(&credit.Sale{Ref: 2, ID: "s1", Time: 2 * minute, Visitor: 2, Lines: []credit.Line{{Product: 7, Price: 1, Quantity: 1}}})
	merged := credit.Regroup(r, []*credit.Group{a, b}, 1, func(int64) int { return 0 }, &ch)
	require.Len(t, merged, 1)
	require.Contains(t, ch.Sales, int64(2), "joined, visitor 1's click credits visitor 2's sale")
	assert.Equal(t, credit.LabelSet(10), ch.Sales[2].Sale.Credit[0].Labels)

	ch = credit.Changes{}
	apart := credit.Regroup(r, merged, 2, func(v int64) int { return int(v - 1) }, &ch)
	require.Len(t, apart, 2)
	require.Contains(t, ch.Sales, int64(2), "split again, the credit goes")
	assert.Zero(t, ch.Sales[2].Sale.Credit[0].Labels)
}

func TestGroupTrimAndExtend(t *testing.T) {
	g := credit.NewGroup(credit.Rules{}, credit.All)
	var ch credit.Changes
	for i := range int64(100) {
		g.AddImpression(&credit.Impression{ID: string(rune('a' + i%26)), Time: i * day, Visitor: 1, Labels: 1, Products: []credit.Product{credit.Product(i)}}, &ch)
	}
	before := g.Size()
	g.Trim(50 * day)
	assert.Equal(t, 50*day, g.Low())
	assert.Less(t, g.Size(), before)
	g.Extend(40*day, []credit.Impression{{ID: "x", Time: 45 * day, Visitor: 1, Labels: 2, Products: []credit.Product{45}}}, nil, nil)
	assert.Equal(t, 40*day, g.Low())
	c := &credit.Click{Ref: 1, ID: "c", Time: 46 * day, Visitor: 1, Product: 45}
	g.AddClick(c, &ch)
	assert.Equal(t, credit.LabelSet(2), c.Credit, "found among the events brought back")
	assert.Equal(t, 99*day, g.Newest())
}
