package storekit

import "container/list"

// Entry is what an LRU keeps with a value it holds: embed it in the value.
type Entry struct {
	key  int64
	size int64 // as last measured
	elem *list.Element
}

// Size is the bytes the value took when it was last measured.
func (e *Entry) Size() int64 { return e.size }

func (e *Entry) entry() *Entry { return e }

// Cached is what an LRU holds: a pointer to a struct that embeds Entry.
type Cached interface{ entry() *Entry }

// LRU holds values by key (a store's cached groups, by gid), most recently
// used first, and adds up the bytes they take as last measured. The zero
// LRU is ready to use; it is not safe for concurrent use.
type LRU[V Cached] struct {
	byKey map[int64]V
	order list.List
	bytes int64
}

// Get returns the value held under key, or the zero V. It does not count as
// a use.
func (c *LRU[V]) Get(key int64) V { return c.byKey[key] }

// Add holds v under key as the most recently used, taking size bytes, in
// place of any value held under key before.
func (c *LRU[V]) Add(key int64, v V, size int64) {
	if old, ok := c.byKey[key]; ok {
		c.Remove(old)
	}
	if c.byKey == nil {
		c.byKey = make(map[int64]V)
	}
	e := v.entry()
	e.key, e.size = key, size
	e.elem = c.order.PushFront(v)
	c.byKey[key] = v
	c.bytes += size
}

// Touch makes v, if held, the most recently used.
func (c *LRU[V]) Touch(v V) {
	if e := v.entry(); e.elem != nil {
		c.order.MoveToFront(e.elem)
	}
}

// Measure records that v takes size bytes now.
func (c *LRU[V]) Measure(v V, size int64) {
	e := v.entry()
	c.bytes += size - e.size
	e.size = size
}

// Remove lets go of v; false when v was not held (a value held under its
// key since has taken its place, say).
func (c *LRU[V]) Remove(v V) bool {
	e := v.entry()
	if held, ok := c.byKey[e.key]; !ok || held.entry() != e {
		return false
	}
	delete(c.byKey, e.key)
	c.order.Remove(e.elem)
	e.elem = nil
	c.bytes -= e.size
	return true
}

// Oldest returns the least recently used value, or the zero V when the LRU
// holds none.
func (c *LRU[V]) Oldest() V {
	var zero V
	if back := c.order.Back(); back != nil {
		return back.Value.(V)
	}
	return zero
}

// Len is how many values the LRU holds.
func (c *LRU[V]) Len() int { return len(c.byKey) }

// Bytes is what the values held take, as last measured.
func (c *LRU[V]) Bytes() int64 { return c.bytes }

// Reset lets go of every value.
func (c *LRU[V]) Reset() {
	c.byKey = make(map[int64]V)
	c.order.Init()
	c.bytes = 0
}
