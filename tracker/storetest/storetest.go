package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/visitrack/visitrack/tracker"
)

// Store is what the suite tests: a tracker.Store.
type Store = tracker.Store

// Option configures Run.
type Option func(*config)

type config struct {
	window    time.Duration
	linkLimit int
	events    int
	raw       func(t *testing.T, s Store) []byte
}

// Window tells the suite the attribution window the stores were opened
// with; the default is 30 days.
func Window(d time.Duration) Option { return func(c *config) { c.window = d } }

// LinkLimit tells the suite the link limit the stores were opened with
// (credit.Rules.LinkLimit); the default is 50.
func LinkLimit(n int) Option { return func(c *config) { c.linkLimit = n } }

// Events sets how many events each random stream of the differential test
// holds; the default is 3,000.
func Events(n int) Option { return func(c *config) { c.events = n } }

// RawBytes gives the suite a way to read everything a store has persisted
// (for SQLite: the database, -wal and -shm files). With it, the suite
// checks that Forget leaves no byte of the erased email, customer IDs and
// visitor IDs behind, and that Purge leaves none of the visitors it
// removes. s is a store returned by open.
func RawBytes(f func(t *testing.T, s Store) []byte) Option {
	return func(c *config) { c.raw = f }
}

// Run runs the conformance suite. open must return a new, empty store each
// time it is called; Run closes it when the subtest ends. Subtests run in
// parallel.
func Run(t *testing.T, open func(t *testing.T) Store, opts ...Option) {
	c := &config{window: 30 * 24 * time.Hour, linkLimit: 50, events: 3000}
	for _, o := range opts {
		o(c)
	}
	tests := []struct {
		name string
		f    func(*testing.T, *config, Store)
	}{
		{"IdempotentWrites", testIdempotent},
		{"SaleCountedOnce", testSaleOnce},
		{"SaleCopiesByTime", testSaleCopies},
		{"InvalidEventsAlone", testInvalid},
		{"OneIDNamespace", testNamespace},
		{"FutureEventsRefused", testFuture},
		{"Backtracking", testBacktracking},
		{"GivenLabelsWin", testGivenLabels},
		{"UnshownClickUnderNoLabel", testUnshown},
		{"Attribution", testAttribution},
		{"AttributionNeedsLinkedVisitor", testUnlinked},
		{"LinkedByEmail", testLinkedByEmail},
		{"LinkedByCustomer", testLinkedByCustomer},
		{"SharedIdentityLinksNobody", testSharedIdentity},
		{"WindowEdge", testWindowEdge},
		{"Microseconds", testMicroseconds},
		{"LatestClickGetsCredit", testLatestClick},
		{"ExactMoney", testExactMoney},
		{"HalfOpenRanges", testHalfOpen},
		{"StoreIsolation", testIsolation},
		{"HorizonsPerStore", testHorizons},
		{"OrderIndependence", testOrderIndependence},
		{"History", testHistory},
		{"HistoryIsPrivate", testHistoryPrivate},
		{"CustomerHistory", testCustomerHistory},
		{"Visitors", testVisitors},
		{"Forget", testForget},
		{"Purge", testPurge},
		{"PurgeRemovesVisitors", testPurgeVisitors},
		{"PurgedStayPurged", testPurgedStay},
		{"Popular", testPopular},
		{"HostileReads", testHostileReads},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := open(t)
			require.NotNil(t, s)
			t.Cleanup(func() { assert.NoError(t, s.Close()) })
			tc.f(t, c, s)
		})
	}
	t.Run("Differential", func(t *testing.T) {
		t.Parallel()
		testDifferential(t, c, open)
	})
}

// t0 is the suite's epoch: a Monday morning, in the middle of an hr so
// that ranges do not line up with whole hours by accident.
var t0 = time.Date(2026, 3, 2, 10, 17, 23, 0, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

const (
	sec    = time.Second
	minute = time.Minute
	hr     = time.Hour
	day    = 24 * time.Hour
)

// visitor returns a visitor ID shaped like the tracker's (20 characters of
// an xid), distinct for each n and unlikely to appear in a file by chance.
func visitor(n int) string { return fmt.Sprintf("cv%016dqz", n) }

// gen builds events for one store with IDs unique to the test.
type gen struct {
	store string
	seq   int
	evs   []tracker.Event
}

func newGen(store string) *gen { return &gen{store: store} }

func (g *gen) add(e tracker.Event) tracker.Event {
	g.seq++
	e.ID = fmt.Sprintf("%s-%06d", g.store, g.seq)
	e.Store = g.store
	g.evs = append(g.evs, e)
	return e
}

func (g *gen) imp(v string, t time.Time, labels []string, products ...string) tracker.Event {
	return g.add(tracker.Event{Kind: tracker.KindImpression, Visitor: v, Time: t,
		API: "recommendations/trending", Labels: labels, Products: products})
}

func (g *gen) click(v string, t time.Time, product string, labels ...string) tracker.Event {
	e := tracker.Event{Kind: tracker.KindClick, Visitor: v, Time: t, Product: product}
	if len(labels) > 0 {
		e.API, e.Labels = "recommendations/trending", labels
	}
	return g.add(e)
}

func (g *gen) sale(v string, t time.Time, id, email, customer string, lines ...tracker.Line) tracker.Event {
	return g.add(tracker.Event{Kind: tracker.KindSale, Visitor: v, Time: t, Sale: id,
		Email: email, Customer: customer, Lines: lines})
}

func (g *gen) email(v string, t time.Time, email string) tracker.Event {
	return g.add(tracker.Event{Kind: tracker.KindEmail, Visitor: v, Time: t, Email: email})
}

func (g *gen) view(v string, t time.Time, product string) tracker.Event {
	return g.add(tracker.Event{Kind: tracker.KindView, Visitor: v, Time: t, Product: product})
}

func (g *gen) category(v string, t time.Time, c string) tracker.Event {
	return g.add(tracker.Event{Kind: tracker.KindCategory, Visitor: v, Time: t, Category: c})
}

func (g *gen) search(v string, t time.Time, q string) tracker.Event {
	return g.add(tracker.Event{Kind: tracker.KindSearch, Visitor: v, Time: t, Query: q})
}

// impactedSale has v shown what l buys, in a call with label, at t; click it
// a minute later and buy it, as order, the minute after.
func (g *gen) impactedSale(v string, t time.Time, label, order string, l tracker.Line) {
	g.imp(v, t, []string{label}, l.ID)
	g.click(v, t.Add(minute), l.ID)
	g.sale(v, t.Add(2*minute), order, "", "", l)
}

func line(id string, price float64, qty int) tracker.Line {
	return tracker.Line{ID: id, Price: price, Quantity: qty}
}

func write(t *testing.T, s Store, evs []tracker.Event) {
	t.Helper()
	require.NoError(t, s.Write(t.Context(), evs))
}

func report(t *testing.T, s Store, store string, from, to time.Time) tracker.Report {
	t.Helper()
	r, err := s.Report(t.Context(), store, from, to)
	require.NoError(t, err)
	return r
}

// wide is a range that holds every event of the suite.
// history returns the activity of visitor v in store, as s.History does.
func history(t *testing.T, s Store, store, v string, limit int) []tracker.Activity {
	t.Helper()
	h, err := s.History(t.Context(), store, v, limit)
	require.NoError(t, err)
	return h
}

// visitors returns the visitors of email in store, as s.Visitors does.
func visitors(t *testing.T, s Store, store, email string) []string {
	t.Helper()
	ids, err := s.Visitors(t.Context(), store, email)
	require.NoError(t, err)
	return ids
}

func wide(t *testing.T, s Store, store string) tracker.Report {
	t.Helper()
	return report(t, s, store, t0.Add(-400*day), t0.Add(400*day))
}

func label(r tracker.Report, name string) tracker.LabelStats {
	for _, l := range r.Labels {
		if l.Label == name {
			return l
		}
	}
	return tracker.LabelStats{Label: name}
}

func labelNames(r tracker.Report) []string {
	var out []string
	for _, l := range r.Labels {
		out = append(out, l.Label)
	}
	return out
}

func testIdempotent(t *testing.T, _ *config, s Store) {
	g := newGen("shop")
	v := visitor(1)
	g.imp(v, at(0), []string{"Home"}, "p1", "p2")
	g.click(v, at(minute), "p1")
	g.view(v, at(2*minute), "p1")
	g.sale(v, at(3*minute), "o1", "", "", line("p1", 10, 1))
	write(t, s, g.evs)
	before := wide(t, s, "shop")
	write(t, s, g.evs)
	write(t, s, append(append([]tracker.Event(nil), g.evs[1:3]...), g.evs[0]))
	after := wide(t, s, "shop")
	assert.Equal(t, before, after)
	assert.Equal(t, 1, after.Orders)
	assert.Equal(t, 1, label(after, "Home").Calls)
	assert.Equal(t, 2, label(after, "Home").Impressions)
	assert.Equal(t, 1, label(after, "Home").Clicks)
	h := history(t, s, "shop", v, 0)
	assert.Len(t, h, 2, "a click and a view, once each")
	assert.NoError(t, s.Write(t.Context(), nil), "an empty batch is fine")
}

func testSaleOnce(t *testing.T, _ *config, s Store) {
	g, other := newGen("shop"), newGen("other")
	g.sale(visitor(1), at(0), "o1", "", "", line("p1", 10, 1))
	g.sale(visitor(1), at(minute), "o1", "", "", line("p1", 10, 1)) // the same order, sent again as a new event
	g.sale(visitor(2), at(2*minute), "o1", "", "", line("p1", 10, 1))
	other.sale(visitor(1), at(0), "o1", "", "", line("p1", 10, 1)) // another store's order 1
	write(t, s, g.evs[:1])
	write(t, s, g.evs[1:])
	write(t, s, other.evs)
	r := wide(t, s, "shop")
	assert.Equal(t, 1, r.Orders)
	assert.Equal(t, 10.0, r.Revenue)
	assert.Equal(t, 1, wide(t, s, "other").Orders)
}

func testInvalid(t *testing.T, _ *config, s Store) {
	g := newGen("shop")
	v := visitor(1)
	g.impactedSale(v, at(0), "Home", "o1", line("p1", 10, 1))
	good := g.evs
	bad := []tracker.Event{
		{ID: "bad-1", Store: "shop", Visitor: v, Time: at(3 * minute), Kind: tracker.KindClick, Product: "p1\x1f"},
		{ID: "bad-2", Store: "shop", Visitor: v, Time: at(3 * minute), Kind: tracker.KindImpression, API: "a", Labels: []string{"Home\x00"}, Products: []string{"p1"}},
		{ID: "", Store: "shop", Visitor: v, Time: at(3 * minute), Kind: tracker.KindView, Product: "p1"},
		{ID: "bad-4", Store: "", Visitor: v, Time: at(3 * minute), Kind: tracker.KindView, Product: "p1"},
		{ID: "bad-5", Store: "shop", Visitor: v, Time: at(3 * minute), Kind: 200},
		{ID: "bad-6", Store: "shop", Visitor: v, Time: at(3 * minute), Kind: tracker.KindSale, Sale: "o2",
			Lines: []tracker.Line{{ID: "p1", Price: 5e12, Quantity: 2}}},
		{ID: "bad-7", Store: "shop", Visitor: v, Time: at(3 * minute), Kind: tracker.KindSearch, Query: "wo\x00ol"},
	}
	// The bad events go in one batch with the good ones, between them.
	batch := append(append([]tracker.Event{good[0]}, bad...), good[1:]...)
	err := s.Write(t.Context(), batch)
	var be *tracker.BatchError
	require.True(t, errors.As(err, &be), "want a *tracker.BatchError, got %v", err)
	var idx []int
	for _, f := range be.Failed {
		idx = append(idx, f.Index)
		assert.True(t, tracker.IsPermanent(f.Err), "event %d: %v is not marked permanent", f.Index, f.Err)
	}
	assert.Equal(t, []int{1, 2, 3, 4, 5, 6, 7}, idx, "exactly the bad events are refused")
	r := wide(t, s, "shop")
	assert.Equal(t, 1, r.Orders, "the good sale is stored")
	assert.Equal(t, 1, r.ImpactedOrders)
	assert.Equal(t, 10.0, r.Revenue, "no huge price wrapped into revenue")
	assert.Equal(t, tracker.LabelStats{Label: "Home", Calls: 1, Impressions: 1, Clicks: 1, Orders: 1, Revenue: 10}, label(r, "Home"))
	h := history(t, s, "shop", v, 0)
	assert.Len(t, h, 1, "the click; not the broken search")
}

// testNamespace: an event ID is stored once per store, whatever its kind.
func testNamespace(t *testing.T, _ *config, s Store) {
	v := visitor(1)
	evs := []tracker.Event{
		{ID: "same", Store: "shop", Visitor: v, Time: at(0), Kind: tracker.KindView, Product: "p1"},
		{ID: "same", Store: "shop", Visitor: v, Time: at(sec), Kind: tracker.KindClick, Product: "p1", API: "a", Labels: []string{"Home"}},
		{ID: "same", Store: "shop", Visitor: v, Time: at(2 * sec), Kind: tracker.KindSale, Sale: "o1", Lines: []tracker.Line{{ID: "p1", Price: 1, Quantity: 1}}},
		{ID: "same", Store: "other", Visitor: v, Time: at(2 * sec), Kind: tracker.KindSale, Sale: "o1", Lines: []tracker.Line{{ID: "p1", Price: 1, Quantity: 1}}},
	}
	write(t, s, evs[:1])
	write(t, s, evs[1:])
	r := wide(t, s, "shop")
	assert.Zero(t, r.Orders, "the sale shares the view's ID")
	assert.Empty(t, r.Labels, "so does the click")
	h := history(t, s, "shop", v, 0)
	require.Len(t, h, 1)
	assert.Equal(t, tracker.KindView, h[0].Kind)
	assert.Equal(t, 1, wide(t, s, "other").Orders, "another store has its own IDs")
}

// testFuture: an event dated more than tracker.MaxClockSkew after the
// store's clock is refused and changes nothing.
func testFuture(t *testing.T, _ *config, s Store) {
	g := newGen("shop")
	v := visitor(1)
	g.impactedSale(v, at(0), "Home", "o1", line("p1", 10, 1))
	write(t, s, g.evs)
	future := newGen("shop")
	future.imp(v, time.Now().Add(365*day), []string{"Clock jump"}, "p1")
	future.click(v, time.Now().Add(365*day), "p1")
	err := s.Write(t.Context(), future.evs)
	var be *tracker.BatchError
	require.True(t, errors.As(err, &be), "got %v", err)
	require.Len(t, be.Failed, 2)
	for _, f := range be.Failed {
		assert.ErrorIs(t, f.Err, tracker.ErrFuture)
	}
	more := newGen("shop2")
	more.impactedSale(v, at(hr), "Later", "o2", line("p2", 4, 1))
	write(t, s, more.evs)
	assert.Equal(t, 1, wide(t, s, "shop").ImpactedOrders)
	assert.Equal(t, 1, wide(t, s, "shop2").ImpactedOrders, "backtracking and attribution still work")
	assert.Zero(t, label(wide(t, s, "shop"), "Clock jump").Calls)
}

func testBacktracking(t *testing.T, _ *config, s Store) {
	g := newGen("shop")
	v, w := visitor(1), visitor(2)
	g.imp(v, at(0), []string{"Home - Trending"}, "p1", "p2", "p3")
	g.imp(v, at(minute), []string{"Search", "Search - Top"}, "p2")
	g.imp(w, at(2*minute), []string{"Other visitor"}, "p1") // not v's
	g.click(v, at(3*minute), "p2")                          // → the later call: Search, Search - Top
	g.click(v, at(4*minute), "p1")                          // → Home - Trending
	g.imp(v, at(10*minute), []string{"Too late"}, "p1")     // after the click: explains nothing
	write(t, s, g.evs)
	r := wide(t, s, "shop")
	assert.Equal(t, tracker.LabelStats{Label: "Home - Trending", Calls: 1, Impressions: 3, Clicks: 1}, label(r, "Home - Trending"))
	assert.Equal(t, tracker.LabelStats{Label: "Search", Calls: 1, Impressions: 1, Clicks: 1}, label(r, "Search"))
	assert.Equal(t, 1, label(r, "Search - Top").Clicks)
	assert.Equal(t, 0, label(r, "Other visitor").Clicks)
	assert.Equal(t, 0, label(r, "Too late").Clicks)
	assert.Equal(t, []string{"Home - Trending", "Other visitor", "Search", "Search - Top", "Too late"}, labelNames(r))
}

func testGivenLabels(t *testing.T, _ *config, s Store) {
	g := newGen("shop")
	v := visitor(1)
	g.imp(v, at(0), []string{"Home"}, "p1")
	g.click(v, at(minute), "p1", "Email - Weekly") // labels given: no backtracking
	g.sale(v, at(2*minute), "o1", "", "", line("p1", 5, 1))
	write(t, s, g.evs)
	r := wide(t, s, "shop")
	assert.Equal(t, 0, label(r, "Home").Clicks)
	assert.Equal(t, 1, label(r, "Email - Weekly").Clicks)
	assert.Equal(t, 5.0, label(r, "Email - Weekly").Revenue)
	assert.Equal(t, 0.0, label(r, "Home").Revenue)
}

func testUnshown(t *testing.T, _ *config, s Store) {
	g := newGen("shop")
	v := visitor(1)
	g.imp(v, at(0), []string{"Home"}, "p1")
	g.click(v, at(minute), "p9") // nothing tracked showed p9
	g.sale(v, at(2*minute), "o1", "", "", line("p9", 7, 1))
	write(t, s, g.evs)
	r := wide(t, s, "shop")
	for _, l := range r.Labels {
		assert.Zero(t, l.Clicks, l.Label)
	}
	assert.Equal(t, 1, r.Orders)
	assert.Equal(t, 0, r.ImpactedOrders, "a click under no label impacts nothing")
	assert.Equal(t, []string{"Home"}, labelNames(r))
}

func testAttribution(t *testing.T, _ *config, s Store) {
	g := newGen("shop")
	v := visitor(1)
	g.imp(v, at(0), []string{"Home", "Home - Trending"}, "p1", "p2")
	g.click(v, at(minute), "p1")
	g.sale(v, at(hr), "o1", "", "", line("p1", 10, 2), line("p3", 5, 1))
	g.sale(v, at(2*hr), "o2", "", "", line("p3", 5, 1)) // nothing clicked
	write(t, s, g.evs)
	r := wide(t, s, "shop")
	assert.Equal(t, 2, r.Orders)
	assert.Equal(t, 30.0, r.Revenue)
	assert.Equal(t, 1, r.ImpactedOrders)
	assert.Equal(t, 25.0, r.ImpactedRevenue, "an impacted order counts whole")
	for _, name := range []string{"Home", "Home - Trending"} {
		assert.Equal(t, tracker.LabelStats{Label: name, Calls: 1, Impressions: 2, Clicks: 1, Orders: 1, Revenue: 20},
			label(r, name), "the clicked line's revenue goes to each label of the click")
	}
}

func testUnlinked(t *testing.T, _ *config, s Store) {
	g := newGen("shop")
	g.imp(visitor(1), at(0), []string{"Home"}, "p1")
	g.click(visitor(1), at(minute), "p1")
	g.sale(visitor(2), at(2*minute), "o1", "b@example.com", "c-2", line("p1", 10, 1))
	g.email(visitor(1), at(3*minute), "a@example.com")
	write(t, s, g.evs)
	r := wide(t, s, "shop")
	assert.Equal(t, 1, r.Orders)
	assert.Equal(t, 0, r.ImpactedOrders)
	assert.Equal(t, 0, label(r, "Home").Orders)
}

func testLinkedByEmail(t *testing.T, _ *config, s Store) {
	g := newGen("shop")
	phone, laptop, tablet := visitor(1), visitor(2), visitor(3)
	g.imp(phone, at(0), []string{"Email"}, "p1")
	g.click(phone, at(minute), "p1")
	g.email(phone, at(2*minute), "a@example.com")
	g.sale(laptop, at(hr), "o1", "a@example.com", "", line("p1", 10, 1)) // the sale names the email
	g.imp(tablet, at(0), []string{"Tablet"}, "p2")
	g.click(tablet, at(minute), "p2")
	g.email(tablet, at(3*hr), "a@example.com") // linked after the sale, by an email event
	g.sale(laptop, at(2*hr), "o2", "", "", line("p2", 4, 1))
	write(t, s, g.evs)
	r := wide(t, s, "shop")
	assert.Equal(t, 2, r.ImpactedOrders)
	assert.Equal(t, 14.0, r.ImpactedRevenue)
	assert.Equal(t, 10.0, label(r, "Email").Revenue)
	assert.Equal(t, 4.0, label(r, "Tablet").Revenue)
}

func testLinkedByCustomer(t *testing.T, _ *config, s Store) {
	g := newGen("shop")
	v1, v2 := visitor(1), visitor(2)
	g.sale(v1, at(0), "o1", "", "cust-77", line("p9", 1, 1))
	g.imp(v1, at(hr), []string{"Home"}, "p2")
	g.click(v1, at(hr+minute), "p2")
	g.sale(v2, at(2*hr), "o2", "", "cust-77", line("p2", 3, 3))
	write(t, s, g.evs)
	r := wide(t, s, "shop")
	assert.Equal(t, 2, r.Orders)
	assert.Equal(t, 1, r.ImpactedOrders)
	assert.Equal(t, tracker.LabelStats{Label: "Home", Calls: 1, Impressions: 1, Clicks: 1, Orders: 1, Revenue: 9}, label(r, "Home"))
}

func testWindowEdge(t *testing.T, c *config, s Store) {
	g := newGen("shop")
	sale := at(c.window + day)
	cases := []struct {
		name   string
		click  time.Time
		credit bool
	}{
		{"just inside", sale.Add(-c.window + sec), true},
		{"at the edge", sale.Add(-c.window), true},
		{"just outside", sale.Add(-c.window - sec), false},
		{"at the sale", sale, true},
		{"after the sale", sale.Add(sec), false},
	}
	for i, tc := range cases {
		v, p := visitor(i+1), fmt.Sprintf("p%d", i)
		g.imp(v, tc.click.Add(-sec), []string{tc.name}, p)
		g.click(v, tc.click, p)
		g.sale(v, sale, fmt.Sprintf("o%d", i), "", "", line(p, 1, 1))
	}
	write(t, s, g.evs)
	r := wide(t, s, "shop")
	for _, tc := range cases {
		if tc.credit {
			assert.Equal(t, 1, label(r, tc.name).Orders, tc.name)
		} else {
			assert.Equal(t, 0, label(r, tc.name).Orders, tc.name)
		}
	}
}

func testLatestClick(t *testing.T, _ *config, s Store) {
	g := newGen("shop")
	v1, v2 := visitor(1), visitor(2)
	g.imp(v1, at(0), []string{"First"}, "p1")
	g.click(v1, at(minute), "p1")
	g.imp(v2, at(2*minute), []string{"Second"}, "p1")
	g.click(v2, at(3*minute), "p1") // the other device, later: it takes the credit
	g.imp(v1, at(4*minute), []string{"Other product"}, "p2")
	g.click(v1, at(5*minute), "p2")
	g.email(v1, at(0), "a@example.com")
	g.email(v2, at(0), "a@example.com")
	g.sale(v1, at(hr), "o1", "", "", line("p1", 2, 1))
	write(t, s, g.evs)
	r := wide(t, s, "shop")
	assert.Equal(t, 0, label(r, "First").Orders)
	assert.Equal(t, 1, label(r, "Second").Orders)
	assert.Equal(t, 2.0, label(r, "Second").Revenue)
	assert.Equal(t, 0, label(r, "Other product").Orders, "a click on another product earns nothing")
}

func testExactMoney(t *testing.T, _ *config, s Store) {
	g := newGen("shop")
	v := visitor(1)
	g.imp(v, at(0), []string{"Home"}, "p1")
	g.click(v, at(sec), "p1")
	const n = 300
	for i := range n {
		g.sale(v, at(time.Duration(i+1)*sec), fmt.Sprintf("o%d", i), "", "", line("p1", 0.1, 1), line("p2", 0.2, 1))
	}
	g.sale(visitor(2), at(hr), "x", "", "", line("p3", 19.99, 3))
	write(t, s, g.evs)
	r := wide(t, s, "shop")
	assert.Equal(t, n+1, r.Orders)
	assert.Equal(t, 149.97, r.Revenue) // floats summed would drift
	assert.Equal(t, 90.0, r.ImpactedRevenue)
	assert.Equal(t, 30.0, label(r, "Home").Revenue)
}

func testHalfOpen(t *testing.T, _ *config, s Store) {
	g := newGen("shop")
	v := visitor(1)
	// Events spread over two days, many minutes apart, so that ranges both
	// cut hours and cover whole ones.
	for i := range 200 {
		ts := at(time.Duration(i) * 13 * minute)
		p := fmt.Sprintf("p%d", i%7)
		g.imp(v, ts, []string{fmt.Sprintf("L%d", i%3)}, p, "x")
		g.click(v, ts.Add(sec), p)
		g.sale(v, ts.Add(2*sec), fmt.Sprintf("o%d", i), "", "", line(p, 1.25, 1+i%3))
	}
	write(t, s, g.evs)
	from, to := at(0), at(199*13*minute+2*sec)
	r := report(t, s, "shop", from, to)
	assert.Equal(t, 199, r.Orders, "the sale at to is out")
	assert.Equal(t, r, report(t, s, "shop", from, to), "reports are repeatable")
	incl := report(t, s, "shop", from, to.Add(time.Microsecond))
	assert.Equal(t, 200, incl.Orders)
	assert.Equal(t, 0, report(t, s, "shop", to, to).Orders, "an empty range")
	assert.Equal(t, 1, report(t, s, "shop", to, to.Add(time.Microsecond)).Orders)
	assert.Equal(t, 1, label(report(t, s, "shop", from, from.Add(time.Microsecond)), "L0").Calls, "the event at from is in")

	// A range split anywhere adds up to the whole.
	whole := report(t, s, "shop", from, incl.To)
	for _, cut := range []time.Duration{time.Microsecond, 13 * minute, hr, 2*hr + 37*minute + 11*sec, 24 * hr, 42*hr + 59*minute} {
		a := report(t, s, "shop", from, from.Add(cut))
		b := report(t, s, "shop", from.Add(cut), incl.To)
		assert.Equal(t, whole.Orders, a.Orders+b.Orders, "cut at %v", cut)
		assert.Equal(t, whole.ImpactedOrders, a.ImpactedOrders+b.ImpactedOrders, "cut at %v", cut)
		assert.InDelta(t, whole.Revenue, a.Revenue+b.Revenue, 1e-9, "cut at %v", cut)
		for _, l := range whole.Labels {
			la, lb := label(a, l.Label), label(b, l.Label)
			assert.Equal(t, l.Calls, la.Calls+lb.Calls, "%s cut at %v", l.Label, cut)
			assert.Equal(t, l.Impressions, la.Impressions+lb.Impressions, "%s cut at %v", l.Label, cut)
			assert.Equal(t, l.Clicks, la.Clicks+lb.Clicks, "%s cut at %v", l.Label, cut)
			assert.Equal(t, l.Orders, la.Orders+lb.Orders, "%s cut at %v", l.Label, cut)
		}
	}
}

func testIsolation(t *testing.T, _ *config, s Store) {
	a, b := newGen("shop-dk"), newGen("shop-se")
	v := visitor(1) // the same visitor ID in both stores
	a.imp(v, at(0), []string{"Home"}, "p1")
	a.email(v, at(0), "a@example.com")
	b.click(v, at(minute), "p1") // not backtracked to shop-dk's call
	b.sale(v, at(2*minute), "o1", "", "", line("p1", 10, 1))
	a.view(v, at(3*minute), "p7")
	write(t, s, append(a.evs, b.evs...))
	rb := wide(t, s, "shop-se")
	assert.Equal(t, 1, rb.Orders)
	assert.Equal(t, 0, rb.ImpactedOrders)
	assert.Empty(t, rb.Labels)
	ra := wide(t, s, "shop-dk")
	assert.Equal(t, 0, ra.Orders)
	assert.Equal(t, 0, label(ra, "Home").Clicks)
	ids := visitors(t, s, "shop-se", "a@example.com")
	assert.Empty(t, ids)
	h := history(t, s, "shop-se", v, 0)
	require.Len(t, h, 1)
	assert.Equal(t, tracker.KindClick, h[0].Kind)
	require.NoError(t, s.Forget(t.Context(), "shop-dk", "a@example.com"))
	h = history(t, s, "shop-se", v, 0)
	assert.Len(t, h, 1, "forgetting in one store leaves the other alone")
	assert.Equal(t, 1, wide(t, s, "shop-se").Orders)
}

// scenario is a shop's worth of events in which arrival order matters if
// a store gets it wrong: clicks needing impressions, sales needing clicks,
// sales needing links.
func scenario(store string) *gen {
	g := newGen(store)
	r := rand.New(rand.NewPCG(1, 2))
	labels := [][]string{{"Home"}, {"Search", "Search - Top"}, {"Cart"}, {"Email"}}
	const visitors = 12
	for v := range visitors {
		id := visitor(v + 1)
		ts := at(time.Duration(v) * 7 * minute)
		for range 25 {
			ts = ts.Add(time.Duration(1+r.IntN(180)) * minute)
			p := fmt.Sprintf("p%d", r.IntN(15))
			switch k := r.IntN(10); {
			case k < 4:
				g.imp(id, ts, labels[r.IntN(len(labels))], p, fmt.Sprintf("p%d", r.IntN(15)), fmt.Sprintf("p%d", r.IntN(15)))
			case k < 7:
				if r.IntN(5) == 0 {
					g.click(id, ts, p, labels[r.IntN(len(labels))]...)
				} else {
					g.click(id, ts, p)
				}
			case k < 8:
				g.view(id, ts, p)
			case k < 9:
				g.sale(id, ts, fmt.Sprintf("o-%d-%d", v, g.seq), "", "", line(p, 9.99, 1+r.IntN(2)), line("p14", 0.3, 1))
			default:
				g.email(id, ts, fmt.Sprintf("u%d@example.com", v/3)) // visitors 0-2, 3-5, ... share an email
			}
		}
		if v%4 == 0 {
			g.sale(id, ts.Add(hr), fmt.Sprintf("c-%d", v), "", fmt.Sprintf("cust-%d", v/8), line("p1", 1, 1))
		}
	}
	return g
}

func testOrderIndependence(t *testing.T, _ *config, s Store) {
	ref := scenario("ref")
	write(t, s, ref.evs)
	ranges := [][2]time.Time{
		{t0.Add(-400 * day), t0.Add(400 * day)},
		{at(3*hr + 11*minute), at(29*hr + 7*minute)},
		{at(50 * minute), at(9 * hr)},
	}
	var want []tracker.Report
	for _, rg := range ranges {
		want = append(want, report(t, s, "ref", rg[0], rg[1]))
	}
	require.NotZero(t, want[0].ImpactedOrders, "the scenario attributes something")
	require.NotZero(t, want[0].Orders-want[0].ImpactedOrders, "and leaves something unattributed")
	wantHist := history(t, s, "ref", visitor(1), 0)

	for seed := range uint64(4) {
		store := fmt.Sprintf("shuffled-%d", seed)
		g := scenario(store)
		r := rand.New(rand.NewPCG(seed, 99))
		evs := append([]tracker.Event(nil), g.evs...)
		switch seed {
		case 0: // newest first
			for i, j := 0, len(evs)-1; i < j; i, j = i+1, j-1 {
				evs[i], evs[j] = evs[j], evs[i]
			}
		default:
			r.Shuffle(len(evs), func(i, j int) { evs[i], evs[j] = evs[j], evs[i] })
		}
		for len(evs) > 0 {
			n := min(len(evs), 1+r.IntN(40))
			batch := evs[:n]
			if r.IntN(4) == 0 { // a redelivered batch, too
				write(t, s, batch)
			}
			write(t, s, batch)
			evs = evs[n:]
		}
		for i, rg := range ranges {
			got := report(t, s, store, rg[0], rg[1])
			w := want[i]
			assert.Equal(t, w, got, "seed %d, range %d", seed, i)
		}
		h := history(t, s, store, visitor(1), 0)
		assert.Equal(t, wantHist, h, "seed %d", seed)
	}
}

func testHistory(t *testing.T, _ *config, s Store) {
	g, other := newGen("shop"), newGen("other")
	v1, v2, v3 := visitor(1), visitor(2), visitor(3)
	g.view(v1, at(0), "p1")
	g.imp(v1, at(sec), []string{"Home"}, "p2") // not activity
	g.click(v1, at(2*sec), "p2")
	g.category(v1, at(3*sec), "shoes")
	g.search(v1, at(4*sec), "red shoes")
	g.email(v1, at(5*sec), "a@example.com")
	g.sale(v1, at(6*sec), "o1", "a@example.com", "", line("p2", 1, 1))
	g.view(v2, at(7*sec), "p9")     // another visitor
	other.view(v1, at(8*sec), "p5") // another store
	write(t, s, append(g.evs, other.evs...))

	h := history(t, s, "shop", v1, 10)
	for i := range h {
		h[i].Time = h[i].Time.UTC()
	}
	assert.Equal(t, []tracker.Activity{
		{Kind: tracker.KindSearch, Query: "red shoes", Time: at(4 * sec)},
		{Kind: tracker.KindCategory, Category: "shoes", Time: at(3 * sec)},
		{Kind: tracker.KindClick, Product: "p2", Time: at(2 * sec)},
		{Kind: tracker.KindView, Product: "p1", Time: at(0)},
	}, h)
	h2 := history(t, s, "shop", v1, 2)
	require.Len(t, h2, 2, "limit")
	assert.Equal(t, tracker.KindSearch, h2[0].Kind)
	assert.Equal(t, tracker.KindCategory, h2[1].Kind)
	h3 := history(t, s, "shop", visitor(99), 10)
	assert.Empty(t, h3)
	_ = v3
}

func testVisitors(t *testing.T, _ *config, s Store) {
	g := newGen("shop")
	g.email(visitor(3), at(0), "a@example.com")
	g.sale(visitor(1), at(minute), "o1", "a@example.com", "", line("p1", 1, 1))
	g.sale(visitor(2), at(2*minute), "o2", "", "cust-1", line("p1", 1, 1))
	g.sale(visitor(1), at(3*minute), "o3", "", "cust-1", line("p1", 1, 1)) // visitor 2 shares a customer ID
	g.email(visitor(4), at(0), "b@example.com")
	write(t, s, g.evs)
	ids := visitors(t, s, "shop", "a@example.com")
	assert.Equal(t, []string{visitor(1), visitor(2), visitor(3)}, ids)
	ids = visitors(t, s, "shop", "nobody@example.com")
	assert.Empty(t, ids)
}

func testForget(t *testing.T, c *config, s Store) {
	g, keep := newGen("shop"), newGen("other")
	const email, customer = "forget.me@example.com", "cust-forget-4711"
	v1, v2, v3, bystander := visitor(11), visitor(12), visitor(13), visitor(14)
	g.imp(v1, at(0), []string{"Home"}, "p1")
	g.click(v1, at(minute), "p1")
	g.email(v1, at(2*minute), email)
	g.search(v1, at(3*minute), "very personal query")
	g.sale(v2, at(hr), "o1", email, customer, line("p1", 10, 1))
	g.view(v3, at(2*hr), "p3")
	g.sale(v3, at(3*hr), "o2", "", customer, line("p3", 5, 1)) // linked through the customer ID
	g.imp(bystander, at(0), []string{"Home"}, "p1")
	g.click(bystander, at(minute), "p1")
	g.view(bystander, at(2*minute), "p1")
	keep.view(v1, at(0), "p1") // the same visitor ID in another store
	keep.email(v1, at(0), email)
	write(t, s, append(g.evs, keep.evs...))
	before := wide(t, s, "shop")
	require.Equal(t, 1, before.ImpactedOrders)

	require.NoError(t, s.Forget(t.Context(), "shop", email))

	ids := visitors(t, s, "shop", email)
	assert.Empty(t, ids)
	for _, v := range []string{v1, v2, v3} {
		h := history(t, s, "shop", v, 0)
		assert.Empty(t, h, v)
	}
	h := history(t, s, "shop", bystander, 0)
	assert.Len(t, h, 2, "other visitors keep their history")
	after := wide(t, s, "shop")
	assert.Equal(t, before.Orders, after.Orders, "sales stay, as anonymous totals")
	assert.Equal(t, before.Revenue, after.Revenue)
	assert.Equal(t, before.ImpactedOrders, after.ImpactedOrders)
	assert.Equal(t, before.ImpactedRevenue, after.ImpactedRevenue)
	assert.Equal(t, 1, label(after, "Home").Calls, "the forgotten visitor's calls are gone")
	assert.Equal(t, 1, label(after, "Home").Clicks)
	ids = visitors(t, s, "other", email)
	assert.Equal(t, []string{v1}, ids, "another store is not touched")

	// A late redelivery of a batch does not bring anything back.
	write(t, s, g.evs)
	ids = visitors(t, s, "shop", email)
	assert.Empty(t, ids, "redelivered events stay forgotten")
	require.NoError(t, s.Forget(t.Context(), "shop", email))

	if c.raw != nil {
		require.NoError(t, s.Forget(t.Context(), "other", email))
		raw := c.raw(t, s)
		require.NotEmpty(t, raw)
		for _, secret := range []string{email, customer, v1, v2, v3, "very personal query"} {
			assert.False(t, bytes.Contains(raw, []byte(secret)), "%q is still in the files", secret)
		}
		assert.True(t, bytes.Contains(raw, []byte(bystander)), "the check can see what is kept")
	}
}

func testPurge(t *testing.T, _ *config, s Store) {
	a, b := newGen("shop"), newGen("other")
	v := visitor(1)
	for i := range 48 {
		ts := at(time.Duration(i) * 37 * minute)
		a.imp(v, ts, []string{"Home"}, "p1", "p2")
		a.click(v, ts.Add(sec), "p1")
		a.sale(v, ts.Add(2*sec), fmt.Sprintf("o%d", i), "", "", line("p1", 3, 1))
		b.view(v, ts, "p1")
	}
	b.email(v, at(0), "a@example.com")
	write(t, s, append(a.evs, b.evs...))
	cut := at(10*hr + 3*minute) // not a whole hr
	end := at(400 * day)
	keep := report(t, s, "shop", cut, end)
	var old int64
	for _, e := range append(a.evs, b.evs...) {
		if e.Time.Before(cut) {
			old++
		}
	}
	n, err := s.Purge(t.Context(), cut)
	require.NoError(t, err)
	assert.Equal(t, old, n)
	assert.Equal(t, keep, report(t, s, "shop", cut, end), "what is newer than the cut is untouched")
	gone := report(t, s, "shop", t0.Add(-day), cut)
	assert.Zero(t, gone.Orders)
	assert.Empty(t, gone.Labels)
	h := history(t, s, "other", v, 0)
	for _, a := range h {
		assert.False(t, a.Time.Before(cut), "history older than the cut is gone")
	}
	assert.NotEmpty(t, h)
	n, err = s.Purge(t.Context(), cut)
	require.NoError(t, err)
	assert.Zero(t, n, "a second purge finds nothing")
}
