package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/visitrack/visitrack/tracker"
)

const (
	kindImpression = int(tracker.KindImpression)
	kindClick      = int(tracker.KindClick)
	kindSale       = int(tracker.KindSale)
	kindView       = int(tracker.KindView)
	kindCategory   = int(tracker.KindCategory)
	kindSearch     = int(tracker.KindSearch)
	kindEmail      = int(tracker.KindEmail)
)

func sortStrings(s []string) { slices.Sort(s) }

// permanent marks err as one that retrying will not cure.
func permanent(err error) error { return tracker.Permanent(err) }

// eventRow is an event as it is stored.
type eventRow struct {
	id, store, visitor string
	kind               int
	time               int64
	api                sql.NullString
	labels, products   sql.NullString
	product            sql.NullString
	position           sql.NullInt64
	external           sql.NullInt64
	sale, lines        sql.NullString
	total              sql.NullInt64
	customer, email    sql.NullString
	category, query    sql.NullString
	credit             sql.NullString
	vid, rid           int64
	productList        []string
	labelList          []string
}

type storedLine struct {
	Product  string `json:"p"`
	Price    int64  `json:"m"` // micro-units
	Quantity int64  `json:"q"`
}

func str(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

func validID(s string) error {
	if strings.Contains(s, sep) {
		return fmt.Errorf("%q contains a unit separator", s)
	}
	return nil
}

func cleanLabels(labels []string) ([]string, error) {
	var out []string
	for _, l := range labels {
		if l = strings.TrimSpace(l); l != "" {
			if err := validID(l); err != nil {
				return nil, err
			}
			out = append(out, l)
		}
	}
	return out, nil
}

// from validates e and fills r.
func (r *eventRow) from(e *tracker.Event) error {
	switch {
	case e.ID == "":
		return fmt.Errorf("no ID")
	case e.Store == "":
		return fmt.Errorf("no store")
	case e.Visitor == "":
		return fmt.Errorf("no visitor")
	case !e.Kind.Valid():
		return fmt.Errorf("unknown kind %d", uint8(e.Kind))
	case e.Time.IsZero():
		return fmt.Errorf("no time")
	}
	*r = eventRow{id: e.ID, store: e.Store, visitor: e.Visitor, kind: int(e.Kind), time: micros(e.Time)}
	switch e.Kind {
	case tracker.KindImpression:
		ls, err := cleanLabels(e.Labels)
		if err != nil {
			return err
		}
		if len(ls) == 0 {
			return tracker.ErrNoLabels
		}
		for _, p := range e.Products {
			if p == "" {
				return tracker.ErrNoProduct
			}
			if err := validID(p); err != nil {
				return err
			}
		}
		r.api = str(e.API)
		r.labelList, r.productList = ls, e.Products
		r.labels = sql.NullString{String: encodeList(ls), Valid: true}
		r.products = sql.NullString{String: encodeList(e.Products), Valid: true}
	case tracker.KindClick, tracker.KindView:
		if e.Product == "" {
			return tracker.ErrNoProduct
		}
		if err := validID(e.Product); err != nil {
			return err
		}
		r.product = str(e.Product)
		r.position = sql.NullInt64{Int64: int64(e.Position), Valid: e.Position > 0}
		if e.External {
			r.external = sql.NullInt64{Int64: 1, Valid: true}
		}
		if e.Kind == tracker.KindClick {
			ls, err := cleanLabels(e.Labels)
			if err != nil {
				return err
			}
			r.api = str(e.API)
			if len(ls) > 0 {
				r.labelList = ls
				r.labels = sql.NullString{String: encodeList(ls), Valid: true}
				r.credit = r.labels
			}
		}
	case tracker.KindSale:
		if strings.TrimSpace(e.Sale) == "" {
			return tracker.ErrNoSaleID
		}
		if len(e.Lines) == 0 {
			return tracker.ErrNoLines
		}
		lines := make([]storedLine, len(e.Lines))
		var total int64
		for i, l := range e.Lines {
			switch {
			case l.ID == "":
				return tracker.ErrNoProduct
			case l.Quantity < 1:
				return tracker.ErrBadQuantity
			case math.IsNaN(l.Price) || math.IsInf(l.Price, 0) || l.Price < 0:
				return tracker.ErrBadPrice
			}
			if err := validID(l.ID); err != nil {
				return err
			}
			lines[i] = storedLine{Product: l.ID, Price: tracker.Micros(l.Price), Quantity: int64(l.Quantity)}
			total += lines[i].Price * lines[i].Quantity
			r.productList = append(r.productList, l.ID)
		}
		b, err := json.Marshal(lines)
		if err != nil {
			return err
		}
		r.sale = str(strings.TrimSpace(e.Sale))
		r.lines = sql.NullString{String: string(b), Valid: true}
		r.products = sql.NullString{String: encodeList(r.productList), Valid: true}
		r.total = sql.NullInt64{Int64: total, Valid: true}
		r.customer = str(strings.TrimSpace(e.Customer))
		r.email = str(normEmail(e.Email))
	case tracker.KindEmail:
		if r.email = str(normEmail(e.Email)); !r.email.Valid {
			return tracker.ErrBadEmail
		}
	case tracker.KindCategory:
		if r.category = str(strings.TrimSpace(e.Category)); !r.category.Valid {
			return tracker.ErrEmpty
		}
	case tracker.KindSearch:
		if r.query = str(strings.TrimSpace(e.Query)); !r.query.Valid {
			return tracker.ErrEmpty
		}
	}
	return nil
}

// normEmail is the form emails are matched on.
func normEmail(e string) string { return strings.ToLower(strings.TrimSpace(e)) }

// writeTx is one Write's transaction and what it has found to resolve.
type writeTx struct {
	ctx    context.Context
	s      *Store
	tx     *sql.Tx
	window int64
	c      *counters
	sids   map[string]int64 // stores created by this transaction
	vids   map[vidKey]int64 // visitors looked up or created by this transaction
	mem    *memIndex

	touches map[linkKey]int64 // links seen again, and when
	staged  []vixEnt          // vix entries of this batch's events
}

// touch notes that link k was seen at t; touchLinks writes it.
func (w *writeTx) touch(k linkKey, t int64) {
	if w.touches == nil {
		w.touches = make(map[linkKey]int64)
	}
	w.touches[k] = max(w.touches[k], t)
}

// touchLinks moves the time of the links seen again, in one statement.
func (w *writeTx) touchLinks() error {
	if len(w.touches) == 0 {
		return nil
	}
	arg := make([][]any, 0, len(w.touches))
	for k, t := range w.touches {
		arg = append(arg, []any{k.vid, k.key, t})
	}
	clear(w.touches)
	j, err := jsonArg(arg)
	if err != nil {
		return err
	}
	_, err = w.exec(qLinkTouch, j)
	return err
}

// q runs a query through the statements prepared on the writer.
func (w *writeTx) q(query string, args ...any) (*sql.Rows, error) {
	st, err := w.s.st.in(w.ctx, w.tx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(w.ctx, args...)
}

// queryFunc makes a query function (such as writeTx.q) a querier.
type queryFunc func(query string, args ...any) (*sql.Rows, error)

func (f queryFunc) QueryContext(_ context.Context, query string, args ...any) (*sql.Rows, error) {
	return f(query, args...)
}

// exec runs a statement through the statements prepared on the writer.
func (w *writeTx) exec(query string, args ...any) (sql.Result, error) {
	st, err := w.s.st.in(w.ctx, w.tx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(w.ctx, args...)
}

type clickRow struct {
	vid     int64
	rid     int64
	ent     *clickEnt // the stored click, in the index
	id      string
	product string
	time    int64
	credit  sql.NullString
	newRow  *eventRow // a click of this batch
}

// jsonArg encodes v as the JSON text that json_each reads; the queries
// below take a whole batch's worth of lookups as one argument.
func jsonArg(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

// Write stores events. It is idempotent by event ID, and a sale ID counts
// once per store: a second sale event with a sale ID already stored is
// ignored. The batch is one transaction. Write checks the whole batch first:
// if any event is invalid it stores nothing and returns an error wrapping
// ErrInvalidEvent, marked with tracker.Permanent so that a Queue does not
// retry it.
//
// Write resolves what an event changes as it stores it: a click's credit
// (given labels, or the latest impression of the product for that visitor
// at or before the click, within the lookback), and the credit of every sale that a new or
// changed click, or a new email or customer link, may affect. A late event
// therefore corrects what was resolved before it, so that the result does
// not depend on the order in which events arrive.
func (s *Store) Write(ctx context.Context, events []tracker.Event) error {
	if len(events) == 0 {
		return nil
	}
	rows := make([]eventRow, len(events))
	for i := range events {
		if err := rows[i].from(&events[i]); err != nil {
			return permanent(fmt.Errorf("%w: event %d (id %q): %w", ErrInvalidEvent, i, events[i].ID, err))
		}
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.closed() {
		return ErrClosed
	}
	if err := s.loadMem(ctx); err != nil {
		return fmt.Errorf("sqlite: write: %w", err)
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: write: %w", err)
	}
	w := &writeTx{ctx: ctx, s: s, tx: tx, window: s.window, c: newCounters(), sids: make(map[string]int64),
		vids: make(map[vidKey]int64), mem: s.mem}
	// Unless committed (an error, or a panic): roll back, so that the one
	// writer connection is free, and drop the index, which holds what the
	// transaction did; the next write rebuilds it.
	committed := false
	defer func() {
		if !committed {
			tx.Rollback()
			s.mem = nil
		}
	}()
	if err := w.runAll(rows); err != nil {
		return fmt.Errorf("sqlite: write: %w", err)
	}
	if s.failWrite != nil {
		if err := s.failWrite(); err != nil {
			return fmt.Errorf("sqlite: write: %w", err)
		}
	}
	// The vix entries of this batch become pending once it commits, so
	// that History never sees a rolled-back write's; with those pending
	// already, they may make a run.
	run := s.pend.len()+len(w.staged) >= s.flushAt
	if run {
		if err := s.pend.flush(ctx, tx, w.staged); err != nil {
			return fmt.Errorf("sqlite: write: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: write: %w", err)
	}
	committed = true
	if run {
		s.pend.clear()
	} else {
		s.pend.add(w.staged...)
	}
	s.mem.evict()
	for name, sid := range w.sids {
		s.sids[name] = sid
	}
	if len(s.vids)+len(w.vids) > maxCachedVisitors {
		clear(s.vids)
	}
	for k, vid := range w.vids {
		s.vids[k] = vid
	}
	s.st.prepareMissing(ctx)
	s.committed()
	return nil
}

// sid returns the ID of store, creating it.
func (w *writeTx) sid(store string) (int64, error) {
	if id, ok := w.s.sids[store]; ok {
		return id, nil
	}
	if id, ok := w.sids[store]; ok {
		return id, nil
	}
	var id int64
	err := w.tx.QueryRowContext(w.ctx, `SELECT sid FROM stores WHERE name = ?`, store).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		var res sql.Result
		if res, err = w.tx.ExecContext(w.ctx, `INSERT INTO stores (name) VALUES (?)`, store); err == nil {
			id, err = res.LastInsertId()
		}
	}
	if err != nil {
		return 0, err
	}
	w.sids[store] = id
	return id, nil
}

// runAll stores a batch, store by store, and updates the counters.
func (w *writeTx) runAll(rows []eventRow) error {
	byStore := make(map[string][]*eventRow)
	var stores []string
	for i := range rows {
		r := &rows[i]
		if _, ok := byStore[r.store]; !ok {
			stores = append(stores, r.store)
		}
		byStore[r.store] = append(byStore[r.store], r)
	}
	for _, st := range stores {
		sid, err := w.sid(st)
		if err != nil {
			return err
		}
		if err := w.run(sid, byStore[st]); err != nil {
			return err
		}
	}
	return w.c.flush(w.exec)
}

// The tables events go to, by kind.
const (
	tImps = iota
	tClicks
	tSales
	tActs
	nTables
)

func tableOf(kind int) int {
	switch kind {
	case kindImpression:
		return tImps
	case kindClick:
		return tClicks
	case kindSale:
		return tSales
	}
	return tActs
}

var tableNames = [nTables]string{"imps", "clicks", "sales", "acts"}

// idTables hold each table's event IDs.
var idTables = [nTables]string{"ids", "clicks", "sales", "ids"}

// insertCols are the columns insert writes, for the tables of rows.
var insertCols = [nTables]string{
	tClicks: "vid, time, id, sid, product, api, labels, position, external, credit",
	tSales:  "id, sid, vid, time, sale, lines, products, total, customer, email",
}

func (r *eventRow) args(sid int64, args []any) []any {
	if tableOf(r.kind) == tSales {
		return append(args, r.id, sid, r.vid, r.time, ns(r.sale), ns(r.lines), ns(r.products), ni(r.total), ns(r.customer), ns(r.email))
	}
	return append(args, r.vid, r.time, r.id, sid, ns(r.product), ns(r.api), ns(r.labels), ni(r.position), ni(r.external), ns(r.credit))
}

// ns and ni pass a nullable value to the driver as itself or nil, rather
// than through database/sql's Valuer path.
func ns(v sql.NullString) any {
	if !v.Valid {
		return nil
	}
	return v.String
}

func ni(v sql.NullInt64) any {
	if !v.Valid {
		return nil
	}
	return v.Int64
}

// actValue is what an activity row keeps: the product viewed, the
// category, the query or the email.
func (r *eventRow) actValue() sql.NullString {
	switch r.kind {
	case kindView:
		return r.product
	case kindCategory:
		return r.category
	case kindSearch:
		return r.query
	}
	return r.email
}

// insertSizes are the row counts of the prepared multi-row inserts.
var insertSizes = []int{128, 32, 8, 1}

// chunkSize is how many of n rows the next multi-row statement takes.
func chunkSize(n int) int {
	for _, size := range insertSizes {
		if n >= size {
			return size
		}
	}
	return 1
}

// placeholders is n rows of ncols parameters: "(?, ?), (?, ?)".
func placeholders(n, ncols int) string {
	one := "(?" + strings.Repeat(", ?", ncols-1) + ")"
	return one + strings.Repeat(", "+one, n-1)
}

// execer runs a statement, as writeTx.exec does.
type execer func(query string, args ...any) (sql.Result, error)

// txExec runs statements in tx.
func txExec(ctx context.Context, tx *sql.Tx) execer {
	return func(q string, args ...any) (sql.Result, error) { return tx.ExecContext(ctx, q, args...) }
}

// execRows runs the multi-row statement query(n) over args, ncols values
// a row, n rows at a time (chunkSize, so that few statements are ever
// prepared); done, when not nil, sees the first row, the number of rows
// and the result of each statement.
func execRows(exec execer, query func(n int) string, ncols int, args []any, done func(first, n int, res sql.Result) error) error {
	for first := 0; first*ncols < len(args); {
		n := chunkSize(len(args)/ncols - first)
		res, err := exec(query(n), args[first*ncols:(first+n)*ncols]...)
		if err != nil {
			return err
		}
		if done != nil {
			if err := done(first, n, res); err != nil {
				return err
			}
		}
		first += n
	}
	return nil
}

const (
	qKnownIDs    = `SELECT id FROM %s WHERE id IN (SELECT value FROM json_each(?))`
	qKnownSales  = `SELECT sale FROM sales WHERE sid = ? AND sale IN (SELECT value FROM json_each(?))`
	qVisitors    = `SELECT visitor, vid FROM visitors WHERE sid = ? AND visitor IN (SELECT value FROM json_each(?))`
	qNewVisitors = `INSERT INTO visitors (sid, visitor) SELECT ?, value FROM json_each(?) WHERE true`
	qClickCredit = `UPDATE clicks SET credit = ? WHERE rid = ?`
	qSaleCredit  = `UPDATE sales SET credit = j.value ->> 1 FROM json_each(?) j WHERE sales.rid = j.value ->> 0`
	qLinksKnown  = `SELECT l.vid, l.key FROM json_each(?) j CROSS JOIN links l
		ON l.vid = j.value ->> 0 AND l.key = j.value ->> 1`
	qLinksInsert = `INSERT OR IGNORE INTO links (vid, key, sid, time)
		SELECT value ->> 0, value ->> 1, ?1, value ->> 2 FROM json_each(?2) WHERE true`
	qLinkTouch = `UPDATE links SET time = j.value ->> 2 FROM json_each(?) j
		WHERE links.vid = j.value ->> 0 AND links.key = j.value ->> 1 AND links.time < j.value ->> 2`
	qLinkHolders = `SELECT j.value, l.vid FROM json_each(?2) j CROSS JOIN links l ON l.sid = ?1 AND l.key = j.value`
	qIdentities  = `INSERT INTO identities (vid, grp) SELECT value ->> 0, value ->> 1 FROM json_each(?) WHERE true
		ON CONFLICT (vid) DO UPDATE SET grp = excluded.grp`
	qSaleRows = `SELECT x.rid, x.vid, x.time, x.lines, x.total, x.credit
		FROM json_each(?) j CROSS JOIN sales x ON x.rid = j.value
		WHERE x.vid IS NOT NULL`
)

// run stores one store's events of a batch and resolves what they change.
func (w *writeTx) run(sid int64, rows []*eventRow) error {
	// Keep the events not stored yet: the first of each ID, and of each
	// sale ID.
	var by [nTables][]*eventRow
	type idKey struct{ table, id string } // impressions and activity share ids
	seen := make(map[idKey]bool, len(rows))
	for _, r := range rows {
		t := tableOf(r.kind)
		k := idKey{idTables[t], r.id}
		if seen[k] {
			continue
		}
		seen[k] = true
		by[t] = append(by[t], r)
	}
	if err := w.claimIDs(&by); err != nil {
		return err
	}
	for _, t := range []int{tClicks, tSales} {
		if len(by[t]) == 0 {
			continue
		}
		ids := make([]string, len(by[t]))
		for i, r := range by[t] {
			ids[i] = r.id
		}
		known, err := w.strings(fmt.Sprintf(qKnownIDs, idTables[t]), ids)
		if err != nil {
			return err
		}
		by[t] = slices.DeleteFunc(by[t], func(r *eventRow) bool { return known[r.id] })
	}
	if len(by[tSales]) > 0 {
		ids := make([]string, len(by[tSales]))
		for i, r := range by[tSales] {
			ids[i] = r.sale.String
		}
		known, err := w.strings(qKnownSales, ids, sid)
		if err != nil {
			return err
		}
		by[tSales] = slices.DeleteFunc(by[tSales], func(r *eventRow) bool {
			if known[r.sale.String] {
				return true
			}
			known[r.sale.String] = true
			return false
		})
	}
	if err := w.visitors(sid, by); err != nil {
		return err
	}
	if err := w.insert(sid, tSales, by[tSales]); err != nil {
		return err
	}
	for _, t := range []int{tImps, tActs} {
		if err := w.insertBlobs(sid, t, by[t]); err != nil {
			return err
		}
	}
	for _, r := range by[tImps] {
		w.c.contrib(contribRow{sid: sid, kind: r.kind, time: r.time, labels: r.labels, products: r.products}, +1)
		w.mem.addImp(r.vid, r.time, r.id, r.labels.String, r.products.String)
	}
	fresh := make(map[int64]bool, len(by[tSales]))
	for _, r := range by[tSales] {
		w.c.contrib(contribRow{sid: sid, kind: r.kind, time: r.time, total: r.total}, +1)
		w.mem.addSale(r.vid, r.time, r.rid, r.products.String)
		fresh[r.rid] = true
	}
	w.index(tImps, by[tImps])
	w.index(tSales, by[tSales])
	w.index(tActs, by[tActs])

	// Clicks: stored ones that a new impression may explain better, and
	// new ones without labels, are backtracked before the new clicks are
	// stored with their credit.
	late := w.lateClicks(by[tImps])
	olds := make([]sql.NullString, len(late))
	for i, c := range late {
		olds[i] = c.credit
	}
	todo := late
	for _, r := range by[tClicks] {
		if !r.labels.Valid {
			todo = append(todo, clickRow{vid: r.vid, id: r.id, product: r.product.String, time: r.time, newRow: r})
		}
	}
	w.backtrack(todo)
	for _, c := range todo[:len(late)] {
		c.ent.credit = w.mem.set(c.credit) // before new clicks are appended: ent points into the index
	}
	var changed []clickRow
	for _, c := range todo[len(late):] {
		c.newRow.credit = c.credit
	}
	if err := w.insert(sid, tClicks, by[tClicks]); err != nil {
		return err
	}
	for _, r := range by[tClicks] {
		w.mem.addClick(r.vid, r.time, r.rid, r.id, r.product.String, r.labels.Valid, r.credit)
		if r.credit.Valid {
			w.c.clickCredit(sid, r.time, r.credit, +1)
			changed = append(changed, clickRow{vid: r.vid, id: r.id, product: r.product.String, time: r.time, credit: r.credit})
		}
	}
	w.index(tClicks, by[tClicks])
	for i, c := range todo[:len(late)] {
		old := olds[i]
		if c.credit == old {
			continue
		}
		if _, err := w.exec(qClickCredit, c.credit, c.rid); err != nil {
			return err
		}
		w.c.clickCredit(sid, c.time, old, -1)
		w.c.clickCredit(sid, c.time, c.credit, +1)
		if c.credit.Valid {
			changed = append(changed, c)
		}
	}

	// Links, then every sale whose credit may have changed.
	dirty := make(map[int64]bool)
	for _, r := range by[tSales] {
		dirty[r.rid] = true
	}
	var reqs []linkReq
	for _, t := range []int{tSales, tActs} {
		for _, r := range by[t] {
			if r.kind != kindSale && r.kind != kindEmail {
				continue
			}
			for _, key := range linkKeys(r) {
				reqs = append(reqs, linkReq{linkKey{r.vid, key}, r.time})
			}
		}
	}
	joined, err := w.links(sid, reqs) // visitors whose group grew
	if err != nil {
		return err
	}
	if err := w.touchLinks(); err != nil {
		return err
	}
	w.salesAfterClicks(changed, dirty)
	w.salesOfGroups(joined, dirty)
	return w.attribute(sid, dirty, fresh)
}

// index stages the vix entries of rows stored in table t.
func (w *writeTx) index(t int, rows []*eventRow) {
	for _, r := range rows {
		w.staged = append(w.staged, vixEnt{vid: r.vid, time: r.time, tbl: t, rid: r.rid})
	}
}

// claimIDs stores the IDs of the impressions and activity in by and drops
// those stored already. Most batches hold none: it inserts them all, and
// only when some were there already goes back and finds which.
func (w *writeTx) claimIDs(by *[nTables][]*eventRow) error {
	rows := append(slices.Clip(by[tImps]), by[tActs]...)
	if len(rows) == 0 {
		return nil
	}
	if _, err := w.tx.ExecContext(w.ctx, `SAVEPOINT ids`); err != nil {
		return err
	}
	n, err := w.insertIDs(rows)
	if err != nil {
		return err
	}
	if n == int64(len(rows)) {
		_, err := w.tx.ExecContext(w.ctx, `RELEASE ids`)
		return err
	}
	if _, err := w.tx.ExecContext(w.ctx, `ROLLBACK TO ids; RELEASE ids`); err != nil {
		return err
	}
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.id
	}
	known, err := w.strings(fmt.Sprintf(qKnownIDs, "ids"), ids)
	if err != nil {
		return err
	}
	for _, t := range []int{tImps, tActs} {
		by[t] = slices.DeleteFunc(by[t], func(r *eventRow) bool { return known[r.id] })
	}
	_, err = w.insertIDs(append(slices.Clip(by[tImps]), by[tActs]...))
	return err
}

// insertIDs stores the IDs of rows in ids, ignoring those there already,
// and returns how many it stored.
func (w *writeTx) insertIDs(rows []*eventRow) (int64, error) {
	args := make([]any, len(rows))
	for i, r := range rows {
		args[i] = r.id
	}
	var total int64
	query := func(n int) string { return `INSERT OR IGNORE INTO ids (id) VALUES ` + placeholders(n, 1) }
	err := execRows(w.exec, query, 1, args, func(_, _ int, res sql.Result) error {
		k, err := res.RowsAffected()
		total += k
		return err
	})
	return total, err
}

// strings runs query with vals as a JSON array (the last argument) and
// returns the strings it selects.
func (w *writeTx) strings(query string, vals []string, args ...any) (map[string]bool, error) {
	j, err := jsonArg(vals)
	if err != nil {
		return nil, err
	}
	rows, err := w.q(query, append(args, j)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make(map[string]bool)
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out[s] = true
	}
	return out, rows.Err()
}

// visitors sets the vid of every row, creating the visitors not stored
// yet. Only events that will be stored get here: a visitor's ID is stored
// only along with an event of theirs.
func (w *writeTx) visitors(sid int64, by [nTables][]*eventRow) error {
	// Most visitors are known: their rows get their vid straight from the
	// cache, and only the others are looked up.
	vids := make(map[string]int64)
	var names []string
	for _, rs := range by {
		for _, r := range rs {
			if r.vid = w.s.vids[vidKey{sid, r.visitor}]; r.vid == 0 {
				if _, ok := vids[r.visitor]; !ok {
					vids[r.visitor] = 0
					names = append(names, r.visitor)
				}
			}
		}
	}
	if len(names) == 0 {
		return nil
	}
	j, err := jsonArg(names)
	if err != nil {
		return err
	}
	rows, err := w.q(qVisitors, sid, j)
	if err != nil {
		return err
	}
	for rows.Next() {
		var v string
		var id int64
		if err := rows.Scan(&v, &id); err != nil {
			rows.Close()
			return err
		}
		vids[v] = id
	}
	if err := rows.Close(); err != nil {
		return err
	}
	// The new ones, in one statement, then their vids.
	var fresh []string
	for _, v := range names {
		if vids[v] == 0 {
			fresh = append(fresh, v)
		}
	}
	if len(fresh) > 0 {
		j, err := jsonArg(fresh)
		if err != nil {
			return err
		}
		if _, err := w.exec(qNewVisitors, sid, j); err != nil {
			return err
		}
		if err := eachRow(w.ctx, queryFunc(w.q), func(rows *sql.Rows) error {
			var v string
			var id int64
			err := rows.Scan(&v, &id)
			vids[v] = id
			return err
		}, qVisitors, sid, j); err != nil {
			return err
		}
	}
	for _, v := range names {
		if vids[v] == 0 {
			return fmt.Errorf("visitor %d of the batch not stored", len(w.vids))
		}
		w.vids[vidKey{sid, v}] = vids[v]
	}
	for _, rs := range by {
		for _, r := range rs {
			if r.vid == 0 {
				r.vid = vids[r.visitor]
			}
		}
	}
	return nil
}

// insert stores rows into table t, many per statement, and sets their rid.
func (w *writeTx) insert(sid int64, t int, rows []*eventRow) error {
	ncols := strings.Count(insertCols[t], ",") + 1
	args := make([]any, 0, ncols*len(rows))
	for _, r := range rows {
		args = r.args(sid, args)
	}
	query := func(n int) string {
		return "INSERT INTO " + tableNames[t] + " (" + insertCols[t] + ") VALUES " + placeholders(n, ncols)
	}
	return execRows(w.exec, query, ncols, args, func(first, n int, res sql.Result) error {
		last, err := res.LastInsertId()
		if err != nil {
			return err
		}
		// A multi-row insert into a rowid table, with no other writer,
		// assigns consecutive rowids.
		for i, r := range rows[first : first+n] {
			r.rid = last - int64(n-1-i)
		}
		return nil
	})
}

// lateClicks returns the stored unlabelled clicks that a new impression
// may explain: same visitor and product, at or after the impression.
func (w *writeTx) lateClicks(imps []*eventRow) []clickRow {
	var out []clickRow
	var seen map[*clickEnt]bool
	m := w.mem
	cut := m.cut()
	for _, r := range imps {
		vm := m.v[r.vid]
		if vm == nil {
			continue
		}
		for i := range vm.clicks {
			c := &vm.clicks[i]
			if c.labelled || c.time < r.time || c.time < cut || seen[c] || !hasItem(r.products.String, m.bytes(c.product)) {
				continue
			}
			if seen == nil {
				seen = make(map[*clickEnt]bool)
			}
			seen[c] = true
			out = append(out, clickRow{vid: r.vid, rid: c.rid, id: m.str(c.id), product: m.str(c.product), time: c.time,
				credit: m.setStr(c.credit), ent: c})
		}
	}
	return out
}

// hasItem reports whether the encoded list holds item.
func hasItem(list string, item []byte) bool {
	for i := 0; ; {
		j := strings.Index(list[i:], string(item))
		if j < 0 {
			return false
		}
		j += i
		if j > 0 && list[j-1] == sep[0] && j+len(item) < len(list) && list[j+len(item)] == sep[0] {
			return true
		}
		i = j + 1
	}
}

// backtrack sets the credit of each click to the labels of the latest
// impression of its product for its visitor at or before it, within the
// lookback; a click without one gets NULL (under no label).
func (w *writeTx) backtrack(clicks []clickRow) {
	for i := range clicks {
		c := &clicks[i]
		c.credit = w.mem.backtrack(c.vid, []byte(sep+c.product+sep), c.time, w.s.lookback)
	}
}

func linkKeys(r *eventRow) []string {
	var keys []string
	if r.email.Valid {
		keys = append(keys, "e:"+r.email.String)
	}
	if r.customer.Valid {
		keys = append(keys, "c:"+r.customer.String)
	}
	return keys
}

// linkReq asks for the link between a visitor and a key, seen at t.
type linkReq struct {
	linkKey
	t int64
}

// links stores the links of a batch and merges the groups they join, and
// returns the visitors of the new ones: their groups may have grown, and
// their sales need attributing again. A link known already only has its
// time moved (to the hour: touch), which Purge compares with.
func (w *writeTx) links(sid int64, reqs []linkReq) ([]int64, error) {
	m := w.mem
	var cand []linkReq // not in the cache, in order, once each
	at := make(map[linkKey]int)
	for _, r := range reqs {
		if seen, ok := m.links[r.linkKey]; ok {
			if r.t > seen+hour {
				m.links[r.linkKey] = r.t
				w.touch(r.linkKey, r.t)
			}
			continue
		}
		if i, ok := at[r.linkKey]; ok {
			cand[i].t = max(cand[i].t, r.t)
			continue
		}
		at[r.linkKey] = len(cand)
		cand = append(cand, r)
	}
	if len(cand) == 0 {
		return nil, nil
	}
	if len(m.links)+len(cand) > maxCachedLinks {
		clear(m.links)
	}
	arg := make([][]any, len(cand))
	for i, r := range cand {
		arg[i] = []any{r.vid, r.key, r.t}
		m.links[r.linkKey] = r.t
	}
	j, err := jsonArg(arg)
	if err != nil {
		return nil, err
	}
	known := make(map[linkKey]bool)
	if err := eachRow(w.ctx, queryFunc(w.q), func(rows *sql.Rows) error {
		var k linkKey
		err := rows.Scan(&k.vid, &k.key)
		known[k] = true
		return err
	}, qLinksKnown, j); err != nil {
		return nil, err
	}
	var fresh []linkReq
	for _, r := range cand {
		if known[r.linkKey] {
			w.touch(r.linkKey, r.t)
		} else {
			fresh = append(fresh, r)
		}
	}
	if len(fresh) == 0 {
		return nil, nil
	}
	arg = arg[:0]
	var keys []string
	for _, r := range fresh {
		arg = append(arg, []any{r.vid, r.key, r.t})
		keys = append(keys, r.key)
	}
	if j, err = jsonArg(arg); err != nil {
		return nil, err
	}
	if _, err := w.exec(qLinksInsert, sid, j); err != nil {
		return nil, err
	}
	// Every visitor holding each key, this batch's included; then the
	// groups merge link by link, in the index, as one by one they would.
	holders := make(map[string][]int64)
	if j, err = jsonArg(keys); err != nil {
		return nil, err
	}
	if err := eachRow(w.ctx, queryFunc(w.q), func(rows *sql.Rows) error {
		var key string
		var v int64
		err := rows.Scan(&key, &v)
		holders[key] = append(holders[key], v)
		return err
	}, qLinkHolders, sid, j); err != nil {
		return nil, err
	}
	var joined []int64
	touched := make(map[int64]bool)
	for _, r := range fresh {
		var grps []int64
		if g, ok := m.groupOf[r.vid]; ok {
			grps = append(grps, g)
		}
		for _, v := range holders[r.key] {
			if g, ok := m.groupOf[v]; ok && v != r.vid && !slices.Contains(grps, g) {
				grps = append(grps, g)
			}
		}
		target := m.maxGrp + 1
		if len(grps) > 0 {
			target = slices.Min(grps)
		}
		m.join(r.vid, target, grps)
		for _, v := range m.inGroup[target] {
			touched[v] = true
		}
		joined = append(joined, r.vid)
	}
	arg = arg[:0]
	for v := range touched {
		arg = append(arg, []any{v, m.groupOf[v]})
	}
	if j, err = jsonArg(arg); err != nil {
		return nil, err
	}
	_, err = w.exec(qIdentities, j)
	return joined, err
}

// members returns, for each of vids, the visitors of its group (itself
// included).
func (w *writeTx) members(vids []int64) map[int64][]int64 {
	out := make(map[int64][]int64, len(vids))
	for _, v := range vids {
		out[v] = w.mem.members(v)
	}
	return out
}

// salesAfterClicks marks the sales that a click with new credit may earn
// credit from: sales by the click's linked visitors of the product it was
// on, within the window after it.
func (w *writeTx) salesAfterClicks(clicks []clickRow, dirty map[int64]bool) {
	if len(clicks) == 0 {
		return
	}
	vids := make([]int64, len(clicks))
	for i, c := range clicks {
		vids[i] = c.vid
	}
	ms := w.members(vids)
	cut := w.mem.cut()
	for _, c := range clicks {
		needle := []byte(sep + c.product + sep)
		for _, m := range ms[c.vid] {
			vm := w.mem.v[m]
			if vm == nil {
				continue
			}
			for _, x := range vm.sales {
				if x.time >= c.time && x.time >= cut && x.time <= c.time+w.window && bytes.Contains(w.mem.bytes(x.products), needle) {
					dirty[x.rid] = true
				}
			}
		}
	}
}

// salesOfGroups marks every sale of the groups that grew.
func (w *writeTx) salesOfGroups(vids []int64, dirty map[int64]bool) {
	if len(vids) == 0 {
		return
	}
	ms := w.members(vids)
	cut := w.mem.cut()
	for _, v := range vids {
		for _, m := range ms[v] {
			if vm := w.mem.v[m]; vm != nil {
				for _, x := range vm.sales {
					if x.time >= cut {
						dirty[x.rid] = true
					}
				}
			}
		}
	}
}

// attribute recomputes the credit of the given sales: each line goes to
// the labels of the latest credited click on its product by one of the
// sale's linked visitors within the window before the sale. A sale stored
// before this batch whose window reaches back past what the index holds
// keeps the credit it has; fresh ones are resolved with what it holds.
func (w *writeTx) attribute(sid int64, dirty, fresh map[int64]bool) error {
	if len(dirty) == 0 {
		return nil
	}
	rids := make([]int64, 0, len(dirty))
	for id := range dirty {
		rids = append(rids, id)
	}
	slices.Sort(rids)
	j, err := jsonArg(rids)
	if err != nil {
		return err
	}
	type sale struct {
		vid    int64
		time   int64
		lines  []storedLine
		total  int64
		old    sql.NullString
		latest map[string]*clickEnt // by product
	}
	sales := make(map[int64]*sale, len(rids))
	var vids []int64
	cut := w.mem.cut()
	rows, err := w.q(qSaleRows, j) // anonymous since Forget: credit stays as it was
	if err != nil {
		return err
	}
	for rows.Next() {
		var rid int64
		var lines string
		s := &sale{latest: make(map[string]*clickEnt)}
		if err := rows.Scan(&rid, &s.vid, &s.time, &lines, &s.total, &s.old); err != nil {
			rows.Close()
			return err
		}
		if !fresh[rid] && s.time-w.window < cut {
			continue
		}
		if err := json.Unmarshal([]byte(lines), &s.lines); err != nil {
			rows.Close()
			return fmt.Errorf("sale %d: lines: %w", rid, err)
		}
		for _, l := range s.lines {
			s.latest[l.Product] = nil
		}
		sales[rid] = s
		vids = append(vids, s.vid)
	}
	if err := rows.Close(); err != nil {
		return err
	}
	if len(sales) == 0 {
		return nil
	}
	ms := w.members(vids)
	var credits [][]any // rid, credit
	for _, rid := range rids {
		s := sales[rid]
		if s == nil {
			continue
		}
		for _, m := range ms[s.vid] {
			vm := w.mem.v[m]
			if vm == nil {
				continue
			}
			for i := range vm.clicks {
				c := &vm.clicks[i]
				if c.credit == 0 || c.time < s.time-w.window || c.time < cut || c.time > s.time {
					continue
				}
				p := w.mem.bytes(c.product)
				cur, want := s.latest[string(p)]
				if want && (cur == nil || c.time > cur.time ||
					(c.time == cur.time && bytes.Compare(w.mem.bytes(c.id), w.mem.bytes(cur.id)) > 0)) {
					s.latest[string(p)] = c
				}
			}
		}
		cr := make(credit)
		for _, l := range s.lines {
			c := s.latest[l.Product]
			if c == nil {
				continue
			}
			for _, label := range decodeList(w.mem.sets[c.credit-1]) {
				cr[label] += l.Price * l.Quantity
			}
		}
		now := cr.encode()
		if now == s.old {
			continue
		}
		credits = append(credits, []any{rid, ns(now)})
		w.c.saleCredit(sid, s.time, s.total, decodeCredit(s.old), -1)
		w.c.saleCredit(sid, s.time, s.total, cr, +1)
	}
	if len(credits) == 0 {
		return nil
	}
	j, err = jsonArg(credits)
	if err != nil {
		return err
	}
	_, err = w.exec(qSaleCredit, j)
	return err
}
