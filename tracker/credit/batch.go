package credit

import (
	"cmp"
	"math"
	"slices"
	"strings"

	"github.com/visitrack/visitrack/tracker"
)

// Pending is one new event of a store's batch, as the rules see it: the
// event, the store's handles for it, and what the rules made of it. A
// store's own record of a pending event embeds a Pending; the functions
// below take a batch as a slice of such records.
type Pending struct {
	Event   *tracker.Event
	Ref     int64    // the store's handle for the stored event: Click.Ref, Sale.Ref
	Store   int64    // the store's ID of Event.Store
	Visitor int64    // the store's ID of Event.Visitor
	Labels  LabelSet // an impression's labels; a click's, if it names them
	Click   Click    // a click, as resolved when added
	Sale    Sale     // a counted sale, as resolved when added
	Counts  bool     // a sale: the copy of its sale ID that counts
}

func (p *Pending) pending() *Pending { return p }

// Grouped reports whether p goes to its group (AddTo): an impression, a
// click, or a sale that counts.
func (p *Pending) Grouped() bool {
	switch p.Event.Kind {
	case tracker.KindImpression, tracker.KindClick:
		return true
	case tracker.KindSale:
		return p.Counts
	}
	return false
}

// Record is a store's record of a pending event: a pointer to a struct that
// embeds Pending.
type Record interface{ pending() *Pending }

// ResolveLabels gives each impression of ps, and each click that names
// labels, its label set, which labelSet finds or adds.
func ResolveLabels[R Record](ps []R, labelSet func(store int64, names []string) (LabelSet, error)) error {
	for _, r := range ps {
		p := r.pending()
		if k := p.Event.Kind; len(p.Event.Labels) == 0 || (k != tracker.KindImpression && k != tracker.KindClick) {
			continue
		}
		ls, err := labelSet(p.Store, p.Event.Labels)
		if err != nil {
			return err
		}
		p.Labels = ls
	}
	return nil
}

// SaleKey is a sale ID of a store.
type SaleKey struct {
	Store int64
	Sale  string
}

// CountingCopies returns, for each sale ID among the sales of ps, the copy
// of it among them that counts (see Counts), and the sale IDs of each store,
// each once, in the order they came. The store then weighs each against a
// copy it holds already, and marks the winners Counts.
func CountingCopies[R Record](ps []R) (best map[SaleKey]R, ids map[int64][]string) {
	best, ids = make(map[SaleKey]R), make(map[int64][]string)
	for _, r := range ps {
		p := r.pending()
		if p.Event.Kind != tracker.KindSale {
			continue
		}
		k := SaleKey{p.Store, p.Event.Sale}
		cur, ok := best[k]
		if !ok {
			ids[p.Store] = append(ids[p.Store], p.Event.Sale)
		}
		if !ok || Counts(Micros(p.Event.Time), p.Event.ID, Micros(cur.pending().Event.Time), cur.pending().Event.ID) {
			best[k] = r
		}
	}
	return best, ids
}

// NeedFor returns how far back g must hold its visitors' events before ps,
// new events of theirs, are added (AddTo): the earliest time the rules look
// at for any of them. It sets up each click of ps as it will be added.
// products gives the handles of product IDs.
func NeedFor[R Record](g *Group, ps []R, products *Products) int64 {
	need := int64(math.MaxInt64)
	for _, r := range ps {
		p := r.pending()
		t := Micros(p.Event.Time)
		switch p.Event.Kind {
		case tracker.KindImpression:
			t = g.NeedImpression(t)
		case tracker.KindClick:
			p.Click = Click{Ref: p.Ref, ID: p.Event.ID, Time: t, Visitor: p.Visitor,
				Product: products.Of(p.Store, p.Event.Product), Given: p.Labels}
			t = g.NeedClick(&p.Click)
		case tracker.KindSale:
			t = g.NeedSale(t)
		}
		need = min(need, t)
	}
	return need
}

// AddTo adds ps, new impressions, clicks and counting sales of g's
// visitors, to g, once g holds their events as far back as NeedFor said. It
// adds them in time order, so that few of them re-resolve others, and notes
// in ch what changed among events added before.
func AddTo[R Record](g *Group, ps []R, products *Products, ch *Changes) {
	slices.SortFunc(ps, func(x, y R) int {
		a, b := x.pending().Event, y.pending().Event
		if c := a.Time.Compare(b.Time); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	for _, r := range ps {
		p := r.pending()
		e, t := p.Event, Micros(p.Event.Time)
		switch e.Kind {
		case tracker.KindImpression:
			handles := make([]Product, len(e.Products))
			for i, id := range e.Products {
				handles[i] = products.Of(p.Store, id)
			}
			g.AddImpression(&Impression{ID: e.ID, Time: t, Visitor: p.Visitor, Labels: p.Labels, Products: handles}, ch)
		case tracker.KindClick:
			g.AddClick(&p.Click, ch)
		case tracker.KindSale:
			lines := make([]Line, len(e.Lines))
			for i, l := range e.Lines {
				lines[i] = Line{Product: products.Of(p.Store, l.ID), Price: tracker.Micros(l.Price), Quantity: int64(l.Quantity)}
			}
			p.Sale = Sale{Ref: p.Ref, ID: e.ID, Time: t, Visitor: p.Visitor, Lines: lines}
			g.AddSale(&p.Sale)
		}
	}
}

// Products hands out the Product handles of a store's product IDs: one
// handle per product ID of a store, for as long as the Products lives (a
// store forgets handles only with every group that uses them). The zero
// value is ready to use.
type Products struct {
	stores map[int64]map[string]Product
	n      int
	// The store asked for last, and its IDs: batches are mostly one store's.
	last  int64
	lastM map[string]Product
}

// Of returns the handle of product ID id of store.
func (h *Products) Of(store int64, id string) Product {
	m := h.lastM
	if m == nil || h.last != store {
		if m = h.stores[store]; m == nil {
			if h.stores == nil {
				h.stores = make(map[int64]map[string]Product)
			}
			m = make(map[string]Product)
			h.stores[store] = m
		}
		h.last, h.lastM = store, m
	}
	p, ok := m[id]
	if !ok {
		h.n++
		p = Product(h.n)
		// A copy of its own, next to the other IDs in memory, rather than a
		// reference into the event that brought it, which would keep the
		// event alive and cost a cache miss at every lookup.
		m[strings.Clone(id)] = p
	}
	return p
}

// Len is how many handles h has handed out.
func (h *Products) Len() int { return h.n }
