package main

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/visitrack/visitrack/tracker"
)

// A basket is kept without visitrack's cookies having to carry it: on the
// server, keyed by the visitor ID, while the visitor has one; in the shop's
// own "basket" cookie when tracking is disabled (the visitor refused, or is
// a bot). That cookie is strictly necessary for the service the visitor asked
// for, holds only product IDs and quantities, and lives for the browser
// session. Baskets kept on the server live in memory until the process ends;
// a real shop would keep them with its orders.

// basketCookie names the shop's own basket cookie, used only when tracking is
// disabled.
const basketCookie = "basket"

// Basket limits, so that neither a request nor a cookie grows without bound.
const (
	maxLines    = 20
	maxQuantity = 99
)

type basketLine struct {
	ID       string
	Quantity int
}

type basket []basketLine

// add adds qty of product id, capped at maxQuantity a line; a new product
// beyond maxLines is not added. It returns the basket and how many it
// added.
func (b basket) add(id string, qty int) (basket, int) {
	for i := range b {
		if b[i].ID == id {
			was := b[i].Quantity
			b[i].Quantity = min(was+qty, maxQuantity)
			return b, b[i].Quantity - was
		}
	}
	if len(b) >= maxLines {
		return b, 0
	}
	qty = min(qty, maxQuantity)
	return append(b, basketLine{ID: id, Quantity: qty}), qty
}

// quantity returns how many of product id b holds.
func (b basket) quantity(id string) int {
	for _, l := range b {
		if l.ID == id {
			return l.Quantity
		}
	}
	return 0
}

func (b basket) remove(id string) basket {
	out := b[:0:0]
	for _, l := range b {
		if l.ID != id {
			out = append(out, l)
		}
	}
	return out
}

func (b basket) count() int {
	n := 0
	for _, l := range b {
		n += l.Quantity
	}
	return n
}

// encode writes b as "id:qty|id:qty", characters a cookie value may hold.
func (b basket) encode() string {
	var s strings.Builder
	for i, l := range b {
		if i > 0 {
			s.WriteByte('|')
		}
		s.WriteString(l.ID)
		s.WriteByte(':')
		s.WriteString(strconv.Itoa(l.Quantity))
	}
	return s.String()
}

// decodeBasket reads what encode wrote, keeping only products of c with a
// valid quantity: the cookie comes from the client.
func decodeBasket(s string, c *catalog) basket {
	var b basket
	for part := range strings.SplitSeq(s, "|") {
		id, q, ok := strings.Cut(part, ":")
		if !ok {
			continue
		}
		n, err := strconv.Atoi(q)
		if _, known := c.product(id); !known || err != nil || n < 1 {
			continue
		}
		b, _ = b.add(id, n)
	}
	return b
}

// basketStore keeps server-side baskets by visitor ID: in memory for one
// instance (memBaskets), in PostgreSQL for several (pgBaskets).
type basketStore interface {
	get(ctx context.Context, visitor string) (basket, error)
	put(ctx context.Context, visitor string, b basket) error
}

// memBaskets holds baskets in memory.
type memBaskets struct {
	mu sync.Mutex
	m  map[string]basket
}

func newBaskets() *memBaskets { return &memBaskets{m: make(map[string]basket)} }

func (bs *memBaskets) get(_ context.Context, visitor string) (basket, error) {
	bs.mu.Lock()
	defer bs.mu.Unlock()
	return append(basket(nil), bs.m[visitor]...), nil
}

func (bs *memBaskets) put(_ context.Context, visitor string, b basket) error {
	bs.mu.Lock()
	defer bs.mu.Unlock()
	if len(b) == 0 {
		delete(bs.m, visitor)
		return nil
	}
	bs.m[visitor] = b
	return nil
}

// loadBasket returns the request's basket: the server-side one of its
// visitor, or the basket cookie's when tracking is disabled.
func (s *shop) loadBasket(r *http.Request) basket {
	if v := tracker.From(r.Context()).Visitor(); v != "" {
		b, err := s.baskets.get(r.Context(), v)
		if err != nil {
			s.log.Error("webshop: basket", "err", err)
		}
		return b
	}
	if c, err := r.Cookie(basketCookie); err == nil {
		return decodeBasket(c.Value, s.catalog)
	}
	return nil
}

// saveBasket keeps b for the request's visitor as it is now (after any
// consent change in this request), and deletes the basket cookie when it is
// not needed.
func (s *shop) saveBasket(w http.ResponseWriter, r *http.Request, b basket) {
	_, err := r.Cookie(basketCookie)
	hadCookie := err == nil
	if v := tracker.From(r.Context()).Visitor(); v != "" {
		if err := s.baskets.put(r.Context(), v, b); err != nil {
			s.log.Error("webshop: basket", "err", err)
		}
		if hadCookie {
			http.SetCookie(w, &http.Cookie{Name: basketCookie, Path: "/", MaxAge: -1,
				HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode})
		}
		return
	}
	if len(b) == 0 {
		if hadCookie {
			http.SetCookie(w, &http.Cookie{Name: basketCookie, Path: "/", MaxAge: -1,
				HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode})
		}
		return
	}
	http.SetCookie(w, &http.Cookie{Name: basketCookie, Value: b.encode(), Path: "/",
		HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode})
}
