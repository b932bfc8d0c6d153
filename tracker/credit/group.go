package credit

import (
	"bytes"
	"math"
	"slices"
	"sort"
)

// LabelSet is a store's handle for one list of labels (one call's labels,
// or the labels a click named). 0 means none: the event is not tracked.
type LabelSet int64

// Product is a store's handle for a product ID: Groups compare products by
// handle, so a store gives each product ID of a store one handle.
type Product uint32

// Mark is an event's place in the order of events: its time in microseconds,
// then its ID. The zero Mark (no ID) marks nothing.
type Mark struct {
	Time int64
	ID   string
}

// After reports whether m comes after o; every Mark comes after the zero
// Mark.
func (m Mark) After(o Mark) bool {
	if o.ID == "" {
		return m.ID != ""
	}
	return Later(m.Time, m.ID, o.Time, o.ID)
}

// IsZero reports whether m marks nothing.
func (m Mark) IsZero() bool { return m.ID == "" }

// Impression is a labelled call that showed products to a visitor.
type Impression struct {
	ID       string
	Time     int64
	Visitor  int64
	Labels   LabelSet
	Products []Product
}

// Click is a click on a product. Given is what the click named; Credit and
// From are resolved by the Group.
type Click struct {
	Ref     int64 // the store's handle for the stored click; Group never reads it
	ID      string
	Time    int64
	Visitor int64
	Product Product
	// Given is the labels the click named itself (credited as given), or 0
	// for a click to backtrack.
	Given LabelSet
	// Credit is the labels the click is credited to: Given, or the labels
	// of the impression it was backtracked to; 0 when it is not tracked.
	Credit LabelSet
	// From is the impression a click without Given was backtracked to.
	From Mark
}

// Mark returns the click's place in the order of events.
func (c *Click) Mark() Mark { return Mark{c.Time, c.ID} }

// Line is one line of a sale: its price in micro-units.
type Line struct {
	Product  Product
	Price    int64
	Quantity int64
}

// Revenue is the line's price times its quantity, in micro-units.
func (l Line) Revenue() int64 { return l.Price * l.Quantity }

// LineCredit is what one line of a sale is credited to: the labels of the
// latest tracked click on its product by a visitor of the sale's group
// within the window before the sale, and that click. The zero value: not
// credited.
type LineCredit struct {
	Labels LabelSet
	Click  Mark
}

// Sale is a counted copy of a sale. Credit, one entry per line, is resolved
// by the Group.
type Sale struct {
	Ref     int64 // the store's handle for the stored sale; Group never reads it
	ID      string
	Time    int64
	Visitor int64
	Lines   []Line
	Credit  []LineCredit
}

// Mark returns the sale's place in the order of events.
func (s *Sale) Mark() Mark { return Mark{s.Time, s.ID} }

// Changes collects what adding events to Groups altered, by the store's
// Ref: for each click and sale, its credit before the first change and the
// event as it is now. Stores use it to update stored credit and correct
// their counters. The zero value is ready to use.
type Changes struct {
	Clicks map[int64]*ClickChange
	Sales  map[int64]*SaleChange
}

// ClickChange is a click whose credit (or the impression it came from)
// changed.
type ClickChange struct {
	Old   LabelSet
	Click Click
}

// SaleChange is a sale whose line credits changed.
type SaleChange struct {
	Old  []LineCredit
	Sale Sale
}

func (ch *Changes) click(old LabelSet, c *Click) {
	if ch.Clicks == nil {
		ch.Clicks = make(map[int64]*ClickChange)
	}
	if cc := ch.Clicks[c.Ref]; cc != nil {
		cc.Click = *c
		return
	}
	ch.Clicks[c.Ref] = &ClickChange{Old: old, Click: *c}
}

func (ch *Changes) sale(old []LineCredit, s *Sale) {
	if ch.Sales == nil {
		ch.Sales = make(map[int64]*SaleChange)
	}
	now := *s
	now.Credit = slices.Clone(s.Credit)
	if sc := ch.Sales[s.Ref]; sc != nil {
		sc.Sale = now
		return
	}
	ch.Sales[s.Ref] = &SaleChange{Old: old, Sale: now}
}

// All is the Low of a Group that holds every event its visitors have.
const All = math.MinInt64

// Group holds the impressions, clicks and counted sales of one group of
// linked visitors in one store, resolved by the rules. It holds every such
// event from Low onwards; a store brings it the older ones it needs (Need*)
// with Extend before it adds events. Each kind is kept in one slice in the
// order of events, with no pointers but event IDs, so that a store can keep
// many groups. A Group is not safe for concurrent use.
type Group struct {
	window   int64
	lookback int64
	low      int64
	newest   int64
	imps     []impression // sorted by time and ID
	prods    []Product    // the products of imps, each impression's in a run
	clicks   []click      // sorted by time and ID
	ids      []byte       // the event IDs of imps and clicks
	sales    []Sale       // sorted by mark
	size     int
}

// The group keeps its impressions and clicks in records without pointers,
// so that the garbage collector need not scan them: event IDs live in one
// byte slice per group (ids), referred to by offset and length.
type impression struct {
	t       int64
	id      idRef
	visitor int64
	labels  LabelSet
	off, n  uint32 // its products: prods[off : off+n]
}

type click struct {
	ref     int64
	t       int64
	id      idRef
	visitor int64
	product Product
	given   LabelSet
	credit  LabelSet
	fromT   int64
	fromID  idRef
}

// idRef is an event ID in Group.ids; the zero idRef is no ID.
type idRef struct{ off, n uint32 }

func (g *Group) id(r idRef) string { return string(g.ids[r.off : r.off+r.n]) }

func (g *Group) keep(id string) idRef {
	if id == "" {
		return idRef{}
	}
	r := idRef{uint32(len(g.ids)), uint32(len(id))}
	g.ids = append(g.ids, id...)
	return r
}

// later reports whether the event at (t1, id1) comes after (t2, id2), both
// IDs in the group.
func (g *Group) later(t1 int64, id1 idRef, t2 int64, id2 idRef) bool {
	if t1 != t2 {
		return t1 > t2
	}
	return bytes.Compare(g.ids[id1.off:id1.off+id1.n], g.ids[id2.off:id2.off+id2.n]) > 0
}

// laterThan reports whether the event at (t, id) comes after m.
func (g *Group) laterThan(t int64, id idRef, m Mark) bool {
	if m.ID == "" {
		return id.n > 0
	}
	if t != m.Time {
		return t > m.Time
	}
	return string(g.ids[id.off:id.off+id.n]) > m.ID
}

func (g *Group) export(c *click) Click {
	out := Click{Ref: c.ref, ID: g.id(c.id), Time: c.t, Visitor: c.visitor, Product: c.product,
		Given: c.given, Credit: c.credit}
	if c.fromID.n > 0 {
		out.From = Mark{c.fromT, g.id(c.fromID)}
	}
	return out
}

func (g *Group) internClick(c *Click) click {
	k := click{ref: c.Ref, t: c.Time, id: g.keep(c.ID), visitor: c.Visitor, product: c.Product, given: c.Given, credit: c.Credit}
	if !c.From.IsZero() {
		k.fromT, k.fromID = c.From.Time, g.keep(c.From.ID)
	}
	return k
}

// NewGroup returns an empty group holding every event from low onwards:
// All for visitors the store has no events of, math.MaxInt64 for a group
// whose events the store has yet to bring.
func NewGroup(r Rules, low int64) *Group {
	return &Group{window: r.WindowMicros(), lookback: r.LookbackMicros(), low: low, newest: All}
}

// Low is the time from which the group holds every event of its visitors.
func (g *Group) Low() int64 { return g.low }

// Size is about how many bytes of memory the group takes.
func (g *Group) Size() int { return g.size }

// Newest is the time of the newest event the group has held, or All.
func (g *Group) Newest() int64 { return g.newest }

// NeedImpression is the earliest time the group must hold to add an
// impression at t: the clicks it may explain come after it.
func (g *Group) NeedImpression(t int64) int64 { return t }

// NeedClick is the earliest time the group must hold to add c: the lookback
// before a click without labels, the click itself otherwise.
func (g *Group) NeedClick(c *Click) int64 {
	if c.Given != 0 {
		return c.Time
	}
	return c.Time - g.lookback
}

// NeedSale is the earliest time the group must hold to add a sale at t: the
// window before it.
func (g *Group) NeedSale(t int64) int64 { return t - g.window }

// Approximate sizes of what a group keeps, for a store's memory budget.
const (
	impressionSize = 64
	clickSize      = 112
	saleSize       = 96
	lineSize       = 64
)

func sizeOf(s *Sale) int { return saleSize + len(s.ID) + len(s.Lines)*lineSize }

// Extend adds events the store already resolved (their Credit and From as
// stored) that lie in [low, Low()), and lowers Low to low.
func (g *Group) Extend(low int64, imps []Impression, clicks []Click, sales []Sale) {
	for i := range imps {
		g.imps = append(g.imps, g.record(&imps[i]))
	}
	g.sortImps()
	for i := range clicks {
		g.clicks = append(g.clicks, g.internClick(&clicks[i]))
	}
	g.sortClicks()
	for i := range sales {
		g.size += sizeOf(&sales[i])
		if len(sales[i].Credit) != len(sales[i].Lines) {
			sales[i].Credit = make([]LineCredit, len(sales[i].Lines))
		}
	}
	g.sales = append(g.sales, sales...)
	slices.SortFunc(g.sales, func(a, b Sale) int { return compare(a.Mark(), b.Mark()) })
	for _, c := range clicks {
		g.newest = max(g.newest, c.Time)
		g.size += clickSize + len(c.ID)
	}
	for _, s := range sales {
		g.newest = max(g.newest, s.Time)
	}
	g.low = min(g.low, low)
}

func (g *Group) sortImps() {
	slices.SortFunc(g.imps, func(a, b impression) int { return g.cmp(a.t, a.id, b.t, b.id) })
}

func (g *Group) sortClicks() {
	slices.SortFunc(g.clicks, func(a, b click) int { return g.cmp(a.t, a.id, b.t, b.id) })
}

func (g *Group) cmp(t1 int64, id1 idRef, t2 int64, id2 idRef) int {
	switch {
	case g.later(t1, id1, t2, id2):
		return 1
	case g.later(t2, id2, t1, id1):
		return -1
	}
	return 0
}

func compare(a, b Mark) int {
	switch {
	case a == b:
		return 0
	case a.After(b):
		return 1
	}
	return -1
}

// record keeps an impression's products in the group's run of products.
func (g *Group) record(imp *Impression) impression {
	g.newest = max(g.newest, imp.Time)
	g.size += impressionSize + len(imp.ID) + 4*len(imp.Products)
	off := len(g.prods)
	g.prods = append(g.prods, imp.Products...)
	return impression{t: imp.Time, id: g.keep(imp.ID), visitor: imp.Visitor, labels: imp.Labels, off: uint32(off), n: uint32(len(imp.Products))}
}

// Trim drops the events before t and raises Low to t, to save memory; a
// store brings them back with Extend when it needs them again.
func (g *Group) Trim(t int64) {
	if t <= g.low {
		return
	}
	g.low = t
	i := sort.Search(len(g.imps), func(i int) bool { return g.imps[i].t >= t })
	for _, imp := range g.imps[:i] {
		g.size -= impressionSize + int(imp.id.n) + 4*int(imp.n)
	}
	g.imps = slices.Delete(g.imps, 0, i)
	i = sort.Search(len(g.clicks), func(i int) bool { return g.clicks[i].t >= t })
	for _, c := range g.clicks[:i] {
		g.size -= clickSize + int(c.id.n)
	}
	g.clicks = slices.Delete(g.clicks, 0, i)
	i = sort.Search(len(g.sales), func(i int) bool { return g.sales[i].Time >= t })
	for j := range g.sales[:i] {
		g.size -= sizeOf(&g.sales[j])
	}
	g.sales = slices.Delete(g.sales, 0, i)
	g.compact()
}

// compact copies what the group still refers to of its products and IDs
// into new slices, once at least half of them is dead.
func (g *Group) compact() {
	live := 0
	for _, imp := range g.imps {
		live += int(imp.n)
	}
	idLive := 0
	for _, imp := range g.imps {
		idLive += int(imp.id.n)
	}
	for _, c := range g.clicks {
		idLive += int(c.id.n + c.fromID.n)
	}
	if live < len(g.prods)/2 {
		prods := make([]Product, 0, live)
		for j := range g.imps {
			imp := &g.imps[j]
			off := len(prods)
			prods = append(prods, g.prods[imp.off:imp.off+imp.n]...)
			imp.off = uint32(off)
		}
		g.prods = prods
	}
	if idLive < len(g.ids)/2 {
		ids := make([]byte, 0, idLive)
		move := func(r *idRef) {
			if r.n > 0 {
				off := len(ids)
				ids = append(ids, g.ids[r.off:r.off+r.n]...)
				r.off = uint32(off)
			}
		}
		for j := range g.imps {
			move(&g.imps[j].id)
		}
		for j := range g.clicks {
			move(&g.clicks[j].id)
			move(&g.clicks[j].fromID)
		}
		g.ids = ids
	}
}

// AddImpression adds an impression (at or after Low) and re-resolves the
// clicks without labels that it now explains: those of the same visitor on
// one of its products within the lookback after it, whose impression is
// earlier than this one. Clicks that change pass their change on to sales.
func (g *Group) AddImpression(imp *Impression, ch *Changes) {
	rec := g.record(imp)
	i := sort.Search(len(g.imps), func(i int) bool { return g.later(g.imps[i].t, g.imps[i].id, rec.t, rec.id) })
	g.imps = slices.Insert(g.imps, i, rec)
	j := sort.Search(len(g.clicks), func(j int) bool { return g.clicks[j].t >= imp.Time })
	for ; j < len(g.clicks) && g.clicks[j].t <= imp.Time+g.lookback; j++ {
		c := &g.clicks[j]
		if c.visitor != imp.Visitor || c.given != 0 || !slices.Contains(imp.Products, c.product) {
			continue
		}
		if c.fromID.n > 0 && !g.later(rec.t, rec.id, c.fromT, c.fromID) {
			continue
		}
		old := c.credit
		c.fromT, c.fromID, c.credit = rec.t, rec.id, imp.Labels
		e := g.export(c)
		ch.click(old, &e)
		if old != c.credit {
			g.clickChanged(&e, ch)
		}
	}
}

// AddClick adds a click (at or after Low), resolves its credit and passes
// it on to the sales it now earns credit for. c.Credit and c.From say what
// it was credited to.
func (g *Group) AddClick(c *Click, ch *Changes) {
	c.Credit, c.From = c.Given, Mark{}
	if c.Given == 0 {
		// The latest impression of its visitor showing its product at or
		// before the click, within the lookback.
		i := sort.Search(len(g.imps), func(i int) bool { return g.imps[i].t > c.Time })
		for i--; i >= 0 && g.imps[i].t >= c.Time-g.lookback; i-- {
			imp := &g.imps[i]
			if imp.visitor == c.Visitor && slices.Contains(g.prods[imp.off:imp.off+imp.n], c.Product) {
				c.Credit, c.From = imp.labels, Mark{imp.t, g.id(imp.id)}
				break
			}
		}
	}
	k := g.internClick(c)
	i := sort.Search(len(g.clicks), func(i int) bool { return g.later(g.clicks[i].t, g.clicks[i].id, k.t, k.id) })
	g.clicks = slices.Insert(g.clicks, i, k)
	g.newest = max(g.newest, c.Time)
	g.size += clickSize + len(c.ID)
	if c.Credit != 0 {
		g.clickChanged(c, ch)
	}
}

// clickChanged passes a tracked click's credit on to the sales within the
// window after it that have a line of its product: the click becomes the
// line's credit if it is later than the line's current click, and a line it
// credits already takes its new labels.
func (g *Group) clickChanged(c *Click, ch *Changes) {
	m := c.Mark()
	i := sort.Search(len(g.sales), func(i int) bool { return g.sales[i].Time >= c.Time })
	for ; i < len(g.sales) && g.sales[i].Time <= c.Time+g.window; i++ {
		s := &g.sales[i]
		var old []LineCredit
		for j, l := range s.Lines {
			if l.Product != c.Product {
				continue
			}
			cur := s.Credit[j]
			if cur.Click == m && cur.Labels != c.Credit || m.After(cur.Click) {
				if old == nil {
					old = slices.Clone(s.Credit)
				}
				s.Credit[j] = LineCredit{Labels: c.Credit, Click: m}
			}
		}
		if old != nil {
			g.noteSale(old, s, ch)
		}
	}
}

// noteSale records a change of s in ch, keeping the credit s had before the
// first change.
func (g *Group) noteSale(old []LineCredit, s *Sale, ch *Changes) {
	if prev := ch.Sales[s.Ref]; prev != nil {
		old = prev.Old
	}
	ch.sale(old, s)
}

// AddSale adds a counted sale (at or after Low) and resolves the credit of
// its lines; s.Credit says what they are credited to.
func (g *Group) AddSale(s *Sale) {
	s.Credit = make([]LineCredit, len(s.Lines))
	g.resolve(s)
	m := s.Mark()
	i := sort.Search(len(g.sales), func(i int) bool { return g.sales[i].Mark().After(m) })
	g.sales = slices.Insert(g.sales, i, *s)
	g.newest = max(g.newest, s.Time)
	g.size += sizeOf(s)
}

// resolve sets each line's credit to the latest tracked click on its
// product within the window before the sale.
func (g *Group) resolve(s *Sale) {
	end := sort.Search(len(g.clicks), func(i int) bool { return g.clicks[i].t > s.Time })
	for j, l := range s.Lines {
		s.Credit[j] = LineCredit{}
		for k := end - 1; k >= 0 && g.clicks[k].t >= s.Time-g.window; k-- {
			if c := &g.clicks[k]; c.product == l.Product && c.credit != 0 {
				s.Credit[j] = LineCredit{Labels: c.credit, Click: Mark{c.t, g.id(c.id)}}
				break
			}
		}
	}
}

// RemoveSale takes the sale at m out of the group (a copy of it that
// counts instead has arrived) and reports whether the group held it.
func (g *Group) RemoveSale(m Mark) bool {
	i := sort.Search(len(g.sales), func(i int) bool { return !m.After(g.sales[i].Mark()) })
	if i == len(g.sales) || g.sales[i].Mark() != m {
		return false
	}
	g.size -= sizeOf(&g.sales[i])
	g.sales = slices.Delete(g.sales, i, i+1)
	return true
}

// Regroup redistributes the events of groups into n new groups, as when a
// new link joins groups or an identity that joined them becomes shared:
// part maps each visitor to its new group, in [0, n). Every sale of the new
// groups is resolved again. Each of groups must hold every event of its
// visitors (Low All); they are not to be used after.
func Regroup(r Rules, groups []*Group, n int, part func(visitor int64) int, ch *Changes) []*Group {
	out := make([]*Group, n)
	low := int64(All)
	for _, g := range groups {
		low = max(low, g.low)
	}
	for i := range out {
		out[i] = NewGroup(r, low)
	}
	for _, g := range groups {
		for _, imp := range g.imps {
			o := out[part(imp.visitor)]
			o.imps = append(o.imps, o.record(&Impression{ID: g.id(imp.id), Time: imp.t, Visitor: imp.visitor,
				Labels: imp.labels, Products: g.prods[imp.off : imp.off+imp.n]}))
		}
		for i := range g.clicks {
			c := g.export(&g.clicks[i])
			o := out[part(c.Visitor)]
			o.clicks = append(o.clicks, o.internClick(&c))
			o.size += clickSize + len(c.ID)
			o.newest = max(o.newest, c.Time)
		}
		for _, s := range g.sales {
			o := out[part(s.Visitor)]
			o.sales = append(o.sales, s)
			o.size += sizeOf(&s)
			o.newest = max(o.newest, s.Time)
		}
	}
	for _, o := range out {
		o.sortImps()
		o.sortClicks()
		slices.SortFunc(o.sales, func(a, b Sale) int { return compare(a.Mark(), b.Mark()) })
		for i := range o.sales {
			s := &o.sales[i]
			old := slices.Clone(s.Credit)
			o.resolve(s)
			if !slices.Equal(old, s.Credit) {
				o.noteSale(old, s, ch)
			}
		}
	}
	return out
}
