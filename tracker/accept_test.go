package tracker_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/visitrack/visitrack/tracker"
)

// Accept keeps the valid events, normalized and in order, and names each
// refused one by its index, marked permanent.
func TestAccept(t *testing.T) {
	t.Parallel()
	good := valEvent(tracker.KindView)
	good.Product = " 12793 " // normalized on the way in
	broken := valEvent(tracker.KindClick)
	broken.Product = "p1\x1f"
	future := valEvent(tracker.KindSearch)
	future.Time = trkNow.Add(tracker.MaxClockSkew + time.Second)
	sale := valEvent(tracker.KindSale)
	events := []tracker.Event{good, broken, sale, future}

	accepted, err := tracker.Accept(events, trkNow)
	require.Len(t, accepted, 2)
	assert.Equal(t, "12793", accepted[0].Product)
	assert.Equal(t, sale.ID, accepted[1].ID)
	assert.Equal(t, " 12793 ", events[0].Product, "the caller's events are as they were")

	var be *tracker.BatchError
	require.ErrorAs(t, err, &be)
	require.Len(t, be.Failed, 2)
	assert.Equal(t, 1, be.Failed[0].Index)
	assert.ErrorIs(t, be.Failed[0].Err, tracker.ErrBadText)
	assert.Equal(t, 3, be.Failed[1].Index)
	assert.ErrorIs(t, be.Failed[1].Err, tracker.ErrFuture)
	for _, f := range be.Failed {
		assert.True(t, tracker.IsPermanent(f.Err), "event %d", f.Index)
	}
}

// With nothing to refuse, err is a nil error, not a nil *BatchError.
func TestAcceptAll(t *testing.T) {
	t.Parallel()
	accepted, err := tracker.Accept([]tracker.Event{valEvent(tracker.KindView), valEvent(tracker.KindEmail)}, trkNow)
	assert.NoError(t, err)
	assert.True(t, err == nil)
	assert.Len(t, accepted, 2)

	accepted, err = tracker.Accept(nil, trkNow)
	assert.NoError(t, err)
	assert.Empty(t, accepted)

	var be *tracker.BatchError
	_, err = tracker.Accept([]tracker.Event{{}}, trkNow)
	assert.True(t, errors.As(err, &be) && len(be.Failed) == 1, "an empty event is refused")
}

// A big batch comes out as if each event were admitted on its own, in
// order, whether it has refusals in the middle, at its ends or none at all.
func TestAcceptBigBatch(t *testing.T) {
	t.Parallel()
	kinds := []tracker.Kind{tracker.KindView, tracker.KindClick, tracker.KindSale, tracker.KindSearch, tracker.KindImpression}
	for _, bad := range [][]int{nil, {0}, {999}, {499, 500}, {3, 250, 501, 777, 998}} {
		events := make([]tracker.Event, 1000)
		for i := range events {
			events[i] = valEvent(kinds[i%len(kinds)])
			events[i].ID = fmt.Sprintf("ev%04d", i)
			events[i].Visitor = fmt.Sprintf(" %s ", events[i].Visitor) // normalized on the way in
		}
		for _, i := range bad {
			events[i].Visitor = "\xff"
		}
		var want []tracker.Event
		var wantFailed []int
		for i := range events {
			e := events[i]
			if e.Admit(trkNow) != nil {
				wantFailed = append(wantFailed, i)
			} else {
				want = append(want, e)
			}
		}
		require.Equal(t, bad, wantFailed)

		accepted, err := tracker.Accept(events, trkNow)
		assert.Equal(t, want, accepted, "refused %v", bad)
		if bad == nil {
			assert.NoError(t, err)
			continue
		}
		var be *tracker.BatchError
		require.ErrorAs(t, err, &be)
		var failed []int
		for _, f := range be.Failed {
			failed = append(failed, f.Index)
		}
		assert.Equal(t, bad, failed)
		assert.Contains(t, events[1].Visitor, " ", "the caller's events are as they were")
	}
}
