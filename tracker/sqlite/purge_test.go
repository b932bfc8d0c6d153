package sqlite_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/visitrack/visitrack/tracker"
	"github.com/visitrack/visitrack/tracker/sqlite"
)

// An old event that arrived after newer ones sits between them on its
// visitor's chains: purging it leaves the newer ones reachable, for
// History, for the writer, and for Forget.
func TestPurgeKeepsLateArrivalsChained(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s, path := openTemp(t, sqlite.Config{})
	v := "cvlatelatelatelate01"
	ev := func(id string, at time.Duration, k tracker.Kind) tracker.Event {
		e := tracker.Event{ID: id, Store: "shop", Visitor: v, Time: benchStart.Add(at), Kind: k, Product: "p" + id}
		switch k {
		case tracker.KindImpression:
			e.Product, e.API, e.Labels, e.Products = "", "recommendations/trending", []string{"Home"}, []string{"p1"}
		case tracker.KindEmail:
			e.Product, e.Email = "", "late@example.com"
		}
		return e
	}
	// Arrival order: new, old (late), new; and an impression, late too.
	require.NoError(t, s.Write(ctx, []tracker.Event{ev("1", 10*24*time.Hour, tracker.KindView)}))
	require.NoError(t, s.Write(ctx, []tracker.Event{ev("2", time.Hour, tracker.KindView), ev("i", time.Hour, tracker.KindImpression)}))
	require.NoError(t, s.Write(ctx, []tracker.Event{ev("3", 11*24*time.Hour, tracker.KindView), ev("e", 11*24*time.Hour, tracker.KindEmail)}))
	n, err := s.Purge(ctx, benchStart.Add(24*time.Hour))
	require.NoError(t, err)
	assert.Equal(t, int64(2), n)

	for round := range 2 { // and again after a restart
		h, err := s.History(ctx, "shop", v, 0)
		require.NoError(t, err)
		require.Len(t, h, 2, "round %d", round)
		assert.Equal(t, "p3", h[0].Product)
		assert.Equal(t, "p1", h[1].Product)
		require.NoError(t, s.Close())
		s = openAt(t, path, sqlite.Config{})
	}
	// A click on p1 now finds no impression (it was purged); Forget still
	// reaches every event.
	c := ev("c", 12*24*time.Hour, tracker.KindClick)
	c.Product = "p1"
	require.NoError(t, s.Write(ctx, []tracker.Event{c}))
	r, err := s.Report(ctx, "shop", benchStart, benchStart.Add(30*24*time.Hour))
	require.NoError(t, err)
	assert.Empty(t, r.Labels)
	require.NoError(t, s.Forget(ctx, "shop", "late@example.com"))
	h, err := s.History(ctx, "shop", v, 0)
	require.NoError(t, err)
	assert.Empty(t, h)
}

// After a purge of everything, new events are stored and found again, also
// after a restart.
func TestPurgeAllThenRestart(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s, path := openTemp(t, sqlite.Config{})
	view := func(id string, at time.Time) tracker.Event {
		return tracker.Event{ID: id, Store: "shop", Visitor: "cvpurgepurgepurge001", Time: at, Kind: tracker.KindView, Product: "p-" + id}
	}
	var evs []tracker.Event
	for i := range 30 {
		evs = append(evs, view(fmt.Sprint("old", i), benchStart.Add(time.Duration(i)*time.Minute)))
	}
	require.NoError(t, s.Write(ctx, evs))
	n, err := s.Purge(ctx, benchStart.Add(time.Hour))
	require.NoError(t, err)
	assert.Equal(t, int64(30), n)
	later := benchStart.Add(2 * time.Hour)
	require.NoError(t, s.Write(ctx, []tracker.Event{view("new1", later), view("new2", later.Add(time.Second))}))
	require.NoError(t, s.Close())

	s = openAt(t, path, sqlite.Config{})
	h, err := s.History(ctx, "shop", "cvpurgepurgepurge001", 0)
	require.NoError(t, err)
	require.Len(t, h, 2)
	assert.Equal(t, "p-new2", h[0].Product)
}

// A visitor whose events of the cut's day were all before the cut goes
// with them; a later event of that day is a new visitor's, and counts.
func TestPurgeThenSameDayCountsVisitor(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s, _ := openTemp(t, sqlite.Config{})
	day := benchStart.Add(2 * 24 * time.Hour)
	view := func(id string, at time.Duration) []tracker.Event {
		return []tracker.Event{{ID: id, Kind: tracker.KindView, Store: "shop-dk", Visitor: "cvcutcutcutcutcut001", Time: day.Add(at), Product: "p1"}}
	}
	require.NoError(t, s.Write(ctx, view("morning", 2*time.Hour)))
	_, err := s.Purge(ctx, day.Add(12*time.Hour))
	require.NoError(t, err)
	require.NoError(t, s.Write(ctx, view("evening", 20*time.Hour)))
	o, err := s.Overview(ctx, "shop-dk", day, day.Add(24*time.Hour)) // a whole day: visitor_days
	require.NoError(t, err)
	assert.Equal(t, 1, o.Visitors)
}
