package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"math"
	"slices"
)

// memIndex is the writer's index, in memory, of the recent impressions,
// clicks and sales of each visitor: what Write resolves credit with.
// The tables themselves are kept in the order events arrive, so that a
// batch appends to a few pages rather than touching one page per visitor;
// finding a visitor's events is this index's job (and, for History and
// Forget, the vix table's).
//
// It holds the events of the last horizon (the backtracking lookback, the
// attribution window and a week for late events) before the newest event
// it has seen, and never those before the last Purge: cut. Lookups see
// only events from cut on, whether or not older ones are still in memory
// (eviction runs every horizon/8, and Open loads from cut), so that what
// Write resolves does not depend on restarts. Sales whose window starts
// before cut keep the credit they have.
// The index is guarded by the Store's write mutex; a failed write
// transaction discards it (stale) and the next write rebuilds it.
type memIndex struct {
	horizon int64
	newest  int64
	purged  int64 // the latest Purge's cut, persisted as vix_mark -2
	floor   int64 // entries before it are dropped
	v       map[int64]*vmem
	n       int // entries

	// The entries hold no pointers, so that the garbage collector never
	// scans them: IDs and product lists live in arena, label sets (the
	// labels of impressions, the credit of clicks) are interned in sets.
	arena []byte
	sets  []string // set i+1; 0 is none (NULL)
	setOf map[string]uint32

	// The groups of linked visitors, as the identities table has them.
	groupOf map[int64]int64   // vid → group
	inGroup map[int64][]int64 // group → vids
	maxGrp  int64

	// links seen by this writer: when each was last written (at least).
	links map[linkKey]int64
}

type linkKey struct {
	vid int64
	key string
}

// maxCachedLinks bounds the memory the links cache takes.
const maxCachedLinks = 1 << 20

type vmem struct {
	imps   []impEnt
	clicks []clickEnt
	sales  []saleEnt
}

// span is a string in the arena.
type span struct{ off, n uint32 }

type impEnt struct {
	time     int64
	id       span
	products span // encoded list
	labels   uint32
}

type clickEnt struct {
	time     int64
	rid      int64
	id       span
	product  span
	credit   uint32 // label set credited, 0 under no label
	labelled bool   // labels were given: credit is fixed
}

type saleEnt struct {
	time     int64
	rid      int64
	products span // encoded list
}

func newMemIndex(horizon int64) *memIndex {
	return &memIndex{horizon: horizon, newest: math.MinInt64, purged: math.MinInt64, floor: math.MinInt64, v: make(map[int64]*vmem),
		setOf: make(map[string]uint32), groupOf: make(map[int64]int64), inGroup: make(map[int64][]int64),
		links: make(map[linkKey]int64)}
}

// cut is the time from which lookups see events.
func (m *memIndex) cut() int64 {
	c := m.purged
	if m.newest != math.MinInt64 {
		c = max(c, m.newest-m.horizon)
	}
	return c
}

// members returns the visitors linked to vid, itself included.
func (m *memIndex) members(vid int64) []int64 {
	if g, ok := m.groupOf[vid]; ok {
		return m.inGroup[g]
	}
	return []int64{vid}
}

// join mirrors link: vid joins group target (unless it has a group), and
// the groups merged go into target.
func (m *memIndex) join(vid, target int64, merged []int64) {
	m.maxGrp = max(m.maxGrp, target)
	if _, ok := m.groupOf[vid]; !ok {
		m.groupOf[vid] = target
		m.inGroup[target] = append(m.inGroup[target], vid)
	}
	for _, g := range merged {
		if g == target {
			continue
		}
		for _, v := range m.inGroup[g] {
			m.groupOf[v] = target
		}
		m.inGroup[target] = append(m.inGroup[target], m.inGroup[g]...)
		delete(m.inGroup, g)
	}
}

// loadGroups reads the identities table (and forgets the links cache, as
// links may have gone with them).
func (m *memIndex) loadGroups(ctx context.Context, q querier) error {
	clear(m.links)
	clear(m.groupOf)
	clear(m.inGroup)
	m.maxGrp = 0
	return eachRow(ctx, q, func(rows *sql.Rows) error {
		var vid, g int64
		if err := rows.Scan(&vid, &g); err != nil {
			return err
		}
		m.groupOf[vid] = g
		m.inGroup[g] = append(m.inGroup[g], vid)
		m.maxGrp = max(m.maxGrp, g)
		return nil
	}, `SELECT vid, grp FROM identities`)
}

func (m *memIndex) put(s string) span {
	if uint64(len(m.arena))+uint64(len(s)) > math.MaxUint32 {
		m.compact(0) // spans are 32-bit
		if uint64(len(m.arena))+uint64(len(s)) > math.MaxUint32 {
			panic("sqlite: the writer's index outgrew 4 GiB of IDs and product lists; shorten the attribution window")
		}
	}
	off := len(m.arena)
	m.arena = append(m.arena, s...)
	return span{uint32(off), uint32(len(s))}
}

func (m *memIndex) bytes(sp span) []byte { return m.arena[sp.off : sp.off+sp.n] }

func (m *memIndex) str(sp span) string { return string(m.bytes(sp)) }

// set interns a label set (NULL is 0).
func (m *memIndex) set(s sql.NullString) uint32 {
	if !s.Valid {
		return 0
	}
	if i, ok := m.setOf[s.String]; ok {
		return i
	}
	m.sets = append(m.sets, s.String)
	i := uint32(len(m.sets))
	m.setOf[s.String] = i
	return i
}

func (m *memIndex) setStr(i uint32) sql.NullString {
	if i == 0 {
		return sql.NullString{}
	}
	return sql.NullString{String: m.sets[i-1], Valid: true}
}

func (m *memIndex) of(vid int64) *vmem {
	vm := m.v[vid]
	if vm == nil {
		vm = new(vmem)
		m.v[vid] = vm
	}
	return vm
}

func (m *memIndex) seen(t int64) {
	if t > m.newest {
		m.newest = t
	}
}

// addImp indexes an impression: labels and products are encoded lists.
func (m *memIndex) addImp(vid, t int64, id, labels, products string) {
	vm := m.of(vid)
	vm.imps = append(vm.imps, impEnt{time: t, id: m.put(id), products: m.put(products),
		labels: m.set(sql.NullString{String: labels, Valid: true})})
	m.n++
	m.seen(t)
}

func (m *memIndex) addClick(vid, t, rid int64, id, product string, labelled bool, credit sql.NullString) {
	vm := m.of(vid)
	vm.clicks = append(vm.clicks, clickEnt{time: t, rid: rid, id: m.put(id), product: m.put(product),
		credit: m.set(credit), labelled: labelled})
	m.n++
	m.seen(t)
}

func (m *memIndex) addSale(vid, t, rid int64, products string) {
	vm := m.of(vid)
	vm.sales = append(vm.sales, saleEnt{time: t, rid: rid, products: m.put(products)})
	m.n++
	m.seen(t)
}

// backtrack returns the labels of the latest impression shown to vid in
// [t-lookback, t] whose products hold needle (sep+product+sep); NULL when
// there is none.
func (m *memIndex) backtrack(vid int64, needle []byte, t, lookback int64) sql.NullString {
	vm := m.v[vid]
	if vm == nil {
		return sql.NullString{}
	}
	var best *impEnt
	from := max(t-lookback, m.cut())
	for i := range vm.imps {
		e := &vm.imps[i]
		if e.time > t || e.time < from || !bytes.Contains(m.bytes(e.products), needle) {
			continue
		}
		if best == nil || e.time > best.time || (e.time == best.time && bytes.Compare(m.bytes(e.id), m.bytes(best.id)) > 0) {
			best = e
		}
	}
	if best == nil {
		return sql.NullString{}
	}
	return m.setStr(best.labels)
}

// evict drops what is older than cut, when enough is.
func (m *memIndex) evict() {
	cut := m.cut()
	if cut == math.MinInt64 || (m.floor != math.MinInt64 && cut <= m.floor+m.horizon/8) {
		return
	}
	m.dropBefore(cut)
}

// dropBefore drops every entry older than cut and raises floor to it.
// When most of the arena is then dead, it compacts the arena and the label
// sets.
func (m *memIndex) dropBefore(cut int64) {
	if cut <= m.floor {
		return
	}
	m.floor = cut
	n, live := 0, 0
	for vid, vm := range m.v {
		vm.imps = slices.DeleteFunc(vm.imps, func(e impEnt) bool { return e.time < cut })
		vm.clicks = slices.DeleteFunc(vm.clicks, func(e clickEnt) bool { return e.time < cut })
		vm.sales = slices.DeleteFunc(vm.sales, func(e saleEnt) bool { return e.time < cut })
		k := len(vm.imps) + len(vm.clicks) + len(vm.sales)
		if k == 0 {
			delete(m.v, vid)
			continue
		}
		n += k
		for _, e := range vm.imps {
			live += int(e.id.n + e.products.n)
		}
		for _, e := range vm.clicks {
			live += int(e.id.n + e.product.n)
		}
		for _, e := range vm.sales {
			live += int(e.products.n)
		}
	}
	m.n = n
	if live < len(m.arena)/2 {
		m.compact(live)
	}
}

// compact copies what the entries use into a new arena and new label sets.
func (m *memIndex) compact(live int) {
	old, oldSets := m.arena, m.sets
	m.arena, m.sets, m.setOf = make([]byte, 0, live+live/4), nil, make(map[string]uint32)
	move := func(sp span) span { return m.put(string(old[sp.off : sp.off+sp.n])) }
	moveSet := func(i uint32) uint32 {
		if i == 0 {
			return 0
		}
		return m.set(sql.NullString{String: oldSets[i-1], Valid: true})
	}
	for _, vm := range m.v {
		for i := range vm.imps {
			e := &vm.imps[i]
			e.id, e.products, e.labels = move(e.id), move(e.products), moveSet(e.labels)
		}
		for i := range vm.clicks {
			e := &vm.clicks[i]
			e.id, e.product, e.credit = move(e.id), move(e.product), moveSet(e.credit)
		}
		for i := range vm.sales {
			e := &vm.sales[i]
			e.products = move(e.products)
		}
	}
}

// loadMem builds the index from the database: the events of the horizon
// before the newest one stored.
func loadMem(ctx context.Context, q querier, horizon int64) (*memIndex, error) {
	m := newMemIndex(horizon)
	if err := m.loadGroups(ctx, q); err != nil {
		return nil, err
	}
	var newest sql.NullInt64
	if err := queryRow(ctx, q, `SELECT max(t) FROM (
		SELECT (SELECT max(tmax) FROM blobs WHERE tbl = 0) AS t
		UNION ALL SELECT (SELECT max(time) FROM clicks WHERE sid = s.sid) FROM stores s
		UNION ALL SELECT (SELECT max(time) FROM sales WHERE sid = s.sid) FROM stores s)`, &newest); err != nil {
		return nil, err
	}
	if err := queryRow(ctx, q, `SELECT coalesce((SELECT rid FROM vix_mark WHERE tbl = -2), -9223372036854775808)`, &m.purged); err != nil {
		return nil, err
	}
	if !newest.Valid {
		return m, nil
	}
	m.newest = newest.Int64
	cut := m.cut()
	m.floor = cut
	const where = ` WHERE sid IN (SELECT sid FROM stores) AND time >= ?`
	err := eachBlobEnt(ctx, q, `tbl = 0 AND tmax >= ?`, []any{cut}, func(_ int64, e *blobEnt) error {
		if e.vid != 0 && e.time >= cut {
			m.addImp(e.vid, e.time, e.id, e.val(1), e.val(2))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = eachRow(ctx, q, func(rows *sql.Rows) error {
		var vid, t, rid int64
		var id, product string
		var labelled bool
		var credit sql.NullString
		if err := rows.Scan(&vid, &t, &rid, &id, &product, &labelled, &credit); err != nil {
			return err
		}
		m.addClick(vid, t, rid, id, product, labelled, credit)
		return nil
	}, `SELECT vid, time, rid, id, product, labels IS NOT NULL, credit FROM clicks`+where+` AND vid <> 0`, cut)
	if err != nil {
		return nil, err
	}
	err = eachRow(ctx, q, func(rows *sql.Rows) error {
		var vid, t, rid int64
		var products string
		if err := rows.Scan(&vid, &t, &rid, &products); err != nil {
			return err
		}
		m.addSale(vid, t, rid, products)
		return nil
	}, `SELECT vid, time, rid, products FROM sales`+where+` AND vid IS NOT NULL`, cut)
	if err != nil {
		return nil, err
	}
	return m, nil
}

func queryRow(ctx context.Context, q querier, query string, dst ...any) error {
	rows, err := q.QueryContext(ctx, query)
	if err != nil {
		return err
	}
	defer rows.Close()
	if rows.Next() {
		if err := rows.Scan(dst...); err != nil {
			return err
		}
	}
	return rows.Err()
}

// eachRow runs query and calls f for each row.
func eachRow(ctx context.Context, q querier, f func(*sql.Rows) error, query string, args ...any) error {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := f(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}
