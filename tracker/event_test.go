package tracker_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/visitrack/visitrack/tracker"
)

func TestKindText(t *testing.T) {
	t.Parallel()
	want := map[tracker.Kind]string{
		tracker.KindImpression: "impression",
		tracker.KindClick:      "click",
		tracker.KindSale:       "sale",
		tracker.KindView:       "product",
		tracker.KindCategory:   "category",
		tracker.KindSearch:     "search",
		tracker.KindEmail:      "email",
	}
	for k, name := range want {
		assert.True(t, k.Valid(), "%s", name)
		assert.Equal(t, name, k.String())
		b, err := k.MarshalText()
		require.NoError(t, err)
		assert.Equal(t, name, string(b))

		var got tracker.Kind
		require.NoError(t, got.UnmarshalText(b))
		assert.Equal(t, k, got)
	}
}

func TestKindInvalid(t *testing.T) {
	t.Parallel()
	for _, k := range []tracker.Kind{0, tracker.KindEmail + 1, 255} {
		assert.False(t, k.Valid(), "%d", uint8(k))
		assert.Contains(t, k.String(), "Kind(")
		_, err := k.MarshalText()
		assert.Error(t, err, "%d", uint8(k))
	}
	for _, s := range []string{"", "Click", "view", " click", "click ", "Kind(1)", "1"} {
		k := tracker.Kind(3)
		assert.Error(t, k.UnmarshalText([]byte(s)), "%q", s)
		assert.Equal(t, tracker.Kind(3), k, "a failed UnmarshalText leaves the kind alone")
	}

	_, err := json.Marshal(tracker.Event{ID: "x"})
	assert.Error(t, err, "an event without a kind does not encode")
}

func TestKindJSON(t *testing.T) {
	t.Parallel()
	b, err := json.Marshal(map[string]tracker.Kind{"kind": tracker.KindView})
	require.NoError(t, err)
	assert.JSONEq(t, `{"kind":"product"}`, string(b))

	var v struct{ Kind tracker.Kind }
	require.NoError(t, json.Unmarshal([]byte(`{"Kind":"sale"}`), &v))
	assert.Equal(t, tracker.KindSale, v.Kind)
	assert.Error(t, json.Unmarshal([]byte(`{"Kind":"refund"}`), &v))
	assert.Error(t, json.Unmarshal([]byte(`{"Kind":3}`), &v), "kinds travel as names, not numbers")
}

func TestEventJSONRoundTrip(t *testing.T) {
	t.Parallel()
	tr, m := trkNew(t)
	call, err := tr.Call("recommendations/trending", "Homepage - Trending")
	require.NoError(t, err)
	require.NoError(t, call.Shown("12793", "8812"))
	require.NoError(t, tr.Click(tracker.Click{Product: "12793", Position: 2, External: true}))
	require.NoError(t, tr.Sale(trkSale()))
	require.NoError(t, tr.Search("red shoes"))

	for _, e := range m.Events() {
		b, err := json.Marshal(e)
		require.NoError(t, err)
		var got tracker.Event
		require.NoError(t, json.Unmarshal(b, &got), "%s", b)
		assert.True(t, e.Time.Equal(got.Time))
		got.Time = e.Time
		assert.Equal(t, e, got)
	}
}
