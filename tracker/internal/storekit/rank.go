package storekit

import (
	"cmp"
	"iter"
	"maps"
	"slices"
)

// Bins adds things up by key: Bin returns the running value of a key. The
// zero Bins is ready to use.
type Bins[K comparable, V any] struct {
	m map[K]*V
}

// Bin returns k's value to add to, a zero V the first time.
func (b *Bins[K, V]) Bin(k K) *V {
	if b.m == nil {
		b.m = make(map[K]*V)
	}
	v := b.m[k]
	if v == nil {
		v = new(V)
		b.m[k] = v
	}
	return v
}

// All yields each key of b and its value, in no particular order.
func (b *Bins[K, V]) All() iter.Seq2[K, *V] { return maps.All(b.m) }

// Len is how many keys b has values for.
func (b *Bins[K, V]) Len() int { return len(b.m) }

// Append appends to out f of each key of b and its value, in no particular
// order, and returns the extended slice.
func Append[K comparable, V, T any](out []T, b *Bins[K, V], f func(k K, v *V) T) []T {
	for k, v := range b.m {
		out = append(out, f(k, v))
	}
	return out
}

// Top sorts items by order and keeps the first limit of them; limit ≤ 0
// keeps all.
func Top[T any](items []T, order func(a, b T) int, limit int) []T {
	slices.SortFunc(items, order)
	if limit > 0 && len(items) > limit {
		items = items[:limit]
	}
	return items
}

// Most is the order of a ranking: the largest n first, ties by key.
func Most[T any](n func(T) int, key func(T) string) func(a, b T) int {
	return func(a, b T) int {
		if c := cmp.Compare(n(b), n(a)); c != 0 {
			return c
		}
		return cmp.Compare(key(a), key(b))
	}
}
