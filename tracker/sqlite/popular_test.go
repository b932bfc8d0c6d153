package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/visitrack/visitrack/tracker"
	"github.com/visitrack/visitrack/tracker/sqlite"
)

func TestPopular(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "popular.db"))
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })

	t0 := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	ev := func(id string, k tracker.Kind, at time.Time, store string) tracker.Event {
		return tracker.Event{ID: id, Kind: k, Store: store, Visitor: "v1", Time: at}
	}
	click := func(id, product string, at time.Time) tracker.Event {
		e := ev(id, tracker.KindClick, at, "shop")
		e.Product = product
		return e
	}
	sale := ev("s1", tracker.KindSale, t0.Add(time.Hour), "shop")
	sale.Sale = "o1"
	sale.Lines = []tracker.Line{{ID: "b", Price: 10, Quantity: 3}, {ID: "c", Price: 5, Quantity: 1}}
	other := click("x1", "z", t0)
	other.Store = "other-shop"
	view := ev("w1", tracker.KindView, t0, "shop")
	view.Product = "a"
	require.NoError(t, db.Write(ctx, []tracker.Event{
		click("c0", "old", t0.Add(-48*time.Hour)), // before since
		click("c1", "a", t0), click("c2", "a", t0), click("c3", "c", t0),
		sale, other, view,
	}))

	got, err := db.Popular(ctx, "shop", t0.Add(-time.Hour), 0)
	require.NoError(t, err)
	assert.Equal(t, []sqlite.ProductCount{
		{Product: "b", Units: 3},
		{Product: "a", Clicks: 2},
		{Product: "c", Clicks: 1, Units: 1},
	}, got)

	top, err := db.Popular(ctx, "shop", t0.Add(-time.Hour), 1)
	require.NoError(t, err)
	assert.Equal(t, []sqlite.ProductCount{{Product: "b", Units: 3}}, top)

	none, err := db.Popular(ctx, "nobody", t0.Add(-time.Hour), 0)
	require.NoError(t, err)
	assert.Empty(t, none)
}
