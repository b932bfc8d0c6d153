package credit

import (
	"github.com/visitrack/visitrack/tracker"
	"github.com/visitrack/visitrack/tracker/internal/storekit"
)

// Popular adds up clicks and units sold per product, for a store's Popular.
// The zero value is ready to use.
type Popular struct {
	by storekit.Bins[string, tracker.ProductCount]
}

// Click counts a click on product.
func (p *Popular) Click(product string) { p.by.Bin(product).Clicks++ }

// Units counts n units of product sold.
func (p *Popular) Units(product string, n int) { p.by.Bin(product).Units += n }

// Sale counts the units of a counted sale's lines.
func (p *Popular) Sale(lines []storekit.Line) {
	for _, l := range lines {
		p.Units(l.Product, int(l.Quantity))
	}
}

// Top returns the products most popular first: by clicks plus units, then
// by product ID; at most limit (≤ 0: all).
func (p *Popular) Top(limit int) []tracker.ProductCount {
	out := storekit.Append(make([]tracker.ProductCount, 0, p.by.Len()), &p.by, func(product string, c *tracker.ProductCount) tracker.ProductCount {
		c.Product = product
		return *c
	})
	return storekit.Top(out, storekit.Most(
		func(c tracker.ProductCount) int { return c.Clicks + c.Units },
		func(c tracker.ProductCount) string { return c.Product }), limit)
}
