package tracker_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/visitrack/visitrack/tracker"
)

func TestQueueDeliveryStats(t *testing.T) {
	forEachMode(t, func(t *testing.T, m queueMode) {
		ctx := testCtx(t)
		var writes atomic.Int32
		entered, release := make(chan struct{}, 1), make(chan struct{})
		sink := sinkFunc(func(ctx context.Context, events []tracker.Event) error {
			select {
			case entered <- struct{}{}:
			default:
			}
			<-release
			if writes.Add(1) <= 2 {
				return assert.AnError // retried twice
			}
			return nil
		})
		// The three events wait for Flush, which sends them in one batch.
		q := tracker.NewQueue(sink, m.config(t, fast(tracker.QueueConfig{BatchSize: 100, Senders: 1, FlushInterval: time.Hour})))
		assert.Equal(t, m.spooled, q.DeliveryStats().Spool)
		for i := range 3 {
			require.NoError(t, q.Record(ctx, event(i, tracker.KindClick)))
		}
		held := q.DeliveryStats()
		assert.Positive(t, held.HeldBytes, "three events held")
		assert.Zero(t, held.Batches)
		if m.spooled {
			assert.Equal(t, uint64(encodedSize([]tracker.Event{event(0, tracker.KindClick), event(1, tracker.KindClick), event(2, tracker.KindClick)})), held.HeldBytes)
		}
		flushed := make(chan error, 1)
		go func() { flushed <- q.Flush(ctx) }()
		<-entered
		time.Sleep(20 * time.Millisecond) // the batch waits in Write
		close(release)
		require.NoError(t, <-flushed)

		s := q.DeliveryStats()
		assert.Equal(t, uint64(1), s.Batches)
		assert.Equal(t, uint64(2), s.Retries)
		assert.Zero(t, s.HeldBytes)
		assert.GreaterOrEqual(t, s.BatchTime, 20*time.Millisecond, "from the take to the end, retries included")
		require.NotEmpty(t, s.BatchBuckets)
		last := s.BatchBuckets[len(s.BatchBuckets)-1]
		assert.Equal(t, 10*time.Minute, last.UpperBound)
		assert.Equal(t, uint64(1), last.Count)
		assert.Zero(t, s.BatchBuckets[0].Count, "not within 1 ms")
		for i := 1; i < len(s.BatchBuckets); i++ {
			assert.Greater(t, s.BatchBuckets[i].UpperBound, s.BatchBuckets[i-1].UpperBound)
			assert.GreaterOrEqual(t, s.BatchBuckets[i].Count, s.BatchBuckets[i-1].Count, "cumulative")
		}
		require.NoError(t, q.Close(ctx))
	})
}
