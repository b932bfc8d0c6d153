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
			return permanent(fmt.Errorf("%w: event %d (id %q): %v", ErrInvalidEvent, i, events[i].ID, err))
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
	w := &writeTx{ctx: ctx, tx: tx, window: s.window, c: newCounters(), groups: make(map[string][]string)}
	if err := w.run(rows); err != nil {
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
	tx     *sql.Tx
	window int64
	c      *counters
	groups map[string][]string // store\x00visitor → linked visitors

	insert, linkNew, linkSeen *sql.Stmt
}

type clickRow struct {
	id, store, visitor, product string
	time                        int64
	credit                      sql.NullString
}

type linkRow struct {
	store, visitor, key string
	time                int64
}

func (w *writeTx) prepare() error {
	var err error
	w.insert, err = w.tx.PrepareContext(w.ctx, `INSERT OR IGNORE INTO events
		(id, store, kind, visitor, time, api, labels, products, product, position, external,
		 sale, lines, total, customer, email, category, query, credit)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	w.linkNew, err = w.tx.PrepareContext(w.ctx, `INSERT OR IGNORE INTO links (store, visitor, key, time) VALUES (?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	w.linkSeen, err = w.tx.PrepareContext(w.ctx, `UPDATE links SET time = ? WHERE store = ? AND visitor = ? AND key = ? AND time < ?`)
	return err
}

func (w *writeTx) run(rows []eventRow) error {
	if err := w.prepare(); err != nil {
		return err
	}
	var (
		imps    []*eventRow
		resolve = make(map[string]clickRow) // unlabelled clicks to backtrack
		changed []clickRow                  // clicks whose credit is new or changed
		dirty   = make(map[string]bool)     // sale event IDs to re-attribute
		links   []linkRow
	)
	for i := range rows {
		r := &rows[i]
		res, err := w.insert.ExecContext(w.ctx, r.id, r.store, r.kind, r.visitor, r.time, r.api, r.labels, r.products,
			r.product, r.position, r.external, r.sale, r.lines, r.total, r.customer, r.email, r.category, r.query, r.credit)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			continue // a duplicate event, or a sale ID already stored
		}
		switch r.kind {
		case kindImpression:
			w.c.contrib(contribRow{store: r.store, kind: r.kind, time: r.time, labels: r.labels, products: r.products}, +1)
			imps = append(imps, r)
		case kindClick:
			c := clickRow{id: r.id, store: r.store, visitor: r.visitor, product: r.product.String, time: r.time, credit: r.credit}
			if r.credit.Valid {
				w.c.clickCredit(r.store, r.time, r.credit, +1)
				changed = append(changed, c)
			} else {
				resolve[r.id] = c
			}
		case kindSale:
			w.c.contrib(contribRow{store: r.store, kind: r.kind, time: r.time, total: r.total}, +1)
			dirty[r.id] = true
			if r.email.Valid {
				links = append(links, linkRow{r.store, r.visitor, "e:" + r.email.String, r.time})
			}
			if r.customer.Valid {
				links = append(links, linkRow{r.store, r.visitor, "c:" + r.customer.String, r.time})
			}
		case kindEmail:
			links = append(links, linkRow{r.store, r.visitor, "e:" + r.email.String, r.time})
		}
	}
	if err := w.findLateClicks(imps, resolve); err != nil {
		return err
	}
	for _, c := range resolve {
		ok, err := w.backtrack(&c)
		if err != nil {
			return err
		}
		if ok {
			changed = append(changed, c)
		}
	}
	// Links go in after the clicks are resolved and before any group is
	// looked up, so that every lookup sees the whole batch.
	var relinked []linkRow
	for _, l := range links {
		res, err := w.linkNew.ExecContext(w.ctx, l.store, l.visitor, l.key, l.time)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n > 0 {
			relinked = append(relinked, l)
			continue
		}
		// Known already: keep the latest time it was seen, which is what
		// Purge compares with.
		if _, err := w.linkSeen.ExecContext(w.ctx, l.time, l.store, l.visitor, l.key, l.time); err != nil {
			return err
		}
	}
	if err := w.salesAfterClicks(changed, dirty); err != nil {
		return err
	}
	if err := w.salesOfGroups(relinked, dirty); err != nil {
		return err
	}
	ids := make([]string, 0, len(dirty))
	for id := range dirty {
		ids = append(ids, id)
	}
	sortStrings(ids)
	for _, id := range ids {
		if err := w.attribute(id); err != nil {
			return err
		}
	}
	return w.c.flush(w.ctx, w.tx)
}

// findLateClicks adds to resolve the stored unlabelled clicks that a new
// impression may explain: same store, visitor and product, at or after it.
func (w *writeTx) findLateClicks(imps []*eventRow, resolve map[string]clickRow) error {
	if len(imps) == 0 {
		return nil
	}
	st, err := w.tx.PrepareContext(w.ctx, `SELECT id, product, time, credit FROM events
		WHERE store = ? AND visitor = ? AND time >= ? AND kind = 2 AND labels IS NULL`)
	if err != nil {
		return err
	}
	defer st.Close()
	for _, imp := range imps {
		rows, err := st.QueryContext(w.ctx, imp.store, imp.visitor, imp.time)
		if err != nil {
			return err
		}
		for rows.Next() {
			c := clickRow{store: imp.store, visitor: imp.visitor}
			if err := rows.Scan(&c.id, &c.product, &c.time, &c.credit); err != nil {
				rows.Close()
				return err
			}
			if slices.Contains(imp.productList, c.product) {
				if _, ok := resolve[c.id]; !ok {
					resolve[c.id] = c
				}
			}
		}
		if err := rows.Close(); err != nil {
			return err
		}
	}
	return nil
}

// backtrack credits an unlabelled click to the labels of the latest
// impression of its product for its visitor at or before it, and reports
// whether that changed its credit.
func (w *writeTx) backtrack(c *clickRow) (bool, error) {
	var labels sql.NullString
	err := w.tx.QueryRowContext(w.ctx, `SELECT labels FROM events
		WHERE store = ? AND visitor = ? AND time <= ? AND kind = 1 AND instr(products, ?) > 0
		ORDER BY time DESC, id DESC LIMIT 1`,
		c.store, c.visitor, c.time, sep+c.product+sep).Scan(&labels)
	if err != nil && err != sql.ErrNoRows {
		return false, err
	}
	if labels == c.credit {
		return false, nil
	}
	if _, err := w.tx.ExecContext(w.ctx, `UPDATE events SET credit = ? WHERE id = ?`, labels, c.id); err != nil {
		return false, err
	}
	w.c.clickCredit(c.store, c.time, c.credit, -1)
	w.c.clickCredit(c.store, c.time, labels, +1)
	c.credit = labels
	return true, nil
}

// group returns the visitors linked to visitor (itself included).
func (w *writeTx) group(store, visitor string) ([]string, error) {
	k := store + "\x00" + visitor
	if g, ok := w.groups[k]; ok {
		return g, nil
	}
	g, err := linked(w.ctx, w.tx, store, []string{visitor}, nil)
	if err != nil {
		return nil, err
	}
	for _, v := range g.visitors {
		w.groups[store+"\x00"+v] = g.visitors
	}
	return g.visitors, nil
}

// salesAfterClicks marks the sales that a click with new credit may earn
// credit from: sales by the click's linked visitors of a product the click
// was on, within the window after it.
func (w *writeTx) salesAfterClicks(clicks []clickRow, dirty map[string]bool) error {
	if len(clicks) == 0 {
		return nil
	}
	st, err := w.tx.PrepareContext(w.ctx, `SELECT id FROM events
		WHERE store = ? AND visitor = ? AND time >= ? AND time <= ? AND kind = 3 AND instr(products, ?) > 0`)
	if err != nil {
		return err
	}
	defer st.Close()
	for _, c := range clicks {
		g, err := w.group(c.store, c.visitor)
		if err != nil {
			return err
		}
		for _, v := range g {
			if err := collect(w.ctx, st, dirty, c.store, v, c.time, c.time+w.window, sep+c.product+sep); err != nil {
				return err
			}
		}
	}
	return nil
}

// salesOfGroups marks every sale of the visitors a new link joined.
func (w *writeTx) salesOfGroups(links []linkRow, dirty map[string]bool) error {
	if len(links) == 0 {
		return nil
	}
	st, err := w.tx.PrepareContext(w.ctx, `SELECT id FROM events WHERE store = ? AND visitor = ? AND kind = 3`)
	if err != nil {
		return err
	}
	defer st.Close()
	done := make(map[string]bool)
	for _, l := range links {
		g, err := w.group(l.store, l.visitor)
		if err != nil {
			return err
		}
		for _, v := range g {
			if done[l.store+"\x00"+v] {
				continue
			}
			done[l.store+"\x00"+v] = true
			if err := collect(w.ctx, st, dirty, l.store, v); err != nil {
				return err
			}
		}
	}
	return nil
}

func collect(ctx context.Context, st *sql.Stmt, into map[string]bool, args ...any) error {
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return err
		}
		into[id] = true
	}
	return rows.Err()
}

// attribute recomputes the credit of the sale with event ID id: each line
// goes to the labels of the latest credited click on its product by one of
// the sale's linked visitors within the window before the sale.
func (w *writeTx) attribute(id string) error {
	var (
		store   string
		visitor sql.NullString
		t       int64
		lines   string
		total   int64
		old     sql.NullString
	)
	err := w.tx.QueryRowContext(w.ctx, `SELECT store, visitor, time, lines, total, credit FROM events WHERE id = ? AND kind = 3`, id).
		Scan(&store, &visitor, &t, &lines, &total, &old)
	if err == sql.ErrNoRows || (err == nil && !visitor.Valid) {
		return nil // gone, or anonymous since Forget: its credit stays as it was
	}
	if err != nil {
		return err
	}
	var ls []storedLine
	if err := json.Unmarshal([]byte(lines), &ls); err != nil {
		return fmt.Errorf("sale %s: lines: %w", id, err)
	}
	g, err := w.group(store, visitor.String)
	if err != nil {
		return err
	}
	type best struct {
		time   int64
		id     string
		labels string
	}
	latest := make(map[string]best, len(ls))
	for _, l := range ls {
		latest[l.Product] = best{time: math.MinInt64}
	}
	for _, v := range g {
		rows, err := w.tx.QueryContext(w.ctx, `SELECT product, time, id, credit FROM events
			WHERE store = ? AND visitor = ? AND time >= ? AND time <= ? AND kind = 2 AND credit IS NOT NULL`,
			store, v, t-w.window, t)
		if err != nil {
			return err
		}
		for rows.Next() {
			var b best
			var p string
			if err := rows.Scan(&p, &b.time, &b.id, &b.labels); err != nil {
				rows.Close()
				return err
			}
			cur, want := latest[p]
			if want && (b.time > cur.time || (b.time == cur.time && b.id > cur.id)) {
				latest[p] = b
			}
		}
		if err := rows.Close(); err != nil {
			return err
		}
	}
	cr := make(credit)
	for _, l := range ls {
		b := latest[l.Product]
		if b.id == "" {
			continue
		}
		for _, label := range decodeList(b.labels) {
			cr[label] += l.Price * l.Quantity
		}
	}
	now := cr.encode()
	if now == old {
		return nil
	}
	if _, err := w.tx.ExecContext(w.ctx, `UPDATE events SET credit = ? WHERE id = ?`, now, id); err != nil {
		return err
	}
	w.c.saleCredit(store, t, total, decodeCredit(old), -1)
	w.c.saleCredit(store, t, total, cr, +1)
	return nil
}
