package sqlite

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// ProductCount is how often visitors clicked a product and how many units
// of it they bought.
type ProductCount struct {
	Product string
	Clicks  int
	Units   int
}

// Popular returns up to limit products of store that visitors clicked or
// bought since since, most popular first: by clicks plus units bought, then
// by product ID. It feeds "Trending" lists; limit ≤ 0 means no limit.
func (s *Store) Popular(ctx context.Context, store string, since time.Time, limit int) ([]ProductCount, error) {
	if s.closed() {
		return nil, ErrClosed
	}
	counts := make(map[string]*ProductCount)
	get := func(p string) *ProductCount {
		c, ok := counts[p]
		if !ok {
			c = &ProductCount{Product: p}
			counts[p] = c
		}
		return c
	}
	rows, err := s.r.QueryContext(ctx, `SELECT kind, product, lines FROM events
		WHERE store = ? AND time >= ? AND kind IN (2, 3)`, store, since.UnixMicro())
	if err != nil {
		return nil, fmt.Errorf("sqlite: popular: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			kind           int
			product, lines *string
		)
		if err := rows.Scan(&kind, &product, &lines); err != nil {
			return nil, fmt.Errorf("sqlite: popular: %w", err)
		}
		switch {
		case kind == 2 && product != nil && *product != "":
			get(*product).Clicks++
		case kind == 3 && lines != nil:
			var ls []storedLine
			if err := json.Unmarshal([]byte(*lines), &ls); err != nil {
				return nil, fmt.Errorf("sqlite: popular: sale lines: %w", err)
			}
			for _, l := range ls {
				get(l.Product).Units += int(l.Quantity)
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: popular: %w", err)
	}
	out := make([]ProductCount, 0, len(counts))
	for _, c := range counts {
		out = append(out, *c)
	}
	slices.SortFunc(out, func(a, b ProductCount) int {
		if c := cmp.Compare(b.Clicks+b.Units, a.Clicks+a.Units); c != 0 {
			return c
		}
		return cmp.Compare(a.Product, b.Product)
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}
