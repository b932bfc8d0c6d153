package main

import (
	"sort"
	"sync"
)

// popularity counts, in process, how often visitors clicked products in
// tracked lists and bought them; it orders the Trending list. A shop with a
// store seeds it from the store at start.
type popularity struct {
	mu    sync.Mutex
	score map[string]int
}

func newPopularity() *popularity { return &popularity{score: make(map[string]int)} }

// add counts n clicks or units sold of product id.
func (p *popularity) add(id string, n int) {
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
