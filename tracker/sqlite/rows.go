package sqlite

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/visitrack/visitrack/tracker"
	"github.com/visitrack/visitrack/tracker/credit"
	"github.com/visitrack/visitrack/tracker/internal/storekit"
)

// The kinds as stored.
const (
	kindImpression = int(tracker.KindImpression)
	kindClick      = int(tracker.KindClick)
	kindSale       = int(tracker.KindSale)
	kindView       = int(tracker.KindView)
	kindCategory   = int(tracker.KindCategory)
	kindSearch     = int(tracker.KindSearch)
	kindEmail      = int(tracker.KindEmail)
)

// onCredit reports whether rows of kind are on the credit chain.
func onCredit(kind int) bool {
	return kind == kindImpression || kind == kindClick || kind == kindSale || kind == kindEmail
}

// onActivity reports whether rows of kind are on the activity chain, the
// one History walks.
func onActivity(kind int) bool {
	return kind == kindClick || kind == kindView || kind == kindCategory || kind == kindSearch
}

// liveSQL is the condition on events rows that hold an event rather than a
// tombstone. Tombstones keep what must outlive an event: its ID (so that it
// is not stored again), a sale's ID and its place as the counted copy, and,
// for a purged event that arrived after newer ones, its place on its
// visitor's chains (vid, prev_*, pmax_*). Forgotten sales are events still.
const liveSQL = `(detail IS NOT NULL OR (kind != 3 AND item IS NOT NULL))`

// live reports whether r holds an event rather than a tombstone (liveSQL).
func (r *eventRow) live() bool {
	return r.detail.Valid || (r.kind != kindSale && r.item.Valid)
}

// eventRow is a row of events as read back.
type eventRow struct {
	rid     int64
	eid     string
	kind    int
	t       int64
	vid     sql.NullInt64
	prev    sql.NullInt64 // prev_c or prev_a, whichever chain is walked
	pmax    sql.NullInt64
	item    sql.NullString
	ls      sql.NullInt64
	detail  sql.NullString
	credit  sql.NullString
	counted sql.NullInt64
}

// The JSON in events.detail; events.credit holds a list of storekit.Credit.
type (
	impressionDetail struct {
		API      string   `json:"api"`
		Products []string `json:"products"`
	}
	clickDetail struct {
		API      string `json:"api,omitempty"`
		Given    int64  `json:"given,omitempty"` // the label set the click named
		Position int    `json:"pos,omitempty"`
		External bool   `json:"ext,omitempty"`
		FromT    int64  `json:"ft,omitempty"` // the impression it was backtracked to
		FromID   string `json:"fid,omitempty"`
	}
	saleDetail struct {
		Lines []storekit.Line `json:"lines"`
	}
)

// decodeInto appends what the row contributes to a cached group: an
// impression, a click, or a sale that counts.
func (r *eventRow) decodeInto(m *memory, sid int64, imps *[]credit.Impression, clicks *[]credit.Click, sales *[]credit.Sale) error {
	if !r.live() {
		return nil
	}
	switch r.kind {
	case kindImpression:
		var d impressionDetail
		if err := json.Unmarshal([]byte(r.detail.String), &d); err != nil {
			return fmt.Errorf("event row %d: %w", r.rid, err)
		}
		ps := make([]credit.Product, len(d.Products))
		for i, p := range d.Products {
			ps[i] = m.products.Of(sid, p)
		}
		*imps = append(*imps, credit.Impression{ID: r.eid, Time: r.t, Visitor: r.vid.Int64,
			Labels: credit.LabelSet(r.ls.Int64), Products: ps})
	case kindClick:
		c, err := r.click(m, sid)
		if err != nil {
			return err
		}
		*clicks = append(*clicks, c)
	case kindSale:
		if r.counted.Int64 != 1 || !r.detail.Valid {
			return nil
		}
		s, err := r.sale(m, sid)
		if err != nil {
			return err
		}
		*sales = append(*sales, s)
	}
	return nil
}

func (r *eventRow) click(m *memory, sid int64) (credit.Click, error) {
	var d clickDetail
	if r.detail.Valid {
		if err := json.Unmarshal([]byte(r.detail.String), &d); err != nil {
			return credit.Click{}, fmt.Errorf("event row %d: %w", r.rid, err)
		}
	}
	return credit.Click{Ref: r.rid, ID: r.eid, Time: r.t, Visitor: r.vid.Int64, Product: m.products.Of(sid, r.item.String),
		Given: credit.LabelSet(d.Given), Credit: credit.LabelSet(r.ls.Int64), From: credit.Mark{Time: d.FromT, ID: d.FromID}}, nil
}

// sale decodes a sale row; m gives product handles, or nil when the lines'
// products do not matter (counters, reports).
func (r *eventRow) sale(m *memory, sid int64) (credit.Sale, error) {
	stored, err := decodeLines(r.detail.String)
	if err != nil {
		return credit.Sale{}, fmt.Errorf("event row %d: %w", r.rid, err)
	}
	lines := make([]credit.Line, len(stored))
	for i, l := range stored {
		lines[i] = credit.Line{Price: l.Price, Quantity: l.Quantity}
		if m != nil {
			lines[i].Product = m.products.Of(sid, l.Product)
		}
	}
	cr, err := decodeCredit(r.credit.String, len(lines))
	if err != nil {
		return credit.Sale{}, fmt.Errorf("event row %d: %w", r.rid, err)
	}
	return credit.Sale{Ref: r.rid, ID: r.eid, Time: r.t, Visitor: r.vid.Int64, Lines: lines, Credit: cr}, nil
}

func decodeLines(detail string) ([]storekit.Line, error) {
	var d saleDetail
	if err := json.Unmarshal([]byte(detail), &d); err != nil {
		return nil, err
	}
	return d.Lines, nil
}

func decodeCredit(s string, n int) ([]credit.LineCredit, error) {
	out := make([]credit.LineCredit, n)
	if s == "" {
		return out, nil
	}
	var cs []storekit.Credit
	if err := json.Unmarshal([]byte(s), &cs); err != nil {
		return nil, err
	}
	for i := range min(n, len(cs)) {
		out[i] = credit.LineCredit{Labels: credit.LabelSet(cs[i].LS), Click: credit.Mark{Time: cs[i].T, ID: cs[i].ID}}
	}
	return out, nil
}

// The encoders below write the same JSON as encoding/json would, without
// its reflection, as they run for every event written.

func encodeImpression(api string, products []string) string {
	b := make([]byte, 0, 32+len(api)+16*len(products))
	b = append(b, `{"api":`...)
	b = appendString(b, api)
	b = append(b, `,"products":[`...)
	for i, p := range products {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, p)
	}
	return string(append(b, ']', '}'))
}

func encodeClick(d clickDetail) sql.NullString {
	if d == (clickDetail{}) {
		return sql.NullString{}
	}
	b := make([]byte, 0, 64)
	b = append(b, '{')
	sep := func(name string) {
		if len(b) > 1 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, name...)
		b = append(b, `":`...)
	}
	if d.API != "" {
		sep("api")
		b = appendString(b, d.API)
	}
	if d.Given != 0 {
		sep("given")
		b = strconv.AppendInt(b, d.Given, 10)
	}
	if d.Position != 0 {
		sep("pos")
		b = strconv.AppendInt(b, int64(d.Position), 10)
	}
	if d.External {
		sep("ext")
		b = append(b, "true"...)
	}
	if d.FromT != 0 {
		sep("ft")
		b = strconv.AppendInt(b, d.FromT, 10)
	}
	if d.FromID != "" {
		sep("fid")
		b = appendString(b, d.FromID)
	}
	return sql.NullString{String: string(append(b, '}')), Valid: true}
}

func encodeLines(lines []tracker.Line) string {
	b := make([]byte, 0, 16+32*len(lines))
	b = append(b, `{"lines":[`...)
	for i, l := range lines {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"p":`...)
		b = appendString(b, l.ID)
		b = append(b, `,"m":`...)
		b = strconv.AppendInt(b, tracker.Micros(l.Price), 10)
		b = append(b, `,"q":`...)
		b = strconv.AppendInt(b, int64(l.Quantity), 10)
		b = append(b, '}')
	}
	return string(append(b, "]}"...))
}

func encodeCredit(cs []credit.LineCredit) sql.NullString {
	b := make([]byte, 0, 8+40*len(cs))
	b = append(b, '[')
	for i, c := range cs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '{')
		if c.Labels != 0 {
			b = append(b, `"ls":`...)
			b = strconv.AppendInt(b, int64(c.Labels), 10)
			b = append(b, `,"t":`...)
			b = strconv.AppendInt(b, c.Click.Time, 10)
			b = append(b, `,"id":`...)
			b = appendString(b, c.Click.ID)
		}
		b = append(b, '}')
	}
	return sql.NullString{String: string(append(b, ']')), Valid: true}
}

// appendString appends s as a JSON string.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
			i++
		case c < 0x20:
			b = append(b, `\u00`...)
			b = append(b, "0123456789abcdef"[c>>4], "0123456789abcdef"[c&0xf])
			i++
		case c < utf8.RuneSelf:
			b = append(b, c)
			i++
		default:
			r, n := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && n == 1 {
				b = append(b, `\ufffd`...)
			} else {
				b = append(b, s[i:i+n]...)
			}
			i += n
		}
	}
	return append(b, '"')
}

// jsonStrings is ss as a JSON array, for json_each: the probes of a batch's
// event, visitor and sale IDs, which encoding/json took about 0.08 ms a
// batch to make.
func jsonStrings(ss []string) string {
	n := 2
	for _, s := range ss {
		n += len(s) + 3
	}
	b := make([]byte, 0, n)
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, s)
	}
	return string(append(b, ']'))
}

// collect reads every row a query returns, scan filling in one value per
// row.
func collect[T any](rows *sql.Rows, err error, scan func(rows *sql.Rows, v *T) error) ([]T, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		var v T
		if err := scan(rows, &v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// each calls f on every row a query returns.
func each(rows *sql.Rows, err error, f func(rows *sql.Rows) error) error {
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

// scanOne scans a single column.
func scanOne[T any](rows *sql.Rows, v *T) error { return rows.Scan(v) }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }
