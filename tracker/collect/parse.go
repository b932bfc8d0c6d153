package collect

import (
	"bytes"
	"encoding/json"
	"net/url"
	"reflect"
	"strconv"
	"unicode/utf8"

	"github.com/visitrack/visitrack/tracker"
)

// maxN bounds a click's "n": no list shows a million products.
const maxN = 999_999

// logRequest is a log/* request, decoded: the event's kind and what the
// tracker's method for it takes.
type logRequest struct {
	kind     tracker.Kind
	click    tracker.Click
	product  string // a view's
	category string
	email    string
	sale     tracker.Sale
}

// record hands r to t, which validates it (whether t is enabled or not)
// and records it unless t is disabled.
func (r *logRequest) record(t *tracker.Tracker) error {
	switch r.kind {
	case tracker.KindClick:
		return t.Click(r.click)
	case tracker.KindView:
		return t.View(r.product)
	case tracker.KindCategory:
		return t.Category(r.category)
	case tracker.KindEmail:
		return t.Email(r.email)
	case tracker.KindSale:
		return t.Sale(r.sale)
	}
	return nil
}

// argError is an argument of the wrong type; the tracker's rules come
// later, as *tracker.FieldError.
type argError struct {
	field string
	msg   string
}

func (e *argError) Error() string { return e.field + ": " + e.msg }

// source is a request's arguments: a JSON body's members, or a GET's query
// parameters, where lists come JSON-encoded as Clerk takes them. A missing
// argument, or a JSON null, reads as the zero value.
type source interface {
	text(field string) (string, error)     // a string
	id(field string) (string, error)       // a string or an integer
	labels(field string) ([]string, error) // a list of strings
	count(field string) (int, bool, error) // a non-negative integer, and whether there is one
	flag(field string) (bool, error)       // true or false
	lines(field string) ([]tracker.Line, error)
}

// parseLog decodes the arguments of a request to log/<kind>. Arguments the
// kind does not take ("key", "visitor", ...) are ignored: the visitor is
// the middleware's, whatever the body says.
func parseLog(kind tracker.Kind, src source) (logRequest, error) {
	r := logRequest{kind: kind}
	var err error
	switch kind {
	case tracker.KindClick:
		c := &r.click
		if c.Product, err = src.id("product"); err != nil {
			return r, err
		}
		if c.API, err = src.text("api"); err != nil {
			return r, err
		}
		if c.Labels, err = src.labels("labels"); err != nil {
			return r, err
		}
		n, known, nerr := src.count("n")
		if nerr != nil {
			return r, nerr
		}
		if known {
			c.Position = n + 1 // Clerk's n counts from 0
		}
		c.External, err = src.flag("external")
	case tracker.KindView:
		r.product, err = src.id("product")
	case tracker.KindCategory:
		r.category, err = src.id("category")
	case tracker.KindEmail:
		r.email, err = src.text("email")
	case tracker.KindSale:
		s := &r.sale
		if s.ID, err = src.id("sale"); err != nil {
			return r, err
		}
		if s.Products, err = src.lines("products"); err != nil {
			return r, err
		}
		if s.Customer, err = src.id("customer"); err != nil {
			return r, err
		}
		s.Email, err = src.text("email")
	}
	return r, err
}

// jsonArgs are the members of a JSON body that some log request takes.
type jsonArgs struct {
	Product  json.RawMessage `json:"product"`
	API      json.RawMessage `json:"api"`
	Labels   json.RawMessage `json:"labels"`
	N        json.RawMessage `json:"n"`
	External json.RawMessage `json:"external"`
	Category json.RawMessage `json:"category"`
	Email    json.RawMessage `json:"email"`
	Sale     json.RawMessage `json:"sale"`
	Products json.RawMessage `json:"products"`
	Customer json.RawMessage `json:"customer"`
}

// parseJSON decodes a body that must be one JSON object, in UTF-8 as JSON
// is: invalid UTF-8 is refused rather than replaced, as it is in a query.
func parseJSON(b []byte) (*jsonArgs, error) {
	a := new(jsonArgs)
	if t := bytes.TrimSpace(b); len(t) == 0 || t[0] != '{' || !utf8.Valid(t) {
		return nil, &argError{"body", "must be a JSON object in UTF-8"}
	}
	if err := json.Unmarshal(b, a); err != nil {
		return nil, &argError{"body", "must be a JSON object in UTF-8"}
	}
	return a, nil
}

// jsonMembers maps the name of each member jsonArgs takes, as its field's
// tag gives it, to the field's index, so that the names are written once.
var jsonMembers = func() map[string]int {
	t := reflect.TypeFor[jsonArgs]()
	m := make(map[string]int, t.NumField())
	for i := range t.NumField() {
		m[t.Field(i).Tag.Get("json")] = i
	}
	return m
}()

// raw returns the member named field, or nil when it is missing or null.
func (a *jsonArgs) raw(field string) json.RawMessage {
	i, ok := jsonMembers[field]
	if !ok {
		return nil
	}
	v := json.RawMessage(reflect.ValueOf(a).Elem().Field(i).Bytes())
	if string(v) == "null" {
		return nil
	}
	return v
}

// The members of a JSON body were checked to be valid JSON when the body
// was decoded, which lets the common case (strings without escapes) skip a
// second decoding: a valid JSON string without a backslash holds neither a
// quote nor a control character between its quotes.

func (a *jsonArgs) text(field string) (string, error) {
	v := a.raw(field)
	if s, ok := plainString(v); ok {
		return s, nil
	}
	return jsonText(field, v)
}

func jsonText(field string, v json.RawMessage) (string, error) {
	if v == nil {
		return "", nil
	}
	var s string
	if v[0] != '"' || json.Unmarshal(v, &s) != nil {
		return "", &argError{field, "must be a string"}
	}
	return s, nil
}

// plainString returns the text of v, a valid JSON value, when it is a
// string without escapes.
func plainString(v []byte) (string, bool) {
	if len(v) < 2 || v[0] != '"' || bytes.IndexByte(v, '\\') >= 0 {
		return "", false
	}
	return string(v[1 : len(v)-1]), true
}

func (a *jsonArgs) id(field string) (string, error) {
	v := a.raw(field)
	if v == nil {
		return "", nil
	}
	if s, ok := plainString(v); ok && len(s) <= tracker.MaxIDBytes {
		return s, nil
	}
	var p tracker.ProductID
	if err := p.UnmarshalJSON(v); err != nil {
		return "", &argError{field, "must be a string or an integer of at most 256 bytes"}
	}
	return string(p), nil
}

func (a *jsonArgs) labels(field string) ([]string, error) {
	v := a.raw(field)
	if ls, ok := plainStrings(v); ok {
		return ls, nil
	}
	return jsonLabels(field, v)
}

// plainStrings returns the strings of v, a valid JSON value, when it is a
// list of strings without escapes.
func plainStrings(v []byte) ([]string, bool) {
	if len(v) < 2 || v[0] != '[' || bytes.IndexByte(v, '\\') >= 0 {
		return nil, false
	}
	var out []string
	for i := 1; ; {
		i = skipSpace(v, i)
		switch {
		case i >= len(v):
			return nil, false
		case v[i] == ']':
			return out, true
		case v[i] != '"':
			return nil, false // a list of something else: the full decoder says what
		}
		end := bytes.IndexByte(v[i+1:], '"')
		if end < 0 {
			return nil, false
		}
		end += i + 1
		out = append(out, string(v[i+1:end]))
		i = skipSpace(v, end+1)
		if i < len(v) && v[i] == ',' {
			i++
		}
	}
}

func skipSpace(v []byte, i int) int {
	for i < len(v) && (v[i] == ' ' || v[i] == '\t' || v[i] == '\n' || v[i] == '\r') {
		i++
	}
	return i
}

func jsonLabels(field string, v json.RawMessage) ([]string, error) {
	if v == nil {
		return nil, nil
	}
	var ls []string
	if v[0] != '[' || json.Unmarshal(v, &ls) != nil {
		return nil, &argError{field, "must be a list of strings"}
	}
	return ls, nil
}

func (a *jsonArgs) count(field string) (int, bool, error) { return jsonCount(field, a.raw(field)) }

// jsonCount reads v as count does: nil is no count.
func jsonCount(field string, v json.RawMessage) (int, bool, error) {
	if v == nil {
		return 0, false, nil
	}
	s := string(v)
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > maxN || (len(s) > 1 && (s[0] == '0' || s[0] == '+')) {
		return 0, false, &argError{field, "must be an integer from 0 to " + strconv.Itoa(maxN)}
	}
	return n, true, nil
}

func (a *jsonArgs) flag(field string) (bool, error) {
	switch string(a.raw(field)) {
	case "", "false":
		return false, nil
	case "true":
		return true, nil
	}
	return false, &argError{field, "must be true or false"}
}

func (a *jsonArgs) lines(field string) ([]tracker.Line, error) { return jsonLines(field, a.raw(field)) }

func jsonLines(field string, v json.RawMessage) ([]tracker.Line, error) {
	if v == nil {
		return nil, nil
	}
	var items []json.RawMessage
	if v[0] != '[' || json.Unmarshal(v, &items) != nil {
		return nil, &argError{field, "must be a list of {id, price, quantity}"}
	}
	out := make([]tracker.Line, len(items))
	for i, it := range items {
		if len(it) == 0 || it[0] != '{' || out[i].UnmarshalJSON(it) != nil {
			return nil, &argError{field + "[" + strconv.Itoa(i) + "]",
				"must be {id: a string or an integer, price: a number, quantity: an integer}"}
		}
	}
	return out, nil
}

// queryArgs are a GET's query parameters; a parameter given twice counts
// once, the first time.
type queryArgs url.Values

func (q queryArgs) get(field string) (string, bool) {
	vs := q[field]
	if len(vs) == 0 {
		return "", false
	}
	return vs[0], true
}

func (q queryArgs) text(field string) (string, error) {
	s, _ := q.get(field)
	return s, nil
}

func (q queryArgs) id(field string) (string, error) { return q.text(field) }

// jsonValue returns the parameter named field, a JSON-encoded value, or nil
// when it is missing or empty.
func (q queryArgs) jsonValue(field string) json.RawMessage {
	s, ok := q.get(field)
	if !ok || s == "" {
		return nil
	}
	return json.RawMessage(s)
}

func (q queryArgs) labels(field string) ([]string, error) {
	return jsonLabels(field, q.jsonValue(field))
}

func (q queryArgs) count(field string) (int, bool, error) {
	return jsonCount(field, q.jsonValue(field))
}

func (q queryArgs) flag(field string) (bool, error) {
	s, _ := q.get(field)
	switch s {
	case "", "false", "0":
		return false, nil
	case "true", "1":
		return true, nil
	}
	return false, &argError{field, "must be true or false"}
}

func (q queryArgs) lines(field string) ([]tracker.Line, error) {
	return jsonLines(field, q.jsonValue(field))
}

// parseQuery reads a GET's query string.
func parseQuery(raw string) (queryArgs, error) {
	q, err := url.ParseQuery(raw)
	if err != nil {
		return nil, &argError{"query", "is not a valid query string"}
	}
	return queryArgs(q), nil
}
