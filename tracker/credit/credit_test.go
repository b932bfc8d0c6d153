package credit_test

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/visitrack/visitrack/tracker/credit"
)

func TestOrder(t *testing.T) {
	tests := []struct {
		t1      int64
		id1     string
		t2      int64
		id2     string
		later   bool
		counts1 bool // copy 1 counts instead of copy 2
	}{
		{2, "a", 1, "z", true, false},
		{1, "z", 2, "a", false, true},
		{1, "b", 1, "a", true, false}, // same time: the ID decides
		{1, "a", 1, "b", false, true},
		{1, "a", 1, "a", false, false},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.later, credit.Later(tc.t1, tc.id1, tc.t2, tc.id2), "%+v", tc)
		assert.Equal(t, tc.counts1, credit.Counts(tc.t1, tc.id1, tc.t2, tc.id2), "%+v", tc)
	}
	assert.True(t, credit.Mark{Time: 1, ID: "a"}.After(credit.Mark{}), "everything comes after the zero mark")
	assert.False(t, credit.Mark{}.After(credit.Mark{}))
}

func TestMicros(t *testing.T) {
	at := time.Date(2026, 3, 2, 10, 0, 0, 1500, time.UTC) // 1.5 µs past the second
	assert.Equal(t, at.Truncate(time.Microsecond).UnixMicro(), credit.Micros(at), "rounds down")
	assert.Equal(t, credit.Micros(at)+1, credit.CeilMicros(at), "a range bound rounds up")
	whole := at.Truncate(time.Microsecond)
	assert.Equal(t, credit.Micros(whole), credit.CeilMicros(whole))
	before := time.Date(1969, 12, 31, 23, 59, 59, 999_999_500, time.UTC)
	assert.Equal(t, int64(-1), credit.Micros(before), "rounds down before the epoch too")
	assert.Equal(t, int64(0), credit.CeilMicros(before))
	assert.Equal(t, int64(-1), credit.Hour(-1))
	assert.Equal(t, int64(0), credit.Hour(0))
	assert.Equal(t, int64(1), credit.Hour(int64(time.Hour/time.Microsecond)))
	far := time.Date(300000, 1, 1, 0, 0, 0, 0, time.UTC)
	assert.Equal(t, int64(math.MaxInt64), credit.CeilMicros(far), "a bound past what int64 µs hold saturates")
	assert.Equal(t, int64(math.MinInt64), credit.CeilMicros(time.Time{}.AddDate(-300000, 0, 0)))
	assert.Equal(t, time.Time{}.UnixMicro(), credit.CeilMicros(time.Time{}), "year 1 is still held")
}

func TestRulesDefaults(t *testing.T) {
	r := credit.Rules{}.WithDefaults()
	assert.Equal(t, credit.DefaultWindow, r.Window)
	assert.Equal(t, credit.DefaultLinkLimit, r.LinkLimit)
	assert.Equal(t, (30 * 24 * time.Hour).Microseconds(), credit.Rules{Window: time.Hour}.LookbackMicros(),
		"the lookback is at least 30 days")
	assert.Equal(t, (60 * 24 * time.Hour).Microseconds(), credit.Rules{Window: 60 * 24 * time.Hour}.LookbackMicros(),
		"and the window if longer")
}

func TestComponents(t *testing.T) {
	r := credit.Rules{LinkLimit: 3}
	links := []credit.Link{
		{Visitor: 1, Identity: "e:a"}, {Visitor: 2, Identity: "e:a"}, // 1-2
		{Visitor: 2, Identity: "c:7"}, {Visitor: 5, Identity: "c:7"}, // 2-5, so 1-2-5
		{Visitor: 9, Identity: "e:b"}, // alone
		{Visitor: 10, Identity: "c:guest"}, {Visitor: 11, Identity: "c:guest"},
		{Visitor: 12, Identity: "c:guest"}, {Visitor: 13, Identity: "c:guest"}, // shared: links nobody
		{Visitor: 1, Identity: "e:a"}, // the same link twice
	}
	got := r.Components(links)
	assert.Equal(t, int64(1), got[1])
	assert.Equal(t, int64(1), got[2])
	assert.Equal(t, int64(1), got[5])
	for _, v := range []int64{9, 10, 11, 12, 13} {
		if g, ok := got[v]; ok {
			assert.Equal(t, v, g, "visitor %d is its own group", v)
		}
	}
}

func TestTally(t *testing.T) {
	tl := credit.NewTally()
	labels := map[credit.LabelSet][]int64{1: {10}, 2: {10, 20}}
	of := func(ls credit.LabelSet) []int64 { return labels[ls] }
	tl.Impression(1, 0, []int64{10, 20}, 4, +1)
	tl.Click(1, 0, []int64{10}, +1)
	lines := []credit.Line{{Product: 1, Price: 2_000_000, Quantity: 2}, {Product: 2, Price: 1_000_000, Quantity: 1}, {Product: 3, Price: 500_000, Quantity: 1}}
	cr := []credit.LineCredit{{Labels: 1, Click: credit.Mark{ID: "c1"}}, {Labels: 2, Click: credit.Mark{ID: "c2"}}, {}}
	tl.CountSale(1, 0, lines, cr, of, +1)
	assert.Equal(t, credit.LabelCounts{Calls: 1, Impressions: 4, Clicks: 1, Orders: 1, Revenue: 5_000_000}, *tl.Label(1, 0, 10),
		"label 10 earned both credited lines, and counts the order once")
	assert.Equal(t, credit.LabelCounts{Calls: 1, Impressions: 4, Orders: 1, Revenue: 1_000_000}, *tl.Label(1, 0, 20))
	assert.Equal(t, credit.StoreCounts{Calls: 1, Impressions: 4, Clicks: 1, Orders: 1, Revenue: 5_500_000, Impacted: 1, ImpactedRevenue: 5_500_000},
		*tl.Store(1, 0), "an impacted order counts whole; calls and clicks count once however many labels")
	tl.CountSale(1, 0, lines, cr, of, -1)
	tl.Impression(1, 0, []int64{10, 20}, 4, -1)
	tl.Click(1, 0, []int64{10}, -1)
	assert.Equal(t, credit.StoreCounts{}, *tl.Store(1, 0), "taking back leaves nothing")
	tl.Click(1, 0, nil, +1)
	assert.Zero(t, tl.Store(1, 0).Clicks, "an untracked click counts nowhere")
}
