package storetest

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/visitrack/visitrack/tracker"
)

// stream is a random shop's worth of events in several stores: visitors
// that belong to people with several devices, emails and customer IDs that
// link them (one email shared by more visitors than the link limit, one
// "guest" customer shared by everyone who buys as a guest), calls and the
// clicks they explain, clicks with labels and on products nothing showed,
// sales and copies of sales, exact duplicates and events that break a rule.
// Many times fall on a coarse grid so that edges coincide exactly: a click
// at the window's edge, an impression at the click's time, two events at
// the same microsecond.
type stream struct {
	r        *rand.Rand
	limit    int
	window   time.Duration
	lookback time.Duration
	stores   []string
	events   []tracker.Event
	seq      int

	visitors []string
	personOf []int // visitor → person, -1 for nobody
	emails   []string
	shown    map[string][]string // store|visitor → products last shown
	sales    map[string][]tracker.Event
}

func newStream(seed uint64, n, linkLimit int, window time.Duration, visitors int) *stream {
	s := &stream{r: rand.New(rand.NewPCG(seed, 1)), limit: linkLimit, window: window, lookback: max(window, 30*day),
		stores: []string{"shop-a", "shop-b", "shop-c"}, shown: make(map[string][]string),
		sales: make(map[string][]tracker.Event)}
	const people = 30
	for i := range visitors {
		s.visitors = append(s.visitors, visitor(1000+i))
		p := -1
		if s.r.IntN(4) != 0 {
			p = s.r.IntN(people)
		}
		s.personOf = append(s.personOf, p)
	}
	for p := range people {
		s.emails = append(s.emails, fmt.Sprintf("person%d@example.com", p))
	}
	for range n {
		s.next()
	}
	return s
}

var streamLabels = []string{"Home", "Home - Trending", "Search", "Search - Top", "Cart", "Email", "Product - Similar", "Category"}

func (s *stream) time() time.Time {
	base := t0.Add(-20 * day)
	if s.r.IntN(10) < 7 {
		// On a 6-hour grid: 30 days is a whole number of steps.
		return base.Add(time.Duration(s.r.IntN(100*4)) * 6 * hr)
	}
	t := base.Add(time.Duration(s.r.Int64N(int64(100 * day))))
	if s.r.IntN(3) == 0 {
		return t.Truncate(time.Microsecond)
	}
	return t // with nanoseconds: stores keep microseconds
}

func (s *stream) labels() []string {
	n := 1 + s.r.IntN(3)
	out := make([]string, n)
	for i := range out {
		out[i] = streamLabels[s.r.IntN(len(streamLabels))]
	}
	if s.r.IntN(8) == 0 {
		out = append(out, " "+out[0]+" ") // a duplicate, once trimmed
	}
	return out
}

func (s *stream) product() string { return fmt.Sprintf("p%d", 1+s.r.IntN(20)) }

func (s *stream) add(e tracker.Event) {
	s.seq++
	e.ID = fmt.Sprintf("ev-%06d-%02d", s.seq, s.r.IntN(100))
	s.events = append(s.events, e)
}

func (s *stream) next() {
	r := s.r
	store := s.stores[min(r.IntN(7), 2)/1]
	if r.IntN(3) == 0 {
		store = s.stores[0]
	}
	vi := r.IntN(len(s.visitors))
	v := s.visitors[vi]
	e := tracker.Event{Store: store, Visitor: v, Time: s.time()}
	key := store + "|" + v
	switch k := r.IntN(100); {
	case k < 28:
		e.Kind, e.API, e.Labels = tracker.KindImpression, "recommendations/trending", s.labels()
		for range 1 + r.IntN(5) {
			e.Products = append(e.Products, s.product())
		}
		if r.IntN(4) == 0 { // the results of a search
			e.API, e.Query = "search/search", fmt.Sprintf("query %d", r.IntN(9))
		}
		s.shown[key] = e.Products
	case k < 52:
		e.Kind, e.Product = tracker.KindClick, s.product()
		if shown := s.shown[key]; len(shown) > 0 && r.IntN(10) < 7 {
			e.Product = shown[r.IntN(len(shown))]
		}
		if r.IntN(5) == 0 {
			e.API, e.Labels = "search/predictive", s.labels()
		}
		e.Position = r.IntN(6)
	case k < 60:
		e.Kind, e.Product = tracker.KindView, s.product()
	case k < 64:
		e.Kind, e.Category = tracker.KindCategory, fmt.Sprintf("cat-%d", r.IntN(5))
	case k < 68:
		e.Kind, e.Query = tracker.KindSearch, fmt.Sprintf("query %d", r.IntN(9))
		if r.IntN(2) == 0 {
			n := r.IntN(3) * 4 // none, or some
			e.Results = &n
		}
	case k < 76:
		e.Kind, e.Email = tracker.KindEmail, s.email(vi)
	case k < 80:
		// The shared address: more visitors use it than the link limit.
		e.Kind, e.Email = tracker.KindEmail, "family@example.com"
		e.Visitor = s.visitors[r.IntN(min(len(s.visitors), s.limit+4))]
	case k < 94:
		e.Kind, e.Sale = tracker.KindSale, fmt.Sprintf("o%d", s.seq)
		if old := s.sales[store]; len(old) > 0 && r.IntN(6) == 0 {
			// Another copy of an order: a reloaded page, a second sender.
			c := old[r.IntN(len(old))]
			e.Sale = c.Sale
			if r.IntN(2) == 0 {
				e.Time = c.Time // at the same time: the event ID decides
			}
		}
		for range 1 + r.IntN(3) {
			p := s.product()
			if shown := s.shown[key]; len(shown) > 0 && r.IntN(2) == 0 {
				p = shown[r.IntN(len(shown))]
			}
			e.Lines = append(e.Lines, tracker.Line{ID: p, Price: float64(r.IntN(100000)) / 100, Quantity: 1 + r.IntN(3)})
		}
		switch r.IntN(4) {
		case 0:
			e.Email = s.email(vi)
		case 1:
			e.Customer = "guest"
		case 2:
			if p := s.personOf[vi]; p >= 0 {
				e.Customer = fmt.Sprintf("cust-%d", p)
			}
		}
		s.sales[store] = append(s.sales[store], e)
		if r.IntN(3) == 0 {
			// A click at the window's edge, or a microsecond either side.
			edge := e.Time.Truncate(time.Microsecond).Add(-s.window + time.Duration(r.IntN(3)-1)*time.Microsecond)
			c := tracker.Event{Store: store, Visitor: v, Time: edge, Kind: tracker.KindClick, Product: e.Lines[0].ID}
			if r.IntN(2) == 0 {
				c.API, c.Labels = "email", []string{"Edge"}
			} else {
				// and the call that showed it, at the lookback's edge
				imp := tracker.Event{Store: store, Visitor: v, Kind: tracker.KindImpression, API: "recommendations/edge",
					Labels: []string{"Edge call"}, Products: []string{c.Product},
					Time: edge.Add(-s.lookback + time.Duration(r.IntN(3)-1)*time.Microsecond)}
				s.add(imp)
			}
			s.add(c)
		}
	case k < 97:
		if len(s.events) > 0 { // an exact duplicate of an earlier event
			s.events = append(s.events, s.events[r.IntN(len(s.events))])
			return
		}
		e.Kind, e.Product = tracker.KindView, s.product()
	default: // an event that breaks a rule
		e.Kind = tracker.KindClick
		switch r.IntN(4) {
		case 0:
			e.Product = "p1\x1f"
		case 1:
			e.Product = strings.Repeat("x", tracker.MaxIDBytes+1)
		case 2:
			e.Kind, e.Sale, e.Lines = tracker.KindSale, "bad", []tracker.Line{{ID: "p1", Price: -1, Quantity: 1}}
		default:
			e.Product, e.Time = "p1", time.Now().Add(time.Hour) // from the future
		}
	}
	s.add(e)
}

func (s *stream) email(vi int) string {
	if p := s.personOf[vi]; p >= 0 {
		return s.emails[p]
	}
	return fmt.Sprintf("anon%d@example.com", vi)
}

// deliver writes the stream's events into the store and the model in
// shuffled batches (some delivered twice), and checks that both refuse the
// same events.
func deliver(t *testing.T, st Store, m *Model, evs []tracker.Event, r *rand.Rand, lateness int) {
	t.Helper()
	evs = slices.Clone(evs)
	if lateness <= 0 {
		r.Shuffle(len(evs), func(i, j int) { evs[i], evs[j] = evs[j], evs[i] })
	} else {
		// In time order, each event moved by at most lateness places.
		slices.SortStableFunc(evs, func(a, b tracker.Event) int { return a.Time.Compare(b.Time) })
		for i := range evs {
			j := min(len(evs)-1, i+r.IntN(lateness))
			evs[i], evs[j] = evs[j], evs[i]
		}
	}
	for len(evs) > 0 {
		n := min(len(evs), 1+r.IntN(150))
		batch := evs[:n]
		evs = evs[n:]
		for range 1 + r.IntN(4)/3 {
			want := m.Write(batch)
			err := st.Write(t.Context(), batch)
			var got []int
			if err != nil {
				var be *tracker.BatchError
				require.True(t, errors.As(err, &be), "a store reports refused events with *tracker.BatchError: %v", err)
				for _, f := range be.Failed {
					got = append(got, f.Index)
					assert.True(t, tracker.IsPermanent(f.Err), "event %d: a refused event is permanent: %v", f.Index, f.Err)
				}
				slices.Sort(got)
			}
			require.Equal(t, want, got, "refused events")
		}
	}
}

// compare checks every answer of the store against the model's.
func compare(t *testing.T, st Store, m *Model, s *stream, r *rand.Rand, stage string) {
	t.Helper()
	ctx := t.Context()
	start, end := t0.Add(-25*day), t0.Add(90*day)
	ranges := [][2]time.Time{{start, end}, {t0, t0.Add(30 * day)}, {t0.Add(-20 * day).Add(6 * hr), t0.Add(-20 * day).Add(30 * hr)}}
	for range 6 {
		a := start.Add(time.Duration(r.Int64N(int64(end.Sub(start)))))
		b := a.Add(time.Duration(r.Int64N(int64(40 * day))))
		ranges = append(ranges, [2]time.Time{a, b})
	}
	for _, store := range s.stores {
		for i, rg := range ranges {
			got, err := st.Report(ctx, store, rg[0], rg[1])
			require.NoError(t, err)
			want := m.Report(store, rg[0], rg[1])
			got.From, got.To = got.From.UTC(), got.To.UTC()
			want.From, want.To = want.From.UTC(), want.To.UTC()
			if !assert.Equal(t, want, got, "%s: Report(%s) over range %d [%v, %v)", stage, store, i, rg[0], rg[1]) {
				return
			}
		}
		emails := append(slices.Clone(s.emails), "family@example.com", "nobody@example.com", "anon3@example.com")
		for _, email := range emails {
			got, err := st.Visitors(ctx, store, email)
			require.NoError(t, err)
			want := m.Visitors(store, email)
			if len(want) == 0 {
				assert.Empty(t, got, "%s: Visitors(%s, %s)", stage, store, email)
			} else {
				assert.Equal(t, want, got, "%s: Visitors(%s, %s)", stage, store, email)
			}
		}
		for i, v := range s.visitors {
			limit := []int{0, 1, 3, 10}[i%4]
			got, err := st.History(ctx, store, v, limit)
			require.NoError(t, err)
			assertHistory(t, m.History(store, v, limit), got, "%s: History(%s, %s, %d)", stage, store, v, limit)
		}
		for _, c := range []string{"guest", "cust-1", "cust-2", "cust-7", "nobody"} {
			got, err := st.CustomerHistory(ctx, store, c, 5)
			require.NoError(t, err)
			assertHistory(t, m.CustomerHistory(store, c, 5), got, "%s: CustomerHistory(%s, %s)", stage, store, c)
		}
		if a, ok := st.(tracker.Analytics); ok {
			compareAnalytics(t, a, m, store, ranges[:4], stage)
		}
		if p, ok := st.(popular); ok {
			for i, rg := range ranges {
				limit := []int{0, 3}[i%2]
				got, err := p.Popular(ctx, store, rg[0], limit)
				require.NoError(t, err)
				assert.Equal(t, m.Popular(store, rg[0], limit), got, "%s: Popular(%s, %v, %d)", stage, store, rg[0], limit)
			}
		}
	}
}

// compareAnalytics checks what a dashboard asks a store against the model.
func compareAnalytics(t *testing.T, a tracker.Analytics, m *Model, store string, ranges [][2]time.Time, stage string) {
	t.Helper()
	ctx := t.Context()
	utc := func(tm *time.Time) { *tm = tm.UTC() }
	for i, rg := range ranges {
		got, err := a.Overview(ctx, store, rg[0], rg[1])
		require.NoError(t, err)
		want := m.Overview(store, rg[0], rg[1])
		utc(&got.From)
		utc(&got.To)
		utc(&want.From)
		utc(&want.To)
		assert.Equal(t, want, got, "%s: Overview(%s) over range %d", stage, store, i)
		for _, label := range []string{"Home", "Search - Top", "Edge"} {
			gp, err := a.LabelProducts(ctx, store, label, rg[0], rg[1], 7)
			require.NoError(t, err)
			assert.Equal(t, m.LabelProducts(store, label, rg[0], rg[1], 7), gp, "%s: LabelProducts(%s, %s) over range %d", stage, store, label, i)
			pos, err := a.Positions(ctx, store, label, rg[0], rg[1])
			require.NoError(t, err)
			assert.Equal(t, m.Positions(store, label, rg[0], rg[1]), pos, "%s: Positions(%s, %s) over range %d", stage, store, label, i)
		}
		gs, err := a.Searches(ctx, store, rg[0], rg[1], 0)
		require.NoError(t, err)
		assert.Equal(t, m.Searches(store, rg[0], rg[1], 0), gs, "%s: Searches(%s) over range %d", stage, store, i)
	}
	// Series: days, and ragged ends, over the first range.
	rg := ranges[1]
	var bounds []time.Time
	for b := rg[0]; b.Before(rg[1]); b = b.Add(3*day + 7*time.Hour + 11*time.Minute) {
		bounds = append(bounds, b)
	}
	bounds = append(bounds, rg[1])
	gs, err := a.Series(ctx, store, bounds)
	require.NoError(t, err)
	ws := m.Series(store, bounds)
	for i := range gs {
		utc(&gs[i].From)
		utc(&gs[i].To)
		utc(&ws[i].From)
		utc(&ws[i].To)
	}
	assert.Equal(t, ws, gs, "%s: Series(%s)", stage, store)
	gl, err := a.LabelSeries(ctx, store, "Home", bounds)
	require.NoError(t, err)
	assert.Equal(t, m.LabelSeries(store, "Home", bounds), gl, "%s: LabelSeries(%s)", stage, store)
}

func assertHistory(t *testing.T, want, got []tracker.Activity, msg string, args ...any) {
	t.Helper()
	for i := range got {
		got[i].Time = got[i].Time.UTC()
	}
	for i := range want {
		want[i].Time = want[i].Time.UTC()
	}
	if len(want) == 0 {
		assert.Empty(t, got, append([]any{msg}, args...)...)
		return
	}
	assert.Equal(t, want, got, append([]any{msg}, args...)...)
}

// testDifferential runs random streams through the store and the reference
// model and compares every answer: after the writes, after erasing some
// people, and after a purge.
func testDifferential(t *testing.T, c *config, open func(t *testing.T) Store) {
	for _, seed := range []uint64{1, 2, 3} {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			t.Parallel()
			st := open(t)
			t.Cleanup(func() { assert.NoError(t, st.Close()) })
			m := NewModel(c.window, c.linkLimit)
			s := newStream(seed, c.events, c.linkLimit, c.window, 90)
			r := rand.New(rand.NewPCG(seed, 2))
			lateness := []int{0, 50, 400}[seed%3] // fully shuffled, or nearly in time order
			deliver(t, st, m, s.events, r, lateness)
			compare(t, st, m, s, r, "after writes")
			if t.Failed() {
				return
			}

			for _, email := range []string{s.emails[r.IntN(len(s.emails))], "family@example.com", s.emails[r.IntN(len(s.emails))]} {
				store := s.stores[r.IntN(len(s.stores))]
				require.NoError(t, st.Forget(t.Context(), store, email))
				m.Forget(store, email)
			}
			deliver(t, st, m, s.events[:len(s.events)/3], r, 0) // redelivered: nothing comes back
			compare(t, st, m, s, r, "after Forget")
			if t.Failed() {
				return
			}

			cut := t0.Add(time.Duration(r.Int64N(int64(40*day))) - 10*day)
			n, err := st.Purge(t.Context(), cut)
			require.NoError(t, err)
			assert.Equal(t, m.Purge(cut), n, "events purged")
			deliver(t, st, m, s.events, r, 0) // what is older than the cut is not stored again
			compare(t, st, m, s, r, "after Purge")
		})
	}
}
