package tracker_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/visitrack/visitrack/tracker"
)

// The interfaces Memory promises to satisfy.
var (
	_ tracker.Recorder = (*tracker.Memory)(nil)
	_ tracker.Sink     = (*tracker.Memory)(nil)
)

func trkEvent(id string) tracker.Event {
	return tracker.Event{ID: id, Kind: tracker.KindView, Store: trkStore, Visitor: trkVisitor, Product: "p-" + id, Time: trkNow}
}

func TestMemoryRecordAndWrite(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := tracker.NewMemory()
	assert.Zero(t, m.Len())
	assert.Empty(t, m.Events())

	require.NoError(t, m.Record(ctx, trkEvent("a")))
	require.NoError(t, m.Write(ctx, []tracker.Event{trkEvent("b"), trkEvent("c")}))
	require.NoError(t, m.Write(ctx, nil))
	assert.Equal(t, 3, m.Len())
	assert.Equal(t, []tracker.Event{trkEvent("a"), trkEvent("b"), trkEvent("c")}, m.Events(), "in arrival order")

	// Events returns a copy.
	evs := m.Events()
	evs[0].Product = "changed"
	assert.Equal(t, "p-a", m.Events()[0].Product)

	m.Reset()
	assert.Zero(t, m.Len())
	assert.Empty(t, m.Events())

	// After Reset, IDs seen before are accepted again.
	require.NoError(t, m.Write(ctx, []tracker.Event{trkEvent("a")}))
	assert.Equal(t, []tracker.Event{trkEvent("a")}, m.Events())
}

func TestMemoryIdempotentByID(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := tracker.NewMemory()
	batch := []tracker.Event{trkEvent("a"), trkEvent("b")}
	require.NoError(t, m.Write(ctx, batch))
	require.NoError(t, m.Write(ctx, batch)) // a redelivered batch
	require.NoError(t, m.Write(ctx, []tracker.Event{trkEvent("b"), trkEvent("c"), trkEvent("c")}))
	require.NoError(t, m.Record(ctx, trkEvent("a")))
	assert.Equal(t, []tracker.Event{trkEvent("a"), trkEvent("b"), trkEvent("c")}, m.Events())
}

func TestMemoryConcurrent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := tracker.NewMemory()
	const goroutines, each = 8, 100
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range each {
				// Every goroutine writes the same IDs as its neighbour, so
				// that duplicates race each other.
				id := fmt.Sprintf("%d-%d", g/2, i)
				if i%2 == 0 {
					assert.NoError(t, m.Record(ctx, trkEvent(id)))
				} else {
					assert.NoError(t, m.Write(ctx, []tracker.Event{trkEvent(id)}))
				}
				_ = m.Len()
				_ = m.Events()
			}
		})
	}
	wg.Wait()
	evs := m.Events()
	assert.Len(t, evs, goroutines/2*each)
	seen := make(map[string]bool)
	for _, e := range evs {
		assert.False(t, seen[e.ID], "duplicate %s", e.ID)
		seen[e.ID] = true
	}
}
