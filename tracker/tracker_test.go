package tracker_test

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"sync"
	"testing"
	"time"

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

// trkNew returns an enabled tracker recording into a fresh Memory at a
// fixed time.
func trkNew(t *testing.T) (*tracker.Tracker, *tracker.Memory) {
	t.Helper()
	m := tracker.NewMemory()
	tr := tracker.New(tracker.Options{
		Store:    trkStore,
		Visitor:  trkVisitor,
		Consent:  consent.Cookieless,
		Recorder: m,
		Now:      func() time.Time { return trkNow },
	})
	require.True(t, tr.Enabled())
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
	tr := tracker.New(tracker.Options{Store: trkStore, Visitor: trkVisitor, Consent: consent.Persistent, Recorder: m})
	before := time.Now()
	require.NoError(t, tr.View("1"))
	after := time.Now()
	e := trkOnly(t, m)
	assert.False(t, e.Time.Before(before))
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
	evs := m.Events()
	require.Len(t, evs, 4)
	assert.Equal(t, tracker.KindView, evs[0].Kind)
	assert.Equal(t, "12793", evs[0].Product)
	assert.Equal(t, tracker.KindCategory, evs[1].Kind)
	assert.Equal(t, "shoes", evs[1].Category)
	assert.Equal(t, tracker.KindSearch, evs[2].Kind)
	assert.Equal(t, "red shoes", evs[2].Query)
	assert.Equal(t, tracker.KindEmail, evs[3].Kind)
	assert.Equal(t, "a@example.com", evs[3].Email)
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
	tr := tracker.New(tracker.Options{Store: trkStore, Visitor: trkVisitor, Consent: consent.Cookieless,
		Recorder: rec, Context: ctx})
	require.NoError(t, tr.View("1"))
	require.NoError(t, tr.Sale(trkSale()))
	require.Len(t, rec.ctxs, 2)
	for _, got := range rec.ctxs {
		assert.Equal(t, "request", got.Value(trkCtxKey{}))
	}

	// Without a Context, the recorder gets a non-nil background context.
	rec2 := &trkCtxRecorder{}
	tr2 := tracker.New(tracker.Options{Store: trkStore, Visitor: trkVisitor, Consent: consent.Cookieless, Recorder: rec2})
	require.NoError(t, tr2.View("1"))
	require.Len(t, rec2.ctxs, 1)
	assert.NotNil(t, rec2.ctxs[0])
}

func TestRecorderErrorIsReturned(t *testing.T) {
	t.Parallel()
	boom := errors.New("queue full")
	tr := tracker.New(tracker.Options{Store: trkStore, Visitor: trkVisitor, Consent: consent.Cookieless,
		Recorder: &trkCtxRecorder{err: boom}})
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
