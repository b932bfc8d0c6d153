package postgres

import (
	"container/list"
	"time"

	"github.com/visitrack/visitrack/tracker/credit"
)

// memory is what a Store keeps between writes, guarded by Store.wmu: the
// groups of linked visitors it wrote lately, each with the version the
// database had when this Store last wrote it, and lookups of names to IDs.
// A group another Store has written since has a newer version: it is read
// again.
type memory struct {
	rules  credit.Rules
	budget int64
	epoch  int64 // meta's epoch when the cache was filled: Forget and Purge bump it

	groups map[int64]*group // by gid
	lru    *list.List       // of *group, most recently used first
	bytes  int64            // of the groups, as last measured

	sids      map[string]int64
	labels    map[nameKey]int64
	labelSets map[nameKey]credit.LabelSet // key: the lids, in order, as text
	setLids   map[credit.LabelSet][]int64
	idents    map[nameKey]int64
	products  map[nameKey]credit.Product

	partitions map[time.Time]bool // months of events that have a partition
}

type nameKey struct {
	sid  int64
	name string
}

// group is a cached group: its members and its events from Low onwards, as
// of version.
type group struct {
	gid, sid int64
	version  int64
	members  []int64
	g        *credit.Group
	elem     *list.Element
	size     int64
}

const (
	groupSize  = 200
	memberSize = 16
	cacheEntry = 96
)

func newMemory(s *Store) *memory {
	m := &memory{rules: s.cfg.Rules, budget: s.cfg.MemoryBudget, lru: list.New(), partitions: make(map[time.Time]bool)}
	m.reset()
	return m
}

// reset forgets every cached group and lookup.
func (m *memory) reset() {
	m.groups = make(map[int64]*group)
	m.lru.Init()
	m.bytes = 0
	m.sids = make(map[string]int64)
	m.labels = make(map[nameKey]int64)
	m.labelSets = make(map[nameKey]credit.LabelSet)
	m.setLids = make(map[credit.LabelSet][]int64)
	m.idents = make(map[nameKey]int64)
	m.products = make(map[nameKey]credit.Product)
}

// product returns the handle groups know a product ID of store sid by.
func (m *memory) product(sid int64, id string) credit.Product {
	k := nameKey{sid, id}
	p, ok := m.products[k]
	if !ok {
		p = credit.Product(len(m.products) + 1)
		m.products[k] = p
	}
	return p
}

func (m *memory) cache(gid, sid, version int64, members []int64, g *credit.Group) *group {
	if old := m.groups[gid]; old != nil {
		m.drop(old)
	}
	e := &group{gid: gid, sid: sid, version: version, members: members, g: g}
	e.elem = m.lru.PushFront(e)
	m.groups[gid] = e
	m.measure(e)
	return e
}

func (m *memory) measure(g *group) {
	n := groupSize + int64(len(g.members))*memberSize + int64(g.g.Size())
	m.bytes += n - g.size
	g.size = n
}

func (m *memory) drop(g *group) {
	if m.groups[g.gid] != g {
		return
	}
	delete(m.groups, g.gid)
	m.lru.Remove(g.elem)
	m.bytes -= g.size
}

// evict keeps the cache within the budget.
func (m *memory) evict() {
	for m.lru.Len() > 0 && m.bytes > m.budget {
		m.drop(m.lru.Back().Value.(*group))
	}
	lookups := int64(len(m.labels)+len(m.labelSets)+len(m.idents)+len(m.products)) * cacheEntry
	if lookups > m.budget/4 {
		m.reset() // product handles are only good with the groups that use them
	}
}

// Stats describes what a Store keeps in memory.
type Stats struct {
	// MemoryBudget is the budget the store was opened with, and Memory
	// about what it keeps now.
	MemoryBudget, Memory int64
	// Groups is how many groups of linked visitors it keeps.
	Groups int
}

// Stats returns figures about what the Store keeps in memory.
func (s *Store) Stats() Stats {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	m := s.mem
	return Stats{MemoryBudget: m.budget, Memory: m.bytes + int64(len(m.labels)+len(m.labelSets)+len(m.idents)+len(m.products))*cacheEntry,
		Groups: len(m.groups)}
}
