package postgres

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/visitrack/visitrack/tracker"
	"github.com/visitrack/visitrack/tracker/credit"
)

// write stores accepted events in one transaction, retried when it meets
// another writer.
func (s *Store) write(ctx context.Context, events []tracker.Event) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.closed() {
		return ErrClosed
	}
	if err := s.ensurePartitions(ctx, events); err != nil {
		return err
	}
	var b *batch
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		b = newBatch(ctx, s, tx)
		return b.run(events)
	}, s.mem.reset)
	if err != nil {
		// The cache may hold what the transaction did.
		s.mem.reset()
		return err
	}
	b.done()
	return nil
}

// errConflict is returned for a conflict with another writer that the
// database did not report as one: the transaction is run again.
var errConflict = &pgconn.PgError{Code: "40001", Message: "visitrack: conflict with another writer"}

// batch is one Write's transaction and what it has worked out so far.
type batch struct {
	ctx context.Context
	s   *Store
	m   *memory
	tx  pgx.Tx

	cut       int64
	firstRef  int64 // refs [firstRef, firstRef+len(evs)) are this batch's events
	evs       []*pending
	visitors  map[nameKey]*visitor
	byVid     map[int64]*visitor
	locked    map[int64]bool
	versions  map[int64]int64 // of the groups locked, as read
	c         *credit.Tally
	ch        credit.Changes
	touched   map[*group]bool
	groupSids map[int64]int64 // gid → store, for the groups the batch holds
}

type visitor struct {
	vid, sid, gid int64
	xid           string
}

// pending is one new event of the batch: what the rules see of it, and
// the batch's record of its visitor.
type pending struct {
	credit.Pending
	v *visitor
}

func newBatch(ctx context.Context, s *Store, tx pgx.Tx) *batch {
	return &batch{ctx: ctx, s: s, m: s.mem, tx: tx, visitors: make(map[nameKey]*visitor), byVid: make(map[int64]*visitor),
		locked: make(map[int64]bool), versions: make(map[int64]int64), c: credit.NewTally(), touched: make(map[*group]bool),
		groupSids: make(map[int64]int64)}
}

func (b *batch) run(events []tracker.Event) error {
	var epoch int64
	if err := b.tx.QueryRow(b.ctx, `SELECT (SELECT value FROM meta WHERE name = 'purged_before'),
		(SELECT value FROM meta WHERE name = 'epoch')`).Scan(&b.cut, &epoch); err != nil {
		return err
	}
	if epoch != b.m.epoch {
		b.m.reset()
		b.m.epoch = epoch
	}
	for _, step := range []func([]tracker.Event) error{b.accept, b.resolveVisitors, b.lockVisitors, b.resolveLabels} {
		if err := step(events); err != nil {
			return err
		}
		if len(b.evs) == 0 {
			return nil
		}
	}
	for _, step := range []func() error{b.copies, b.link, b.apply, b.persist} {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

// sids returns the IDs of store names, adding the stores.
func (b *batch) sids(names []string) error {
	var missing []string
	for _, n := range names {
		if _, ok := b.m.sids[n]; !ok {
			missing = append(missing, n)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	if _, err := b.tx.Exec(b.ctx, `INSERT INTO stores (name) SELECT unnest($1::text[]) ON CONFLICT (name) DO NOTHING`, missing); err != nil {
		return err
	}
	rows, _ := b.tx.Query(b.ctx, `SELECT sid, name FROM stores WHERE name = ANY($1)`, missing)
	var sid int64
	var name string
	_, err := pgx.ForEachRow(rows, []any{&sid, &name}, func() error {
		b.m.sids[name] = sid
		return nil
	})
	return err
}

// accept keeps the events the store does not have yet, in the order they
// came.
func (b *batch) accept(events []tracker.Event) error {
	var names []string
	for i := range events {
		if !slices.Contains(names, events[i].Store) {
			names = append(names, events[i].Store)
		}
	}
	if err := b.sids(names); err != nil {
		return err
	}
	type key struct {
		sid int64
		eid string
	}
	seen := make(map[key]bool, len(events))
	ids := make(map[int64][]string)
	var evs []*pending
	for i := range events {
		e := &events[i]
		if credit.Micros(e.Time) < b.cut {
			continue
		}
		k := key{b.m.sids[e.Store], e.ID}
		if seen[k] {
			continue
		}
		seen[k] = true
		ids[k.sid] = append(ids[k.sid], e.ID)
		evs = append(evs, &pending{Pending: credit.Pending{Event: e, Store: k.sid}})
	}
	// Claim the IDs: those that come back are new. Another writer claiming
	// one at the same moment makes this one wait for its commit.
	claimed := make(map[key]bool)
	times := make(map[int64][]int64)
	for _, p := range evs {
		times[p.Store] = append(times[p.Store], credit.Micros(p.Event.Time))
	}
	for sid, eids := range ids {
		rows, _ := b.tx.Query(b.ctx, `INSERT INTO ids (sid, eid, t) SELECT $1, * FROM unnest($2::text[], $3::bigint[])
			ON CONFLICT (sid, eid) DO NOTHING RETURNING eid`, sid, eids, times[sid])
		var eid string
		if _, err := pgx.ForEachRow(rows, []any{&eid}, func() error {
			claimed[key{sid, eid}] = true
			return nil
		}); err != nil {
			return err
		}
	}
	first := b.s.refs.Add(int64(len(evs))) - int64(len(evs)) + 1
	b.firstRef = first
	for _, p := range evs {
		if claimed[key{p.Store, p.Event.ID}] {
			p.Ref = first + int64(len(b.evs))
			b.evs = append(b.evs, p)
		}
	}
	return nil
}

// isNew reports whether ref is one of this batch's events.
func (b *batch) isNew(ref int64) bool { return ref >= b.firstRef && ref < b.firstRef+int64(len(b.evs)) }

// resolveVisitors finds or adds the visitor of every event.
func (b *batch) resolveVisitors([]tracker.Event) error {
	xids := make(map[int64][]string)
	for _, p := range b.evs {
		if !slices.Contains(xids[p.Store], p.Event.Visitor) {
			xids[p.Store] = append(xids[p.Store], p.Event.Visitor)
		}
	}
	for sid, xs := range xids {
		rows, _ := b.tx.Query(b.ctx, `INSERT INTO visitors (sid, xid, gid) SELECT $1, unnest($2::text[]), 0
			ON CONFLICT (sid, xid) DO NOTHING RETURNING vid`, sid, xs)
		added, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			return err
		}
		if len(added) > 0 {
			if _, err := b.tx.Exec(b.ctx, `UPDATE visitors SET gid = vid WHERE vid = ANY($1)`, added); err != nil {
				return err
			}
		}
		rows, _ = b.tx.Query(b.ctx, `SELECT vid, gid, xid FROM visitors WHERE sid = $1 AND xid = ANY($2)`, sid, xs)
		var v visitor
		if _, err := pgx.ForEachRow(rows, []any{&v.vid, &v.gid, &v.xid}, func() error {
			nv := v
			nv.sid = sid
			b.visitors[nameKey{sid, v.xid}] = &nv
			b.byVid[v.vid] = &nv
			return nil
		}); err != nil {
			return err
		}
		for _, vid := range added {
			// A visitor new to the store has no events anywhere.
			nv := b.byVid[vid]
			b.m.cache(vid, sid, 0, []int64{vid}, credit.NewGroup(b.m.rules, credit.All))
			b.groupSids[nv.gid] = sid
		}
	}
	for _, p := range b.evs {
		p.v = b.visitors[nameKey{p.Store, p.Event.Visitor}]
		p.Visitor = p.v.vid
	}
	return nil
}

// Advisory lock keys: groups by their gid (positive), identities by
// −2·iid.
func groupKey(gid int64) int64    { return gid }
func identityKey(iid int64) int64 { return -2 * iid }

// lock takes the advisory locks of keys the batch does not hold yet, in
// order. Locks taken in later steps may come out of order; a deadlock with
// another writer is then reported by the database and the batch retried.
func (b *batch) lock(keys ...int64) error {
	var want []int64
	for _, k := range keys {
		if !b.locked[k] && !slices.Contains(want, k) {
			want = append(want, k)
		}
	}
	if len(want) == 0 {
		return nil
	}
	slices.Sort(want)
	if _, err := b.tx.Exec(b.ctx, `SELECT pg_advisory_xact_lock(k) FROM (SELECT unnest($1::bigint[]) AS k ORDER BY 1) s`, want); err != nil {
		return err
	}
	for _, k := range want {
		b.locked[k] = true
	}
	return nil
}

// lockVisitors locks the groups of the batch's visitors, reading their
// groups again until no other writer moved them meanwhile, and drops the
// cached groups other writers changed.
func (b *batch) lockVisitors([]tracker.Event) error {
	vids := make([]int64, 0, len(b.byVid))
	for vid := range b.byVid {
		vids = append(vids, vid)
	}
	return b.lockGroupsOf(vids)
}

// lockGroupsOf locks the groups of vids (whose records the batch holds)
// and reads their versions.
func (b *batch) lockGroupsOf(vids []int64) error {
	for {
		var gids []int64
		for _, vid := range vids {
			gids = append(gids, b.byVid[vid].gid)
		}
		keys := make([]int64, len(gids))
		for i, g := range gids {
			keys[i] = groupKey(g)
		}
		if err := b.lock(keys...); err != nil {
			return err
		}
		rows, _ := b.tx.Query(b.ctx, `SELECT vid, gid FROM visitors WHERE vid = ANY($1)`, vids)
		moved := false
		var vid, gid int64
		if _, err := pgx.ForEachRow(rows, []any{&vid, &gid}, func() error {
			if v := b.byVid[vid]; v.gid != gid {
				v.gid, moved = gid, true
			}
			return nil
		}); err != nil {
			return err
		}
		if !moved {
			return b.readVersions(gids)
		}
	}
}

// readVersions reads the versions of groups just locked and drops the
// cached ones another writer changed.
func (b *batch) readVersions(gids []int64) error {
	var want []int64
	for _, g := range gids {
		if _, ok := b.versions[g]; !ok {
			b.versions[g] = 0
			want = append(want, g)
		}
	}
	if len(want) > 0 {
		rows, _ := b.tx.Query(b.ctx, `SELECT gid, version FROM groups WHERE gid = ANY($1)`, want)
		var gid, version int64
		if _, err := pgx.ForEachRow(rows, []any{&gid, &version}, func() error {
			b.versions[gid] = version
			return nil
		}); err != nil {
			return err
		}
	}
	for _, g := range want {
		if c := b.m.groups.Get(g); c != nil && c.version != b.versions[g] {
			b.m.groups.Remove(c)
		}
	}
	return nil
}

// resolveLabels finds or adds the label sets of impressions and of clicks
// that name their labels.
func (b *batch) resolveLabels([]tracker.Event) error { return credit.ResolveLabels(b.evs, b.labelSet) }

func (b *batch) labelSet(sid int64, names []string) (credit.LabelSet, error) {
	lids := make([]int64, len(names))
	for i, name := range names {
		k := nameKey{sid, name}
		lid, ok := b.m.labels[k]
		if !ok {
			err := b.upsert(&lid, `INSERT INTO labels (sid, name) VALUES ($1, $2) ON CONFLICT (sid, name) DO NOTHING RETURNING lid`,
				`SELECT lid FROM labels WHERE sid = $1 AND name = $2`, sid, name)
			if err != nil {
				return 0, err
			}
			b.m.labels[k] = lid
		}
		lids[i] = lid
	}
	k := nameKey{sid, fmt.Sprint(lids)}
	if ls, ok := b.m.labelSets[k]; ok {
		return ls, nil
	}
	var ls int64
	err := b.upsert(&ls, `INSERT INTO labelsets (sid, lids) VALUES ($1, $2) ON CONFLICT (sid, lids) DO NOTHING RETURNING ls`,
		`SELECT ls FROM labelsets WHERE sid = $1 AND lids = $2`, sid, lids)
	if err != nil {
		return 0, err
	}
	b.m.labelSets[k] = credit.LabelSet(ls)
	b.m.setLids[credit.LabelSet(ls)] = lids
	return credit.LabelSet(ls), nil
}

// upsert scans into id what insert returns, or, when the row was there
// already (committed by another writer a moment ago, which a statement's
// own snapshot may not see), what a fresh query for it finds.
func (b *batch) upsert(id *int64, insert, query string, args ...any) error {
	err := b.tx.QueryRow(b.ctx, insert, args...).Scan(id)
	if errors.Is(err, pgx.ErrNoRows) {
		err = b.tx.QueryRow(b.ctx, query, args...).Scan(id)
	}
	return err
}

// lids returns the labels of a label set.
func (b *batch) lids(ls credit.LabelSet) []int64 {
	if ls == 0 {
		return nil
	}
	if lids, ok := b.m.setLids[ls]; ok {
		return lids
	}
	var lids []int64
	if err := b.tx.QueryRow(b.ctx, `SELECT lids FROM labelsets WHERE ls = $1`, int64(ls)).Scan(&lids); err == nil {
		b.m.setLids[ls] = lids
	}
	return lids
}

// copies decides, for the sales of the batch, which copy of each sale ID
// counts: the earliest, whether stored already or new. The sales table
// holds the counted copy of each sale ID, its rows locked while a batch
// decides.
func (b *batch) copies() error {
	best, ids := credit.CountingCopies(b.evs)
	for sid, sales := range ids {
		type stored struct {
			sale, eid string
			t         int64
		}
		rows, _ := b.tx.Query(b.ctx, `SELECT sale, eid, t FROM sales WHERE sid = $1 AND sale = ANY($2) ORDER BY sale FOR UPDATE`, sid, sales)
		have, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (stored, error) {
			var s stored
			return s, r.Scan(&s.sale, &s.eid, &s.t)
		})
		if err != nil {
			return err
		}
		found := make(map[string]bool)
		for _, h := range have {
			found[h.sale] = true
			k := credit.SaleKey{Store: sid, Sale: h.sale}
			p := best[k]
			if !credit.Counts(credit.Micros(p.Event.Time), p.Event.ID, h.t, h.eid) {
				delete(best, k) // the stored copy keeps counting
				continue
			}
			if err := b.uncount(sid, h.eid, h.t); err != nil {
				return err
			}
			if _, err := b.tx.Exec(b.ctx, `UPDATE sales SET eid = $3, t = $4 WHERE sid = $1 AND sale = $2`,
				sid, h.sale, p.Event.ID, credit.Micros(p.Event.Time)); err != nil {
				return err
			}
		}
		var add []*pending
		for _, sale := range sales {
			if p := best[credit.SaleKey{Store: sid, Sale: sale}]; p != nil && !found[sale] {
				add = append(add, p)
			}
		}
		if len(add) > 0 {
			sl, eids, ts := make([]string, len(add)), make([]string, len(add)), make([]int64, len(add))
			for i, p := range add {
				sl[i], eids[i], ts[i] = p.Event.Sale, p.Event.ID, credit.Micros(p.Event.Time)
			}
			tag, err := b.tx.Exec(b.ctx, `INSERT INTO sales (sid, sale, eid, t) SELECT $1, * FROM unnest($2::text[], $3::text[], $4::bigint[])
				ON CONFLICT (sid, sale) DO NOTHING`, sid, sl, eids, ts)
			if err != nil {
				return err
			}
			if tag.RowsAffected() != int64(len(add)) {
				return errConflict // another writer added one of these sales meanwhile
			}
		}
	}
	for _, p := range best {
		p.Counts = true
	}
	return nil
}

// uncount makes a stored copy of a sale stop counting: out of its group and
// of the counters.
func (b *batch) uncount(sid int64, eid string, t int64) error {
	var r row
	err := b.tx.QueryRow(b.ctx, `SELECT vid, lines, credit FROM events WHERE sid = $1 AND eid = $2 AND t = $3`, sid, eid, t).
		Scan(&r.vid, &r.lines, &r.credit)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil // purged: its counters went with it
	}
	if err != nil {
		return err
	}
	if r.vid != nil {
		// Its group may be another writer's at this moment.
		v, err := b.visitorByVid(*r.vid)
		if err != nil {
			return err
		}
		if err := b.lockGroupsOf([]int64{v.vid}); err != nil {
			return err
		}
		if g := b.m.groups.Get(v.gid); g != nil {
			g.g.RemoveSale(credit.Mark{Time: t, ID: eid})
			b.touched[g] = true
		} else {
			b.bump(v.gid, sid)
		}
	}
	if r.lines != nil {
		r.eid, r.t = eid, t
		s, err := r.sale(nil, sid)
		if err != nil {
			return err
		}
		b.c.CountSale(sid, t, s.Lines, s.Credit, b.lids, -1)
	}
	_, err = b.tx.Exec(b.ctx, `UPDATE events SET counted = false WHERE sid = $1 AND eid = $2 AND t = $3`, sid, eid, t)
	return err
}

// visitorByVid returns the batch's record of a visitor, reading it.
func (b *batch) visitorByVid(vid int64) (*visitor, error) {
	if v := b.byVid[vid]; v != nil {
		return v, nil
	}
	v := &visitor{vid: vid}
	if err := b.tx.QueryRow(b.ctx, `SELECT sid, gid, xid FROM visitors WHERE vid = $1`, vid).Scan(&v.sid, &v.gid, &v.xid); err != nil {
		return nil, err
	}
	b.byVid[vid] = v
	b.visitors[nameKey{v.sid, v.xid}] = v
	return v, nil
}

// bumps holds groups whose version must move though the batch does not
// hold them.
func (b *batch) bump(gid, sid int64) {
	g := b.m.groups.Get(gid)
	if g == nil {
		g = &group{gid: gid, sid: sid} // not cached: only its version moves
	}
	b.touched[g] = true
}

// apply adds the batch's impressions, clicks and counted sales to their
// groups, each group first brought back as far as its events need.
func (b *batch) apply() error {
	byGroup := make(map[int64][]*pending)
	var order []int64
	for _, p := range b.evs {
		if !p.Grouped() {
			continue
		}
		if _, ok := byGroup[p.v.gid]; !ok {
			order = append(order, p.v.gid)
		}
		byGroup[p.v.gid] = append(byGroup[p.v.gid], p)
		b.groupSids[p.v.gid] = p.Store
	}
	if err := b.cacheGroups(order); err != nil {
		return err
	}
	needs := make(map[*group]int64)
	for _, gid := range order {
		g := b.m.groups.Get(gid)
		needs[g] = credit.NeedFor(g.g, byGroup[gid], &b.m.products)
	}
	if err := b.ensure(needs); err != nil {
		return err
	}
	for _, gid := range order {
		g := b.m.groups.Get(gid)
		b.touched[g] = true
		credit.AddTo(g.g, byGroup[gid], &b.m.products, &b.ch)
	}
	return nil
}

// cacheGroups makes sure the groups are cached, with their members; a group
// not cached yet holds none of its events until ensure brings them.
func (b *batch) cacheGroups(gids []int64) error {
	var missing []int64
	for _, gid := range gids {
		if b.m.groups.Get(gid) == nil {
			missing = append(missing, gid)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	members := make(map[int64][]int64)
	rows, _ := b.tx.Query(b.ctx, `SELECT gid, vid FROM visitors WHERE gid = ANY($1)`, missing)
	var gid, vid int64
	if _, err := pgx.ForEachRow(rows, []any{&gid, &vid}, func() error {
		members[gid] = append(members[gid], vid)
		return nil
	}); err != nil {
		return err
	}
	for _, gid := range missing {
		b.m.cache(gid, b.groupSids[gid], b.versions[gid], members[gid], credit.NewGroup(b.m.rules, math.MaxInt64))
	}
	return nil
}

// ensure brings each group the events of its visitors from its need
// onwards, in one query for all of them.
func (b *batch) ensure(needs map[*group]int64) error {
	var vids, los, his []int64
	owner := make(map[int64]*group)
	for g, need := range needs {
		low := g.g.Low()
		if need >= low {
			continue
		}
		for _, vid := range g.members {
			vids, los, his = append(vids, vid), append(los, need), append(his, low)
			owner[vid] = g
		}
	}
	if len(vids) == 0 {
		return nil
	}
	type loaded struct {
		imps   []credit.Impression
		clicks []credit.Click
		sales  []credit.Sale
	}
	got := make(map[*group]*loaded)
	rows, _ := b.tx.Query(b.ctx, `SELECT e.vid, e.kind, e.t, e.eid, e.item, e.labels, e.given, e.from_t, e.from_id, e.products, e.lines, e.credit, e.counted
		FROM unnest($1::bigint[], $2::bigint[], $3::bigint[]) AS w(vid, lo, hi)
		JOIN LATERAL (SELECT * FROM events e WHERE e.vid = w.vid AND e.t >= w.lo AND e.t < w.hi AND e.kind IN (1, 2, 3)) e ON true`,
		vids, los, his)
	var r row
	_, err := pgx.ForEachRow(rows, []any{&r.vid, &r.kind, &r.t, &r.eid, &r.item, &r.labels, &r.given, &r.fromT, &r.fromID, &r.prods, &r.lines, &r.credit, &r.counted},
		func() error {
			g := owner[*r.vid]
			l := got[g]
			if l == nil {
				l = &loaded{}
				got[g] = l
			}
			switch tracker.Kind(r.kind) {
			case tracker.KindImpression:
				if r.prods != nil {
					l.imps = append(l.imps, r.impression(b.m, g.sid))
				}
			case tracker.KindClick:
				if r.item != nil {
					c := r.click(b.m, g.sid)
					c.Ref = b.s.refs.Add(1)
					l.clicks = append(l.clicks, c)
				}
			case tracker.KindSale:
				if r.counted != nil && *r.counted && r.lines != nil {
					s, err := r.sale(b.m, g.sid)
					if err != nil {
						return err
					}
					s.Ref = b.s.refs.Add(1)
					l.sales = append(l.sales, s)
				}
			}
			return nil
		})
	if err != nil {
		return err
	}
	for g, need := range needs {
		if need >= g.g.Low() {
			continue
		}
		l := got[g]
		if l == nil {
			l = &loaded{}
		}
		g.g.Extend(need, l.imps, l.clicks, l.sales)
	}
	return nil
}

// persist writes the batch: its events, what changed among stored clicks
// and sales, the counters, and the groups' versions.
func (b *batch) persist() error {
	rows := make([][]any, 0, len(b.evs))
	for _, p := range b.evs {
		rows = append(rows, b.row(p))
	}
	if _, err := b.tx.CopyFrom(b.ctx, pgx.Identifier{"events"}, eventColumns, pgx.CopyFromRows(rows)); err != nil {
		return err
	}
	if err := b.persistChanges(); err != nil {
		return err
	}
	if err := b.visitorDays(); err != nil {
		return err
	}
	return b.bumpVersions()
}

// visitorDays notes which visitors had an event on which day.
func (b *batch) visitorDays() error {
	type day struct{ sid, day, vid int64 }
	seen := make(map[day]bool)
	var sids, days, vids []int64
	for _, p := range b.evs {
		d := day{p.Store, credit.Day(credit.Micros(p.Event.Time)), p.v.vid}
		if !seen[d] {
			seen[d] = true
			sids, days, vids = append(sids, d.sid), append(days, d.day), append(vids, d.vid)
		}
	}
	_, err := b.tx.Exec(b.ctx, `INSERT INTO visitor_days (sid, day, vid) SELECT * FROM unnest($1::bigint[], $2::int[], $3::bigint[])
		ORDER BY 1, 2, 3 ON CONFLICT DO NOTHING`, sids, days, vids)
	return err
}

var eventColumns = []string{"sid", "eid", "t", "kind", "vid", "item", "api", "labels", "given", "position", "external",
	"products", "from_t", "from_id", "lines", "credit", "counted", "results"}

// row is p's events row; it counts what p adds.
func (b *batch) row(p *pending) []any {
	e, t := p.Event, credit.Micros(p.Event.Time)
	r := []any{p.Store, e.ID, t, int16(e.Kind), p.v.vid, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil}
	switch e.Kind {
	case tracker.KindImpression:
		r[5], r[6], r[7], r[11] = orNil(e.Query), e.API, int64(p.Labels), e.Products
		b.c.Impression(p.Store, t, b.lids(p.Labels), len(e.Products), +1)
	case tracker.KindClick:
		c := &p.Click
		if cc := b.ch.Clicks[p.Ref]; cc != nil {
			c = &cc.Click
		}
		r[5], r[6], r[7], r[8], r[9], r[10] = e.Product, orNil(e.API), orNil(int64(c.Credit)), orNil(int64(c.Given)), orNil(int32(e.Position)), orNil(e.External)
		if !c.From.IsZero() {
			r[12], r[13] = c.From.Time, c.From.ID
		}
		b.c.Click(p.Store, t, b.lids(c.Credit), +1)
	case tracker.KindView:
		r[5] = e.Product
	case tracker.KindCategory:
		r[5] = e.Category
	case tracker.KindSearch:
		r[5] = e.Query
		if e.Results != nil {
			r[17] = int32(*e.Results)
		}
	case tracker.KindEmail:
		r[5] = e.Email
	case tracker.KindSale:
		r[5], r[14], r[16] = e.Sale, encodeLines(e.Lines), p.Counts
		if p.Counts {
			sl := &p.Sale
			if sc := b.ch.Sales[p.Ref]; sc != nil {
				sl = &sc.Sale
			}
			r[15] = encodeCredit(sl.Credit)
			b.c.CountSale(p.Store, t, sl.Lines, sl.Credit, b.lids, +1)
		}
	}
	return r
}

// sidOf returns the store of a visitor of a group the batch holds.
func (b *batch) sidOf(vid int64) int64 {
	if v := b.byVid[vid]; v != nil {
		return v.sid
	}
	for g := range b.touched {
		if slices.Contains(g.members, vid) {
			return g.sid
		}
	}
	return 0
}

// persistChanges writes what changed among stored clicks and sales, and
// the counters.
func (b *batch) persistChanges() error {
	var (
		sids, ts, ls, fts []int64
		eids, fids        []string
	)
	for ref, cc := range b.ch.Clicks {
		if b.isNew(ref) {
			continue // a click of this batch: inserted as it ended up
		}
		c := &cc.Click
		sid := b.sidOf(c.Visitor)
		if c.Credit != cc.Old {
			b.c.Click(sid, c.Time, b.lids(cc.Old), -1)
			b.c.Click(sid, c.Time, b.lids(c.Credit), +1)
		}
		sids, eids, ts, ls, fts, fids = append(sids, sid), append(eids, c.ID), append(ts, c.Time), append(ls, int64(c.Credit)),
			append(fts, c.From.Time), append(fids, c.From.ID)
	}
	if len(sids) > 0 {
		if _, err := b.tx.Exec(b.ctx, `UPDATE events SET labels = nullif(x.ls, 0), from_t = x.ft, from_id = nullif(x.fid, '')
			FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[], $6::text[]) AS x(sid, eid, t, ls, ft, fid)
			WHERE events.sid = x.sid AND events.eid = x.eid AND events.t = x.t`, sids, eids, ts, ls, fts, fids); err != nil {
			return err
		}
	}
	sids, eids, ts = sids[:0], eids[:0], ts[:0]
	var credits []string
	for ref, sc := range b.ch.Sales {
		if b.isNew(ref) {
			continue
		}
		s := &sc.Sale
		sid := b.sidOf(s.Visitor)
		b.c.CountSale(sid, s.Time, s.Lines, sc.Old, b.lids, -1)
		b.c.CountSale(sid, s.Time, s.Lines, s.Credit, b.lids, +1)
		sids, eids, ts, credits = append(sids, sid), append(eids, s.ID), append(ts, s.Time), append(credits, string(encodeCredit(s.Credit)))
	}
	if len(sids) > 0 {
		if _, err := b.tx.Exec(b.ctx, `UPDATE events SET credit = x.credit::jsonb
			FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::text[]) AS x(sid, eid, t, credit)
			WHERE events.sid = x.sid AND events.eid = x.eid AND events.t = x.t`, sids, eids, ts, credits); err != nil {
			return err
		}
	}
	return writeTally(b.ctx, b.tx, b.s.shard, b.c)
}

// writeTally adds what a tally counted to this Store's shard of the
// counters.
func writeTally(ctx context.Context, tx pgx.Tx, shard int16, c *credit.Tally) error {
	var sid, hour, lid, calls, imps, clicks, orders, revenue []int64
	for k, v := range c.Labels {
		if *v != (credit.LabelCounts{}) {
			sid, hour, lid = append(sid, k.Store), append(hour, k.Hour), append(lid, k.Label)
			calls, imps, clicks, orders, revenue = append(calls, v.Calls), append(imps, v.Impressions), append(clicks, v.Clicks),
				append(orders, v.Orders), append(revenue, v.Revenue)
		}
	}
	if len(sid) > 0 {
		if _, err := tx.Exec(ctx, `INSERT INTO label_hours (sid, hour, lid, shard, calls, impressions, clicks, orders, revenue)
			SELECT s, h, l, $9, c, i, k, o, r FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[], $8::bigint[])
				AS x(s, h, l, c, i, k, o, r)
			ORDER BY s, h, l
			ON CONFLICT (sid, hour, lid, shard) DO UPDATE SET calls = label_hours.calls + excluded.calls,
				impressions = label_hours.impressions + excluded.impressions, clicks = label_hours.clicks + excluded.clicks,
				orders = label_hours.orders + excluded.orders, revenue = label_hours.revenue + excluded.revenue`,
			sid, hour, lid, calls, imps, clicks, orders, revenue, shard); err != nil {
			return err
		}
	}
	var cl, im, ck, or, rv, ip, ir []int64
	sid, hour = sid[:0], hour[:0]
	for k, v := range c.Stores {
		if *v != (credit.StoreCounts{}) {
			sid, hour = append(sid, k.Store), append(hour, k.Hour)
			cl, im, ck, or = append(cl, v.Calls), append(im, v.Impressions), append(ck, v.Clicks), append(or, v.Orders)
			rv, ip, ir = append(rv, v.Revenue), append(ip, v.Impacted), append(ir, v.ImpactedRevenue)
		}
	}
	if len(sid) == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, `INSERT INTO store_hours (sid, hour, shard, calls, impressions, clicks, orders, revenue, impacted, impacted_revenue)
		SELECT s, h, $10, c, i, k, o, r, ip, ir
		FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[], $8::bigint[], $9::bigint[])
			AS x(s, h, c, i, k, o, r, ip, ir)
		ORDER BY s, h
		ON CONFLICT (sid, hour, shard) DO UPDATE SET calls = store_hours.calls + excluded.calls,
			impressions = store_hours.impressions + excluded.impressions, clicks = store_hours.clicks + excluded.clicks,
			orders = store_hours.orders + excluded.orders, revenue = store_hours.revenue + excluded.revenue,
			impacted = store_hours.impacted + excluded.impacted, impacted_revenue = store_hours.impacted_revenue + excluded.impacted_revenue`,
		sid, hour, cl, im, ck, or, rv, ip, ir, shard)
	return err
}

// bumpVersions moves the versions of the groups the batch changed, and
// keeps them with the cached groups.
func (b *batch) bumpVersions() error {
	if len(b.touched) == 0 {
		return nil
	}
	gids := make([]int64, 0, len(b.touched))
	for g := range b.touched {
		gids = append(gids, g.gid)
	}
	slices.Sort(gids)
	gids = slices.Compact(gids)
	rows, _ := b.tx.Query(b.ctx, `INSERT INTO groups (gid, version) SELECT unnest($1::bigint[]), 1
		ON CONFLICT (gid) DO UPDATE SET version = groups.version + 1 RETURNING gid, version`, gids)
	var gid, version int64
	_, err := pgx.ForEachRow(rows, []any{&gid, &version}, func() error {
		if g := b.m.groups.Get(gid); g != nil {
			g.version = version
		}
		return nil
	})
	return err
}

// done makes what the committed batch did the cache's state.
func (b *batch) done() {
	m := b.m
	horizon := max(m.rules.LookbackMicros(), m.rules.WindowMicros()) + int64(3600e6)
	for g := range b.touched {
		if m.groups.Get(g.gid) != g {
			continue
		}
		if low, cut := g.g.Low(), g.g.Newest()-horizon; low != math.MaxInt64 && cut-24*3600e6 > low {
			g.g.Trim(cut)
		}
		m.measure(g)
	}
	m.evict()
}
