package postgres

import (
	"time"

	"github.com/visitrack/visitrack/tracker/credit"
	"github.com/visitrack/visitrack/tracker/internal/storekit"
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

	groups storekit.LRU[*group] // by gid

	sids      map[string]int64
	labels    map[nameKey]int64
	labelSets map[nameKey]credit.LabelSet // key: the lids, in order, as text
	setLids   map[credit.LabelSet][]int64
	idents    map[nameKey]int64
	products  credit.Products

	partitions map[time.Time]bool // months of events that have a partition
}

type nameKey struct {
	sid  int64
	name string
}

// group is a cached group: its members and its events from Low onwards, as
// of version.
type group struct {
	storekit.Entry
	gid, sid int64
	version  int64
	members  []int64
	g        *credit.Group
}

const (
	groupSize  = 200
	memberSize = 16
	cacheEntry = 96
)

func newMemory(s *Store) *memory {
	m := &memory{rules: s.cfg.Rules, budget: s.cfg.MemoryBudget, partitions: make(map[time.Time]bool)}
	m.reset()
	return m
}

// reset forgets every cached group and lookup.
func (m *memory) reset() {
	m.groups.Reset()
	m.sids = make(map[string]int64)
	m.labels = make(map[nameKey]int64)
	m.labelSets = make(map[nameKey]credit.LabelSet)
	m.setLids = make(map[credit.LabelSet][]int64)
	m.idents = make(map[nameKey]int64)
	m.products = credit.Products{}
}

// cache makes members, with the events of g as of version, the cached group
// gid, in place of any cached before.
func (m *memory) cache(gid, sid, version int64, members []int64, g *credit.Group) *group {
	e := &group{gid: gid, sid: sid, version: version, members: members, g: g}
	m.groups.Add(gid, e, m.sizeOf(e))
	return e
}

// measure brings what the cache counts for g up to date.
func (m *memory) measure(g *group) { m.groups.Measure(g, m.sizeOf(g)) }

func (m *memory) sizeOf(g *group) int64 {
	return groupSize + int64(len(g.members))*memberSize + int64(g.g.Size())
}

// evict keeps the cache within the budget.
func (m *memory) evict() {
	for m.groups.Len() > 0 && m.groups.Bytes() > m.budget {
		m.groups.Remove(m.groups.Oldest())
	}
	lookups := int64(len(m.labels)+len(m.labelSets)+len(m.idents)+m.products.Len()) * cacheEntry
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
	return Stats{MemoryBudget: m.budget, Memory: m.groups.Bytes() + int64(len(m.labels)+len(m.labelSets)+len(m.idents)+m.products.Len())*cacheEntry,
		Groups: m.groups.Len()}
}
