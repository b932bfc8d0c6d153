package sqlite

import (
	"context"
	"database/sql"
	"math"
	"slices"
	"strings"
	"sync"
)

// memIndex is the writer's index, in memory, of the recent impressions,
// clicks and sales of each visitor: what Write resolves credit with.
// The tables themselves are kept in the order events arrive, so that a
// batch appends to a few pages rather than touching one page per visitor;
// finding a visitor's events is this index's job (and, for History and
// Forget, the vix table's).
//
// It keeps the events of the last horizon (the backtracking lookback, the
// attribution window and a week for late events) before the newest event
// it has seen. floor is the time before which it may lack
// events: sales whose window starts before it keep the credit they have.
// The index is guarded by the Store's write mutex; a failed write
// transaction discards it (stale) and the next write rebuilds it.
type memIndex struct {
	horizon int64
	newest  int64
	floor   int64
	v       map[int64]*vmem
	n       int // entries
}

type vmem struct {
	imps   []impEnt
	clicks []clickEnt
	sales  []saleEnt
}

type impEnt struct {
	time     int64
	id       string
	labels   string // encoded list
	products string // encoded list
}

type clickEnt struct {
	time     int64
	rid      int64
	id       string
	product  string
	labelled bool // labels were given: credit is fixed
	credit   sql.NullString
}

type saleEnt struct {
	time     int64
	rid      int64
	products string // encoded list
}

func newMemIndex(horizon int64) *memIndex {
	return &memIndex{horizon: horizon, newest: math.MinInt64, floor: math.MinInt64, v: make(map[int64]*vmem)}
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

func (m *memIndex) addImp(vid int64, e impEnt) {
	vm := m.of(vid)
	vm.imps = append(vm.imps, e)
	m.n++
	m.seen(e.time)
}

func (m *memIndex) addClick(vid int64, e clickEnt) {
	vm := m.of(vid)
	vm.clicks = append(vm.clicks, e)
	m.n++
	m.seen(e.time)
}

func (m *memIndex) addSale(vid int64, e saleEnt) {
	vm := m.of(vid)
	vm.sales = append(vm.sales, e)
	m.n++
	m.seen(e.time)
}

// backtrack returns the labels of the latest impression shown to vid in
// [t-lookback, t] whose products hold needle (sep+product+sep); NULL when
// there is none.
func (m *memIndex) backtrack(vid int64, needle string, t, lookback int64) sql.NullString {
	vm := m.v[vid]
	if vm == nil {
		return sql.NullString{}
	}
	var best *impEnt
	for i := range vm.imps {
		e := &vm.imps[i]
		if e.time > t || e.time < t-lookback || !strings.Contains(e.products, needle) {
			continue
		}
		if best == nil || e.time > best.time || (e.time == best.time && e.id > best.id) {
			best = e
		}
	}
	if best == nil {
		return sql.NullString{}
	}
	return sql.NullString{String: best.labels, Valid: true}
}

// evict drops what is older than the horizon, when enough is.
func (m *memIndex) evict() {
	if m.newest == math.MinInt64 {
		return
	}
	cut := m.newest - m.horizon
	if cut <= m.floor+m.horizon/8 && m.floor != math.MinInt64 {
		return
	}
	m.dropBefore(cut)
}

// dropBefore drops every entry older than cut and raises floor to it.
func (m *memIndex) dropBefore(cut int64) {
	if cut <= m.floor {
		return
	}
	m.floor = cut
	n := 0
	for vid, vm := range m.v {
		vm.imps = slices.DeleteFunc(vm.imps, func(e impEnt) bool { return e.time < cut })
		vm.clicks = slices.DeleteFunc(vm.clicks, func(e clickEnt) bool { return e.time < cut })
		vm.sales = slices.DeleteFunc(vm.sales, func(e saleEnt) bool { return e.time < cut })
		if k := len(vm.imps) + len(vm.clicks) + len(vm.sales); k == 0 {
			delete(m.v, vid)
		} else {
			n += k
		}
	}
	m.n = n
}

// loadMem builds the index from the database: the events of the horizon
// before the newest one stored.
func loadMem(ctx context.Context, q querier, horizon int64) (*memIndex, error) {
	m := newMemIndex(horizon)
	var newest sql.NullInt64
	if err := queryRow(ctx, q, `SELECT max(t) FROM (
		SELECT (SELECT max(time) FROM imps WHERE sid = s.sid) AS t FROM stores s
		UNION ALL SELECT (SELECT max(time) FROM clicks WHERE sid = s.sid) FROM stores s
		UNION ALL SELECT (SELECT max(time) FROM sales WHERE sid = s.sid) FROM stores s)`, &newest); err != nil {
		return nil, err
	}
	if !newest.Valid {
		return m, nil
	}
	cut := newest.Int64 - horizon
	m.newest, m.floor = newest.Int64, cut
	const where = ` WHERE sid IN (SELECT sid FROM stores) AND time >= ?`
	err := eachRow(ctx, q, func(rows *sql.Rows) error {
		var vid int64
		var e impEnt
		if err := rows.Scan(&vid, &e.time, &e.id, &e.labels, &e.products); err != nil {
			return err
		}
		m.addImp(vid, e)
		return nil
	}, `SELECT vid, time, id, labels, products FROM imps`+where+` AND vid <> 0`, cut)
	if err != nil {
		return nil, err
	}
	err = eachRow(ctx, q, func(rows *sql.Rows) error {
		var vid int64
		var e clickEnt
		if err := rows.Scan(&vid, &e.time, &e.rid, &e.id, &e.product, &e.labelled, &e.credit); err != nil {
			return err
		}
		m.addClick(vid, e)
		return nil
	}, `SELECT vid, time, rid, id, product, labels IS NOT NULL, credit FROM clicks`+where+` AND vid <> 0`, cut)
	if err != nil {
		return nil, err
	}
	err = eachRow(ctx, q, func(rows *sql.Rows) error {
		var vid int64
		var e saleEnt
		if err := rows.Scan(&vid, &e.time, &e.rid, &e.products); err != nil {
			return err
		}
		m.addSale(vid, e)
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

// vixEnt is an entry of the vix table: where a visitor's impression, click
// or activity row is.
type vixEnt struct {
	vid, time int64
	tbl       int
	rid       int64
}

// vixFlushAt is how many pending vix entries Write gathers before it
// writes them, sorted, in one go: a visitor's entries then land together.
const vixFlushAt = 1 << 16

// pending keeps the vix entries not written yet, in memory; they are the
// rows after the marks in vix_mark, and Open finds them again from there.
// History reads them under mu; writers change them under the write mutex
// and mu.
type pending struct {
	mu   sync.RWMutex
	ents []vixEnt
}

// add queues e; the caller holds the write mutex.
func (p *pending) add(es ...vixEnt) {
	p.mu.Lock()
	p.ents = append(p.ents, es...)
	p.mu.Unlock()
}

// of returns the pending entries of the given visitors.
func (p *pending) of(vids map[int64]bool) []vixEnt {
	p.mu.RLock()
	defer p.mu.RUnlock()
	var out []vixEnt
	for _, e := range p.ents {
		if vids[e.vid] {
			out = append(out, e)
		}
	}
	return out
}

// flush writes the pending entries into vix, sorted, and moves the marks
// past them. The caller clears them (p.clear) once tx commits.
func (p *pending) flush(ctx context.Context, tx *sql.Tx) error {
	p.mu.RLock()
	ents := slices.Clone(p.ents)
	p.mu.RUnlock()
	if len(ents) == 0 {
		return nil
	}
	slices.SortFunc(ents, func(a, b vixEnt) int {
		if a.vid != b.vid {
			return cmpInt(a.vid, b.vid)
		}
		if a.time != b.time {
			return cmpInt(a.time, b.time)
		}
		if a.tbl != b.tbl {
			return a.tbl - b.tbl
		}
		return cmpInt(a.rid, b.rid)
	})
	var marks [nTables]int64
	const per = 200
	st, err := tx.PrepareContext(ctx, `INSERT OR IGNORE INTO vix (vid, time, tbl, rid) VALUES (?, ?, ?, ?)`+strings.Repeat(", (?, ?, ?, ?)", per-1))
	if err != nil {
		return err
	}
	defer st.Close()
	args := make([]any, 0, 4*per)
	for len(ents) > 0 {
		n := min(per, len(ents))
		args = args[:0]
		for _, e := range ents[:n] {
			args = append(args, e.vid, e.time, e.tbl, e.rid)
			marks[e.tbl] = max(marks[e.tbl], e.rid)
		}
		if n == per {
			_, err = st.ExecContext(ctx, args...)
		} else {
			_, err = tx.ExecContext(ctx, `INSERT OR IGNORE INTO vix (vid, time, tbl, rid) VALUES (?, ?, ?, ?)`+strings.Repeat(", (?, ?, ?, ?)", n-1), args...)
		}
		if err != nil {
			return err
		}
		ents = ents[n:]
	}
	for t, rid := range marks {
		if rid > 0 {
			if _, err := tx.ExecContext(ctx, `INSERT INTO vix_mark (tbl, rid) VALUES (?, ?)
				ON CONFLICT (tbl) DO UPDATE SET rid = max(rid, excluded.rid)`, t, rid); err != nil {
				return err
			}
		}
	}
	return nil
}

// truncate drops the entries after the first n.
func (p *pending) truncate(n int) {
	p.mu.Lock()
	p.ents = p.ents[:min(n, len(p.ents))]
	p.mu.Unlock()
}

func (p *pending) clear() {
	p.mu.Lock()
	p.ents = p.ents[:0]
	p.mu.Unlock()
}

func (p *pending) len() int {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return len(p.ents)
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// vixTables are the tables vix indexes by visitor.
var vixTables = []int{tImps, tClicks, tActs}

// loadPending finds the rows after the marks: the entries vix lacks.
func loadPending(ctx context.Context, q querier) ([]vixEnt, error) {
	var out []vixEnt
	for _, t := range vixTables {
		err := eachRow(ctx, q, func(rows *sql.Rows) error {
			e := vixEnt{tbl: t}
			if err := rows.Scan(&e.vid, &e.time, &e.rid); err != nil {
				return err
			}
			out = append(out, e)
			return nil
		}, `SELECT vid, time, rid FROM `+tableNames[t]+` WHERE rid > coalesce((SELECT rid FROM vix_mark WHERE tbl = ?), 0) AND vid <> 0`, t)
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}
