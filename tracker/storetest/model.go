package storetest

import (
	"slices"
	"strings"
	"time"

	"github.com/visitrack/visitrack/tracker"
	"github.com/visitrack/visitrack/tracker/internal/storekit"
)

// Model is the naive reference model of a store: it keeps every event it
// accepts and computes every answer from scratch, straight from the rules of
// the domain (DESIGN.md, "Rules of the domain"), for clarity and not for
// speed. It shares no code with the stores' rules (tracker/credit), so that
// a mistake there shows up as a difference here; it counts and ranks with
// tracker/internal/storekit's Bins and Top, plumbing that decides nothing.
type Model struct {
	window    time.Duration
	lookback  time.Duration
	linkLimit int
	now       func() time.Time

	seen   map[string]map[string]bool // store → event IDs ever accepted (forgotten ones too)
	events []tracker.Event            // accepted, normalized, not purged or forgotten
	// frozen holds the credit of sales whose credit no longer follows the
	// rules' inputs: the sales of forgotten visitors (anonymous now) and
	// every sale that a Purge left in place. Keyed by store and event ID.
	frozen map[string]map[string][]lineCredit
	// frozenClicks holds the credit of the clicks a Purge left in place:
	// they keep it though the impression it came from is gone.
	frozenClicks map[string]map[string]clickCredit
	cut          time.Time // the latest Purge's cut
	// retired holds the sale IDs whose counted copy a Purge deleted: no
	// later copy of theirs counts.
	retired map[string]map[string]bool
	views   map[string]*view // by store, until the next change
}

// lineCredit is what one line of a sale is credited to: the labels of a
// click, or none.
type lineCredit struct {
	labels []string
}

// NewModel returns an empty model applying the given attribution window
// (default 30 days) and link limit (default 50).
func NewModel(window time.Duration, linkLimit int) *Model {
	if window <= 0 {
		window = 30 * 24 * time.Hour
	}
	if linkLimit <= 0 {
		linkLimit = 50
	}
	return &Model{
		window:       window,
		lookback:     max(30*24*time.Hour, window),
		linkLimit:    linkLimit,
		now:          time.Now,
		seen:         make(map[string]map[string]bool),
		frozen:       make(map[string]map[string][]lineCredit),
		retired:      make(map[string]map[string]bool),
		frozenClicks: make(map[string]map[string]clickCredit),
	}
}

// Write accepts events as a store does: each is normalized; one that breaks
// a rule, or is dated more than tracker.MaxClockSkew in the future, is
// refused (its index is returned); one whose ID the store has seen, or that
// is older than the last Purge's cut, is ignored.
func (m *Model) Write(events []tracker.Event) (refused []int) {
	m.views = nil
	for i, e := range events {
		e.Labels = slices.Clone(e.Labels)
		e.Products = slices.Clone(e.Products)
		e.Lines = slices.Clone(e.Lines)
		e.Normalize()
		if e.Validate() != nil || e.CheckTime(m.now()) != nil {
			refused = append(refused, i)
			continue
		}
		if e.Time.Before(m.cut) || m.seen[e.Store][e.ID] {
			continue
		}
		if m.seen[e.Store] == nil {
			m.seen[e.Store] = make(map[string]bool)
		}
		m.seen[e.Store][e.ID] = true
		m.events = append(m.events, e)
	}
	return refused
}

// view is one store's events as the model sees them at one moment, with
// the answers to the rules' questions worked out naively and remembered so
// that a report does not ask them twice.
type view struct {
	m      *Model
	store  string
	byKind map[tracker.Kind][]tracker.Event
	users  map[string]map[string]bool // identity → visitors that used it
	groups map[string]map[string]bool // visitor → its group
	clicks map[string]clickCredit     // click event ID → what it is credited to
}

func (m *Model) view(store string) *view {
	if v, ok := m.views[store]; ok {
		return v
	}
	if m.views == nil {
		m.views = make(map[string]*view)
	}
	v := &view{m: m, store: store, byKind: make(map[tracker.Kind][]tracker.Event),
		groups: make(map[string]map[string]bool), clicks: make(map[string]clickCredit)}
	for _, e := range m.events {
		if e.Store == store {
			v.byKind[e.Kind] = append(v.byKind[e.Kind], e)
		}
	}
	v.users = v.identities()
	for _, c := range v.byKind[tracker.KindClick] {
		v.clicks[c.ID] = v.clickCredit(c)
	}
	m.views[store] = v
	return v
}

// later reports whether a comes after b: by time, then by event ID.
func later(a, b tracker.Event) bool {
	if !a.Time.Equal(b.Time) {
		return a.Time.After(b.Time)
	}
	return a.ID > b.ID
}

// counted returns the sales that count: for each sale ID, the earliest
// copy, and of copies at the same time the one with the smallest event ID.
func (v *view) counted() []tracker.Event {
	first := make(map[string]tracker.Event)
	for _, s := range v.byKind[tracker.KindSale] {
		if f, ok := first[s.Sale]; !ok || later(f, s) {
			first[s.Sale] = s
		}
	}
	out := make([]tracker.Event, 0, len(first))
	for id, s := range first {
		if !v.m.retired[v.store][id] {
			out = append(out, s)
		}
	}
	return out
}

// identities returns, for each email ("e:") and customer ID ("c:"), the
// visitors that used it: in an email event, or in a sale.
func (v *view) identities() map[string]map[string]bool {
	ids := make(map[string]map[string]bool)
	add := func(key, visitor string) {
		if visitor == "" {
			return
		}
		if ids[key] == nil {
			ids[key] = make(map[string]bool)
		}
		ids[key][visitor] = true
	}
	for _, e := range v.byKind[tracker.KindEmail] {
		add("e:"+e.Email, e.Visitor)
	}
	for _, e := range v.byKind[tracker.KindSale] {
		if e.Email != "" {
			add("e:"+e.Email, e.Visitor)
		}
		if e.Customer != "" {
			add("c:"+e.Customer, e.Visitor)
		}
	}
	return ids
}

// group returns the visitors linked to visitor: itself, and every visitor
// that shares an identity with one already in the group, except through
// identities used by more than the link limit.
func (v *view) group(visitor string) map[string]bool {
	if g, ok := v.groups[visitor]; ok {
		return g
	}
	g := map[string]bool{visitor: true}
	for grew := true; grew; {
		grew = false
		for _, users := range v.users {
			if len(users) > v.m.linkLimit {
				continue
			}
			touches := false
			for u := range users {
				touches = touches || g[u]
			}
			if !touches {
				continue
			}
			for u := range users {
				if !g[u] {
					g[u] = true
					grew = true
				}
			}
		}
	}
	v.groups[visitor] = g
	return g
}

// clickCredit is what a click is credited to: labels (nil: none), and the
// impression it was backtracked to, if any.
type clickCredit struct {
	labels []string
	from   string // the impression's event ID
}

// clickCredit returns the labels a click is credited to: the labels it
// names, or those of the latest impression of the same visitor that showed
// its product at or before it, within the lookback; nil when neither.
func (v *view) clickCredit(c tracker.Event) clickCredit {
	if f, ok := v.m.frozenClicks[v.store][c.ID]; ok {
		return f
	}
	if len(c.Labels) > 0 {
		return clickCredit{labels: c.Labels}
	}
	best := -1
	imps := v.byKind[tracker.KindImpression]
	for i, imp := range imps {
		if imp.Visitor != c.Visitor || !slices.Contains(imp.Products, c.Product) {
			continue
		}
		if imp.Time.After(c.Time) || imp.Time.Before(c.Time.Add(-v.m.lookback)) {
			continue
		}
		if best < 0 || later(imp, imps[best]) {
			best = i
		}
	}
	if best < 0 {
		return clickCredit{}
	}
	return clickCredit{labels: imps[best].Labels, from: imps[best].ID}
}

// saleCredit returns the credit of each line of a counted sale: the labels
// of the latest tracked click on the line's product by a visitor of the
// sale's group within the window before the sale.
func (v *view) saleCredit(s tracker.Event) []lineCredit {
	if f, ok := v.m.frozen[v.store][s.ID]; ok {
		return f
	}
	out := make([]lineCredit, len(s.Lines))
	if s.Visitor == "" {
		return out
	}
	g := v.group(s.Visitor)
	for i, l := range s.Lines {
		best := -1
		clicks := v.byKind[tracker.KindClick]
		for j, c := range clicks {
			if !g[c.Visitor] || c.Product != l.ID || v.clicks[c.ID].labels == nil {
				continue
			}
			if c.Time.After(s.Time) || c.Time.Before(s.Time.Add(-v.m.window)) {
				continue
			}
			if best < 0 || later(c, clicks[best]) {
				best = j
			}
		}
		if best >= 0 {
			out[i].labels = v.clicks[clicks[best].ID].labels
		}
	}
	return out
}

func inRange(t, from, to time.Time) bool { return !t.Before(from) && t.Before(to) }

// micros is a price in micro-units, the unit money is summed in.
func micros(p float64) int64 { return tracker.Micros(p) }

// Report computes the report of store over [from, to).
func (m *Model) Report(store string, from, to time.Time) tracker.Report {
	v := m.view(store)
	type stats struct {
		calls, imps, clicks, orders int
		revenue                     int64
	}
	var labels storekit.Bins[string, stats]
	get := labels.Bin
	for _, imp := range v.byKind[tracker.KindImpression] {
		if inRange(imp.Time, from, to) {
			for _, l := range imp.Labels {
				get(l).calls++
				get(l).imps += len(imp.Products)
			}
		}
	}
	for _, c := range v.byKind[tracker.KindClick] {
		if inRange(c.Time, from, to) {
			for _, l := range v.clicks[c.ID].labels {
				get(l).clicks++
			}
		}
	}
	var orders, impacted int
	var revenue, impactedRevenue int64
	for _, s := range v.counted() {
		if !inRange(s.Time, from, to) {
			continue
		}
		var total int64
		for _, l := range s.Lines {
			total += micros(l.Price) * int64(l.Quantity)
		}
		orders++
		revenue += total
		credit := v.saleCredit(s)
		ordered := make(map[string]bool)
		for i, l := range s.Lines {
			for _, name := range credit[i].labels {
				get(name).revenue += micros(l.Price) * int64(l.Quantity)
				ordered[name] = true
			}
		}
		for name := range ordered {
			get(name).orders++
		}
		if len(ordered) > 0 {
			impacted++
			impactedRevenue += total
		}
	}
	r := tracker.Report{From: from, To: to, Orders: orders, ImpactedOrders: impacted,
		Revenue: tracker.FromMicros(revenue), ImpactedRevenue: tracker.FromMicros(impactedRevenue)}
	for name, st := range labels.All() {
		if st.calls == 0 && st.clicks == 0 && st.orders == 0 {
			continue
		}
		r.Labels = append(r.Labels, tracker.LabelStats{Label: name, Calls: st.calls, Impressions: st.imps,
			Clicks: st.clicks, Orders: st.orders, Revenue: tracker.FromMicros(st.revenue)})
	}
	slices.SortFunc(r.Labels, func(a, b tracker.LabelStats) int { return strings.Compare(a.Label, b.Label) })
	return r
}

// activity returns the history entries of the given visitors in store,
// newest first (by time, then event ID), at most limit (≤ 0: all).
func (m *Model) activity(store string, visitors map[string]bool, limit int) []tracker.Activity {
	var evs []tracker.Event
	for _, e := range m.events {
		if e.Store != store || !visitors[e.Visitor] {
			continue
		}
		switch e.Kind {
		case tracker.KindClick, tracker.KindView, tracker.KindCategory, tracker.KindSearch:
			evs = append(evs, e)
		}
	}
	slices.SortFunc(evs, func(a, b tracker.Event) int {
		if later(a, b) {
			return -1
		}
		return 1
	})
	if limit > 0 && len(evs) > limit {
		evs = evs[:limit]
	}
	out := make([]tracker.Activity, 0, len(evs))
	for _, e := range evs {
		out = append(out, tracker.Activity{Kind: e.Kind, Product: e.Product, Category: e.Category, Query: e.Query, Time: e.Time})
	}
	return out
}

// History is the visitor's own activity.
func (m *Model) History(store, visitor string, limit int) []tracker.Activity {
	return m.activity(store, map[string]bool{visitor: true}, limit)
}

// CustomerHistory is the activity of every visitor with a sale carrying the
// customer ID.
func (m *Model) CustomerHistory(store, customer string, limit int) []tracker.Activity {
	vs := make(map[string]bool)
	for _, s := range m.view(store).byKind[tracker.KindSale] {
		if s.Customer == customer && s.Visitor != "" {
			vs[s.Visitor] = true
		}
	}
	return m.activity(store, vs, limit)
}

// Visitors returns the visitors that used email and everyone linked to them,
// sorted.
func (m *Model) Visitors(store, email string) []string {
	v := m.view(store)
	all := make(map[string]bool)
	for u := range v.users["e:"+strings.ToLower(strings.TrimSpace(email))] {
		for w := range v.group(u) {
			all[w] = true
		}
	}
	out := make([]string, 0, len(all))
	for u := range all {
		out = append(out, u)
	}
	slices.Sort(out)
	return out
}

// Forget erases the visitors Visitors names: their sales stay, anonymous,
// with the credit they have now; everything else of theirs goes. Their event
// IDs stay seen, so a redelivery does not bring them back.
func (m *Model) Forget(store, email string) {
	gone := make(map[string]bool)
	for _, u := range m.Visitors(store, email) {
		gone[u] = true
	}
	if len(gone) == 0 {
		return
	}
	if m.frozen[store] == nil {
		m.frozen[store] = make(map[string][]lineCredit)
	}
	v := m.view(store)
	for _, s := range v.byKind[tracker.KindSale] {
		if gone[s.Visitor] {
			m.frozen[store][s.ID] = v.saleCredit(s)
		}
	}
	m.views = nil
	kept := m.events[:0:0]
	for _, e := range m.events {
		if e.Store == store && gone[e.Visitor] {
			if e.Kind != tracker.KindSale {
				continue
			}
			e.Visitor, e.Email, e.Customer = "", "", ""
		}
		kept = append(kept, e)
	}
	m.events = kept
}

// Purge deletes the events older than before in every store and returns
// how many. The clicks and sales it keeps keep the credit they have; a sale
// whose counted copy it deletes never counts again.
func (m *Model) Purge(before time.Time) int64 {
	stores := make(map[string]bool)
	for _, e := range m.events {
		stores[e.Store] = true
	}
	for store := range stores {
		v := m.view(store)
		if m.frozen[store] == nil {
			m.frozen[store] = make(map[string][]lineCredit)
		}
		for _, s := range v.byKind[tracker.KindSale] {
			if _, ok := m.frozen[store][s.ID]; !ok && !s.Time.Before(before) {
				m.frozen[store][s.ID] = v.saleCredit(s)
			}
		}
		if m.frozenClicks[store] == nil {
			m.frozenClicks[store] = make(map[string]clickCredit)
		}
		for _, c := range v.byKind[tracker.KindClick] {
			if !c.Time.Before(before) {
				m.frozenClicks[store][c.ID] = v.clicks[c.ID]
			}
		}
		for _, s := range v.counted() {
			if s.Time.Before(before) {
				if m.retired[store] == nil {
					m.retired[store] = make(map[string]bool)
				}
				m.retired[store][s.Sale] = true
			}
		}
	}
	m.views = nil
	var n int64
	kept := m.events[:0:0]
	for _, e := range m.events {
		if e.Time.Before(before) {
			n++
			continue
		}
		kept = append(kept, e)
	}
	m.events = kept
	if before.After(m.cut) {
		m.cut = before
	}
	return n
}
