package tracker_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/visitrack/visitrack/tracker"
)

func TestProductIDAcceptsStringsAndIntegers(t *testing.T) {
	t.Parallel()
	tests := map[string]tracker.ProductID{
		`12793`:                         "12793",
		`"12793"`:                       "12793",
		` 12793 `:                       "12793",
		`0`:                             "0",
		`"0123"`:                        "0123", // a string is taken as it is
		`-5`:                            "-5",
		`"SKU-12/a"`:                    "SKU-12/a",
		`"\u00e6bler"`:                  "æbler",
		`""`:                            "",
		`98765432109876543210987654321`: "98765432109876543210987654321", // beyond int64: IDs are strings
		`"` + strings.Repeat("x", tracker.MaxIDBytes) + `"`:      tracker.ProductID(strings.Repeat("x", tracker.MaxIDBytes)),
		`"` + strings.Repeat(`\u0041`, tracker.MaxIDBytes) + `"`: tracker.ProductID(strings.Repeat("A", tracker.MaxIDBytes)),
	}
	for in, want := range tests {
		var p tracker.ProductID
		if assert.NoError(t, json.Unmarshal([]byte(in), &p), "%s", in) {
			assert.Equal(t, want, p, "%s", in)
		}
	}

	var a, b tracker.ProductID
	require.NoError(t, json.Unmarshal([]byte(`12793`), &a))
	require.NoError(t, json.Unmarshal([]byte(`"12793"`), &b))
	assert.Equal(t, a, b, "a number and the same digits as a string are the same product")
}

func TestProductIDRejects(t *testing.T) {
	t.Parallel()
	// Valid JSON that is not a string or an integer, through json.Unmarshal.
	for _, in := range []string{`12.5`, `1e3`, `1E3`, `12.0`, `-0.5`, `true`, `false`, `null`, `{}`, `[]`, `["1"]`, `{"id":1}`} {
		var p tracker.ProductID = "kept"
		err := json.Unmarshal([]byte(in), &p)
		assert.ErrorIs(t, err, tracker.ErrBadProductID, "%s", in)
		assert.Equal(t, tracker.ProductID("kept"), p, "%s", in)
	}
	// IDs longer than MaxIDBytes, however they are written.
	for _, in := range []string{`"` + strings.Repeat("x", tracker.MaxIDBytes+1) + `"`,
		`"` + strings.Repeat(`\u0041`, tracker.MaxIDBytes+1) + `"`,
		`"` + strings.Repeat("æ", tracker.MaxIDBytes/2) + `x"`,
		`"` + strings.Repeat("x", 1<<20) + `"`} {
		var p tracker.ProductID = "kept"
		err := json.Unmarshal([]byte(in), &p)
		assert.ErrorIs(t, err, tracker.ErrBadProductID, "%.20s", in)
		assert.ErrorIs(t, err, tracker.ErrTooLong, "%.20s", in)
		assert.Equal(t, tracker.ProductID("kept"), p)
	}
	// Not JSON at all: UnmarshalJSON itself must refuse, whatever decoder
	// (or none) calls it.
	for _, in := range []string{``, ` `, `-`, `--1`, `0123`, `-0123`, `00`, `+1`, `1 2`, `0x1F`, `12a`, `"12`, `"1"2`, `'1'`,
		`12345678901234567890123456789012345678901`} {
		var p tracker.ProductID = "kept"
		err := p.UnmarshalJSON([]byte(in))
		assert.ErrorIs(t, err, tracker.ErrBadProductID, "%q", in)
		assert.Equal(t, tracker.ProductID("kept"), p, "%q", in)
	}
}

func TestSaleJSONClerkShape(t *testing.T) {
	t.Parallel()
	in := `{"sale": 567, "customer": 1234, "email": "a@example.com", "products": [
		{"id": 12793, "price": 99.95, "quantity": 2},
		{"id": "12793", "price": 10, "quantity": 1}]}`
	var s tracker.Sale
	require.NoError(t, json.Unmarshal([]byte(in), &s))
	assert.Equal(t, tracker.Sale{ID: "567", Customer: "1234", Email: "a@example.com", Products: []tracker.Line{
		{ID: "12793", Price: 99.95, Quantity: 2},
		{ID: "12793", Price: 10, Quantity: 1},
	}}, s)
	assert.Equal(t, s.Products[0].ID, s.Products[1].ID)
	_, err := s.Validate()
	assert.NoError(t, err)

	// String IDs everywhere, and no customer or email.
	var s2 tracker.Sale
	require.NoError(t, json.Unmarshal([]byte(`{"sale":"A-567","products":[{"id":"x","price":1.5,"quantity":3}]}`), &s2))
	assert.Equal(t, tracker.Sale{ID: "A-567", Products: []tracker.Line{{ID: "x", Price: 1.5, Quantity: 3}}}, s2)

	// A guest's order may carry "customer": null: no customer, still a sale.
	var s3 tracker.Sale
	require.NoError(t, json.Unmarshal([]byte(`{"sale":9,"customer":null,"products":[{"id":1,"price":2,"quantity":1}]}`), &s3))
	assert.Equal(t, tracker.Sale{ID: "9", Products: []tracker.Line{{ID: "1", Price: 2, Quantity: 1}}}, s3)

	// Decoding replaces what the sale held.
	require.NoError(t, json.Unmarshal([]byte(`{"sale":1,"products":[]}`), &s))
	assert.Equal(t, tracker.Sale{ID: "1", Products: []tracker.Line{}}, s)
	_, err = s.Validate()
	assert.ErrorIs(t, err, tracker.ErrNoLines)
}

func TestSaleJSONErrors(t *testing.T) {
	t.Parallel()
	bad := map[string]error{
		`{"sale": 5.5, "products": []}`:                          tracker.ErrBadProductID,
		`{"sale": true, "products": []}`:                         tracker.ErrBadProductID,
		`{"sale": 1, "customer": {}, "products": []}`:            tracker.ErrBadProductID,
		`{"sale": 1, "products": [{"id": 1.5, "quantity": 1}]}`:  tracker.ErrBadProductID,
		`{"sale": 1, "products": [{"id": null, "quantity": 1}]}`: tracker.ErrBadProductID,
		`{"sale": 1, "products": [{"id": [1], "quantity": 1}]}`:  tracker.ErrBadProductID,
		`{"sale": 1, "products": [{"id": 1, "quantity": 1.5}]}`:  nil,
		`{"sale": 1, "products": [{"id": 1, "price": "9.95"}]}`:  nil,
		`{"sale": 1, "products": {"id": 1}}`:                     nil,
		`{"sale": 1, "products": [{"id": 1, "quantity": 1}]`:     nil,
		`[]`:     nil,
		`"sale"`: nil,
		`{"sale": 1, "products": [{"id": 1, "quantity": 1e400}]}`:         nil,
		`{"sale": 1, "products": [{"id": 1, "price": 1e400}]}`:            nil,
		`{"sale": 1, "email": 5, "products": [{"id": 1, "quantity": 1}]}`: nil,
	}
	for in, want := range bad {
		var s tracker.Sale
		err := json.Unmarshal([]byte(in), &s)
		if assert.Error(t, err, "%s", in) && want != nil {
			assert.ErrorIs(t, err, want, "%s", in)
		}
	}
}

// IDs are bounded where they enter: a sale, customer, line or click ID
// longer than MaxIDBytes does not decode.
func TestJSONRefusesLongIDs(t *testing.T) {
	t.Parallel()
	long := `"` + strings.Repeat("7", tracker.MaxIDBytes+1) + `"`
	for _, in := range []string{
		`{"sale": ` + long + `, "products": [{"id": 1, "price": 1, "quantity": 1}]}`,
		`{"sale": 1, "customer": ` + long + `, "products": [{"id": 1, "price": 1, "quantity": 1}]}`,
		`{"sale": 1, "products": [{"id": 1, "price": 1, "quantity": 1}, {"id": ` + long + `, "price": 1, "quantity": 1}]}`,
	} {
		var s tracker.Sale
		assert.ErrorIs(t, json.Unmarshal([]byte(in), &s), tracker.ErrTooLong)
	}
	var c tracker.Click
	assert.ErrorIs(t, json.Unmarshal([]byte(`{"product": `+long+`}`), &c), tracker.ErrTooLong)
	var l tracker.Line
	assert.ErrorIs(t, json.Unmarshal([]byte(`{"id": `+long+`}`), &l), tracker.ErrTooLong)
}

func TestSaleJSONRoundTrip(t *testing.T) {
	t.Parallel()
	s := tracker.Sale{ID: "567", Customer: "1234", Email: "a@example.com",
		Products: []tracker.Line{{ID: "12793", Price: 99.95, Quantity: 2}, {ID: "8812", Price: 0.1, Quantity: 1}}}
	b, err := json.Marshal(s)
	require.NoError(t, err)
	assert.JSONEq(t, `{"sale":"567","customer":"1234","email":"a@example.com","products":[
		{"id":"12793","price":99.95,"quantity":2},{"id":"8812","price":0.1,"quantity":1}]}`, string(b))
	var got tracker.Sale
	require.NoError(t, json.Unmarshal(b, &got))
	assert.Equal(t, s, got)
}

func TestClickJSON(t *testing.T) {
	t.Parallel()
	var c tracker.Click
	require.NoError(t, json.Unmarshal([]byte(
		`{"product": 12793, "api": "recommendations/trending", "labels": ["Homepage - Trending"], "position": 3}`), &c))
	assert.Equal(t, tracker.Click{Product: "12793", API: "recommendations/trending",
		Labels: []string{"Homepage - Trending"}, Position: 3}, c)

	var c2 tracker.Click
	require.NoError(t, json.Unmarshal([]byte(`{"product": "12793", "external": true}`), &c2))
	assert.Equal(t, tracker.Click{Product: "12793", External: true}, c2)

	var c3 tracker.Click
	assert.ErrorIs(t, json.Unmarshal([]byte(`{"product": 12793.5}`), &c3), tracker.ErrBadProductID)

	// A decoded click records like any other.
	tr, m := trkNew(t)
	require.NoError(t, tr.Click(c))
	e := trkOnly(t, m)
	assert.Equal(t, "12793", e.Product)
	assert.Equal(t, []string{"Homepage - Trending"}, e.Labels)
	assert.Equal(t, 3, e.Position)

	// A click encodes in the shape it decodes from.
	b, err := json.Marshal(c)
	require.NoError(t, err)
	assert.JSONEq(t, `{"product":"12793","api":"recommendations/trending","labels":["Homepage - Trending"],"position":3}`, string(b))
}

func TestLineJSON(t *testing.T) {
	t.Parallel()
	var ls []tracker.Line
	require.NoError(t, json.Unmarshal([]byte(`[{"id":7,"price":1.25,"quantity":4},{"id":"7"}]`), &ls))
	assert.Equal(t, []tracker.Line{{ID: "7", Price: 1.25, Quantity: 4}, {ID: "7"}}, ls)
}

func FuzzProductID(f *testing.F) {
	for _, s := range []string{`12793`, `"12793"`, `0`, `-1`, `-0`, `12.5`, `1e3`, `true`, `null`, `{}`, `[]`, `-`,
		`0123`, `"0123"`, `""`, `"\u00e6"`, `"\ud800"`, " 7\n", `"a\"b"`, "\"\xff\""} {
		f.Add([]byte(s))
	}
	f.Add([]byte(`"` + strings.Repeat("x", tracker.MaxIDBytes+1) + `"`))
	f.Add([]byte(`"` + strings.Repeat(`\u00e6`, tracker.MaxIDBytes/2) + `"`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var p tracker.ProductID
		if err := p.UnmarshalJSON(data); err != nil {
			assert.ErrorIs(t, err, tracker.ErrBadProductID)
			return
		}
		assert.LessOrEqual(t, len(p), tracker.MaxIDBytes)
		// The ID, sent on as a JSON string, is the same ID.
		b, err := json.Marshal(string(p))
		require.NoError(t, err)
		var again tracker.ProductID
		require.NoError(t, json.Unmarshal(b, &again), "%s", b)
		assert.Equal(t, p, again)

		// An integer and its digits as a string are the same ID.
		if isInteger(data) {
			var q tracker.ProductID
			require.NoError(t, json.Unmarshal(b, &q))
			assert.Equal(t, tracker.ProductID(trimJSONSpace(data)), p)
			assert.Equal(t, p, q)
		}
	})
}

// trimJSONSpace trims JSON's white space from b.
func trimJSONSpace(b []byte) string {
	s := string(b)
	for len(s) > 0 && isJSONSpace(s[0]) {
		s = s[1:]
	}
	for len(s) > 0 && isJSONSpace(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return s
}

func isJSONSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// isInteger reports whether b is a JSON integer: valid JSON, a number, no
// fraction or exponent.
func isInteger(b []byte) bool {
	if !json.Valid(b) {
		return false
	}
	s := trimJSONSpace(b)
	if s == "" {
		return false
	}
	if s[0] == '-' {
		s = s[1:]
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// saleSentinels are the errors Sale.Validate may return, wrapped.
var saleSentinels = []error{tracker.ErrNoSaleID, tracker.ErrNoLines, tracker.ErrNoProduct,
	tracker.ErrBadQuantity, tracker.ErrBadPrice, tracker.ErrBadTotal, tracker.ErrBadEmail,
	tracker.ErrTooLong, tracker.ErrBadText, tracker.ErrTooMany, tracker.ErrEmpty}

func FuzzSaleJSON(f *testing.F) {
	for _, s := range []string{
		`{"sale": 567, "customer": 1234, "email": "a@example.com", "products": [{"id": 12793, "price": 99.95, "quantity": 2}, {"id": "12793", "price": 99.95, "quantity": 1}]}`,
		`{"sale": "A-1", "products": [{"id": "x", "price": 0, "quantity": 1}]}`,
		`{"sale": "", "products": []}`,
		`{"sale": 1, "products": [{"id": "", "price": 1, "quantity": 1}]}`,
		`{"sale": 1, "products": [{"id": 1, "price": -0.01, "quantity": 1}]}`,
		`{"sale": 1, "products": [{"id": 1, "price": -0, "quantity": 1}]}`,
		`{"sale": 1, "products": [{"id": 1, "price": 1, "quantity": 0}]}`,
		`{"sale": 1, "email": "A <a@b.c>", "products": [{"id": 1, "price": 1, "quantity": 1}]}`,
		`{"sale": 1, "email": " A@B.C ", "customer": " ", "products": [{"id": 1, "price": 1.7976931348623157e308, "quantity": 9223372036854775807}]}`,
		`{"SALE": 1, "Products": [{"ID": 1, "Price": 1, "Quantity": 1}], "sale": 2}`,
		`null`, `{}`, `[]`, `{"sale": null}`, `{"sale": 1.5}`, `{"products": null}`,
		"{\"sale\": \"\xff\", \"products\": [{\"id\": \"\\ud800\", \"price\": 1, \"quantity\": 1}]}",
		`{"sale": 1, "products": [{"id": "a\u001fb", "price": 1, "quantity": 1}]}`,
		`{"sale": 1, "products": [{"id": 1, "price": 1e9, "quantity": 1000000}]}`,
		`{"sale": 1, "products": [{"id": 1, "price": 1000000000.01, "quantity": 1}]}`,
		`{"sale": "` + strings.Repeat("9", tracker.MaxIDBytes+1) + `", "products": [{"id": 1, "price": 1, "quantity": 1}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var s tracker.Sale
		if err := json.Unmarshal(data, &s); err != nil {
			return
		}
		assert.LessOrEqual(t, len(s.ID), tracker.MaxIDBytes)
		assert.LessOrEqual(t, len(s.Customer), tracker.MaxIDBytes)
		for _, l := range s.Products {
			assert.LessOrEqual(t, len(l.ID), tracker.MaxIDBytes)
		}

		// A Tracker refuses what Validate refuses, and records only what
		// a store accepts.
		m := tracker.NewMemory()
		tr := trkInto(m)
		terr := tr.Sale(s)
		for _, e := range m.Events() {
			assert.NoError(t, e.Validate())
		}

		if _, err := s.Validate(); err != nil {
			assert.True(t, isSaleSentinel(err), "Validate returned %v, not a sentinel", err)
			var fe *tracker.FieldError
			assert.ErrorAs(t, err, &fe)
			if assert.Error(t, terr) {
				assert.Equal(t, err.Error(), terr.Error())
			}
			return
		}
		require.NoError(t, terr)
		b, err := json.Marshal(s)
		require.NoError(t, err)
		var again tracker.Sale
		require.NoError(t, json.Unmarshal(b, &again), "%s", b)
		assert.Equal(t, s, again)
		_, err = again.Validate()
		assert.NoError(t, err)
	})
}

func isSaleSentinel(err error) bool {
	for _, s := range saleSentinels {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}
