package sqlite_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/visitrack/visitrack/tracker"
	"github.com/visitrack/visitrack/tracker/internal/loadgen"
	"github.com/visitrack/visitrack/tracker/sqlite"
)

// TestConcurrentWriteReport writes and reads at once; run with -race.
func TestConcurrentWriteReport(t *testing.T) {
	t.Parallel()
	s, _ := openTemp(t, sqlite.Config{})
	var wg sync.WaitGroup
	for w := range 3 {
		wg.Go(func() {
			l := loadgen.New(uint64(10+w), 30, 4, benchStart, time.Second)
			for range 5 {
				evs := l.Batch(100)
				for i := range evs {
					evs[i].ID = fmt.Sprintf("w%d-%s", w, evs[i].ID)
					evs[i].Sale = fmt.Sprintf("w%d-%s", w, evs[i].Sale)
				}
				assert.NoError(t, s.Write(t.Context(), evs))
			}
		})
	}
	for range 2 {
		wg.Go(func() {
			for range 10 {
				_, err := s.Report(t.Context(), "shop-dk", benchStart, benchStart.Add(time.Hour))
				assert.NoError(t, err)
				_, err = s.History(t.Context(), "shop-dk", "nobody", 5)
				assert.NoError(t, err)
				_ = s.Stats()
			}
		})
	}
	wg.Wait()
	r, err := s.Report(t.Context(), "shop-dk", benchStart, benchStart.Add(24*time.Hour))
	require.NoError(t, err)
	assert.NotEmpty(t, r.Labels)
}

// One bad event in a batch costs only itself: through a Queue, a good sale
// and a click with a control character in its product ID give one order
// stored and one event failed, handed to OnFailure.
func TestBadEventCostsOnlyItself(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db, _ := openTemp(t, sqlite.Config{})
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

// The multi-row statements go to the driver connection directly, so they
// must follow the writer's connection when database/sql replaces it. A
// store whose connection is replaced after every use answers like one
// that kept its connection.
func TestWriterConnectionReplaced(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	ref, _ := openTemp(t, sqlite.Config{})
	s, _ := openTemp(t, sqlite.Config{})
	sqlite.ExpireWriterConnections(s)
	for _, b := range batches(12, 200) {
		require.NoError(t, ref.Write(ctx, b))
		time.Sleep(time.Millisecond) // past the connection's lifetime
		require.NoError(t, s.Write(ctx, b))
	}
	assert.Positive(t, sqlite.BulkReplaced(s))
	sameAnswers(t, ref, s)
}

// IDs that JSON must escape, or may write either way, are known again when
// they come back: the store looks a batch's event, visitor and sale IDs up
// through JSON arrays of them.
func TestEscapedIDsKnownAgain(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s, _ := openTemp(t, sqlite.Config{})
	odd := []string{`a"b`, `c\d`, "é<&>\u2028x", `e\"f`, "/g"}
	var evs []tracker.Event
	for i, id := range odd {
		evs = append(evs, tracker.Event{ID: "v" + id, Kind: tracker.KindView, Store: "shop", Visitor: "cvoddoddoddoddodd01",
			Time: benchStart.Add(time.Duration(i) * time.Second), Product: "p" + id})
		evs = append(evs, tracker.Event{ID: "s" + id, Kind: tracker.KindSale, Store: "shop", Visitor: "cvoddoddoddoddodd01",
			Time: benchStart.Add(time.Duration(i) * time.Second), Sale: "o" + id, Lines: []tracker.Line{{ID: "p" + id, Price: 1, Quantity: 1}}})
	}
	for range 2 { // the second time, every ID is known
		require.NoError(t, s.Write(ctx, evs))
	}
	r, err := s.Report(ctx, "shop", benchStart, benchStart.Add(time.Hour))
	require.NoError(t, err)
	assert.Equal(t, len(odd), r.Orders)
	assert.Equal(t, float64(len(odd)), r.Revenue)
	h, err := s.History(ctx, "shop", "cvoddoddoddoddodd01", 100)
	require.NoError(t, err)
	assert.Len(t, h, len(odd))
}
