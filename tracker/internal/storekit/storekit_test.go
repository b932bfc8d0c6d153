package storekit_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/visitrack/visitrack/tracker"
	"github.com/visitrack/visitrack/tracker/internal/storekit"
)

func TestBinsAndTop(t *testing.T) {
	var b storekit.Bins[string, int]
	for _, w := range strings.Fields("b a c b a b") {
		*b.Bin(w)++
	}
	assert.Equal(t, 3, b.Len())
	type count struct {
		word string
		n    int
	}
	all := storekit.Append(nil, &b, func(w string, n *int) count { return count{w, *n} })
	most := storekit.Most(func(c count) int { return c.n }, func(c count) string { return c.word })
	assert.Equal(t, []count{{"b", 3}, {"a", 2}}, storekit.Top(all, most, 2))
	assert.Equal(t, []count{{"b", 3}, {"a", 2}, {"c", 1}}, storekit.Top(all, most, 0), "≤ 0: all")
	n := 0
	for range b.All() {
		n++
	}
	assert.Equal(t, 3, n)
	var empty storekit.Bins[int, int]
	assert.Nil(t, storekit.Append[int, int, int](nil, &empty, nil))
}

type cached struct {
	storekit.Entry
	name string
}

func TestLRU(t *testing.T) {
	var c storekit.LRU[*cached]
	a, b := &cached{name: "a"}, &cached{name: "b"}
	c.Add(1, a, 10)
	c.Add(2, b, 20)
	assert.Equal(t, 2, c.Len())
	assert.Equal(t, int64(30), c.Bytes())
	assert.Same(t, a, c.Oldest())
	c.Touch(a)
	assert.Same(t, b, c.Oldest(), "a was used since")
	c.Measure(b, 25)
	assert.Equal(t, int64(35), c.Bytes())
	assert.Equal(t, int64(25), b.Size())

	a2 := &cached{name: "a2"}
	c.Add(1, a2, 5)
	assert.Same(t, a2, c.Get(1), "in place of a")
	assert.Equal(t, int64(30), c.Bytes())
	assert.False(t, c.Remove(a), "a is not held any more")
	assert.True(t, c.Remove(b))
	assert.False(t, c.Remove(b), "twice")
	assert.Equal(t, 1, c.Len())
	assert.Equal(t, int64(5), c.Bytes())
	assert.Nil(t, c.Get(2))

	c.Reset()
	assert.Zero(t, c.Len())
	assert.Zero(t, c.Bytes())
	assert.Nil(t, c.Oldest())
}

func TestCall(t *testing.T) {
	errClosed := errors.New("closed")
	closed := false
	isClosed := func() bool { return closed }
	boom := errors.New("boom")
	v, err := storekit.Call(isClosed, errClosed, "x: op", func() (int, error) { return 7, nil })
	assert.NoError(t, err)
	assert.Equal(t, 7, v)
	v, err = storekit.Call(isClosed, errClosed, "x: op", func() (int, error) { return 7, boom })
	assert.ErrorIs(t, err, boom)
	assert.EqualError(t, err, "x: op: boom")
	assert.Zero(t, v)
	closed = true
	_, err = storekit.Call(isClosed, errClosed, "x: op", func() (int, error) { panic("not called") })
	assert.Same(t, errClosed, err)
}

func TestWrite(t *testing.T) {
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	errClosed := errors.New("closed")
	closed := false
	isClosed := func() bool { return closed }
	var got []tracker.Event
	write := func(_ context.Context, evs []tracker.Event) error {
		got = append(got, evs...)
		return nil
	}
	ok := tracker.Event{ID: "e1", Kind: tracker.KindView, Store: "s", Visitor: "v", Time: now, Product: " p "}
	future := ok
	future.ID, future.Time = "e2", now.Add(time.Hour)

	err := storekit.Write(t.Context(), []tracker.Event{ok, future}, isClosed, errClosed, clock, "x: write", write)
	var be *tracker.BatchError
	require.ErrorAs(t, err, &be, "returned as it is, not wrapped")
	assert.Equal(t, 1, be.Failed[0].Index)
	require.Len(t, got, 1)
	assert.Equal(t, "p", got[0].Product)

	boom := errors.New("boom")
	err = storekit.Write(t.Context(), []tracker.Event{ok}, isClosed, errClosed, clock, "x: write",
		func(context.Context, []tracker.Event) error { return boom })
	assert.EqualError(t, err, "x: write: boom")

	closed = true
	assert.NoError(t, storekit.Write(t.Context(), nil, isClosed, errClosed, clock, "x: write", write), "nothing to do")
	assert.Same(t, errClosed, storekit.Write(t.Context(), []tracker.Event{ok}, isClosed, errClosed, clock, "x: write", write))
}

func TestPurgeEvery(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	var buf bytes.Buffer
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	var before time.Time
	storekit.PurgeEvery(ctx, time.Hour, 24*time.Hour, func() time.Time { return now },
		func(_ context.Context, b time.Time) (int64, error) {
			before = b
			cancel() // one round, then PurgeEvery returns
			return 0, errors.New("boom")
		}, slog.New(slog.NewTextHandler(&buf, nil)))
	assert.Equal(t, now.Add(-24*time.Hour), before)
	assert.Empty(t, buf.String(), "a failure after ctx ended is not logged")
}

func TestDefaultsAndStored(t *testing.T) {
	var budget int64
	var logger *slog.Logger
	var now func() time.Time
	storekit.Defaults(&budget, &logger, &now)
	assert.Equal(t, int64(storekit.DefaultMemoryBudget), budget)
	assert.NotNil(t, logger)
	assert.NotNil(t, now)
	budget = 5
	storekit.Defaults(&budget, &logger, &now)
	assert.Equal(t, int64(5), budget, "a setting given is kept")

	lines, err := storekit.DecodeLines([]byte(`[{"p":"12793","m":99950000,"q":2}]`))
	require.NoError(t, err)
	assert.Equal(t, []storekit.Line{{Product: "12793", Price: 99_950_000, Quantity: 2}}, lines)
	_, err = storekit.DecodeLines([]byte(`{`))
	assert.Error(t, err)

	at := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	assert.Equal(t, tracker.Activity{Kind: tracker.KindSearch, Query: "shoes", Time: at},
		storekit.Activity(tracker.KindSearch, at.UnixMicro(), "shoes"))
	assert.Equal(t, tracker.Activity{Kind: tracker.KindCategory, Category: "c", Time: at},
		storekit.Activity(tracker.KindCategory, at.UnixMicro(), "c"))
	assert.Equal(t, tracker.Activity{Kind: tracker.KindView, Product: "p", Time: at},
		storekit.Activity(tracker.KindView, at.UnixMicro(), "p"))
}

func TestStorable(t *testing.T) {
	assert.True(t, storekit.Storable())
	assert.True(t, storekit.Storable("shop-dk", "", "blå sko"))
	assert.False(t, storekit.Storable("shop-dk", "a\x00b"), "a NUL")
	assert.False(t, storekit.Storable("\xff\xfe"), "invalid UTF-8")
}
