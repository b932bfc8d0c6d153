package postgres

import (
	"encoding/json"
	"fmt"

	"github.com/visitrack/visitrack/tracker"
	"github.com/visitrack/visitrack/tracker/credit"
	"github.com/visitrack/visitrack/tracker/internal/storekit"
)

// liveSQL is the condition on events rows that hold an event rather than
// what Forget left of one.
const liveSQL = `(CASE kind WHEN 3 THEN lines IS NOT NULL WHEN 1 THEN products IS NOT NULL ELSE item IS NOT NULL END)`

// events.lines and events.credit hold JSON lists of storekit.Line and
// storekit.Credit.

func encodeLines(lines []tracker.Line) []byte {
	out := make([]storekit.Line, len(lines))
	for i, l := range lines {
		out[i] = storekit.Line{Product: l.ID, Price: tracker.Micros(l.Price), Quantity: int64(l.Quantity)}
	}
	b, _ := json.Marshal(out) // strings and integers only
	return b
}

func encodeCredit(cs []credit.LineCredit) []byte {
	out := make([]storekit.Credit, len(cs))
	for i, c := range cs {
		if c.Labels != 0 {
			out[i] = storekit.Credit{LS: int64(c.Labels), T: c.Click.Time, ID: c.Click.ID}
		}
	}
	b, _ := json.Marshal(out)
	return b
}

// row is a row of events as read back for a group or a report.
type row struct {
	vid     *int64
	kind    int16
	t       int64
	eid     string
	item    *string
	labels  *int64
	given   *int64
	fromT   *int64
	fromID  *string
	prods   []string
	lines   []byte
	credit  []byte
	counted *bool
}

// sale decodes a sale row; m gives product handles, or nil when the lines'
// products do not matter.
func (r *row) sale(m *memory, sid int64) (credit.Sale, error) {
	stored, err := storekit.DecodeLines(r.lines)
	if err != nil {
		return credit.Sale{}, fmt.Errorf("sale %s: %w", r.eid, err)
	}
	s := credit.Sale{ID: r.eid, Time: r.t, Lines: make([]credit.Line, len(stored)), Credit: make([]credit.LineCredit, len(stored))}
	if r.vid != nil {
		s.Visitor = *r.vid
	}
	for i, l := range stored {
		s.Lines[i] = credit.Line{Price: l.Price, Quantity: l.Quantity}
		if m != nil {
			s.Lines[i].Product = m.products.Of(sid, l.Product)
		}
	}
	if len(r.credit) > 0 {
		var cs []storekit.Credit
		if err := json.Unmarshal(r.credit, &cs); err != nil {
			return credit.Sale{}, fmt.Errorf("sale %s: %w", r.eid, err)
		}
		for i := range min(len(cs), len(s.Credit)) {
			if cs[i].LS != 0 {
				s.Credit[i] = credit.LineCredit{Labels: credit.LabelSet(cs[i].LS), Click: credit.Mark{Time: cs[i].T, ID: cs[i].ID}}
			}
		}
	}
	return s, nil
}

func (r *row) click(m *memory, sid int64) credit.Click {
	c := credit.Click{ID: r.eid, Time: r.t, Product: m.products.Of(sid, deref(r.item))}
	if r.vid != nil {
		c.Visitor = *r.vid
	}
	if r.given != nil {
		c.Given = credit.LabelSet(*r.given)
	}
	if r.labels != nil {
		c.Credit = credit.LabelSet(*r.labels)
	}
	if r.fromID != nil && r.fromT != nil {
		c.From = credit.Mark{Time: *r.fromT, ID: *r.fromID}
	}
	return c
}

func (r *row) impression(m *memory, sid int64) credit.Impression {
	imp := credit.Impression{ID: r.eid, Time: r.t, Products: make([]credit.Product, len(r.prods))}
	if r.vid != nil {
		imp.Visitor = *r.vid
	}
	if r.labels != nil {
		imp.Labels = credit.LabelSet(*r.labels)
	}
	for i, p := range r.prods {
		imp.Products[i] = m.products.Of(sid, p)
	}
	return imp
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// orNil is v as a column value, NULL when it is the zero value.
func orNil[T comparable](v T) any {
	var zero T
	if v == zero {
		return nil
	}
	return v
}

// productsOf returns the product IDs of a sale's lines.
func productsOf(lines []byte) ([]string, error) {
	stored, err := storekit.DecodeLines(lines)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(stored))
	for i, l := range stored {
		out[i] = l.Product
	}
	return out, nil
}
