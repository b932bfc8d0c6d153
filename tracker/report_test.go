package tracker_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/visitrack/visitrack/tracker"
)

func TestLabelStatsCTR(t *testing.T) {
	t.Parallel()
	assert.Zero(t, tracker.LabelStats{}.CTR(), "no impressions")
	assert.Zero(t, tracker.LabelStats{Clicks: 3}.CTR(), "clicks without impressions")
	assert.InDelta(t, 0.25, tracker.LabelStats{Impressions: 8, Clicks: 2}.CTR(), 1e-12)
	assert.InDelta(t, 1.0, tracker.LabelStats{Impressions: 5, Clicks: 5}.CTR(), 1e-12)
}

func TestReportImpactedShare(t *testing.T) {
	t.Parallel()
	assert.Zero(t, tracker.Report{}.ImpactedShare(), "no revenue")
	assert.Zero(t, tracker.Report{Revenue: 100}.ImpactedShare())
	assert.InDelta(t, 0.4, tracker.Report{Revenue: 250, ImpactedRevenue: 100}.ImpactedShare(), 1e-12)
	assert.InDelta(t, 1.0, tracker.Report{Revenue: 99.95, ImpactedRevenue: 99.95}.ImpactedShare(), 1e-12)
}

func TestMicrosAreExact(t *testing.T) {
	t.Parallel()
	var sum int64
	for range 10 {
		sum += tracker.Micros(0.1)
	}
	assert.Equal(t, tracker.Micros(1.0), sum)
	assert.Equal(t, int64(1_000_000), sum)
	assert.Equal(t, 1.0, tracker.FromMicros(sum))

	// The float sum is not exact: this is why stores sum micros.
	f := 0.0
	for range 10 {
		f += 0.1
	}
	assert.NotEqual(t, 1.0, f)

	tests := map[float64]int64{
		0:          0,
		0.000001:   1,
		0.01:       10_000,
		99.95:      99_950_000,
		19.99:      19_990_000,
		1234567.89: 1_234_567_890_000,
		-0.01:      -10_000,
	}
	for price, want := range tests {
		assert.Equal(t, want, tracker.Micros(price), "%v", price)
		assert.Equal(t, price, tracker.FromMicros(want), "%v", price)
	}

	// price × quantity, summed over lines, in micros.
	lines := []tracker.Line{{Price: 99.95, Quantity: 2}, {Price: 0.1, Quantity: 3}, {Price: 19.99, Quantity: 1}}
	var total int64
	for _, l := range lines {
		total += tracker.Micros(l.Price) * int64(l.Quantity)
	}
	assert.Equal(t, 220.19, tracker.FromMicros(total))
}
