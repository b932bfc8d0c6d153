package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
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

// Write stores events. It is idempotent by event ID, and a sale ID counts
// once per store: a second sale event with a sale ID already stored is
// ignored. The batch is one transaction. Write checks the whole batch first:
// if any event is invalid it stores nothing and returns an error wrapping
// ErrInvalidEvent, marked with tracker.Permanent so that a Queue does not
// retry it.
//
// Write resolves what an event changes as it stores it: a click's credit
// (given labels, or the latest impression of the product for that visitor
// at or before the click), and the credit of every sale that a new or
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
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: write: %w", err)
	}
	w := &writeTx{ctx: ctx, s: s, tx: tx, window: s.window, c: newCounters()}
	if err := w.runAll(rows); err != nil {
		tx.Rollback()
		return fmt.Errorf("sqlite: write: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: write: %w", err)
	}
	return nil
}

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
}

type clickRow struct {
	id, visitor, product string
	time                 int64
	credit               sql.NullString
}

// jsonArg encodes v as the JSON text that json_each reads; the queries
// below take a whole batch's worth of lookups as one argument.
func jsonArg(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
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
		if err := w.run(st, byStore[st]); err != nil {
			return err
		}
	}
	return w.c.flush(w.ctx, w.tx)
}

// run stores one store's events of a batch and resolves what they change.
func (w *writeTx) run(store string, rows []*eventRow) error {
	var clicks, others []*eventRow
	for _, r := range rows {
		if r.kind == kindClick {
			clicks = append(clicks, r)
		} else {
			others = append(others, r)
		}
	}
	fresh, err := w.insert(others)
	if err != nil {
		return err
	}
	var (
		imps  []*eventRow
		sales []string
		links []*eventRow
	)
	for _, r := range others {
		if !fresh[r.id] {
			continue // a duplicate event, or a sale ID already stored
		}
		w.c.contrib(contribRow{store: store, kind: r.kind, time: r.time, labels: r.labels, products: r.products, total: r.total}, +1)
		switch r.kind {
		case kindImpression:
			imps = append(imps, r)
		case kindSale:
			sales = append(sales, r.id)
			links = append(links, r)
		case kindEmail:
			links = append(links, r)
		}
	}

	// Clicks: stored ones that a new impression may explain better, and
	// new ones without labels, are backtracked in one query, before the
	// new clicks are stored with their credit.
	late, err := w.lateClicks(store, imps)
	if err != nil {
		return err
	}
	var todo []clickRow
	for _, c := range late {
		todo = append(todo, c)
	}
	for _, r := range clicks {
		if !r.labels.Valid {
			todo = append(todo, clickRow{id: r.id, visitor: r.visitor, product: r.product.String, time: r.time})
		}
	}
	resolved, err := w.backtrack(store, todo)
	if err != nil {
		return err
	}
	for _, r := range clicks {
		if !r.labels.Valid {
			r.credit = resolved[r.id]
		}
	}
	fresh, err = w.insert(clicks)
	if err != nil {
		return err
	}
	var changed []clickRow
	for _, r := range clicks {
		if fresh[r.id] && r.credit.Valid {
			w.c.clickCredit(store, r.time, r.credit, +1)
			changed = append(changed, clickRow{id: r.id, visitor: r.visitor, product: r.product.String, time: r.time, credit: r.credit})
		}
	}
	for _, c := range late {
		now := resolved[c.id]
		if now == c.credit {
			continue
		}
		if _, err := w.tx.ExecContext(w.ctx, `UPDATE events SET credit = ? WHERE id = ?`, now, c.id); err != nil {
			return err
		}
		w.c.clickCredit(store, c.time, c.credit, -1)
		w.c.clickCredit(store, c.time, now, +1)
		if now.Valid {
			c.credit = now
			changed = append(changed, c)
		}
	}

	// Links, then every sale whose credit may have changed.
	dirty := make(map[string]bool)
	for _, id := range sales {
		dirty[id] = true
	}
	var joined []string // visitors whose group grew
	for _, r := range links {
		for _, key := range linkKeys(r) {
			grew, err := w.link(store, r.visitor, key, r.time)
			if err != nil {
				return err
			}
			if grew {
				joined = append(joined, r.visitor)
			}
		}
	}
	if err := w.salesAfterClicks(store, changed, dirty); err != nil {
		return err
	}
	if err := w.salesOfGroups(store, joined, dirty); err != nil {
		return err
	}
	return w.attribute(store, dirty)
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

const insertChunk = 64

const insertCols = `INSERT OR IGNORE INTO events
	(id, store, kind, visitor, time, api, labels, products, product, position, external,
	 sale, lines, total, customer, email, category, query, credit) VALUES `

// prepareInserts prepares, on the writer connection, the statements that
// insert insertChunk rows and one row.
func (s *Store) prepareInserts(ctx context.Context) error {
	for _, n := range []int{insertChunk, 1} {
		var b strings.Builder
		b.WriteString(insertCols)
		for i := range n {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
		}
		b.WriteString(" RETURNING id")
		st, err := s.w.PrepareContext(ctx, b.String())
		if err != nil {
			return fmt.Errorf("sqlite: prepare: %w", err)
		}
		s.inserts[n] = st
	}
	return nil
}

// insert stores rows, many per statement, and returns the IDs it stored:
// not those of duplicates, nor of sales whose ID the store already has.
func (w *writeTx) insert(rows []*eventRow) (map[string]bool, error) {
	fresh := make(map[string]bool, len(rows))
	args := make([]any, 0, 19*insertChunk)
	for len(rows) > 0 {
		n := 1
		if len(rows) >= insertChunk {
			n = insertChunk
		}
		st := w.s.inserts[n]
		args = args[:0]
		for _, r := range rows[:n] {
			args = append(args, r.id, r.store, r.kind, r.visitor, r.time, r.api, r.labels, r.products,
				r.product, r.position, r.external, r.sale, r.lines, r.total, r.customer, r.email, r.category, r.query, r.credit)
		}
		res, err := w.tx.StmtContext(w.ctx, st).QueryContext(w.ctx, args...)
		if err != nil {
			return nil, err
		}
		for res.Next() {
			var id string
			if err := res.Scan(&id); err != nil {
				res.Close()
				return nil, err
			}
			fresh[id] = true
		}
		if err := res.Close(); err != nil {
			return nil, err
		}
		rows = rows[n:]
	}
	return fresh, nil
}

// lateClicks returns the stored unlabelled clicks that a new impression
// may explain: same visitor and product, at or after the impression.
func (w *writeTx) lateClicks(store string, imps []*eventRow) (map[string]clickRow, error) {
	out := make(map[string]clickRow)
	if len(imps) == 0 {
		return out, nil
	}
	arg := make([][]any, len(imps))
	for i, r := range imps {
		arg[i] = []any{r.visitor, r.time, r.products.String}
	}
	j, err := jsonArg(arg)
	if err != nil {
		return nil, err
	}
	rows, err := w.tx.QueryContext(w.ctx, `SELECT e.id, e.visitor, e.product, e.time, e.credit
		FROM json_each(?2) j CROSS JOIN events e
		ON e.store = ?1 AND e.visitor = j.value ->> 0 AND e.time >= j.value ->> 1
		WHERE e.kind = 2 AND e.labels IS NULL AND instr(j.value ->> 2, char(31) || e.product || char(31)) > 0`, store, j)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var c clickRow
		if err := rows.Scan(&c.id, &c.visitor, &c.product, &c.time, &c.credit); err != nil {
			return nil, err
		}
		out[c.id] = c
	}
	return out, rows.Err()
}

// backtrack finds, for each click, the labels of the latest impression of
// its product for its visitor at or before it; a click without one gets
// no entry (NULL: under no label).
func (w *writeTx) backtrack(store string, clicks []clickRow) (map[string]sql.NullString, error) {
	out := make(map[string]sql.NullString, len(clicks))
	if len(clicks) == 0 {
		return out, nil
	}
	arg := make([][]any, len(clicks))
	for i, c := range clicks {
		arg[i] = []any{c.id, c.visitor, c.time, sep + c.product + sep}
	}
	j, err := jsonArg(arg)
	if err != nil {
		return nil, err
	}
	rows, err := w.tx.QueryContext(w.ctx, `SELECT j.value ->> 0, (
			SELECT i.labels FROM events i
			WHERE i.store = ?1 AND i.visitor = j.value ->> 1 AND i.time <= j.value ->> 2
				AND i.kind = 1 AND instr(i.products, j.value ->> 3) > 0
			ORDER BY i.time DESC, i.id DESC LIMIT 1)
		FROM json_each(?2) j`, store, j)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var labels sql.NullString
		if err := rows.Scan(&id, &labels); err != nil {
			return nil, err
		}
		if labels.Valid {
			out[id] = labels
		}
	}
	return out, rows.Err()
}

// link stores the link between visitor and key and merges the groups it
// joins. It reports whether the link is new: then the visitor's group may
// have grown, and its sales need attributing again.
func (w *writeTx) link(store, visitor, key string, t int64) (bool, error) {
	res, err := w.tx.ExecContext(w.ctx, `INSERT OR IGNORE INTO links (store, visitor, key, time) VALUES (?, ?, ?, ?)`,
		store, visitor, key, t)
	if err != nil {
		return false, err
	}
	if n, err := res.RowsAffected(); err != nil {
		return false, err
	} else if n == 0 {
		// Known already: keep the latest time it was seen, which is what
		// Purge compares with.
		_, err := w.tx.ExecContext(w.ctx, `UPDATE links SET time = ? WHERE store = ? AND visitor = ? AND key = ? AND time < ?`,
			t, store, visitor, key, t)
		return false, err
	}
	var grps []int64
	rows, err := w.tx.QueryContext(w.ctx, `SELECT grp FROM identities WHERE store = ?1 AND visitor = ?2
		UNION SELECT g.grp FROM links l JOIN identities g ON g.store = l.store AND g.visitor = l.visitor
		WHERE l.store = ?1 AND l.key = ?3 AND l.visitor <> ?2`, store, visitor, key)
	if err != nil {
		return false, err
	}
	for rows.Next() {
		var g int64
		if err := rows.Scan(&g); err != nil {
			rows.Close()
			return false, err
		}
		grps = append(grps, g)
	}
	if err := rows.Close(); err != nil {
		return false, err
	}
	var target int64
	if len(grps) == 0 {
		if err := w.tx.QueryRowContext(w.ctx, `SELECT coalesce(max(grp), 0) + 1 FROM identities`).Scan(&target); err != nil {
			return false, err
		}
	} else {
		target = slices.Min(grps)
	}
	if _, err := w.tx.ExecContext(w.ctx, `INSERT OR IGNORE INTO identities (store, visitor, grp) VALUES (?, ?, ?)`,
		store, visitor, target); err != nil {
		return false, err
	}
	for _, g := range grps {
		if g != target {
			if _, err := w.tx.ExecContext(w.ctx, `UPDATE identities SET grp = ? WHERE grp = ?`, target, g); err != nil {
				return false, err
			}
		}
	}
	return true, nil
}

// membersCTE defines m(k, v, t, p): for each lookup k of the JSON array
// ?2 ([key, visitor, time, product]), its visitor and every visitor
// linked to it.
const membersCTE = `WITH c(k, v, t, p) AS (
		SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3 FROM json_each(?2)),
	m(k, v, t, p) AS (
		SELECT k, v, t, p FROM c
		UNION SELECT c.k, g2.visitor, c.t, c.p FROM c
		CROSS JOIN identities g1 ON g1.store = ?1 AND g1.visitor = c.v
		CROSS JOIN identities g2 ON g2.grp = g1.grp)`

// salesAfterClicks marks the sales that a click with new credit may earn
// credit from: sales by the click's linked visitors of the product it was
// on, within the window after it.
func (w *writeTx) salesAfterClicks(store string, clicks []clickRow, dirty map[string]bool) error {
	if len(clicks) == 0 {
		return nil
	}
	arg := make([][]any, len(clicks))
	for i, c := range clicks {
		arg[i] = []any{c.id, c.visitor, c.time, sep + c.product + sep}
	}
	j, err := jsonArg(arg)
	if err != nil {
		return err
	}
	return collect(w.ctx, w.tx, dirty, membersCTE+`
		SELECT DISTINCT e.id FROM m CROSS JOIN events e
		ON e.store = ?1 AND e.visitor = m.v AND e.time >= m.t AND e.time <= m.t + ?3
		WHERE e.kind = 3 AND instr(e.products, m.p) > 0`, store, j, w.window)
}

// salesOfGroups marks every sale of the groups that grew.
func (w *writeTx) salesOfGroups(store string, visitors []string, dirty map[string]bool) error {
	if len(visitors) == 0 {
		return nil
	}
	arg := make([][]any, len(visitors))
	for i, v := range visitors {
		arg[i] = []any{i, v, 0, ""}
	}
	j, err := jsonArg(arg)
	if err != nil {
		return err
	}
	return collect(w.ctx, w.tx, dirty, membersCTE+`
		SELECT DISTINCT e.id FROM (SELECT DISTINCT v FROM m) m CROSS JOIN events e
		ON e.store = ?1 AND e.visitor = m.v WHERE e.kind = 3`, store, j)
}

func collect(ctx context.Context, q querier, into map[string]bool, query string, args ...any) error {
	return each(ctx, q, func(id string) { into[id] = true }, query, args...)
}

// attribute recomputes the credit of the given sales: each line goes to
// the labels of the latest credited click on its product by one of the
// sale's linked visitors within the window before the sale.
func (w *writeTx) attribute(store string, dirty map[string]bool) error {
	if len(dirty) == 0 {
		return nil
	}
	ids := make([]string, 0, len(dirty))
	for id := range dirty {
		ids = append(ids, id)
	}
	sortStrings(ids)
	j, err := jsonArg(ids)
	if err != nil {
		return err
	}
	type sale struct {
		visitor string
		time    int64
		lines   []storedLine
		total   int64
		old     sql.NullString
		latest  map[string]clickRow // by product
	}
	sales := make(map[string]*sale, len(ids))
	var lookups [][]any
	rows, err := w.tx.QueryContext(w.ctx, `SELECT e.id, e.visitor, e.time, e.lines, e.total, e.credit
		FROM json_each(?) j CROSS JOIN events e ON e.id = j.value
		WHERE e.kind = 3 AND e.visitor IS NOT NULL`, j) // anonymous since Forget: credit stays as it was
	if err != nil {
		return err
	}
	for rows.Next() {
		var id, lines string
		s := &sale{latest: make(map[string]clickRow)}
		if err := rows.Scan(&id, &s.visitor, &s.time, &lines, &s.total, &s.old); err != nil {
			rows.Close()
			return err
		}
		if err := json.Unmarshal([]byte(lines), &s.lines); err != nil {
			rows.Close()
			return fmt.Errorf("sale %s: lines: %w", id, err)
		}
		for _, l := range s.lines {
			s.latest[l.Product] = clickRow{time: math.MinInt64}
		}
		sales[id] = s
		lookups = append(lookups, []any{id, s.visitor, s.time, ""})
	}
	if err := rows.Close(); err != nil {
		return err
	}
	if len(lookups) == 0 {
		return nil
	}
	if j, err = jsonArg(lookups); err != nil {
		return err
	}
	rows, err = w.tx.QueryContext(w.ctx, membersCTE+`
		SELECT m.k, e.product, e.time, e.id, e.credit FROM m CROSS JOIN events e
		ON e.store = ?1 AND e.visitor = m.v AND e.time >= m.t - ?3 AND e.time <= m.t
		WHERE e.kind = 2 AND e.credit IS NOT NULL`, store, j, w.window)
	if err != nil {
		return err
	}
	for rows.Next() {
		var k string
		var c clickRow
		if err := rows.Scan(&k, &c.product, &c.time, &c.id, &c.credit); err != nil {
			rows.Close()
			return err
		}
		s := sales[k]
		cur, want := s.latest[c.product]
		if want && (c.time > cur.time || (c.time == cur.time && c.id > cur.id)) {
			s.latest[c.product] = c
		}
	}
	if err := rows.Close(); err != nil {
		return err
	}
	for _, id := range ids {
		s := sales[id]
		if s == nil {
			continue
		}
		cr := make(credit)
		for _, l := range s.lines {
			c := s.latest[l.Product]
			if c.id == "" {
				continue
			}
			for _, label := range decodeList(c.credit.String) {
				cr[label] += l.Price * l.Quantity
			}
		}
		now := cr.encode()
		if now == s.old {
			continue
		}
		if _, err := w.tx.ExecContext(w.ctx, `UPDATE events SET credit = ? WHERE id = ?`, now, id); err != nil {
			return err
		}
		w.c.saleCredit(store, s.time, s.total, decodeCredit(s.old), -1)
		w.c.saleCredit(store, s.time, s.total, cr, +1)
	}
	return nil
}
