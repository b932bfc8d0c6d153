package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"

	"github.com/visitrack/visitrack/tracker/credit"
	"github.com/visitrack/visitrack/tracker/internal/storekit"
)

// chainHeads are the heads of a visitor's two chains: the rid of its newest
// row on each (0: none) and the newest event time on it (credit.All: none);
// and, kept and written with them, the newest day it has a visitor_days row
// for.
type chainHeads struct {
	lastC, pmaxC int64 // impressions, clicks, sales, email links
	lastA, pmaxA int64 // clicks, product and category views, searches
	day          int64 // with hasDay, the newest day with a visitor_days row
	hasDay       bool
}

// sawDay records that the visitor has a visitor_days row for day.
func (h *chainHeads) sawDay(day int64) {
	if !h.hasDay || day > h.day {
		h.day, h.hasDay = day, true
	}
}

var noHeads = chainHeads{pmaxC: credit.All, pmaxA: credit.All}

// visitor is the writer's record of one visitor of a store.
type visitor struct {
	vid, sid int64
	xid      string
	gid      int64
	heads    chainHeads
	group    *group // the cached group it is in, or nil
}

// group is a cached group of linked visitors: its members and its events
// from credit.Group's Low onwards.
type group struct {
	storekit.Entry // in memory.groups
	gid, sid       int64
	members        []*visitor
	g              *credit.Group
}

// measure brings the memory's count of group bytes up to date with g.
func (m *memory) measure(g *group) { m.groups.Measure(g, groupSize+int64(g.g.Size())) }

// Approximate sizes, for the memory budget.
const (
	visitorSize = 160
	groupSize   = 200
	cacheEntry  = 96
)

// memory is what the writer keeps between writes; guarded by Store.wmu.
type memory struct {
	s        *Store
	rules    credit.Rules
	budget   int64
	visitors map[int64]map[string]*visitor // by store, then visitor ID
	byVid    map[int64]*visitor
	groups   storekit.LRU[*group] // by gid; what they take is the memory's count of group bytes

	sids      map[string]int64
	labels    map[labelKey]int64              // label name → lid
	labelSets map[labelSetKey]credit.LabelSet // JSON list of lids → ls
	setLids   map[credit.LabelSet][]int64
	idents    map[identKey]*identity
	products  credit.Products // the handles groups know product IDs by

	nextRid, nextVid, nextIid, nextLs, nextLid, nextSid int64
	cut                                                 int64 // the latest Purge's cut

	loads int64 // chain rows read to fill groups, for Stats
}

type labelKey struct {
	sid  int64
	name string
}

type labelSetKey struct {
	sid  int64
	lids string
}

type identKey struct {
	sid int64
	key string
}

type identity struct {
	iid      int64
	visitors int64
}

func newMemory(s *Store) *memory {
	m := &memory{s: s, rules: s.cfg.Rules, budget: s.cfg.MemoryBudget}
	m.reset()
	return m
}

// reset forgets every cached visitor, group and lookup but the stores; what
// is dirty lives in Store.heads, not here.
func (m *memory) reset() {
	m.visitors = make(map[int64]map[string]*visitor)
	m.byVid = make(map[int64]*visitor)
	m.groups.Reset()
	if m.sids == nil {
		m.sids = make(map[string]int64)
	}
	m.labels = make(map[labelKey]int64)
	m.labelSets = make(map[labelSetKey]credit.LabelSet)
	m.setLids = make(map[credit.LabelSet][]int64)
	m.idents = make(map[identKey]*identity)
	m.products = credit.Products{} // handles live as long as the cached groups that use them
}

// size is about how many bytes the cached groups, visitors and lookups
// take.
func (m *memory) size() int64 {
	n := int64(len(m.byVid))*visitorSize + m.groups.Bytes()
	n += int64(len(m.labels)+len(m.labelSets)+len(m.setLids)+len(m.idents)+m.products.Len()) * cacheEntry
	m.s.hmu.RLock()
	n += int64(len(m.s.heads)) * cacheEntry
	m.s.hmu.RUnlock()
	return n
}

// load reads the counters and the chain heads the file has, and fills the
// cache with the most recent events of each store, as far as the budget
// allows.
func (m *memory) load(ctx context.Context) error {
	db := m.s.w
	meta := map[string]*int64{"next_rid": &m.nextRid, "next_vid": &m.nextVid, "purged_before": &m.cut}
	var headsRid int64
	meta["heads_rid"] = &headsRid
	rows, err := db.QueryContext(ctx, `SELECT name, value FROM meta`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var name string
		var v int64
		if err := rows.Scan(&name, &v); err != nil {
			rows.Close()
			return err
		}
		if p, ok := meta[name]; ok {
			*p = v
		}
	}
	if err := rows.Close(); err != nil {
		return err
	}
	m.nextVid = max(m.nextVid, 1)
	for q, p := range map[string]*int64{
		`SELECT coalesce(max(iid), 0) + 1 FROM identities`: &m.nextIid,
		`SELECT coalesce(max(ls), 0) + 1 FROM labelsets`:   &m.nextLs,
		`SELECT coalesce(max(lid), 0) + 1 FROM labels`:     &m.nextLid,
		`SELECT coalesce(max(sid), 0) + 1 FROM stores`:     &m.nextSid,
	} {
		if err := db.QueryRowContext(ctx, q).Scan(p); err != nil {
			return err
		}
	}
	if err := m.recoverHeads(ctx, headsRid); err != nil {
		return fmt.Errorf("chain heads: %w", err)
	}
	return m.warm(ctx)
}

// recoverHeads reads the rows written since the heads were last written to
// the visitors table, and keeps their visitors' heads in Store.heads.
func (m *memory) recoverHeads(ctx context.Context, from int64) error {
	rows, err := m.s.w.QueryContext(ctx, `SELECT rid, vid, kind, t, pmax_c, pmax_a FROM events
		WHERE rid >= ? AND vid IS NOT NULL ORDER BY rid`, from)
	if err != nil {
		return err
	}
	newer := make(map[int64]chainHeads)
	var vids []int64
	for rows.Next() {
		var rid, vid, kind, t int64
		var pc, pa sql.NullInt64
		if err := rows.Scan(&rid, &vid, &kind, &t, &pc, &pa); err != nil {
			rows.Close()
			return err
		}
		h, ok := newer[vid]
		if !ok {
			h = chainHeads{}
			vids = append(vids, vid)
		}
		if onCredit(int(kind)) {
			h.lastC, h.pmaxC = rid, pc.Int64
		}
		if onActivity(int(kind)) {
			h.lastA, h.pmaxA = rid, pa.Int64
		}
		// The write that stored the row stored its visitor_days row, or
		// knew of one.
		h.sawDay(credit.Day(t))
		newer[vid] = h
	}
	if err := rows.Close(); err != nil {
		return err
	}
	// The heads in the table fill in the chains the newer rows left alone.
	for i := 0; i < len(vids); i += 1000 {
		part := vids[i:min(i+1000, len(vids))]
		vs, err := queryVisitors(ctx, m.s.w, qVisitorsByVid, string(mustJSON(part)))
		if err != nil {
			return err
		}
		for _, v := range vs {
			h := newer[v.vid]
			if h.lastC == 0 {
				h.lastC, h.pmaxC = v.heads.lastC, v.heads.pmaxC
			}
			if h.lastA == 0 {
				h.lastA, h.pmaxA = v.heads.lastA, v.heads.pmaxA
			}
			if v.heads.hasDay {
				h.sawDay(v.heads.day)
			}
			m.s.heads[v.vid] = h
		}
	}
	return nil
}

// warm fills the cache, store by store, with the groups of the visitors
// active in the last lookback and window before the store's newest event,
// newest events first, until the cache holds half the budget.
// loadStores reads the stores' names and IDs.
func (m *memory) loadStores(ctx context.Context) ([]int64, error) {
	type store struct {
		sid  int64
		name string
	}
	rows, err := m.s.w.QueryContext(ctx, `SELECT sid, name FROM stores`)
	stores, err := collect(rows, err, func(rows *sql.Rows, s *store) error { return rows.Scan(&s.sid, &s.name) })
	if err != nil {
		return nil, err
	}
	sids := make([]int64, len(stores))
	for i, s := range stores {
		m.sids[s.name] = s.sid
		sids[i] = s.sid
	}
	return sids, nil
}

func (m *memory) warm(ctx context.Context) error {
	sids, err := m.loadStores(ctx)
	if err != nil {
		return err
	}
	if err := m.warmLookups(ctx); err != nil {
		return err
	}
	for _, sid := range sids {
		if err := m.warmStore(ctx, sid); err != nil {
			return err
		}
		if m.size() > m.budget*3/4 {
			break
		}
	}
	return nil
}

// warmLookups reads labels, label sets and identities, as far as an eighth
// of the budget allows.
func (m *memory) warmLookups(ctx context.Context) error {
	limit := m.budget / 8 / cacheEntry
	read := func(q string, f func(rows *sql.Rows) error) error {
		rows, err := m.s.w.QueryContext(ctx, q+` LIMIT ?`, limit)
		return each(rows, err, f)
	}
	err := read(`SELECT lid, sid, name FROM labels`, func(rows *sql.Rows) error {
		var lid, sid int64
		var name string
		err := rows.Scan(&lid, &sid, &name)
		m.labels[labelKey{sid, name}] = lid
		return err
	})
	if err == nil {
		err = read(`SELECT ls, sid, lids FROM labelsets`, func(rows *sql.Rows) error {
			var ls, sid int64
			var lids string
			if err := rows.Scan(&ls, &sid, &lids); err != nil {
				return err
			}
			var l []int64
			if err := jsonUnmarshal(lids, &l); err != nil {
				return err
			}
			m.labelSets[labelSetKey{sid, lids}] = credit.LabelSet(ls)
			m.setLids[credit.LabelSet(ls)] = l
			return nil
		})
	}
	if err == nil {
		err = read(`SELECT iid, sid, key, visitors FROM identities`, func(rows *sql.Rows) error {
			id := &identity{}
			var sid int64
			var key string
			err := rows.Scan(&id.iid, &sid, &key, &id.visitors)
			m.idents[identKey{sid, key}] = id
			return err
		})
	}
	return err
}

func (m *memory) warmStore(ctx context.Context, sid int64) error {
	var newest sql.NullInt64
	if err := m.s.w.QueryRowContext(ctx, `SELECT max(t) FROM events WHERE sid = ?`, sid).Scan(&newest); err != nil || !newest.Valid {
		return err
	}
	from := newest.Int64 - m.rules.LookbackMicros() - m.rules.WindowMicros()
	rows, err := m.s.w.QueryContext(ctx, `SELECT rid, eid, kind, t, vid, item, ls, detail, credit, counted FROM events
		WHERE sid = ? AND t >= ? AND kind IN (1, 2, 3) AND vid IS NOT NULL ORDER BY t DESC`, sid, from)
	if err != nil {
		return err
	}
	defer rows.Close()
	type loaded struct {
		imps   []credit.Impression
		clicks []credit.Click
		sales  []credit.Sale
	}
	byVid := make(map[int64]*loaded)
	low, size := from, int64(0)
	for rows.Next() {
		var r eventRow
		if err := rows.Scan(&r.rid, &r.eid, &r.kind, &r.t, &r.vid, &r.item, &r.ls, &r.detail, &r.credit, &r.counted); err != nil {
			return err
		}
		if size > m.budget*3/4 {
			low = r.t + 1 // every event after this one's time is in
			break
		}
		l := byVid[r.vid.Int64]
		if l == nil {
			l = &loaded{}
			byVid[r.vid.Int64] = l
		}
		if err := r.decodeInto(m, sid, &l.imps, &l.clicks, &l.sales); err != nil {
			return err
		}
		size += 100
	}
	if err := rows.Err(); err != nil {
		return err
	}
	rows.Close()
	vids := make([]int64, 0, len(byVid))
	for vid := range byVid {
		vids = append(vids, vid)
	}
	for i := 0; i < len(vids); i += 1000 {
		if _, err := m.visitorsByVid(ctx, m.s.w, vids[i:min(i+1000, len(vids))]); err != nil {
			return err
		}
	}
	for _, vid := range vids {
		v := m.byVid[vid]
		if v == nil {
			continue
		}
		g, err := m.groupOf(ctx, m.s.w, v)
		if err != nil {
			return err
		}
		l := byVid[vid]
		var imps []credit.Impression
		for _, imp := range l.imps {
			if imp.Time >= low {
				imps = append(imps, imp)
			}
		}
		var clicks []credit.Click
		for _, c := range l.clicks {
			if c.Time >= low {
				clicks = append(clicks, c)
			}
		}
		var sales []credit.Sale
		for _, s := range l.sales {
			if s.Time >= low {
				sales = append(sales, s)
			}
		}
		g.g.Extend(low, imps, clicks, sales)
		m.measure(g)
	}
	return nil
}

// querier is a *sql.DB or *sql.Tx.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func queryVisitors(ctx context.Context, q querier, query string, args ...any) ([]*visitor, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*visitor
	for rows.Next() {
		v := &visitor{}
		var lc, pc, la, pa, day sql.NullInt64
		if err := rows.Scan(&v.vid, &v.sid, &v.xid, &v.gid, &lc, &pc, &la, &pa, &day); err != nil {
			return nil, err
		}
		v.heads = noHeads
		v.heads.day, v.heads.hasDay = day.Int64, day.Valid
		if lc.Valid {
			v.heads.lastC, v.heads.pmaxC = lc.Int64, pc.Int64
		}
		if la.Valid {
			v.heads.lastA, v.heads.pmaxA = la.Int64, pa.Int64
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// visitorsByVid loads the records of these visitors into the cache, with
// the heads the writer moved since it last wrote them.
func (m *memory) visitorsByVid(ctx context.Context, q querier, vids []int64) ([]*visitor, error) {
	var missing []int64
	out := make([]*visitor, 0, len(vids))
	for _, vid := range vids {
		if v := m.byVid[vid]; v != nil {
			out = append(out, v)
		} else {
			missing = append(missing, vid)
		}
	}
	if len(missing) == 0 {
		return out, nil
	}
	vs, err := queryVisitors(ctx, q, qVisitorsByVid, string(mustJSON(missing)))
	if err != nil {
		return nil, err
	}
	for _, v := range vs {
		out = append(out, m.adopt(v))
	}
	return out, nil
}

// adopt makes v, read from the table, the cached record of its visitor,
// with the heads the writer moved since it last wrote them.
func (m *memory) adopt(v *visitor) *visitor {
	if old := m.byVid[v.vid]; old != nil {
		return old
	}
	m.s.hmu.RLock()
	if h, ok := m.s.heads[v.vid]; ok {
		v.heads = h
	}
	m.s.hmu.RUnlock()
	m.byVid[v.vid] = v
	vs := m.visitors[v.sid]
	if vs == nil {
		vs = make(map[string]*visitor)
		m.visitors[v.sid] = vs
	}
	vs[v.xid] = v
	return v
}

// visitor returns the cached record of visitor xid of store sid, or nil.
func (m *memory) visitor(sid int64, xid string) *visitor { return m.visitors[sid][xid] }

// groupOf returns the cached group of v. A group not cached yet starts out
// holding none of its events; ensure brings those a write needs.
func (m *memory) groupOf(ctx context.Context, q querier, v *visitor) (*group, error) {
	if v.group != nil {
		m.groups.Touch(v.group)
		return v.group, nil
	}
	rows, err := q.QueryContext(ctx, qMembers, v.gid)
	if err != nil {
		return nil, err
	}
	var vids []int64
	for rows.Next() {
		var vid int64
		if err := rows.Scan(&vid); err != nil {
			rows.Close()
			return nil, err
		}
		vids = append(vids, vid)
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	members, err := m.visitorsByVid(ctx, q, vids)
	if err != nil {
		return nil, err
	}
	return m.cache(v.gid, v.sid, members, credit.NewGroup(m.rules, math.MaxInt64)), nil
}

// cache makes members, with the events of g, a cached group.
func (m *memory) cache(gid, sid int64, members []*visitor, g *credit.Group) *group {
	e := &group{gid: gid, sid: sid, members: members, g: g}
	for _, mb := range members {
		mb.group = e
	}
	m.groups.Add(gid, e, groupSize+int64(g.Size()))
	return e
}

// drop forgets a cached group and its members.
func (m *memory) drop(g *group) {
	if !m.groups.Remove(g) {
		return
	}
	for _, v := range g.members {
		v.group = nil
		delete(m.byVid, v.vid)
		delete(m.visitors[v.sid], v.xid)
	}
}

// evict keeps the cache within the budget: least recently used groups go
// first, then oversized lookups.
func (m *memory) evict() {
	size := m.size()
	for m.groups.Len() > 0 && size > m.budget {
		g := m.groups.Oldest()
		size -= g.Size() + int64(len(g.members))*visitorSize
		m.drop(g)
	}
	if int64(m.products.Len())*cacheEntry > m.budget/4 {
		m.reset() // product handles are only good with the groups that use them
	}
	if int64(len(m.labelSets)+len(m.labels)+len(m.idents))*cacheEntry > m.budget/4 {
		m.labels = make(map[labelKey]int64)
		m.labelSets = make(map[labelSetKey]credit.LabelSet)
		m.setLids = make(map[credit.LabelSet][]int64)
		m.idents = make(map[identKey]*identity)
	}
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only ever called with slices of strings and integers
	}
	return b
}

// Stats describes the writer's memory.
type Stats struct {
	// MemoryBudget is the budget the store was opened with, and Memory
	// about what the writer keeps now.
	MemoryBudget, Memory int64
	// Groups is how many groups of linked visitors the writer keeps.
	Groups int
	// DirtyHeads is how many visitors' chain heads wait to be written.
	DirtyHeads int
	// RowsRead counts the event rows read back since Open to fill groups:
	// it grows fast when the budget is too small for the traffic.
	RowsRead int64
}

// stats are the memory's figures; the caller holds wmu.
func (m *memory) stats() Stats {
	st := Stats{MemoryBudget: m.budget, Memory: m.size(), Groups: m.groups.Len(), RowsRead: m.loads}
	m.s.hmu.RLock()
	st.DirtyHeads = len(m.s.heads)
	m.s.hmu.RUnlock()
	return st
}

// Stats returns figures about the writer's memory.
func (s *Store) Stats() Stats {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.mem == nil {
		return Stats{MemoryBudget: s.cfg.MemoryBudget}
	}
	return s.mem.stats()
}
