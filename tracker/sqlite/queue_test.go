package sqlite_test

import (
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/visitrack/visitrack/tracker"
	"github.com/visitrack/visitrack/tracker/sqlite"
)

// One bad event in a batch costs only itself: through a Queue, a good sale
// and a click with a control character in its product ID give one order
// stored and one event failed, handed to OnFailure.
func TestBadEventCostsOnlyItself(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "v.db"))
	require.NoError(t, err)
	defer db.Close()
	var mu sync.Mutex
	var failed []tracker.Event
	q := tracker.NewQueue(db, tracker.QueueConfig{FlushInterval: time.Hour, OnFailure: func(evs []tracker.Event, err error) {
		assert.True(t, tracker.IsPermanent(err))
		mu.Lock()
		failed = append(failed, evs...)
		mu.Unlock()
	}})
	sale := tracker.Event{ID: "s1", Kind: tracker.KindSale, Store: "shop", Visitor: "cvgoodgoodgoodgood01", Time: benchStart,
		Sale: "o1", Lines: []tracker.Line{{ID: "p1", Price: 10, Quantity: 1}}}
	bad := tracker.Event{ID: "c1", Kind: tracker.KindClick, Store: "shop", Visitor: "cvgoodgoodgoodgood01", Time: benchStart,
		Product: "p1\x1f"} // a store is handed it anyway, as by an older sender
	require.NoError(t, q.Record(ctx, sale))
	require.NoError(t, q.Record(ctx, bad))
	require.NoError(t, q.Flush(ctx))
	require.NoError(t, q.Close(ctx))

	st := q.Stats()
	assert.Equal(t, uint64(1), st.Delivered)
	assert.Equal(t, uint64(1), st.Failed)
	require.Len(t, failed, 1)
	assert.Equal(t, "c1", failed[0].ID)
	r, err := db.Report(ctx, "shop", benchStart, benchStart.Add(time.Hour))
	require.NoError(t, err)
	assert.Equal(t, 1, r.Orders)
	assert.Equal(t, 10.0, r.Revenue)
}
