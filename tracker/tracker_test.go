package tracker_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/rs/xid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/visitrack/visitrack/consent"
	"github.com/visitrack/visitrack/tracker"
)

const (
	trkStore   = "shop-dk"
	trkVisitor = "cv7o1m8a6ts6hq6q0rl0" // a valid xid
)

var trkNow = time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)

// trkInto returns a tracker for trkVisitor in trkStore, cookieless,
// recording into rec; each edit adjusts its options.
func trkInto(rec tracker.Recorder, edits ...func(*tracker.Options)) *tracker.Tracker {
	o := tracker.Options{Store: trkStore, Visitor: trkVisitor, Consent: consent.Cookieless, Recorder: rec}
	for _, edit := range edits {
		edit(&o)
	}
	return tracker.New(o)
}

// trkNew returns an enabled tracker recording into a fresh Memory at a
// fixed time.
func trkNew(t *testing.T) (*tracker.Tracker, *tracker.Memory) {
	t.Helper()
	m := tracker.NewMemory()
	tr := trkInto(m, func(o *tracker.Options) { o.Now = func() time.Time { return trkNow } })
	require.True(t, tr.Enabled())
	// Whatever a Tracker records, a store accepts.
	t.Cleanup(func() {
		for _, e := range m.Events() {
			assert.NoError(t, e.Validate(), "recorded %+v", e)
		}
	})
	return tr, m
}

// only returns the single event m holds.
func trkOnly(t *testing.T, m *tracker.Memory) tracker.Event {
	t.Helper()
	evs := m.Events()
	require.Len(t, evs, 1)
	return evs[0]
}

func TestFromWithoutMiddlewareIsDisabled(t *testing.T) {
	t.Parallel()
	tr := tracker.From(context.Background())
	require.NotNil(t, tr)
	assert.Equal(t, "", tr.Visitor())
	assert.False(t, tr.Enabled())
	assert.Equal(t, consent.Disabled, tr.Consent())

	call, err := tr.Call("recommendations/trending", "Homepage - Trending")
	require.NoError(t, err)
	assert.NoError(t, call.Shown("12793", "8812"))
	assert.NoError(t, tr.Click(tracker.Click{Product: "12793"}))
	assert.NoError(t, tr.Sale(tracker.Sale{ID: "567", Products: []tracker.Line{{ID: "12793", Price: 1, Quantity: 1}}}))
	assert.NoError(t, tr.View("12793"))
	assert.NoError(t, tr.Category("shoes"))
	assert.NoError(t, tr.Search("red shoes"))
	assert.NoError(t, tr.Email("a@example.com"))

	// A disabled tracker still validates, so mistakes show in development.
	_, err = tr.Call("recommendations/trending")
	assert.ErrorIs(t, err, tracker.ErrNoLabels)
	assert.ErrorIs(t, tr.Click(tracker.Click{}), tracker.ErrNoProduct)

	// Switching a tracker without a recorder cannot enable it.
	tr.Switch(consent.Persistent, trkVisitor)
	assert.False(t, tr.Enabled())
	assert.Equal(t, consent.Disabled, tr.Consent())
}

func TestFromReturnsTrackerInContext(t *testing.T) {
	t.Parallel()
	tr, _ := trkNew(t)
	ctx := tracker.NewContext(context.Background(), tr)
	assert.Same(t, tr, tracker.From(ctx))

	// A nil tracker in the context is no tracker.
	got := tracker.From(tracker.NewContext(context.Background(), nil))
	require.NotNil(t, got)
	assert.False(t, got.Enabled())
}

func TestNewConsentInterplay(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		state    consent.State
		visitor  string
		recorder bool
		enabled  bool
		want     consent.State
	}{
		{"cookieless", consent.Cookieless, trkVisitor, true, true, consent.Cookieless},
		{"persistent", consent.Persistent, trkVisitor, true, true, consent.Persistent},
		{"disabled with visitor", consent.Disabled, trkVisitor, true, false, consent.Disabled},
		{"unknown", consent.Unknown, trkVisitor, true, false, consent.Disabled},
		{"no visitor", consent.Persistent, "", true, false, consent.Disabled},
		{"no recorder", consent.Cookieless, trkVisitor, false, false, consent.Disabled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := tracker.NewMemory()
			o := tracker.Options{Store: trkStore, Visitor: tt.visitor, Consent: tt.state}
			if tt.recorder {
				o.Recorder = m
			}
			tr := tracker.New(o)
			assert.Equal(t, tt.enabled, tr.Enabled())
			assert.Equal(t, tt.want, tr.Consent())
			if tt.enabled {
				assert.Equal(t, tt.visitor, tr.Visitor())
			} else {
				assert.Equal(t, "", tr.Visitor())
			}
			assert.Equal(t, trkStore, tr.Store())

			require.NoError(t, tr.View("12793"))
			if tt.enabled {
				assert.Equal(t, 1, m.Len())
			} else {
				assert.Zero(t, m.Len())
			}
		})
	}
}

func TestEventsAreStamped(t *testing.T) {
	t.Parallel()
	tr, m := trkNew(t)
	call, err := tr.Call("recommendations/trending", "Homepage - Trending")
	require.NoError(t, err)

	const n = 500
	for i := range n {
		switch i % 6 {
		case 0:
			require.NoError(t, call.Shown("1", "2"))
		case 1:
			require.NoError(t, tr.Click(tracker.Click{Product: "1"}))
		case 2:
			require.NoError(t, tr.View("1"))
		case 3:
			require.NoError(t, tr.Category("shoes"))
		case 4:
			require.NoError(t, tr.Search("red"))
		case 5:
			require.NoError(t, tr.Email("a@example.com"))
		}
	}
	evs := m.Events()
	require.Len(t, evs, n, "every event has a distinct ID, so Memory keeps them all")
	seen := make(map[string]bool, n)
	for _, e := range evs {
		id, err := xid.FromString(e.ID)
		require.NoError(t, err, "event ID %q is an xid", e.ID)
		assert.Equal(t, trkNow.Unix(), id.Time().Unix())
		assert.False(t, seen[e.ID], "duplicate ID %s", e.ID)
		seen[e.ID] = true
		assert.True(t, e.Kind.Valid())
		assert.Equal(t, trkStore, e.Store)
		assert.Equal(t, trkVisitor, e.Visitor)
		assert.True(t, e.Time.Equal(trkNow), "time %v", e.Time)
	}
}

func TestNowDefaultsToWallClock(t *testing.T) {
	t.Parallel()
	m := tracker.NewMemory()
	tr := trkInto(m, func(o *tracker.Options) { o.Consent = consent.Persistent })
	before := time.Now()
	require.NoError(t, tr.View("1"))
	after := time.Now()
	e := trkOnly(t, m)
	assert.False(t, e.Time.Before(before.Truncate(time.Microsecond)))
	assert.False(t, e.Time.After(after))
}

func TestCallValidation(t *testing.T) {
	t.Parallel()
	tr, m := trkNew(t)
	tests := []struct {
		name   string
		api    string
		labels []string
		want   error
	}{
		{"no labels", "search/predictive", nil, tracker.ErrNoLabels},
		{"empty label", "search/predictive", []string{""}, tracker.ErrNoLabels},
		{"space labels", "search/predictive", []string{" ", "\t", ""}, tracker.ErrNoLabels},
		{"no API", "", []string{"Search"}, tracker.ErrNoAPI},
		{"space API", "  \t", []string{"Search"}, tracker.ErrNoAPI},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			call, err := tr.Call(tt.api, tt.labels...)
			assert.Nil(t, call)
			assert.ErrorIs(t, err, tt.want)
		})
	}
	assert.Zero(t, m.Len())
}

func TestCallLabels(t *testing.T) {
	t.Parallel()
	tr, m := trkNew(t)
	labels := []string{"  Homepage - Trending ", "", " ", "Sidebar"}
	call, err := tr.Call(" recommendations/trending ", labels...)
	require.NoError(t, err)
	assert.Equal(t, "recommendations/trending", call.API())
	assert.Equal(t, []string{"Homepage - Trending", "Sidebar"}, call.Labels())

	// Neither the caller's slice nor the one Labels returns is the call's.
	labels[0], labels[3] = "changed", "changed"
	call.Labels()[0] = "changed"
	products := []string{"12793", "8812"}
	require.NoError(t, call.Shown(products...))
	products[0] = "changed"

	e := trkOnly(t, m)
	assert.Equal(t, tracker.KindImpression, e.Kind)
	assert.Equal(t, "recommendations/trending", e.API)
	assert.Equal(t, []string{"Homepage - Trending", "Sidebar"}, e.Labels)
	assert.Equal(t, []string{"12793", "8812"}, e.Products)
	assert.Equal(t, []string{"Homepage - Trending", "Sidebar"}, call.Params()["labels"])
}

func TestParams(t *testing.T) {
	t.Parallel()
	t.Run("enabled", func(t *testing.T) {
		t.Parallel()
		tr, _ := trkNew(t)
		call, err := tr.Call("recommendations/trending", "Homepage - Trending")
		require.NoError(t, err)
		p := call.Params()
		assert.Equal(t, map[string]any{"visitor": trkVisitor, "labels": []string{"Homepage - Trending"}}, p)
		b, err := json.Marshal(p)
		require.NoError(t, err)
		assert.JSONEq(t, `{"visitor":"`+trkVisitor+`","labels":["Homepage - Trending"]}`, string(b))
	})
	t.Run("disabled", func(t *testing.T) {
		t.Parallel()
		call, err := tracker.From(context.Background()).Call("recommendations/trending", "Homepage - Trending", "Footer")
		require.NoError(t, err)
		p := call.Params()
		v, ok := p["visitor"]
		require.True(t, ok, "visitor is present")
		assert.True(t, v == nil, "visitor is an untyped nil, got %#v", v)
		b, err := json.Marshal(p)
		require.NoError(t, err)
		assert.Equal(t, `{"labels":["Homepage - Trending","Footer"],"visitor":null}`, string(b))
	})
	t.Run("follows Switch", func(t *testing.T) {
		t.Parallel()
		tr, _ := trkNew(t)
		call, err := tr.Call("search/predictive", "Search")
		require.NoError(t, err)
		tr.Switch(consent.Disabled, "")
		assert.Nil(t, call.Params()["visitor"])
	})
}

func TestShown(t *testing.T) {
	t.Parallel()
	tr, m := trkNew(t)
	call, err := tr.Call("search/predictive", "Search")
	require.NoError(t, err)
	err = call.Shown("1", "", "3")
	assert.ErrorIs(t, err, tracker.ErrNoProduct)
	assert.Zero(t, m.Len(), "an impression with a bad product records nothing")
}

// A call's query is cleaned as Normalize cleans one; a query that is not
// valid text is left out, and the impression still recorded.
func TestShownForQuery(t *testing.T) {
	t.Parallel()
	tr, m := trkNew(t)
	call, err := tr.Call("search/search", "Search")
	require.NoError(t, err)
	for _, tc := range []struct{ query, stored string }{
		{"  red shoes  ", "red shoes"},
		{"red\tshoes", ""},
		{"wo\x00ol", ""},
		{"\xff\xfe(wool", ""},
		{strings.Repeat("å", tracker.MaxQueryBytes), strings.Repeat("å", tracker.MaxQueryBytes/2)},
	} {
		require.NoError(t, call.ForQuery(tc.query).Shown("p1"), "%q", tc.query)
		evs := m.Events()
		e := evs[len(evs)-1]
		assert.Equal(t, tc.stored, e.Query, "%q", tc.query)
		assert.NoError(t, e.Validate())
	}
	assert.Equal(t, 5, m.Len(), "every impression recorded")
}

func TestClick(t *testing.T) {
	t.Parallel()
	t.Run("no product", func(t *testing.T) {
		t.Parallel()
		tr, m := trkNew(t)
		assert.ErrorIs(t, tr.Click(tracker.Click{API: "search/predictive", Labels: []string{"Search"}}), tracker.ErrNoProduct)
		assert.Zero(t, m.Len())
	})
	t.Run("full", func(t *testing.T) {
		t.Parallel()
		tr, m := trkNew(t)
		labels := []string{" Homepage - Trending ", ""}
		require.NoError(t, tr.Click(tracker.Click{Product: "12793", API: " recommendations/trending ",
			Labels: labels, Position: 3, External: true}))
		labels[0] = "changed"
		e := trkOnly(t, m)
		assert.Equal(t, tracker.KindClick, e.Kind)
		assert.Equal(t, "12793", e.Product)
		assert.Equal(t, "recommendations/trending", e.API)
		assert.Equal(t, []string{"Homepage - Trending"}, e.Labels)
		assert.Equal(t, 3, e.Position)
		assert.True(t, e.External)
	})
	t.Run("backtracked", func(t *testing.T) {
		t.Parallel()
		tr, m := trkNew(t)
		require.NoError(t, tr.Click(tracker.Click{Product: "12793"}))
		require.NoError(t, tr.Click(tracker.Click{Product: "12793", Labels: []string{" ", ""}}))
		for _, e := range m.Events() {
			assert.Equal(t, tracker.KindClick, e.Kind)
			assert.Empty(t, e.API)
			assert.Empty(t, e.Labels)
			assert.Zero(t, e.Position)
		}
		assert.Equal(t, 2, m.Len())
	})
	t.Run("negative position", func(t *testing.T) {
		t.Parallel()
		tr, m := trkNew(t)
		require.NoError(t, tr.Click(tracker.Click{Product: "12793", Position: -4}))
		assert.Zero(t, trkOnly(t, m).Position)
	})
}

func trkSale() tracker.Sale {
	return tracker.Sale{ID: "567", Customer: "1234", Email: "a@example.com",
		Products: []tracker.Line{{ID: "12793", Price: 99.95, Quantity: 2}, {ID: "8812", Price: 0, Quantity: 1}}}
}

func TestSaleValidation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(*tracker.Sale)
		want   error
	}{
		{"no ID", func(s *tracker.Sale) { s.ID = "" }, tracker.ErrNoSaleID},
		{"space ID", func(s *tracker.Sale) { s.ID = " " }, tracker.ErrNoSaleID},
		{"no lines", func(s *tracker.Sale) { s.Products = nil }, tracker.ErrNoLines},
		{"empty lines", func(s *tracker.Sale) { s.Products = []tracker.Line{} }, tracker.ErrNoLines},
		{"line without product", func(s *tracker.Sale) { s.Products[1].ID = "" }, tracker.ErrNoProduct},
		{"quantity 0", func(s *tracker.Sale) { s.Products[0].Quantity = 0 }, tracker.ErrBadQuantity},
		{"quantity -1", func(s *tracker.Sale) { s.Products[1].Quantity = -1 }, tracker.ErrBadQuantity},
		{"price NaN", func(s *tracker.Sale) { s.Products[0].Price = math.NaN() }, tracker.ErrBadPrice},
		{"price +Inf", func(s *tracker.Sale) { s.Products[0].Price = math.Inf(1) }, tracker.ErrBadPrice},
		{"price -Inf", func(s *tracker.Sale) { s.Products[0].Price = math.Inf(-1) }, tracker.ErrBadPrice},
		{"price -0.01", func(s *tracker.Sale) { s.Products[1].Price = -0.01 }, tracker.ErrBadPrice},
		{"email a", func(s *tracker.Sale) { s.Email = "a" }, tracker.ErrBadEmail},
		{"email a@", func(s *tracker.Sale) { s.Email = "a@" }, tracker.ErrBadEmail},
		{"email with name", func(s *tracker.Sale) { s.Email = "A <a@b.c>" }, tracker.ErrBadEmail},
		{"email with inner newline", func(s *tracker.Sale) { s.Email = "a@b.c\nBcc: x@y.z" }, tracker.ErrBadEmail},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := trkSale()
			tt.change(&s)
			_, err := s.Validate()
			assert.ErrorIs(t, err, tt.want)

			for _, tr := range []*tracker.Tracker{tracker.From(context.Background()), func() *tracker.Tracker {
				tr, m := trkNew(t)
				t.Cleanup(func() { assert.Zero(t, m.Len(), "an invalid sale records nothing") })
				return tr
			}()} {
				assert.ErrorIs(t, tr.Sale(s), tt.want)
			}
		})
	}
}

func TestSale(t *testing.T) {
	t.Parallel()
	tr, m := trkNew(t)
	s := trkSale()
	s.ID, s.Customer, s.Email = " 567 ", " 1234 ", "  A.Buyer@Example.COM "
	email, err := s.Validate()
	require.NoError(t, err)
	assert.Equal(t, "a.buyer@example.com", email)

	require.NoError(t, tr.Sale(s))
	s.Products[0].Quantity = 99 // the event holds its own lines

	e := trkOnly(t, m)
	assert.Equal(t, tracker.KindSale, e.Kind)
	assert.Equal(t, "567", e.Sale)
	assert.Equal(t, "1234", e.Customer)
	assert.Equal(t, "a.buyer@example.com", e.Email)
	assert.Equal(t, []tracker.Line{{ID: "12793", Price: 99.95, Quantity: 2}, {ID: "8812", Price: 0, Quantity: 1}}, e.Lines)
}

func TestSaleWithoutEmail(t *testing.T) {
	t.Parallel()
	tr, m := trkNew(t)
	s := trkSale()
	s.Email, s.Customer = "", ""
	email, err := s.Validate()
	require.NoError(t, err)
	assert.Empty(t, email)
	require.NoError(t, tr.Sale(s))
	assert.Empty(t, trkOnly(t, m).Email)
}

func TestNormalizeEmail(t *testing.T) {
	t.Parallel()
	good := map[string]string{
		"a@example.com":         "a@example.com",
		" A@Example.Com\t":      "a@example.com",
		"first.last+tag@b.c":    "first.last+tag@b.c",
		"a@b.c\n":               "a@b.c", // surrounding white space is trimmed, so no newline survives
		"UPPER@EXAMPLE.ORG   ":  "upper@example.org",
		"a.b-c_d@sub.domain.dk": "a.b-c_d@sub.domain.dk",
	}
	for in, want := range good {
		got, err := tracker.NormalizeEmail(in)
		if assert.NoError(t, err, "%q", in) {
			assert.Equal(t, want, got, "%q", in)
		}
	}
	bad := []string{"", " ", "a", "a@", "@b.c", "A <a@b.c>", "<a@b.c>", "a@b.c\nBcc: x@y.z", "a\n@b.c",
		"a@b.c, d@e.f", "a b@c.d", "a@b.c (comment)", string(make([]byte, 300))}
	for _, in := range bad {
		_, err := tracker.NormalizeEmail(in)
		assert.ErrorIs(t, err, tracker.ErrBadEmail, "%q", in)
	}
	long := make([]byte, 250)
	for i := range long {
		long[i] = 'a'
	}
	_, err := tracker.NormalizeEmail(string(long) + "@b.cd")
	assert.ErrorIs(t, err, tracker.ErrBadEmail, "longer than 254 bytes")
}

func TestViewCategorySearchEmail(t *testing.T) {
	t.Parallel()
	tr, m := trkNew(t)

	assert.ErrorIs(t, tr.View(""), tracker.ErrNoProduct)
	assert.ErrorIs(t, tr.Category(""), tracker.ErrEmpty)
	assert.ErrorIs(t, tr.Category(" \t"), tracker.ErrEmpty)
	assert.ErrorIs(t, tr.Search(""), tracker.ErrEmpty)
	assert.ErrorIs(t, tr.Search("  "), tracker.ErrEmpty)
	assert.ErrorIs(t, tr.Email(""), tracker.ErrBadEmail)
	assert.ErrorIs(t, tr.Email("not an email"), tracker.ErrBadEmail)
	require.Zero(t, m.Len())

	require.NoError(t, tr.View("12793"))
	require.NoError(t, tr.Category(" shoes "))
	require.NoError(t, tr.Search(" red shoes "))
	require.NoError(t, tr.Email(" A@Example.com "))
	var got []tracker.Event // each event's kind and its field
	for _, e := range m.Events() {
		got = append(got, tracker.Event{Kind: e.Kind, Product: e.Product, Category: e.Category, Query: e.Query, Email: e.Email})
	}
	assert.Equal(t, []tracker.Event{
		{Kind: tracker.KindView, Product: "12793"},
		{Kind: tracker.KindCategory, Category: "shoes"},
		{Kind: tracker.KindSearch, Query: "red shoes"},
		{Kind: tracker.KindEmail, Email: "a@example.com"},
	}, got)
}

func TestSwitch(t *testing.T) {
	t.Parallel()
	tr, m := trkNew(t)
	require.NoError(t, tr.View("1"))

	tr.Switch(consent.Disabled, "")
	assert.False(t, tr.Enabled())
	assert.Equal(t, consent.Disabled, tr.Consent())
	assert.Equal(t, "", tr.Visitor())
	require.NoError(t, tr.View("2"))
	assert.Equal(t, 1, m.Len(), "a disabled tracker records nothing")

	const other = "cv7o1m8a6ts6hq6q0rlg"
	tr.Switch(consent.Persistent, other)
	assert.True(t, tr.Enabled())
	assert.Equal(t, consent.Persistent, tr.Consent())
	assert.Equal(t, other, tr.Visitor())
	require.NoError(t, tr.View("3"))

	tr.Switch(consent.Persistent, "") // no ID: disabled whatever the state
	assert.False(t, tr.Enabled())
	assert.Equal(t, consent.Disabled, tr.Consent())
	require.NoError(t, tr.View("4"))

	evs := m.Events()
	require.Len(t, evs, 2)
	assert.Equal(t, trkVisitor, evs[0].Visitor)
	assert.Equal(t, "1", evs[0].Product)
	assert.Equal(t, other, evs[1].Visitor)
	assert.Equal(t, "3", evs[1].Product)
}

func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	tr, m := trkNew(t)
	call, err := tr.Call("recommendations/trending", "Homepage - Trending")
	require.NoError(t, err)

	const goroutines, each = 16, 50
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range each {
				// Only the first goroutine switches, and always back to an
				// enabled state, so every event is recorded.
				if g == 0 && i%10 == 0 {
					tr.Switch(consent.Persistent, trkVisitor)
				}
				assert.NoError(t, call.Shown("1", "2"))
				_ = call.Params()
				_ = tr.Visitor()
				_ = tr.Consent()
				assert.NoError(t, tr.Click(tracker.Click{Product: "1", Position: i}))
			}
		})
	}
	wg.Wait()
	evs := m.Events()
	require.Len(t, evs, goroutines*each*2)
	ids := make(map[string]bool, len(evs))
	for _, e := range evs {
		ids[e.ID] = true
		assert.Equal(t, trkVisitor, e.Visitor)
	}
	assert.Len(t, ids, len(evs))
}

// trkCtxRecorder remembers the context each event was recorded with.
type trkCtxRecorder struct {
	mu   sync.Mutex
	ctxs []context.Context
	err  error
}

func (r *trkCtxRecorder) Record(ctx context.Context, _ tracker.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ctxs = append(r.ctxs, ctx)
	return r.err
}

type trkCtxKey struct{}

func TestContextIsPassedToRecorder(t *testing.T) {
	t.Parallel()
	rec := &trkCtxRecorder{}
	ctx := context.WithValue(context.Background(), trkCtxKey{}, "request")
	tr := trkInto(rec, func(o *tracker.Options) { o.Context = ctx })
	require.NoError(t, tr.View("1"))
	require.NoError(t, tr.Sale(trkSale()))
	require.Len(t, rec.ctxs, 2)
	for _, got := range rec.ctxs {
		assert.Equal(t, "request", got.Value(trkCtxKey{}))
	}

	// Without a Context, the recorder gets a non-nil background context.
	rec2 := &trkCtxRecorder{}
	tr2 := trkInto(rec2)
	require.NoError(t, tr2.View("1"))
	require.Len(t, rec2.ctxs, 1)
	assert.NotNil(t, rec2.ctxs[0])
}

func TestRecorderErrorIsReturned(t *testing.T) {
	t.Parallel()
	boom := errors.New("queue full")
	tr := trkInto(&trkCtxRecorder{err: boom})
	assert.ErrorIs(t, tr.View("1"), boom)
	assert.ErrorIs(t, tr.Sale(trkSale()), boom)
}

func TestProductIDsAreTrimmed(t *testing.T) {
	t.Parallel()
	tr, mem := trkNew(t)
	assert.ErrorIs(t, tr.View("  "), tracker.ErrNoProduct)
	assert.ErrorIs(t, tr.Click(tracker.Click{Product: "\t"}), tracker.ErrNoProduct)
	call, err := tr.Call("search/search", "Search")
	require.NoError(t, err)
	assert.ErrorIs(t, call.Shown("1", " "), tracker.ErrNoProduct)
	s := trkSale()
	s.Products[0].ID = " "
	assert.ErrorIs(t, tr.Sale(s), tracker.ErrNoProduct)
	require.Equal(t, 0, mem.Len(), "rejected input records nothing")

	require.NoError(t, tr.View(" 12793 "))
	require.NoError(t, tr.Click(tracker.Click{Product: "12793\n"}))
	require.NoError(t, call.Shown(" 12793"))
	s = trkSale()
	s.Products[0].ID = "12793 "
	require.NoError(t, tr.Sale(s))
	ev := mem.Events()
	require.Len(t, ev, 4)
	assert.Equal(t, "12793", ev[0].Product)
	assert.Equal(t, "12793", ev[1].Product)
	assert.Equal(t, []string{"12793"}, ev[2].Products)
	assert.Equal(t, "12793", ev[3].Lines[0].ID)
}

// trkFieldError returns the *FieldError err holds.
func trkFieldError(t *testing.T, err error) *tracker.FieldError {
	t.Helper()
	var fe *tracker.FieldError
	require.ErrorAs(t, err, &fe)
	return fe
}

// trkEach runs do with an enabled tracker and with a disabled one (no
// middleware), which validates all the same, and checks that a refused
// input recorded nothing.
func trkEach(t *testing.T, do func(*tracker.Tracker) error) []error {
	t.Helper()
	tr, m := trkNew(t)
	errs := []error{do(tr), do(tracker.From(context.Background()))}
	if errs[0] != nil {
		assert.Zero(t, m.Len(), "refused input records nothing")
	}
	return errs
}

// Review: a product ID or label holding a control character such as the
// unit separator was accepted, and the store then refused the whole batch.
func TestTrackerRefusesBadText(t *testing.T) {
	t.Parallel()
	sale := func(change func(*tracker.Sale)) func(*tracker.Tracker) error {
		return func(tr *tracker.Tracker) error {
			s := trkSale()
			change(&s)
			return tr.Sale(s)
		}
	}
	tests := []struct {
		name  string
		do    func(*tracker.Tracker) error
		field string
		want  error
	}{
		{"view, unit separator", func(tr *tracker.Tracker) error { return tr.View("127\x1f93") }, "product", tracker.ErrBadText},
		{"view, invalid UTF-8", func(tr *tracker.Tracker) error { return tr.View("\xff12793") }, "product", tracker.ErrBadText},
		{"view, C1 control", func(tr *tracker.Tracker) error { return tr.View("12793\u0085x") }, "product", tracker.ErrBadText},
		{"click, product", func(tr *tracker.Tracker) error {
			return tr.Click(tracker.Click{Product: "12793\x1f"})
		}, "product", tracker.ErrBadText},
		{"click, label", func(tr *tracker.Tracker) error {
			return tr.Click(tracker.Click{Product: "12793", Labels: []string{"Home", "Side\x1fbar"}})
		}, "labels[1]", tracker.ErrBadText},
		{"click, API", func(tr *tracker.Tracker) error {
			return tr.Click(tracker.Click{Product: "12793", API: "search\x00"})
		}, "api", tracker.ErrBadText},
		{"call, label", func(tr *tracker.Tracker) error {
			_, err := tr.Call("recommendations/trending", "Home", "Side\x1fbar")
			return err
		}, "labels[1]", tracker.ErrBadText},
		{"call, API", func(tr *tracker.Tracker) error {
			_, err := tr.Call("recommendations/\x7ftrending", "Home")
			return err
		}, "api", tracker.ErrBadText},
		{"shown, product", func(tr *tracker.Tracker) error {
			call, err := tr.Call("recommendations/trending", "Home")
			require.NoError(t, err)
			return call.Shown("12793", "88\x1f12")
		}, "products[1]", tracker.ErrBadText},
		{"sale, ID", sale(func(s *tracker.Sale) { s.ID = "5\x1f67" }), "sale", tracker.ErrBadText},
		{"sale, line", sale(func(s *tracker.Sale) { s.Products[1].ID = "88\x1f12" }), "products[1].id", tracker.ErrBadText},
		{"sale, customer", sale(func(s *tracker.Sale) { s.Customer = "12\x0034" }), "customer", tracker.ErrBadText},
		{"sale, email", sale(func(s *tracker.Sale) { s.Email = "a\x1f@example.com" }), "email", tracker.ErrBadEmail},
		{"category", func(tr *tracker.Tracker) error { return tr.Category("shoes\x1f") }, "category", tracker.ErrBadText},
		{"email", func(tr *tracker.Tracker) error { return tr.Email("a\x1f@example.com") }, "email", tracker.ErrBadEmail},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for _, err := range trkEach(t, tt.do) {
				assert.ErrorIs(t, err, tt.want)
				if err != nil {
					assert.Equal(t, tt.field, trkFieldError(t, err).Field)
				}
			}
		})
	}
}

// Review: input had no bounds. Each limit, just within and just past.
func TestTrackerLimits(t *testing.T) {
	t.Parallel()
	x := func(n int) string { return strings.Repeat("x", n) }
	labels := func(n int) []string {
		ls := make([]string, n)
		for i := range ls {
			ls[i] = fmt.Sprintf("label %d", i)
		}
		return ls
	}
	products := func(n int) []string {
		ps := make([]string, n)
		for i := range ps {
			ps[i] = strconv.Itoa(i)
		}
		return ps
	}
	call := func(api string, labels ...string) func(*tracker.Tracker) error {
		return func(tr *tracker.Tracker) error {
			_, err := tr.Call(api, labels...)
			return err
		}
	}
	shown := func(ps ...string) func(*tracker.Tracker) error {
		return func(tr *tracker.Tracker) error {
			c, err := tr.Call("search/search", "Search")
			require.NoError(t, err)
			return c.Shown(ps...)
		}
	}
	sale := func(change func(*tracker.Sale)) func(*tracker.Tracker) error {
		return func(tr *tracker.Tracker) error {
			s := trkSale()
			change(&s)
			return tr.Sale(s)
		}
	}
	lines := func(n int) []tracker.Line {
		ls := make([]tracker.Line, n)
		for i := range ls {
			ls[i] = tracker.Line{ID: strconv.Itoa(i), Price: 1, Quantity: 1}
		}
		return ls
	}
	tests := []struct {
		name  string
		do    func(*tracker.Tracker) error
		field string // "" when do succeeds
		want  error
	}{
		{"product ID of 256 bytes", func(tr *tracker.Tracker) error { return tr.View(x(256)) }, "", nil},
		{"product ID of 257 bytes", func(tr *tracker.Tracker) error { return tr.View(x(257)) }, "product", tracker.ErrTooLong},
		{"click ID of 257 bytes", func(tr *tracker.Tracker) error {
			return tr.Click(tracker.Click{Product: x(257)})
		}, "product", tracker.ErrTooLong},
		{"20 labels", call("search/search", labels(20)...), "", nil},
		{"21 labels", call("search/search", labels(21)...), "labels", tracker.ErrTooMany},
		{"20 labels, some twice", call("search/search", append(labels(20), labels(20)...)...), "", nil},
		{"label of 200 bytes", call("search/search", x(200)), "", nil},
		{"label of 201 bytes", call("search/search", "Search", x(201)), "labels[1]", tracker.ErrTooLong},
		{"API of 200 bytes", call(x(200), "Search"), "", nil},
		{"API of 201 bytes", call(x(201), "Search"), "api", tracker.ErrTooLong},
		{"click, 21 labels", func(tr *tracker.Tracker) error {
			return tr.Click(tracker.Click{Product: "1", Labels: labels(21)})
		}, "labels", tracker.ErrTooMany},
		{"click, label of 201 bytes", func(tr *tracker.Tracker) error {
			return tr.Click(tracker.Click{Product: "1", Labels: []string{x(201)}})
		}, "labels[0]", tracker.ErrTooLong},
		{"click, API of 201 bytes", func(tr *tracker.Tracker) error {
			return tr.Click(tracker.Click{Product: "1", API: x(201)})
		}, "api", tracker.ErrTooLong},
		{"1000 products shown", shown(products(1000)...), "", nil},
		{"1001 products shown", shown(products(1001)...), "products", tracker.ErrTooMany},
		{"no products shown", shown(), "products", tracker.ErrNoProduct},
		{"shown ID of 257 bytes", shown("1", x(257)), "products[1]", tracker.ErrTooLong},
		{"category of 256 bytes", func(tr *tracker.Tracker) error { return tr.Category(x(256)) }, "", nil},
		{"category of 257 bytes", func(tr *tracker.Tracker) error { return tr.Category(x(257)) }, "category", tracker.ErrTooLong},
		{"email of 254 bytes", func(tr *tracker.Tracker) error { return tr.Email(x(242) + "@example.com") }, "", nil},
		{"email of 255 bytes", func(tr *tracker.Tracker) error { return tr.Email(x(243) + "@example.com") }, "email", tracker.ErrBadEmail},
		{"sale ID of 257 bytes", sale(func(s *tracker.Sale) { s.ID = x(257) }), "sale", tracker.ErrTooLong},
		{"customer of 257 bytes", sale(func(s *tracker.Sale) { s.Customer = x(257) }), "customer", tracker.ErrTooLong},
		{"line ID of 257 bytes", sale(func(s *tracker.Sale) { s.Products[1].ID = x(257) }), "products[1].id", tracker.ErrTooLong},
		{"1000 lines", sale(func(s *tracker.Sale) { s.Products = lines(1000) }), "", nil},
		{"1001 lines", sale(func(s *tracker.Sale) { s.Products = lines(1001) }), "products", tracker.ErrTooMany},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for _, err := range trkEach(t, tt.do) {
				if tt.want == nil {
					assert.NoError(t, err)
					continue
				}
				assert.ErrorIs(t, err, tt.want)
				if err != nil {
					assert.Equal(t, tt.field, trkFieldError(t, err).Field)
				}
			}
		})
	}
}

// Review: prices and quantities had no upper bound, and huge ones wrapped
// the stores' int64 micro-unit sums to negative revenue.
func TestHugeAmountsAreRefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		lines []tracker.Line
		field string // "" when the sale is accepted
		want  error
	}{
		{"price 1e9", []tracker.Line{{ID: "1", Price: 1e9, Quantity: 1}}, "", nil},
		{"price past 1e9", []tracker.Line{{ID: "1", Price: 1e9 + 0.01, Quantity: 1}}, "products[0].price", tracker.ErrBadPrice},
		{"price 1e13", []tracker.Line{{ID: "1", Price: 1, Quantity: 1}, {ID: "2", Price: 1e13, Quantity: 1}}, "products[1].price", tracker.ErrBadPrice},
		{"price MaxFloat64", []tracker.Line{{ID: "1", Price: math.MaxFloat64, Quantity: 1}}, "products[0].price", tracker.ErrBadPrice},
		{"quantity 1e6", []tracker.Line{{ID: "1", Price: 1, Quantity: 1_000_000}}, "", nil},
		{"quantity past 1e6", []tracker.Line{{ID: "1", Price: 1, Quantity: 1_000_001}}, "products[0].quantity", tracker.ErrBadQuantity},
		{"quantity MaxInt", []tracker.Line{{ID: "1", Price: 1, Quantity: math.MaxInt}}, "products[0].quantity", tracker.ErrBadQuantity},
		{"worth 1e12", []tracker.Line{{ID: "1", Price: 1e9, Quantity: 600}, {ID: "2", Price: 1e9, Quantity: 400}}, "", nil},
		{"worth past 1e12", []tracker.Line{{ID: "1", Price: 1e9, Quantity: 600}, {ID: "2", Price: 1e9, Quantity: 401}}, "products", tracker.ErrBadTotal},
		{"each limit at once", []tracker.Line{{ID: "1", Price: 1e9, Quantity: 1_000_000}}, "products", tracker.ErrBadTotal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tr, m := trkNew(t)
			err := tr.Sale(tracker.Sale{ID: "567", Products: tt.lines})
			if tt.want != nil {
				assert.ErrorIs(t, err, tt.want)
				assert.Equal(t, tt.field, trkFieldError(t, err).Field)
				assert.Zero(t, m.Len())
				return
			}
			require.NoError(t, err)
			// What the tracker accepts sums in micro-units without wrapping.
			var total int64
			for _, l := range trkOnly(t, m).Lines {
				line := tracker.Micros(l.Price) * int64(l.Quantity)
				require.Positive(t, line)
				total += line
				require.Positive(t, total)
			}
			assert.LessOrEqual(t, tracker.FromMicros(total), tracker.MaxSaleTotal)
		})
	}
}

// Review: search text arrived cut mid-character or with control
// characters and was stored as it came; long queries were not bounded.
func TestSearchText(t *testing.T) {
	t.Parallel()
	t.Run("refused", func(t *testing.T) {
		t.Parallel()
		for _, q := range []string{"\xff\xfe\xc3(wool", "wo\x00ol", "wool\x1f", "æbler"[:1], "red\tshoes", "sh\u0085oes"} {
			for _, err := range trkEach(t, func(tr *tracker.Tracker) error { return tr.Search(q) }) {
				assert.ErrorIs(t, err, tracker.ErrBadText, "%q", q)
				if err != nil {
					assert.Equal(t, "query", trkFieldError(t, err).Field)
					assert.NotContains(t, err.Error(), "wool", "the message does not repeat the query")
				}
			}
		}
	})
	t.Run("cut at a rune boundary", func(t *testing.T) {
		t.Parallel()
		a499 := strings.Repeat("a", 499)
		tests := map[string]string{
			strings.Repeat("æ", 300):              strings.Repeat("æ", 250), // 600 bytes
			a499 + "æ":                            a499,                     // æ would straddle byte 500
			a499 + "€uro":                         a499,
			strings.Repeat("a", 500) + "bc":       strings.Repeat("a", 500),
			a499 + " bcd":                         a499, // no space left at the end
			"  " + strings.Repeat("😀", 200) + " ": strings.Repeat("😀", 125),
		}
		for in, want := range tests {
			tr, m := trkNew(t)
			require.NoError(t, tr.Search(in))
			got := trkOnly(t, m).Query
			assert.Equal(t, want, got)
			assert.LessOrEqual(t, len(got), tracker.MaxQueryBytes)
			assert.True(t, utf8.ValidString(got))
		}
	})
}

// Review: the same label given twice counted twice.
func TestDuplicateLabelsCountOnce(t *testing.T) {
	t.Parallel()
	tr, m := trkNew(t)
	call, err := tr.Call("recommendations/trending", "Home", "Home")
	require.NoError(t, err)
	assert.Equal(t, []string{"Home"}, call.Labels())
	assert.Equal(t, []string{"Home"}, call.Params()["labels"])

	call, err = tr.Call("recommendations/trending", " Home", "Sidebar", "Home ", "", "Sidebar", "Footer")
	require.NoError(t, err)
	assert.Equal(t, []string{"Home", "Sidebar", "Footer"}, call.Labels(), "first occurrences, in order")
	require.NoError(t, call.Shown("12793"))
	require.NoError(t, tr.Click(tracker.Click{Product: "12793", Labels: []string{"Home", " Home ", "Home"}}))

	evs := m.Events()
	require.Len(t, evs, 2)
	assert.Equal(t, []string{"Home", "Sidebar", "Footer"}, evs[0].Labels)
	assert.Equal(t, []string{"Home"}, evs[1].Labels)
}

// Review: a click whose labels broke a rule was recorded without them, and
// without an error, so the shop never learnt its labels were lost.
func TestClickWithBadLabelsIsRefused(t *testing.T) {
	t.Parallel()
	many := make([]string, tracker.MaxLabels+1)
	for i := range many {
		many[i] = strconv.Itoa(i)
	}
	for _, ls := range [][]string{many, {"Home", "Side\x1fbar"}, {strings.Repeat("x", tracker.MaxLabelBytes+1)}} {
		for _, err := range trkEach(t, func(tr *tracker.Tracker) error {
			return tr.Click(tracker.Click{Product: "12793", API: "search/search", Labels: ls})
		}) {
			require.Error(t, err)
			assert.Contains(t, trkFieldError(t, err).Field, "labels")
		}
	}
}

// Review: events carried the clock's nanoseconds and monotonic reading,
// which no store keeps, so what a Memory held differed from what a store
// returned.
func TestEventTimeIsMicroseconds(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 3, 14, 15, 9, 26, 535_897_932, time.UTC)
	m := tracker.NewMemory()
	tr := trkInto(m, func(o *tracker.Options) { o.Now = func() time.Time { return at } })
	require.NoError(t, tr.View("12793"))
	e := trkOnly(t, m)
	assert.Equal(t, time.Date(2026, 3, 14, 15, 9, 26, 535_897_000, time.UTC), e.Time)

	m2 := tracker.NewMemory()
	tr2 := trkInto(m2, func(o *tracker.Options) { o.Now = time.Now })
	require.NoError(t, tr2.View("12793"))
	e = trkOnly(t, m2)
	assert.NotContains(t, e.Time.String(), "m=", "no monotonic clock reading")
	assert.Zero(t, e.Time.Nanosecond()%1000)
}

// A tracker's clock is its own: an event is never refused for its time,
// however far the clock is ahead. Stores compare with theirs (CheckTime).
func TestTrackerDoesNotCheckItsClock(t *testing.T) {
	t.Parallel()
	m := tracker.NewMemory()
	tr := trkInto(m, func(o *tracker.Options) { o.Now = func() time.Time { return time.Now().Add(time.Hour) } })
	require.NoError(t, tr.View("12793"))
	assert.Equal(t, 1, m.Len())
}

// A store name or visitor ID past the limits would make every event fail
// at the store; the tracker says so when it records.
func TestTrackerRefusesBadStamps(t *testing.T) {
	t.Parallel()
	for _, o := range []tracker.Options{
		{Store: "", Visitor: trkVisitor},
		{Store: strings.Repeat("s", tracker.MaxIDBytes+1), Visitor: trkVisitor},
		{Store: trkStore, Visitor: "v\x00"},
	} {
		m := tracker.NewMemory()
		o.Consent, o.Recorder = consent.Cookieless, m
		err := tracker.New(o).View("12793")
		var fe *tracker.FieldError
		require.ErrorAs(t, err, &fe)
		assert.Contains(t, []string{"store", "visitor"}, fe.Field)
		assert.Zero(t, m.Len())
	}
}

// trkSink keeps benchmark results alive, as a server keeps each request's
// state alive while it serves it.
var trkSink any

// BenchmarkContext compares the two ways to give a request its Tracker: a
// Context inside a struct the middleware allocates per request anyway, and
// New with NewContext.
func BenchmarkContext(b *testing.B) {
	o := tracker.Options{Store: trkStore, Visitor: trkVisitor, Consent: consent.Cookieless, Recorder: tracker.NewMemory()}
	parent := context.Background()
	type perRequest struct {
		other [8]uintptr // the rest of the middleware's per-request state
		tctx  tracker.Context
	}
	type perRequestWithout struct {
		other [8]uintptr
	}
	b.Run("Context.Init", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			r := new(perRequest)
			r.tctx.Init(parent, o)
			trkSink = r
			if tracker.From(&r.tctx).Visitor() == "" {
				b.Fatal("no visitor")
			}
		}
	})
	b.Run("New+NewContext", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			r := new(perRequestWithout)
			oo := o
			oo.Context = parent
			ctx := tracker.NewContext(parent, tracker.New(oo))
			trkSink = r
			if tracker.From(ctx).Visitor() == "" {
				b.Fatal("no visitor")
			}
		}
	})
}
