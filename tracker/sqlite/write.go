package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/visitrack/visitrack/tracker"
	"github.com/visitrack/visitrack/tracker/credit"
)

// write stores accepted events in one transaction.
func (s *Store) write(ctx context.Context, events []tracker.Event) (err error) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.closed() {
		return ErrClosed
	}
	tx, err := s.begin(ctx)
	if err != nil {
		return err
	}
	b := newBatch(ctx, s, tx)
	defer func() {
		if err != nil {
			tx.Rollback()
			// The cache may hold what the transaction did: start over from
			// the file. What is dirty lives in s.heads, untouched.
			if rerr := s.mem.reload(context.WithoutCancel(ctx)); rerr != nil {
				err = errors.Join(err, rerr)
			}
		}
	}()
	if err := b.run(events); err != nil {
		return err
	}
	if s.failWrite != nil {
		return s.failWrite
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	b.done()
	return nil
}

// batch is one Write's transaction and what it has worked out so far.
type batch struct {
	ctx context.Context
	s   *Store
	m   *memory
	tx  *wtx
	txs map[string]*sql.Stmt // single statements bound to tx

	firstRid                                            int64 // rids from here on are this batch's
	nextRid, nextVid, nextIid, nextLs, nextLid, nextSid int64

	evs     []*pending
	c       *credit.Tally
	ch      credit.Changes
	links   []any              // rows for the links upsert
	idents  []*identUse        // identities whose count changed
	iids    map[int64]identKey // identities the batch looked up
	touched map[*visitor]chainHeads
}

// pending is one new event of the batch: what the rules see of it, and
// its visitor's record.
type pending struct {
	credit.Pending
	v *visitor
}

type identUse struct {
	id  *identity
	key identKey
}

func newBatch(ctx context.Context, s *Store, tx *wtx) *batch {
	m := s.mem
	return &batch{ctx: ctx, s: s, m: m, tx: tx, txs: make(map[string]*sql.Stmt), c: credit.NewTally(),
		firstRid: m.nextRid, nextRid: m.nextRid, nextVid: m.nextVid, nextIid: m.nextIid, nextLs: m.nextLs,
		nextLid: m.nextLid, nextSid: m.nextSid, touched: make(map[*visitor]chainHeads), iids: make(map[int64]identKey)}
}

// stmt returns the single statement q bound to the transaction.
func (b *batch) stmt(q string) *sql.Stmt {
	st := b.txs[q]
	if st == nil {
		st = b.s.st.in(b.ctx, b.tx.Tx, q)
		b.txs[q] = st
	}
	return st
}

func (b *batch) run(events []tracker.Event) error {
	b.touched = make(map[*visitor]chainHeads, len(events)) // an entry per visitor: at most one per event
	b.evs = make([]*pending, 0, len(events))
	if err := b.accept(events); err != nil || len(b.evs) == 0 {
		return err
	}
	for _, step := range []func() error{b.resolveVisitors, b.resolveLabels, b.copies, b.link, b.apply, b.persist} {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

// accept keeps the events the store does not have yet, in the order they
// came, and gives each its rid.
func (b *batch) accept(events []tracker.Event) error {
	type key struct {
		sid int64
		eid string
	}
	seen := make(map[key]bool, len(events))
	ids := make(map[int64][]string)
	// One allocation for the batch's records rather than one each.
	slab := make([]pending, 0, len(events))
	for i := range events {
		e := &events[i]
		if credit.Micros(e.Time) < b.m.cut {
			continue // older than the last purge: not stored again
		}
		sid, err := b.sid(e.Store)
		if err != nil {
			return err
		}
		k := key{sid, e.ID}
		if seen[k] {
			continue
		}
		seen[k] = true
		ids[sid] = append(ids[sid], e.ID)
		slab = append(slab, pending{Pending: credit.Pending{Event: e, Store: sid}})
		b.evs = append(b.evs, &slab[len(slab)-1])
	}
	known := make(map[key]bool)
	for sid, eids := range ids {
		rows, err := b.stmt(qKnownIDs).QueryContext(b.ctx, sid, jsonStrings(eids))
		if err != nil {
			return err
		}
		for rows.Next() {
			var eid string
			if err := rows.Scan(&eid); err != nil {
				rows.Close()
				return err
			}
			known[key{sid, eid}] = true
		}
		if err := rows.Close(); err != nil {
			return err
		}
	}
	kept := b.evs[:0]
	for _, p := range b.evs {
		if !known[key{p.Store, p.Event.ID}] {
			p.Ref = b.nextRid
			b.nextRid++
			kept = append(kept, p)
		}
	}
	b.evs = kept
	return nil
}

// sid returns the ID of a store name, adding the store.
func (b *batch) sid(name string) (int64, error) {
	if sid, ok := b.m.sids[name]; ok {
		return sid, nil
	}
	sid := b.nextSid
	if _, err := b.tx.ExecContext(b.ctx, `INSERT INTO stores (sid, name) VALUES (?, ?)`, sid, name); err != nil {
		return 0, err
	}
	b.nextSid++
	b.m.sids[name] = sid
	return sid, nil
}

// resolveVisitors finds or adds the visitor of every event.
func (b *batch) resolveVisitors() error {
	missing := make(map[int64][]string)
	for _, p := range b.evs {
		if v := b.m.visitor(p.Store, p.Event.Visitor); v != nil {
			p.v = v
		} else if !slices.Contains(missing[p.Store], p.Event.Visitor) {
			missing[p.Store] = append(missing[p.Store], p.Event.Visitor)
		}
	}
	var added []any
	for sid, xids := range missing {
		vs, err := queryVisitors(b.ctx, b.tx, qVisitors, sid, jsonStrings(xids))
		if err != nil {
			return err
		}
		found := make(map[string]bool, len(vs))
		for _, v := range vs {
			b.m.adopt(v)
			found[v.xid] = true
		}
		for _, xid := range xids {
			if found[xid] {
				continue
			}
			v := &visitor{vid: b.nextVid, sid: sid, xid: strings.Clone(xid), gid: b.nextVid, heads: noHeads}
			b.nextVid++
			b.m.adopt(v)
			// A visitor new to the store has no events anywhere: its group
			// holds all of them.
			b.m.cache(v.gid, sid, []*visitor{v}, credit.NewGroup(b.m.rules, credit.All))
			added = append(added, v.vid, sid, xid, v.gid)
		}
	}
	if err := b.tx.exec(b.ctx, &b.s.st.insVisitors, added); err != nil {
		return err
	}
	for _, p := range b.evs {
		if p.v == nil {
			p.v = b.m.visitor(p.Store, p.Event.Visitor)
		}
		p.Visitor = p.v.vid
	}
	return nil
}

// resolveLabels finds or adds the label sets of impressions and of clicks
// that name their labels.
func (b *batch) resolveLabels() error { return credit.ResolveLabels(b.evs, b.labelSet) }

func (b *batch) labelSet(sid int64, names []string) (credit.LabelSet, error) {
	lids := make([]int64, len(names))
	for i, name := range names {
		lid, err := b.label(sid, name)
		if err != nil {
			return 0, err
		}
		lids[i] = lid
	}
	k := labelSetKey{sid, string(mustJSON(lids))}
	if ls, ok := b.m.labelSets[k]; ok {
		return ls, nil
	}
	var ls int64
	err := b.stmt(qLabelSets).QueryRowContext(b.ctx, sid, `[`+quoteJSON(k.lids)+`]`).Scan(&ls, new(string))
	if errors.Is(err, sql.ErrNoRows) {
		ls = b.nextLs
		if _, err = b.stmt(qAddLabelSet).ExecContext(b.ctx, ls, sid, k.lids); err == nil {
			b.nextLs++
		}
	}
	if err != nil {
		return 0, err
	}
	b.m.labelSets[k] = credit.LabelSet(ls)
	b.m.setLids[credit.LabelSet(ls)] = lids
	return credit.LabelSet(ls), nil
}

func quoteJSON(s string) string { return string(appendString(nil, s)) }

func (b *batch) label(sid int64, name string) (int64, error) {
	k := labelKey{sid, name}
	if lid, ok := b.m.labels[k]; ok {
		return lid, nil
	}
	var lid int64
	err := b.stmt(qLabels).QueryRowContext(b.ctx, sid, `[`+quoteJSON(name)+`]`).Scan(&lid, new(string))
	if errors.Is(err, sql.ErrNoRows) {
		lid = b.nextLid
		if _, err = b.stmt(qAddLabel).ExecContext(b.ctx, lid, sid, name); err == nil {
			b.nextLid++
		}
	}
	if err != nil {
		return 0, err
	}
	b.m.labels[k] = lid
	return lid, nil
}

// lids returns the labels of a label set.
func (b *batch) lids(ls credit.LabelSet) []int64 {
	return labelSetLids(b.m.setLids, ls, func(ls int64) *sql.Row { return b.stmt(qLabelSet).QueryRowContext(b.ctx, ls) })
}

// labelSetLids returns the labels of a label set from cache, or read by
// row (a query for the set's lids) and kept in cache.
func labelSetLids(cache map[credit.LabelSet][]int64, ls credit.LabelSet, row func(ls int64) *sql.Row) []int64 {
	if ls == 0 {
		return nil
	}
	if lids, ok := cache[ls]; ok {
		return lids
	}
	var s string
	var lids []int64
	if err := row(int64(ls)).Scan(&s); err == nil && jsonUnmarshal(s, &lids) == nil {
		cache[ls] = lids
	}
	return lids
}

// copies decides, for the sales of the batch, which copy of each sale ID
// counts: the earliest, whether stored already or new. A stored copy that
// stops counting is taken out of its group and of the counters at once.
func (b *batch) copies() error {
	best, ids := credit.CountingCopies(b.evs)
	for sid, sales := range ids {
		rows, err := b.stmt(qCopies).QueryContext(b.ctx, sid, jsonStrings(sales))
		stored, err := collect(rows, err, func(rows *sql.Rows, r *eventRow) error {
			return rows.Scan(&r.rid, &r.eid, &r.t, &r.vid, &r.item, &r.detail, &r.credit)
		})
		if err != nil {
			return err
		}
		for _, r := range stored {
			k := credit.SaleKey{Store: sid, Sale: r.item.String}
			p := best[k]
			if !credit.Counts(credit.Micros(p.Event.Time), p.Event.ID, r.t, r.eid) {
				delete(best, k) // the stored copy keeps counting
				continue
			}
			if err := b.uncount(sid, &r); err != nil {
				return err
			}
		}
	}
	for _, p := range best {
		p.Counts = true
	}
	return nil
}

// uncount makes a stored copy of a sale stop counting.
func (b *batch) uncount(sid int64, r *eventRow) error {
	r.kind, r.counted = kindSale, sql.NullInt64{Int64: 1, Valid: true}
	if r.detail.Valid { // not a tombstone
		s, err := r.sale(nil, sid)
		if err != nil {
			return err
		}
		b.c.CountSale(sid, r.t, s.Lines, s.Credit, b.lids, -1)
		if v := b.m.byVid[r.vid.Int64]; r.vid.Valid && v != nil && v.group != nil {
			v.group.g.RemoveSale(s.Mark())
		}
		delete(b.ch.Sales, r.rid)
	}
	_, err := b.stmt(qSetSale).ExecContext(b.ctx, r.credit, 0, r.rid)
	return err
}

// apply adds the batch's impressions, clicks and counted sales to their
// groups, each group first brought back as far as its events need.
func (b *batch) apply() error {
	byGroup := make(map[*group][]*pending)
	var order []*group
	for _, p := range b.evs {
		if !p.Grouped() {
			continue
		}
		g, err := b.m.groupOf(b.ctx, b.tx, p.v)
		if err != nil {
			return err
		}
		if _, ok := byGroup[g]; !ok {
			order = append(order, g)
		}
		byGroup[g] = append(byGroup[g], p)
	}
	for _, g := range order {
		ps := byGroup[g]
		if err := b.ensure(g, credit.NeedFor(g.g, ps, &b.m.products)); err != nil {
			return err
		}
		credit.AddTo(g.g, ps, &b.m.products, &b.ch)
	}
	return nil
}

// ensure brings g the events of its visitors from need onwards, walking
// each member's credit chain back from its head.
func (b *batch) ensure(g *group, need int64) error {
	low := g.g.Low()
	if need >= low {
		return nil
	}
	var (
		imps   []credit.Impression
		clicks []credit.Click
		sales  []credit.Sale
	)
	row := b.stmt(qRow)
	for _, v := range g.members {
		for rid := v.heads.lastC; rid != 0; {
			r := eventRow{rid: rid}
			if err := row.QueryRowContext(b.ctx, rid).Scan(&r.eid, &r.kind, &r.t, &r.vid, &r.prev, &r.pmax,
				&r.item, &r.ls, &r.detail, &r.credit, &r.counted); err != nil {
				if errors.Is(err, sql.ErrNoRows) {
					break // purged: the rest of the chain is older still
				}
				return err
			}
			b.m.loads++
			if r.vid.Int64 != v.vid || r.pmax.Int64 < need {
				break
			}
			if r.t >= need && r.t < low {
				if err := r.decodeInto(b.m, g.sid, &imps, &clicks, &sales); err != nil {
					return err
				}
			}
			rid = r.prev.Int64
		}
	}
	g.g.Extend(need, imps, clicks, sales)
	return nil
}

// persist writes the batch: its events with their chains, what changed
// among stored clicks and sales, the counters and the IDs handed out.
func (b *batch) persist() error {
	// The values go into a slice the writer keeps between batches, cleared
	// after use so that no event's values (emails among them) outlive it.
	args := slices.Grow(b.s.rowArgs[:0], eventCols*len(b.evs))
	defer func() {
		clear(args[:cap(args)])
		b.s.rowArgs = args[:0]
	}()
	for _, p := range b.evs {
		args = b.row(args, p)
	}
	if err := b.tx.exec(b.ctx, &b.s.st.insEvents, args); err != nil {
		return err
	}
	if err := b.tx.exec(b.ctx, &b.s.st.days, b.days(args[:0])); err != nil {
		return err
	}
	if err := b.persistChanges(); err != nil {
		return err
	}
	for name, v := range map[string]int64{"next_rid": b.nextRid, "next_vid": b.nextVid} {
		if _, err := b.stmt(qSetMeta).ExecContext(b.ctx, v, name); err != nil {
			return err
		}
	}
	return nil
}

// days appends the visitor_days rows the batch adds, each keyed by the
// event that adds it. A visitor's heads hold the newest day it has a row
// for, so that its further events that day, the common case, cost no
// write. It runs after row, which has every visitor of the batch in
// b.touched.
func (b *batch) days(args []any) []any {
	type day struct{ sid, day, vid int64 }
	seen := make(map[day]bool)
	for _, p := range b.evs {
		d := day{p.Store, credit.Day(credit.Micros(p.Event.Time)), p.v.vid}
		h := b.touched[p.v]
		if (h.hasDay && d.day == h.day) || seen[d] {
			continue
		}
		seen[d] = true
		args = append(args, d.sid, d.day, p.Ref, d.vid)
		h.sawDay(d.day)
		b.touched[p.v] = h
	}
	return args
}

// persistChanges writes what changed among stored clicks and sales, the
// counters and the identities' counts.
func (b *batch) persistChanges() error {
	for ref, cc := range b.ch.Clicks {
		if ref >= b.firstRid {
			continue // a click of this batch: inserted as it ended up
		}
		c := &cc.Click
		if c.Credit != cc.Old {
			sid := b.sidOf(c.Visitor)
			b.c.Click(sid, c.Time, b.lids(cc.Old), -1)
			b.c.Click(sid, c.Time, b.lids(c.Credit), +1)
		}
		if _, err := b.stmt(qSetClick).ExecContext(b.ctx, nullLS(c.Credit), c.From.Time, c.From.ID, ref); err != nil {
			return err
		}
	}
	for ref, sc := range b.ch.Sales {
		if ref >= b.firstRid {
			continue
		}
		s := &sc.Sale
		sid := b.sidOf(s.Visitor)
		b.c.CountSale(sid, s.Time, s.Lines, sc.Old, b.lids, -1)
		b.c.CountSale(sid, s.Time, s.Lines, s.Credit, b.lids, +1)
		if _, err := b.stmt(qSetSale).ExecContext(b.ctx, encodeCredit(s.Credit), 1, ref); err != nil {
			return err
		}
	}
	if err := writeTally(b.ctx, b.tx, b.s.st, b.c); err != nil {
		return err
	}
	for _, u := range b.idents {
		if _, err := b.stmt(qSetIdentity).ExecContext(b.ctx, u.id.visitors, u.id.iid); err != nil {
			return err
		}
	}
	return nil
}

// sidOf returns the store of a visitor the batch has seen.
func (b *batch) sidOf(vid int64) int64 { return b.m.byVid[vid].sid }

func nullLS(ls credit.LabelSet) sql.NullInt64 {
	return sql.NullInt64{Int64: int64(ls), Valid: ls != 0}
}

// clickDetail is what events.detail holds for a click, but for the API,
// position and external flag, which come from its event.
func (b *batch) clickDetail(c *credit.Click) clickDetail {
	d := clickDetail{Given: int64(c.Given), FromT: c.From.Time, FromID: c.From.ID}
	if c.From.IsZero() {
		d.FromT = 0
	}
	return d
}

// row appends the values of p's events row, linking it into its visitor's
// chains, and counts what it adds.
func (b *batch) row(args []any, p *pending) []any {
	e, t := p.Event, credit.Micros(p.Event.Time)
	h, ok := b.touched[p.v]
	if !ok {
		h = p.v.heads
	}
	kind := int(e.Kind)
	// Values go to the driver as themselves, nil for NULL: a sql.Null*
	// costs an allocation and a conversion per column.
	var prevC, pmaxC, prevA, pmaxA, item, ls, detail, cr, counted any
	if onCredit(kind) {
		if h.lastC != 0 {
			prevC = h.lastC
		}
		h.lastC, h.pmaxC = p.Ref, max(h.pmaxC, t)
		pmaxC = h.pmaxC
	}
	if onActivity(kind) {
		if h.lastA != 0 {
			prevA = h.lastA
		}
		h.lastA, h.pmaxA = p.Ref, max(h.pmaxA, t)
		pmaxA = h.pmaxA
	}
	b.touched[p.v] = h
	switch e.Kind {
	case tracker.KindImpression:
		ls = anyLS(p.Labels)
		if e.Query != "" {
			item = e.Query
		}
		detail = encodeImpression(e.API, e.Products)
		b.c.Impression(p.Store, t, b.lids(p.Labels), len(e.Products), +1)
	case tracker.KindClick:
		c := &p.Click
		if cc := b.ch.Clicks[p.Ref]; cc != nil {
			c = &cc.Click // changed since it was added, by a later event of the batch
		}
		item, ls = e.Product, anyLS(c.Credit)
		d := b.clickDetail(c)
		d.API, d.Position, d.External = e.API, e.Position, e.External
		if s := encodeClick(d); s.Valid {
			detail = s.String
		}
		b.c.Click(p.Store, t, b.lids(c.Credit), +1)
	case tracker.KindView:
		item = e.Product
	case tracker.KindCategory:
		item = e.Category
	case tracker.KindSearch:
		item = e.Query
		if e.Results != nil {
			detail = `{"results":` + strconv.Itoa(*e.Results) + `}`
		}
	case tracker.KindEmail:
		item = e.Email
	case tracker.KindSale:
		item = e.Sale
		detail = encodeLines(e.Lines)
		counted = int64(0)
		if p.Counts {
			sl := &p.Sale
			if sc := b.ch.Sales[p.Ref]; sc != nil {
				sl = &sc.Sale
			}
			counted = int64(1)
			cr = encodeCredit(sl.Credit).String
			b.c.CountSale(p.Store, t, sl.Lines, sl.Credit, b.lids, +1)
		}
	}
	return append(args, p.Ref, p.Store, e.ID, kind, t, p.v.vid, prevC, pmaxC, prevA, pmaxA, item, ls, detail, cr, counted)
}

// eventCols is how many values row appends.
const eventCols = 15

// anyLS is a label set as a column value: nil for none.
func anyLS(ls credit.LabelSet) any {
	if ls == 0 {
		return nil
	}
	return int64(ls)
}

// done makes what the committed batch did the writer's state.
func (b *batch) done() {
	m := b.m
	m.nextRid, m.nextVid, m.nextIid, m.nextLs, m.nextLid, m.nextSid = b.nextRid, b.nextVid, b.nextIid, b.nextLs, b.nextLid, b.nextSid
	b.s.hmu.Lock()
	for v, h := range b.touched {
		v.heads = h
		b.s.heads[v.vid] = h
	}
	dirty := len(b.s.heads)
	b.s.hmu.Unlock()
	horizon := max(m.rules.LookbackMicros(), m.rules.WindowMicros()) + credit.HourMicros
	for _, p := range b.evs {
		if g := p.v.group; g != nil {
			if low, cut := g.g.Low(), g.g.Newest()-horizon; low != math.MaxInt64 && cut-trimEvery > low {
				g.g.Trim(cut)
			}
			m.measure(g)
		}
	}
	m.evict()
	if int64(dirty)*cacheEntry > m.budget/4 {
		// Failures leave the heads dirty; the next write tries again.
		_ = b.s.flushHeads(context.WithoutCancel(b.ctx))
	}
	b.s.committed()
}

// trimEvery is how far a group's newest event moves before the group drops
// what it holds from before the lookback and window: what writes in time
// order need.
const trimEvery = credit.DayMicros

// writeTally adds what a tally counted to the counters.
func writeTally(ctx context.Context, tx *wtx, st *stmts, c *credit.Tally) error {
	args := make([]any, 0, 8*len(c.Labels))
	for k, v := range c.Labels {
		if *v != (credit.LabelCounts{}) {
			args = append(args, k.Store, k.Hour, k.Label, v.Calls, v.Impressions, v.Clicks, v.Orders, v.Revenue)
		}
	}
	if err := tx.exec(ctx, &st.labelHours, args); err != nil {
		return err
	}
	args = args[:0]
	for k, v := range c.Stores {
		if *v != (credit.StoreCounts{}) {
			args = append(args, k.Store, k.Hour, v.Calls, v.Impressions, v.Clicks, v.Orders, v.Revenue, v.Impacted, v.ImpactedRevenue)
		}
	}
	return tx.exec(ctx, &st.storeHours, args)
}
