package credit

import (
	"cmp"
	"slices"

	"github.com/visitrack/visitrack/tracker"
)

// Popular adds up clicks and units sold per product, for a store's Popular.
// The zero value is ready to use.
type Popular struct{ by map[string]*tracker.ProductCount }

func (p *Popular) get(product string) *tracker.ProductCount {
	if p.by == nil {
		p.by = make(map[string]*tracker.ProductCount)
	}
	c := p.by[product]
	if c == nil {
		c = &tracker.ProductCount{Product: product}
		p.by[product] = c
	}
	return c
}

// Click counts a click on product.
func (p *Popular) Click(product string) { p.get(product).Clicks++ }

// Units counts n units of product sold.
func (p *Popular) Units(product string, n int) { p.get(product).Units += n }

// Top returns the products most popular first: by clicks plus units, then
// by product ID; at most limit (≤ 0: all).
func (p *Popular) Top(limit int) []tracker.ProductCount {
	out := make([]tracker.ProductCount, 0, len(p.by))
	for _, c := range p.by {
		out = append(out, *c)
	}
	slices.SortFunc(out, func(a, b tracker.ProductCount) int {
		if c := cmp.Compare(b.Clicks+b.Units, a.Clicks+a.Units); c != 0 {
			return c
		}
		return cmp.Compare(a.Product, b.Product)
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out
}
