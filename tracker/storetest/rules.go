package storetest

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/visitrack/visitrack/tracker"
)

// testSaleCopies: of copies of one sale ID, the earliest counts, and of
// copies at the same time the smallest event ID, whatever order they
// arrive in.
func testSaleCopies(t *testing.T, _ *config, s Store) {
	for i, order := range [][]int{{0, 1, 2}, {2, 1, 0}, {1, 2, 0}} {
		store := fmt.Sprintf("shop-%d", i)
		g := newGen(store)
		v, w := visitor(1), visitor(2)
		g.imp(v, at(0), []string{"Home"}, "p1")
		g.click(v, at(minute), "p1")
		evs := []tracker.Event{
			g.sale(w, at(hr), "o1", "", "", line("p9", 297, 1)), // later: does not count
			g.sale(v, at(30*minute), "o1", "", "", line("p1", 10, 1)),
			g.sale(w, at(30*minute), "o1", "", "", line("p9", 5, 1)), // same time, larger event ID
		}
		write(t, s, g.evs[:2])
		for _, j := range order {
			write(t, s, []tracker.Event{evs[j]})
		}
		r := wide(t, s, store)
		assert.Equal(t, 1, r.Orders, "order %v", order)
		assert.Equal(t, 1, r.ImpactedOrders, "order %v", order)
		assert.Equal(t, 10.0, r.Revenue, "order %v", order)
		assert.Equal(t, 10.0, label(r, "Home").Revenue, "order %v", order)
	}
}

// testSharedIdentity: an email or customer ID used by more visitors than
// the link limit links none of them; below it, it links them all.
func testSharedIdentity(t *testing.T, c *config, s Store) {
	g := newGen("shop")
	n := c.linkLimit + 1
	clicker := visitor(1)
	g.imp(clicker, at(0), []string{"Home"}, "p1")
	g.click(clicker, at(minute), "p1")
	for i := range n {
		g.sale(visitor(100+i), at(hr+time.Duration(i)*sec), fmt.Sprintf("o%d", i), "", "guest", line("p1", 1, 1))
	}
	g.sale(clicker, at(2*hr), "mine", "", "guest", line("p9", 1, 1))
	write(t, s, g.evs)
	r := wide(t, s, "shop")
	assert.Equal(t, n+1, r.Orders)
	assert.Zero(t, r.ImpactedOrders, "\"guest\" links nobody: no guest's order is credited to another's click")
	ids := visitors(t, s, "shop", "nobody@example.com")
	assert.Empty(t, ids)

	// Just at the limit, a shared email links them.
	h := newGen("family")
	h.imp(clicker, at(0), []string{"Home"}, "p1")
	h.click(clicker, at(minute), "p1")
	h.email(clicker, at(0), "family@example.com")
	for i := range c.linkLimit - 1 {
		h.email(visitor(100+i), at(sec), "family@example.com")
	}
	h.sale(visitor(100), at(hr), "o1", "", "", line("p1", 3, 1))
	write(t, s, h.evs)
	assert.Equal(t, 1, wide(t, s, "family").ImpactedOrders, "at the limit, the address links")
	ids = visitors(t, s, "family", "family@example.com")
	assert.Len(t, ids, c.linkLimit)
	// One more visitor and it is shared: the sale is resolved again.
	more := newGen("family")
	more.seq = 1000
	more.email(visitor(999), at(2*hr), "family@example.com")
	write(t, s, more.evs)
	assert.Zero(t, wide(t, s, "family").ImpactedOrders, "past the limit, it links nobody, and the sale loses the credit")
	ids = visitors(t, s, "family", "family@example.com")
	assert.Len(t, ids, c.linkLimit+1, "a shared address links nobody, but Visitors still names who used it")
}

// testMicroseconds: stores keep times to the microsecond, rounding down,
// everywhere alike: a click a window and a nanosecond before a sale is out
// of it, a range that ends a nanosecond after a sale holds it.
func testMicroseconds(t *testing.T, c *config, s Store) {
	g := newGen("shop")
	sale := at(c.window + day).Add(500 * time.Nanosecond)
	v, w := visitor(1), visitor(2)
	g.imp(v, sale.Add(-c.window-time.Minute), []string{"Out"}, "p1")
	g.click(v, sale.Truncate(time.Microsecond).Add(-c.window-time.Nanosecond), "p1")
	g.sale(v, sale, "o1", "", "", line("p1", 1, 1))
	g.imp(w, sale.Add(-c.window-time.Minute), []string{"In"}, "p2")
	g.click(w, sale.Add(-c.window), "p2") // the same microsecond as the edge, rounded down alike
	g.sale(w, sale, "o2", "", "", line("p2", 1, 1))
	write(t, s, g.evs)
	r := wide(t, s, "shop")
	assert.Zero(t, label(r, "Out").Orders, "a window and a nanosecond before: out")
	assert.Equal(t, 1, label(r, "In").Orders, "at the window's edge: in")
	assert.Equal(t, 2, report(t, s, "shop", sale.Add(-time.Hour), sale.Add(time.Nanosecond)).Orders, "[…, sale+1ns) holds the sale")
	assert.Equal(t, 0, report(t, s, "shop", sale.Add(time.Nanosecond), sale.Add(time.Hour)).Orders,
		"[sale+1ns, …) does not: the sale is stored at its microsecond, before it")
}

// testHorizons: one store's events never change another store's results,
// however far apart their times.
func testHorizons(t *testing.T, _ *config, s Store) {
	a, b := newGen("shop-a"), newGen("shop-b")
	v := visitor(1)
	a.imp(v, at(0), []string{"Home"}, "p1")
	a.click(v, at(minute), "p1")
	b.view(visitor(2), at(90*day), "p1") // much later, elsewhere
	b.view(visitor(2), at(250*day), "p1")
	late := newGen("shop-a-late")
	late.store = "shop-a"
	late.seq = 100
	late.sale(v, at(2*minute), "o1", "", "", line("p1", 10, 1)) // arrives after shop-b's events
	write(t, s, a.evs)
	write(t, s, b.evs)
	write(t, s, late.evs)
	r := wide(t, s, "shop-a")
	assert.Equal(t, 1, r.ImpactedOrders)
	assert.Equal(t, 10.0, label(r, "Home").Revenue)
}

// testHistoryPrivate: a visitor who types someone else's email at checkout
// does not see that person's activity.
func testHistoryPrivate(t *testing.T, _ *config, s Store) {
	g := newGen("shop")
	victim, attacker := visitor(1), visitor(2)
	g.view(victim, at(0), "private-product")
	g.search(victim, at(sec), "private query")
	g.email(victim, at(2*sec), "victim@example.com")
	g.sale(attacker, at(hr), "o1", "Victim@Example.com", "", line("p1", 1, 1))
	g.view(attacker, at(2*hr), "p2")
	write(t, s, g.evs)
	ids := visitors(t, s, "shop", "victim@example.com")
	assert.Equal(t, []string{victim, attacker}, ids, "linked, for attribution and the shop's own view")
	h := history(t, s, "shop", attacker, 10)
	require.Len(t, h, 1)
	assert.Equal(t, "p2", h[0].Product, "the attacker sees only their own activity")
	h = history(t, s, "shop", victim, 10)
	assert.Len(t, h, 2, "and the victim only theirs")
}

// testCustomerHistory: the activity of the visitors a verified customer
// bought as, newest first; not of visitors linked to them only by email.
func testCustomerHistory(t *testing.T, _ *config, s Store) {
	g := newGen("shop")
	phone, laptop, stranger := visitor(1), visitor(2), visitor(3)
	g.view(phone, at(0), "p1")
	g.sale(phone, at(minute), "o1", "a@example.com", "cust-1", line("p1", 1, 1))
	g.view(laptop, at(2*minute), "p2")
	g.sale(laptop, at(3*minute), "o2", "", "cust-1", line("p2", 1, 1))
	g.search(stranger, at(4*minute), "typed the address")
	g.email(stranger, at(5*minute), "a@example.com")
	write(t, s, g.evs)
	h, err := s.CustomerHistory(t.Context(), "shop", "cust-1", 10)
	require.NoError(t, err)
	for i := range h {
		h[i].Time = h[i].Time.UTC()
	}
	assert.Equal(t, []tracker.Activity{
		{Kind: tracker.KindView, Product: "p2", Time: at(2 * minute)},
		{Kind: tracker.KindView, Product: "p1", Time: at(0)},
	}, h)
	h, err = s.CustomerHistory(t.Context(), "shop", "cust-1", 1)
	require.NoError(t, err)
	assert.Len(t, h, 1)
	h, err = s.CustomerHistory(t.Context(), "shop", "nobody", 10)
	require.NoError(t, err)
	assert.Empty(t, h)
}

// testPurgeVisitors: a visitor whose every event is purged leaves the store,
// its email and customer ID with it.
func testPurgeVisitors(t *testing.T, c *config, s Store) {
	g := newGen("shop")
	gone, kept := "cvgonegonegonegone01", visitor(2)
	g.view(gone, at(0), "p1")
	g.sale(gone, at(minute), "o1", "gone@example.com", "cust-gone-77", line("p1", 1, 1))
	g.view(kept, at(0), "p1")
	g.view(kept, at(2*day), "p2")
	write(t, s, g.evs)
	n, err := s.Purge(t.Context(), at(day))
	require.NoError(t, err)
	assert.Equal(t, int64(3), n)
	ids := visitors(t, s, "shop", "gone@example.com")
	assert.Empty(t, ids)
	h := history(t, s, "shop", kept, 0)
	assert.Len(t, h, 1)
	if c.raw != nil {
		raw := c.raw(t, s)
		for _, secret := range []string{gone, "gone@example.com", "cust-gone-77"} {
			assert.False(t, bytes.Contains(raw, []byte(secret)), "%q is still in the files", secret)
		}
		assert.True(t, bytes.Contains(raw, []byte(kept)), "the check can see what is kept")
	}
}

// testPurgedStay: an event older than the last purge's cut, delivered
// again, is not stored again, and a sale whose counted copy was purged
// never counts again.
func testPurgedStay(t *testing.T, _ *config, s Store) {
	g := newGen("shop")
	v := visitor(1)
	g.view(v, at(0), "p1")
	g.sale(v, at(minute), "o1", "", "", line("p1", 1, 1))
	g.sale(v, at(2*day), "o2", "", "", line("p1", 1, 1))
	write(t, s, g.evs)
	_, err := s.Purge(t.Context(), at(day))
	require.NoError(t, err)
	write(t, s, g.evs)
	r := wide(t, s, "shop")
	assert.Equal(t, 1, r.Orders, "o1 is not stored again")
	h := history(t, s, "shop", v, 0)
	assert.Empty(t, h)
	copyOf := newGen("shop-copy")
	copyOf.store, copyOf.seq = "shop", 100
	copyOf.sale(v, at(3*day), "o1", "", "", line("p1", 5, 1)) // a later copy of the purged order
	write(t, s, copyOf.evs)
	assert.Equal(t, 1, wide(t, s, "shop").Orders, "the purged order does not come back through a copy")
}

// popular is what a store with a Popular method answers.
type popular interface {
	Popular(ctx context.Context, store string, since time.Time, limit int) ([]tracker.ProductCount, error)
}

// testPopular: clicks and units bought per product since a time, most
// popular first, counting only the copy of a sale that counts.
func testPopular(t *testing.T, _ *config, s Store) {
	p, ok := s.(popular)
	if !ok {
		t.Logf("%T has no Popular", s) // nothing to check
		return
	}
	g, other := newGen("shop"), newGen("other-shop")
	v := visitor(1)
	g.click(v, at(-48*hr), "old") // before since
	g.click(v, at(0), "a")
	g.click(v, at(0), "a")
	g.click(v, at(0), "c")
	g.view(v, at(0), "a")
	g.sale(v, at(hr), "o1", "", "", line("b", 10, 3), line("c", 5, 1))
	g.sale(v, at(2*hr), "o1", "", "", line("b", 10, 9)) // a later copy: does not count
	other.click(v, at(0), "z")
	write(t, s, append(g.evs, other.evs...))
	got, err := p.Popular(t.Context(), "shop", at(-hr), 0)
	require.NoError(t, err)
	assert.Equal(t, []tracker.ProductCount{{Product: "b", Units: 3}, {Product: "a", Clicks: 2}, {Product: "c", Clicks: 1, Units: 1}}, got)
	top, err := p.Popular(t.Context(), "shop", at(-hr), 1)
	require.NoError(t, err)
	assert.Equal(t, []tracker.ProductCount{{Product: "b", Units: 3}}, top)
	none, err := p.Popular(t.Context(), "nobody", at(-hr), 0)
	require.NoError(t, err)
	assert.Empty(t, none)
}

// testHostileReads: what a store is asked by name (a store, visitor,
// customer, email or label taken from a request) may be anything: empty,
// huge, invalid UTF-8, a NUL. No such name can have been stored, so every
// read answers nothing, without an error, and Forget changes nothing.
func testHostileReads(t *testing.T, _ *config, s Store) {
	ctx := t.Context()
	g := newGen("shop")
	v := visitor(1)
	g.imp(v, at(0), []string{"Home"}, "p1")
	g.click(v, at(minute), "p1")
	g.sale(v, at(hr), "o1", "a@example.com", "cust-1", line("p1", 10, 1))
	write(t, s, g.evs)
	from, to := at(-hr), at(2*hr)
	want, err := s.Report(ctx, "shop", from, to)
	require.NoError(t, err)
	require.Equal(t, 1, want.ImpactedOrders)
	for _, bad := range []string{"", "a\x00b", "\xff\xfe", "tab\there", strings.Repeat("x", 1<<16)} {
		rep, err := s.Report(ctx, bad, from, to)
		require.NoError(t, err, "Report(%q)", bad)
		assert.Zero(t, rep.Orders, "Report(%q)", bad)
		for _, h := range []func() ([]tracker.Activity, error){
			func() ([]tracker.Activity, error) { return s.History(ctx, bad, v, 0) },
			func() ([]tracker.Activity, error) { return s.History(ctx, "shop", bad, 0) },
			func() ([]tracker.Activity, error) { return s.CustomerHistory(ctx, bad, "cust-1", 0) },
			func() ([]tracker.Activity, error) { return s.CustomerHistory(ctx, "shop", bad, 0) },
		} {
			got, err := h()
			require.NoError(t, err, "history of %q", bad)
			assert.Empty(t, got, "history of %q", bad)
		}
		ids, err := s.Visitors(ctx, "shop", bad)
		require.NoError(t, err, "Visitors(%q)", bad)
		assert.Empty(t, ids)
		require.NoError(t, s.Forget(ctx, "shop", bad), "Forget(%q)", bad)
		require.NoError(t, s.Forget(ctx, bad, "a@example.com"), "Forget in store %q", bad)
		if p, ok := s.(popular); ok {
			got, err := p.Popular(ctx, bad, from, 0)
			require.NoError(t, err, "Popular(%q)", bad)
			assert.Empty(t, got)
		}
		if a, ok := s.(tracker.Analytics); ok {
			o, err := a.Overview(ctx, bad, from, to)
			require.NoError(t, err, "Overview(%q)", bad)
			assert.Zero(t, o.Orders)
			for _, store := range []string{"shop", bad} {
				p, err := a.LabelProducts(ctx, store, bad, from, to, 0)
				require.NoError(t, err, "LabelProducts(%q, %q)", store, bad)
				assert.Empty(t, p)
				pos, err := a.Positions(ctx, store, bad, from, to)
				require.NoError(t, err, "Positions(%q, %q)", store, bad)
				assert.Empty(t, pos)
				ls, err := a.LabelSeries(ctx, store, bad, []time.Time{from, to})
				require.NoError(t, err, "LabelSeries(%q, %q)", store, bad)
				assert.Len(t, ls, 1)
			}
			st, err := a.Searches(ctx, bad, from, to, 0)
			require.NoError(t, err, "Searches(%q)", bad)
			assert.Empty(t, st)
		}
	}
	got, err := s.Report(ctx, "shop", from, to)
	require.NoError(t, err)
	assert.Equal(t, want, got, "Forget of names nobody has changed nothing")

	// Ranges from a request may be anything too: all of time, past what
	// int64 microseconds hold, or backwards.
	far := time.Date(300000, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, rg := range [][2]time.Time{{time.Time{}, far}, {far.AddDate(-600000, 0, 0), far}, {time.Time{}, time.UnixMicro(math.MaxInt64)}} {
		got, err := s.Report(ctx, "shop", rg[0], rg[1])
		require.NoError(t, err)
		got.From, got.To = want.From, want.To
		assert.Equal(t, want, got, "all of time holds every event: %v", rg)
		if a, ok := s.(tracker.Analytics); ok {
			o, err := a.Overview(ctx, "shop", rg[0], rg[1])
			require.NoError(t, err)
			assert.Equal(t, 1, o.Visitors, "%v", rg)
			assert.Equal(t, 1, o.Calls, "%v", rg)
			p, err := a.LabelProducts(ctx, "shop", "Home", rg[0], rg[1], 0)
			require.NoError(t, err)
			assert.Len(t, p, 1, "%v", rg)
		}
	}
	back, err := s.Report(ctx, "shop", to, from)
	require.NoError(t, err)
	assert.Zero(t, back.Orders, "a range that ends before it starts holds nothing")
}
