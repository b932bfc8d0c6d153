package tracker

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestBackoff(t *testing.T) {
	t.Parallel()
	const ms = time.Millisecond
	for _, tc := range []struct {
		attempt      int
		initial, max time.Duration
		want         time.Duration
	}{
		{1, 100 * ms, 30 * time.Second, 100 * ms},
		{2, 100 * ms, 30 * time.Second, 200 * ms},
		{3, 100 * ms, 30 * time.Second, 400 * ms},
		{9, 100 * ms, 30 * time.Second, 25600 * ms},
		{10, 100 * ms, 30 * time.Second, 30 * time.Second}, // 51.2 s, capped
		{40, 100 * ms, 30 * time.Second, 30 * time.Second}, // the doubling overflows
		{62, 100 * ms, 30 * time.Second, 30 * time.Second},
		{1000, 100 * ms, 30 * time.Second, 30 * time.Second},
		{1, ms, ms, ms},
		{5, ms, ms, ms},
		{0, 100 * ms, time.Second, 100 * ms}, // not an attempt: as the first
	} {
		assert.Equal(t, tc.want, backoff(tc.attempt, tc.initial, tc.max), "attempt %d, %v..%v", tc.attempt, tc.initial, tc.max)
	}
}
