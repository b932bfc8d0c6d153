package dashboard

import (
	"bytes"
	"cmp"
	"encoding/csv"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"
)

// kind is the type of a column's cells, which decides how a page shows
// them and how an export writes them.
type kind int

const (
	kindText  kind = iota // string; CSV: guarded against formulas
	kindCount             // int
	kindMoney             // money, or optMoney: "1234.50" in exports
	kindRatio             // ratio: a fraction, 6 places; null/empty without a value
	kindTime              // time.Time: RFC 3339 with the shop's offset
)

// column is one column of a table: Key names it in exports (CSV header,
// JSON field), Title on the page.
type column struct {
	Key, Title string
	Kind       kind
}

// Numeric reports whether the page aligns the column's cells right.
func (c column) Numeric() bool { return c.Kind != kindText && c.Kind != kindTime }

// table is what a page shows as a table and an export writes: the same
// cells. Rows hold one value per column, of the column's kind.
type table struct {
	Name  string // its export's file name, without extension
	Title string
	Cols  []column
	Rows  [][]any
	// Links, when not nil, holds for each row where its first cell leads.
	Links []string
	// step says how time cells are shown on the page.
	step step
}

// cell returns the cell as a page shows it.
func (t *table) cell(row, col int) string {
	switch v := t.Rows[row][col].(type) {
	case string:
		return v
	case int:
		return groupDigits(int64(v))
	case money:
		return v.String()
	case optMoney:
		return v.String()
	case ratio:
		return v.String()
	case time.Time:
		return bucketLabel(v, t.step)
	}
	return ""
}

// sortBy orders the rows by the column keyed key, descending or not; ties
// keep their order. It reports whether the table has such a column.
func (t *table) sortBy(key string, desc bool) bool {
	col := slices.IndexFunc(t.Cols, func(c column) bool { return c.Key == key })
	if col < 0 {
		return false
	}
	idx := make([]int, len(t.Rows))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		c := compareCells(t.Rows[a][col], t.Rows[b][col])
		if desc {
			return -c
		}
		return c
	})
	rows := make([][]any, len(idx))
	var links []string
	if t.Links != nil {
		links = make([]string, len(idx))
	}
	for i, j := range idx {
		rows[i] = t.Rows[j]
		if links != nil {
			links[i] = t.Links[j]
		}
	}
	t.Rows, t.Links = rows, links
	return true
}

// compareCells orders two cells of one column. A ratio without a value
// comes before every value.
func compareCells(a, b any) int {
	switch a := a.(type) {
	case string:
		return cmp.Or(cmp.Compare(strings.ToLower(a), strings.ToLower(b.(string))), cmp.Compare(a, b.(string)))
	case int:
		return cmp.Compare(a, b.(int))
	case money:
		return cmp.Compare(a, b.(money))
	case optMoney:
		b := b.(optMoney)
		return cmp.Or(cmpBool(a.OK, b.OK), cmp.Compare(a.M, b.M))
	case ratio:
		b := b.(ratio)
		return cmp.Or(cmpBool(a.OK, b.OK), cmp.Compare(a.V, b.V))
	case time.Time:
		return a.Compare(b.(time.Time))
	}
	return 0
}

// cmpBool orders false before true.
func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// csvText guards a text cell against formula injection: a spreadsheet
// runs a cell that starts with = + - @ (or a tab or carriage return, which
// some strip first) as a formula, so such a cell gets a leading apostrophe,
// which spreadsheets show as text.
func csvText(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// writeCSV writes t with a header of the columns' keys.
func (t *table) writeCSV(buf *bytes.Buffer) error {
	w := csv.NewWriter(buf)
	rec := make([]string, len(t.Cols))
	for i, c := range t.Cols {
		rec[i] = c.Key
	}
	if err := w.Write(rec); err != nil {
		return err
	}
	for _, row := range t.Rows {
		for i, v := range row {
			switch v := v.(type) {
			case string:
				rec[i] = csvText(v)
			case int:
				rec[i] = strconv.Itoa(v)
			case money:
				rec[i] = v.decimal()
			case optMoney:
				rec[i] = ""
				if v.OK {
					rec[i] = v.M.decimal()
				}
			case ratio:
				rec[i] = v.decimal()
			case time.Time:
				rec[i] = v.Format(time.RFC3339)
			}
		}
		if err := w.Write(rec); err != nil {
			return err
		}
	}
	w.Flush()
	return w.Error()
}

// exportHeader is what a JSON export says about its table before the
// rows.
type exportHeader struct {
	Version  int    `json:"version"`
	Table    string `json:"table"`
	Store    string `json:"store"`
	TimeZone string `json:"time_zone"`
	From     string `json:"from"`
	To       string `json:"to"`
	Currency string `json:"currency"`
}

// writeJSON writes t as an object: the header's fields, then "rows", an
// array of objects with the columns' keys as fields, in the columns' order.
func (t *table) writeJSON(buf *bytes.Buffer, h exportHeader) error {
	head, err := json.Marshal(h)
	if err != nil {
		return err
	}
	buf.Write(head[:len(head)-1])
	buf.WriteString(`,"rows":[`)
	for r, row := range t.Rows {
		if r > 0 {
			buf.WriteByte(',')
		}
		buf.WriteString("\n{")
		for i, v := range row {
			if i > 0 {
				buf.WriteByte(',')
			}
			k, _ := json.Marshal(t.Cols[i].Key)
			buf.Write(k)
			buf.WriteByte(':')
			var val []byte
			switch v := v.(type) {
			case string:
				val, err = json.Marshal(v)
			case int:
				val = strconv.AppendInt(nil, int64(v), 10)
			case money:
				val, err = json.Marshal(v.decimal())
			case optMoney:
				val = []byte("null")
				if v.OK {
					val, err = json.Marshal(v.M.decimal())
				}
			case ratio:
				if v.OK {
					val = strconv.AppendFloat(nil, round6(v.V), 'f', -1, 64)
				} else {
					val = []byte("null")
				}
			case time.Time:
				val, err = json.Marshal(v.Format(time.RFC3339))
			}
			if err != nil {
				return err
			}
			buf.Write(val)
		}
		buf.WriteByte('}')
	}
	buf.WriteString("]}\n")
	return nil
}
