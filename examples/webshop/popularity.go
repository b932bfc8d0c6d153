package main

import (
	"context"
	"sort"
	"sync"

	"github.com/visitrack/visitrack/tracker"
)

// popularity counts, in process, how often visitors clicked products in
// tracked lists and bought them; it orders the Trending list. A shop with a
// store seeds it from the store at start. It counts the catalogue's
// products only: a click logged from the browser may name any ID, and
// counting those would grow without bound.
type popularity struct {
	catalog *catalog
	mu      sync.Mutex
	score   map[string]int
}

func newPopularity(c *catalog) *popularity {
	return &popularity{catalog: c, score: make(map[string]int)}
}

// Record counts clicks and units sold; it is a tracker.Recorder next to
// the shop's queue, so that it counts exactly what is tracked (nothing for
// a visitor who refused tracking), wherever the click was logged.
func (p *popularity) Record(_ context.Context, e tracker.Event) error {
	switch e.Kind {
	case tracker.KindClick:
		p.add(e.Product, 1)
	case tracker.KindSale:
		for _, l := range e.Lines {
			p.add(l.ID, l.Quantity)
		}
	}
	return nil
}

// add counts n clicks or units sold of product id, if it is the
// catalogue's.
func (p *popularity) add(id string, n int) {
	if _, ok := p.catalog.product(id); !ok {
		return
	}
	p.mu.Lock()
	p.score[id] += n
	p.mu.Unlock()
}

// top returns the n most popular products of c, most popular first; ties,
// and products nobody clicked or bought yet, keep catalogue order, so an
// empty counter gives the catalogue's first n products.
func (p *popularity) top(c *catalog, n int) []product {
	p.mu.Lock()
	score := make(map[string]int, len(p.score))
	for id, s := range p.score {
		score[id] = s
	}
	p.mu.Unlock()
	ps := append([]product(nil), c.products...)
	sort.SliceStable(ps, func(i, j int) bool { return score[ps[i].ID] > score[ps[j].ID] })
	if len(ps) > n {
		ps = ps[:n]
	}
	return ps
}
