package tracker_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/visitrack/visitrack/consent"
	"github.com/visitrack/visitrack/tracker"
)

// valEvent returns a valid event of kind k, as a store receives it.
func valEvent(k tracker.Kind) tracker.Event {
	e := tracker.Event{ID: "d6ncvqq6r8bc73b8ggo0", Kind: k, Store: trkStore, Visitor: trkVisitor, Time: trkNow}
	switch k {
	case tracker.KindImpression:
		e.API, e.Labels, e.Products = "recommendations/trending", []string{"Homepage - Trending"}, []string{"12793", "8812"}
	case tracker.KindClick, tracker.KindView:
		e.Product = "12793"
	case tracker.KindCategory:
		e.Category = "shoes"
	case tracker.KindSearch:
		e.Query = "red shoes"
	case tracker.KindEmail:
		e.Email = "a@example.com"
	case tracker.KindSale:
		e.Sale, e.Customer, e.Email = "567", "1234", "a@example.com"
		e.Lines = []tracker.Line{{ID: "12793", Price: 99.95, Quantity: 2}, {ID: "8812", Price: 0, Quantity: 1}}
	}
	return e
}

var valKinds = []tracker.Kind{tracker.KindImpression, tracker.KindClick, tracker.KindSale, tracker.KindView,
	tracker.KindCategory, tracker.KindSearch, tracker.KindEmail}

func TestValidateAcceptsValidEvents(t *testing.T) {
	t.Parallel()
	for _, k := range valKinds {
		e := valEvent(k)
		assert.NoError(t, e.Validate(), "%s", k)
		assert.NoError(t, e.CheckTime(trkNow), "%s", k)
	}
	// What a click or sale may leave out.
	e := valEvent(tracker.KindClick)
	e.API, e.Labels = "recommendations/trending", []string{"Homepage - Trending"}
	assert.NoError(t, e.Validate())
	e = valEvent(tracker.KindSale)
	e.Customer, e.Email = "", ""
	assert.NoError(t, e.Validate())
}

func TestValidate(t *testing.T) {
	t.Parallel()
	x := func(n int) string { return strings.Repeat("x", n) }
	n := func(count int, s string) []string {
		out := make([]string, count)
		for i := range out {
			out[i] = s + x(i)
		}
		return out
	}
	tests := []struct {
		name   string
		kind   tracker.Kind
		change func(*tracker.Event)
		field  string
		want   error
	}{
		{"no kind", tracker.KindView, func(e *tracker.Event) { e.Kind = 0 }, "kind", tracker.ErrBadEvent},
		{"unknown kind", tracker.KindView, func(e *tracker.Event) { e.Kind = 99 }, "kind", tracker.ErrBadEvent},
		{"no ID", tracker.KindView, func(e *tracker.Event) { e.ID = "" }, "id", tracker.ErrBadEvent},
		{"long ID", tracker.KindView, func(e *tracker.Event) { e.ID = x(257) }, "id", tracker.ErrTooLong},
		{"ID with NUL", tracker.KindView, func(e *tracker.Event) { e.ID = "a\x00" }, "id", tracker.ErrBadText},
		{"no store", tracker.KindView, func(e *tracker.Event) { e.Store = "" }, "store", tracker.ErrBadEvent},
		{"blank store", tracker.KindView, func(e *tracker.Event) { e.Store = " " }, "store", tracker.ErrBadEvent},
		{"long store", tracker.KindView, func(e *tracker.Event) { e.Store = x(257) }, "store", tracker.ErrTooLong},
		{"store not UTF-8", tracker.KindView, func(e *tracker.Event) { e.Store = "shop\xff" }, "store", tracker.ErrBadText},
		{"no visitor", tracker.KindView, func(e *tracker.Event) { e.Visitor = "" }, "visitor", tracker.ErrBadEvent},
		{"long visitor", tracker.KindView, func(e *tracker.Event) { e.Visitor = x(257) }, "visitor", tracker.ErrTooLong},
		{"visitor with DEL", tracker.KindView, func(e *tracker.Event) { e.Visitor = "v\x7f" }, "visitor", tracker.ErrBadText},
		{"no time", tracker.KindView, func(e *tracker.Event) { e.Time = time.Time{} }, "time", tracker.ErrBadEvent},
		{"time before 1970", tracker.KindView, func(e *tracker.Event) { e.Time = time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC) }, "time", tracker.ErrBadEvent},
		{"time after 9999", tracker.KindView, func(e *tracker.Event) { e.Time = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) }, "time", tracker.ErrBadEvent},

		{"impression, no API", tracker.KindImpression, func(e *tracker.Event) { e.API = "" }, "api", tracker.ErrNoAPI},
		{"impression, long API", tracker.KindImpression, func(e *tracker.Event) { e.API = x(201) }, "api", tracker.ErrTooLong},
		{"impression, no labels", tracker.KindImpression, func(e *tracker.Event) { e.Labels = nil }, "labels", tracker.ErrNoLabels},
		{"impression, empty label", tracker.KindImpression, func(e *tracker.Event) { e.Labels = []string{"a", ""} }, "labels[1]", tracker.ErrNoLabels},
		{"impression, 21 labels", tracker.KindImpression, func(e *tracker.Event) { e.Labels = n(21, "l") }, "labels", tracker.ErrTooMany},
		{"impression, long label", tracker.KindImpression, func(e *tracker.Event) { e.Labels = []string{x(201)} }, "labels[0]", tracker.ErrTooLong},
		{"impression, label with control", tracker.KindImpression, func(e *tracker.Event) { e.Labels = []string{"a\u009fb"} }, "labels[0]", tracker.ErrBadText},
		{"impression, no products", tracker.KindImpression, func(e *tracker.Event) { e.Products = nil }, "products", tracker.ErrNoProduct},
		{"impression, 1001 products", tracker.KindImpression, func(e *tracker.Event) { e.Products = make([]string, 1001) }, "products", tracker.ErrTooMany},
		{"impression, empty product", tracker.KindImpression, func(e *tracker.Event) { e.Products = []string{"1", ""} }, "products[1]", tracker.ErrNoProduct},
		{"impression, long product", tracker.KindImpression, func(e *tracker.Event) { e.Products = []string{x(257)} }, "products[0]", tracker.ErrTooLong},

		{"click, no product", tracker.KindClick, func(e *tracker.Event) { e.Product = "" }, "product", tracker.ErrNoProduct},
		{"click, unit separator", tracker.KindClick, func(e *tracker.Event) { e.Product = "1\x1f2" }, "product", tracker.ErrBadText},
		{"click, long API", tracker.KindClick, func(e *tracker.Event) { e.API = x(201) }, "api", tracker.ErrTooLong},
		{"click, 21 labels", tracker.KindClick, func(e *tracker.Event) { e.Labels = n(21, "l") }, "labels", tracker.ErrTooMany},
		{"click, blank label", tracker.KindClick, func(e *tracker.Event) { e.Labels = []string{" "} }, "labels[0]", tracker.ErrNoLabels},
		{"view, no product", tracker.KindView, func(e *tracker.Event) { e.Product = " " }, "product", tracker.ErrNoProduct},
		{"view, long product", tracker.KindView, func(e *tracker.Event) { e.Product = x(257) }, "product", tracker.ErrTooLong},
		{"category, empty", tracker.KindCategory, func(e *tracker.Event) { e.Category = "" }, "category", tracker.ErrEmpty},
		{"category, long", tracker.KindCategory, func(e *tracker.Event) { e.Category = x(257) }, "category", tracker.ErrTooLong},
		{"search, empty", tracker.KindSearch, func(e *tracker.Event) { e.Query = "" }, "query", tracker.ErrEmpty},
		{"search, long", tracker.KindSearch, func(e *tracker.Event) { e.Query = x(501) }, "query", tracker.ErrTooLong},
		{"search, cut mid-rune", tracker.KindSearch, func(e *tracker.Event) { e.Query = "\xff\xfe\xc3(wool" }, "query", tracker.ErrBadText},
		{"email, empty", tracker.KindEmail, func(e *tracker.Event) { e.Email = "" }, "email", tracker.ErrBadEmail},
		{"email, display name", tracker.KindEmail, func(e *tracker.Event) { e.Email = "A <a@b.c>" }, "email", tracker.ErrBadEmail},
		{"email, long", tracker.KindEmail, func(e *tracker.Event) { e.Email = x(243) + "@example.com" }, "email", tracker.ErrBadEmail},

		{"sale, no ID", tracker.KindSale, func(e *tracker.Event) { e.Sale = "" }, "sale", tracker.ErrNoSaleID},
		{"sale, long ID", tracker.KindSale, func(e *tracker.Event) { e.Sale = x(257) }, "sale", tracker.ErrTooLong},
		{"sale, no lines", tracker.KindSale, func(e *tracker.Event) { e.Lines = nil }, "products", tracker.ErrNoLines},
		{"sale, 1001 lines", tracker.KindSale, func(e *tracker.Event) { e.Lines = make([]tracker.Line, 1001) }, "products", tracker.ErrTooMany},
		{"sale, line without product", tracker.KindSale, func(e *tracker.Event) { e.Lines[1].ID = "" }, "products[1].id", tracker.ErrNoProduct},
		{"sale, line with control", tracker.KindSale, func(e *tracker.Event) { e.Lines[0].ID = "\x1f" }, "products[0].id", tracker.ErrBadText},
		{"sale, NaN price", tracker.KindSale, func(e *tracker.Event) { e.Lines[1].Price = math.NaN() }, "products[1].price", tracker.ErrBadPrice},
		{"sale, infinite price", tracker.KindSale, func(e *tracker.Event) { e.Lines[1].Price = math.Inf(1) }, "products[1].price", tracker.ErrBadPrice},
		{"sale, negative price", tracker.KindSale, func(e *tracker.Event) { e.Lines[0].Price = -1 }, "products[0].price", tracker.ErrBadPrice},
		{"sale, huge price", tracker.KindSale, func(e *tracker.Event) { e.Lines[0].Price = 1e10 }, "products[0].price", tracker.ErrBadPrice},
		{"sale, quantity 0", tracker.KindSale, func(e *tracker.Event) { e.Lines[0].Quantity = 0 }, "products[0].quantity", tracker.ErrBadQuantity},
		{"sale, huge quantity", tracker.KindSale, func(e *tracker.Event) { e.Lines[0].Quantity = 1e7 }, "products[0].quantity", tracker.ErrBadQuantity},
		{"sale, worth too much", tracker.KindSale, func(e *tracker.Event) {
			e.Lines[0].Price, e.Lines[0].Quantity = 1e9, 1000
			e.Lines[1].Price = 0.01
		}, "products", tracker.ErrBadTotal},
		{"sale, long customer", tracker.KindSale, func(e *tracker.Event) { e.Customer = x(257) }, "customer", tracker.ErrTooLong},
		{"sale, blank customer", tracker.KindSale, func(e *tracker.Event) { e.Customer = " " }, "customer", tracker.ErrEmpty},
		{"sale, bad email", tracker.KindSale, func(e *tracker.Event) { e.Email = "a@" }, "email", tracker.ErrBadEmail},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := valEvent(tt.kind)
			tt.change(&e)
			err := e.Validate()
			require.ErrorIs(t, err, tt.want)
			var fe *tracker.FieldError
			require.ErrorAs(t, err, &fe)
			assert.Equal(t, tt.field, fe.Field)
			assert.Equal(t, tt.want, fe.Err, "Err is the sentinel itself")
			assert.True(t, utf8.ValidString(err.Error()), "%q", err.Error())
		})
	}
}

func TestFieldErrorMessage(t *testing.T) {
	t.Parallel()
	e := valEvent(tracker.KindSale)
	e.Lines = append(e.Lines, tracker.Line{ID: "1", Price: -1, Quantity: 1})
	assert.EqualError(t, e.Validate(),
		`tracker: sale "567", products[2].price: price must be finite, 0 ≤ price ≤ 1e9 (got -1)`)

	e = valEvent(tracker.KindImpression)
	e.Labels = append(e.Labels, "a\x1fb")
	assert.EqualError(t, e.Validate(), `tracker: call "recommendations/trending", labels[1]: `+
		`text must be valid UTF-8 without control characters (control character U+001F at byte 1)`)

	e = valEvent(tracker.KindView)
	e.Product = strings.Repeat("7", 300)
	assert.EqualError(t, e.Validate(), `tracker: product: too long (300 bytes, at most 256)`)

	// Personal data stays out of messages.
	e = valEvent(tracker.KindEmail)
	e.Email = "secret-person@example.com (work)"
	err := e.Validate()
	require.ErrorIs(t, err, tracker.ErrBadEmail)
	assert.NotContains(t, err.Error(), "secret")
	e = valEvent(tracker.KindSale)
	e.Customer = "secret\x00customer"
	err = e.Validate()
	require.ErrorIs(t, err, tracker.ErrBadText)
	assert.NotContains(t, err.Error(), "secret")

	// A FieldError made by hand reads sensibly too.
	assert.EqualError(t, &tracker.FieldError{Field: "product", Err: tracker.ErrNoProduct},
		"tracker: product: a product ID is required")
}

func TestCheckTime(t *testing.T) {
	t.Parallel()
	e := valEvent(tracker.KindView)
	now := trkNow
	for _, at := range []time.Time{now, now.Add(-24 * time.Hour), now.Add(tracker.MaxClockSkew)} {
		e.Time = at
		assert.NoError(t, e.CheckTime(now), "%v", at.Sub(now))
	}
	e.Time = now.Add(tracker.MaxClockSkew + time.Microsecond)
	err := e.CheckTime(now)
	require.ErrorIs(t, err, tracker.ErrFuture)
	var fe *tracker.FieldError
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, "time", fe.Field)
	assert.NoError(t, e.Validate(), "Validate does not look at the clock")
}

func TestNormalize(t *testing.T) {
	t.Parallel()
	loc := time.FixedZone("CET", 3600)
	at := time.Date(2026, 3, 14, 15, 9, 26, 535_897_932, loc)
	labels := []string{" Homepage - Trending ", "", "Sidebar", "Homepage - Trending", " ", "Sidebar "}
	products := []string{" 12793", "8812 ", ""}
	lines := []tracker.Line{{ID: " 12793 ", Price: 1, Quantity: 2}}
	head := func(k tracker.Kind) tracker.Event {
		return tracker.Event{ID: " id ", Kind: k, Store: "shop-dk", Visitor: "v", Time: at}
	}
	with := func(k tracker.Kind, change func(*tracker.Event)) tracker.Event {
		e := head(k)
		change(&e)
		return e
	}
	tests := []struct {
		name    string
		in, out tracker.Event
	}{
		{"impression",
			with(tracker.KindImpression, func(e *tracker.Event) { e.API, e.Labels, e.Products = " search/search\n", labels, products }),
			with(tracker.KindImpression, func(e *tracker.Event) {
				e.API, e.Labels, e.Products = "search/search", []string{"Homepage - Trending", "Sidebar"}, []string{"12793", "8812", ""}
			})},
		{"click",
			with(tracker.KindClick, func(e *tracker.Event) { e.Product, e.Labels, e.Position, e.External = "\t12793 ", labels, -2, true }),
			with(tracker.KindClick, func(e *tracker.Event) {
				e.Product, e.Labels, e.External = "12793", []string{"Homepage - Trending", "Sidebar"}, true
			})},
		{"click, blank labels",
			with(tracker.KindClick, func(e *tracker.Event) { e.Product, e.Labels = "12793", []string{" ", ""} }),
			with(tracker.KindClick, func(e *tracker.Event) { e.Product = "12793" })},
		{"sale",
			with(tracker.KindSale, func(e *tracker.Event) {
				e.Sale, e.Lines, e.Customer, e.Email = " 567 ", lines, " 1234 ", " A.Buyer@Example.COM "
			}),
			with(tracker.KindSale, func(e *tracker.Event) {
				e.Sale, e.Lines, e.Customer, e.Email = "567", []tracker.Line{{ID: "12793", Price: 1, Quantity: 2}}, "1234", "a.buyer@example.com"
			})},
		{"category",
			with(tracker.KindCategory, func(e *tracker.Event) { e.Category = " shoes " }),
			with(tracker.KindCategory, func(e *tracker.Event) { e.Category = "shoes" })},
		{"search",
			with(tracker.KindSearch, func(e *tracker.Event) { e.Query = "  " + strings.Repeat("ø", 300) }),
			with(tracker.KindSearch, func(e *tracker.Event) { e.Query = strings.Repeat("ø", 250) })},
		{"email",
			with(tracker.KindEmail, func(e *tracker.Event) { e.Email = "\tA@B.C " }),
			with(tracker.KindEmail, func(e *tracker.Event) { e.Email = "a@b.c" })},
		{"fields of other kinds",
			with(tracker.KindView, func(e *tracker.Event) {
				e.Product, e.Position, e.External = "12793", 2, true
				e.Labels, e.Lines, e.Query, e.Email, e.Sale = labels, lines, "q", "a@b.c", "567"
			}),
			with(tracker.KindView, func(e *tracker.Event) { e.Product, e.Position, e.External = "12793", 2, true })},
		{"unknown kind",
			with(99, func(e *tracker.Event) { e.Query, e.Lines = " q ", lines }),
			with(99, func(e *tracker.Event) { e.Query, e.Lines = "q", []tracker.Line{{ID: "12793", Price: 1, Quantity: 2}} })},
	}
	for _, tt := range tests {
		e := tt.in
		e.Normalize()
		tt.out.Time = time.Date(2026, 3, 14, 15, 9, 26, 535_897_000, loc) // truncated, same location
		assert.Equal(t, tt.out, e, tt.name)

		again := e
		again.Normalize()
		assert.Equal(t, e, again, "%s: a second Normalize changes nothing", tt.name)
	}

	// The caller's slices are as they were.
	assert.Equal(t, []string{" Homepage - Trending ", "", "Sidebar", "Homepage - Trending", " ", "Sidebar "}, labels)
	assert.Equal(t, []string{" 12793", "8812 ", ""}, products)
	assert.Equal(t, " 12793 ", lines[0].ID)

	// The zero time stays zero.
	e := tracker.Event{Kind: tracker.KindView}
	e.Normalize()
	assert.True(t, e.Time.IsZero())

	// Many labels, many duplicates.
	many := make([]string, 0, 200)
	for i := range 200 {
		many = append(many, []string{"a", "b", "c", " a", "d "}[i%5])
	}
	e = tracker.Event{Kind: tracker.KindClick, Labels: many}
	e.Normalize()
	assert.Equal(t, []string{"a", "b", "c", "d"}, e.Labels)
}

func TestNormalizeDoesNotRace(t *testing.T) {
	t.Parallel()
	// Events of one Call share its labels; stores may normalize them on
	// several goroutines.
	shared := []string{"Homepage - Trending", "Sidebar"}
	done := make(chan struct{})
	for range 4 {
		go func() {
			defer func() { done <- struct{}{} }()
			for range 100 {
				e := valEvent(tracker.KindImpression)
				e.Labels = shared
				e.Normalize()
				assert.NoError(t, e.Validate())
			}
		}()
	}
	for range 4 {
		<-done
	}
}

// valSentinels are the errors Validate wraps.
var valSentinels = []error{tracker.ErrNoLabels, tracker.ErrNoAPI, tracker.ErrNoProduct, tracker.ErrNoSaleID,
	tracker.ErrNoLines, tracker.ErrBadQuantity, tracker.ErrBadPrice, tracker.ErrBadTotal, tracker.ErrBadEmail,
	tracker.ErrEmpty, tracker.ErrTooLong, tracker.ErrBadText, tracker.ErrTooMany, tracker.ErrBadEvent}

// valSplit splits a fuzzed list at "|"; "" is no list.
func valSplit(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "|")
}

// FuzzValidate builds an event from its arguments (lists separated by "|";
// every product of products also makes a sale line of price and quantity)
// and checks Normalize and Validate against each other and against what a
// Tracker does with the same input.
func FuzzValidate(f *testing.F) {
	type seed struct {
		kind                             uint8
		id, store, visitor               string
		sec, nsec                        int64
		api, labels, products, product   string
		position                         int
		sale                             string
		price                            float64
		quantity                         int
		customer, email, category, query string
	}
	for _, s := range []seed{
		{kind: 1, api: "recommendations/trending", labels: "Homepage - Trending|Sidebar", products: "12793|8812"},
		{kind: 1, api: " search ", labels: "Home|Home| Home", products: " 1 | 2"},
		{kind: 2, product: "12793", api: "search/search", labels: "Search", position: 3},
		{kind: 2, product: "127\x1f93", labels: "a\x00"},
		{kind: 3, sale: "567", products: "12793|8812", price: 99.95, quantity: 2, customer: "1234", email: " A@Example.com "},
		{kind: 3, sale: "567", products: "1", price: 1e9, quantity: 1_000_000},
		{kind: 3, sale: "567", products: "1", price: math.NaN(), quantity: 1},
		{kind: 4, product: "\xff12793"},
		{kind: 5, category: "shoes\u0085"},
		{kind: 6, query: "\xff\xfe\xc3(wool"},
		{kind: 6, query: strings.Repeat("a", 499) + "€"},
		{kind: 7, email: "A <a@b.c>"},
		{kind: 7, email: "İ@example.com"},
		{kind: 0}, {kind: 8},
	} {
		if s.id == "" {
			s.id, s.store, s.visitor, s.sec, s.nsec = "d6ncvqq6r8bc73b8ggo0", trkStore, trkVisitor, trkNow.Unix(), 535_897_932
		}
		f.Add(s.kind, s.id, s.store, s.visitor, s.sec, s.nsec, s.api, s.labels, s.products, s.product, s.position,
			s.sale, s.price, s.quantity, s.customer, s.email, s.category, s.query)
	}
	f.Fuzz(func(t *testing.T, kind uint8, id, store, visitor string, sec, nsec int64,
		api, labels, products, product string, position int,
		sale string, price float64, quantity int, customer, email, category, query string) {
		ps := valSplit(products)
		var lines []tracker.Line
		for _, p := range ps {
			lines = append(lines, tracker.Line{ID: p, Price: price, Quantity: quantity})
		}
		raw := tracker.Event{ID: id, Kind: tracker.Kind(kind), Store: store, Visitor: visitor, Time: time.Unix(sec, nsec),
			API: api, Labels: valSplit(labels), Products: ps, Product: product, Position: position,
			Sale: sale, Lines: lines, Customer: customer, Email: email, Category: category, Query: query}
		before := valClone(raw)

		rawErr := raw.Validate()
		valCheckError(t, rawErr)
		if err := raw.CheckTime(trkNow); err != nil {
			assert.ErrorIs(t, err, tracker.ErrFuture)
			assert.True(t, raw.Time.After(trkNow.Add(tracker.MaxClockSkew)))
		}

		e := raw
		e.Normalize()
		valEqual(t, before, raw, "Normalize leaves the caller's slices alone")
		err := e.Validate()
		valCheckError(t, err)
		if rawErr == nil {
			assert.NoError(t, err, "a valid event stays valid once normalized")
		}

		again := valClone(e)
		again.Normalize()
		valEqual(t, e, again, "Normalize is idempotent")
		assert.Equal(t, valVerdict(err), valVerdict(again.Validate()), "the verdict is stable")

		if err == nil {
			assert.LessOrEqual(t, len(e.Labels), tracker.MaxLabels)
			seen := make(map[string]bool)
			for _, l := range e.Labels {
				assert.False(t, seen[l], "duplicate label %q", l)
				seen[l] = true
			}
			_, jerr := json.Marshal(e)
			assert.NoError(t, jerr, "a valid event encodes, as a spool needs")
		}

		// A Tracker given the same input agrees with Normalize+Validate on
		// an event it stamps.
		m := tracker.NewMemory()
		tr := tracker.New(tracker.Options{Store: trkStore, Visitor: trkVisitor, Consent: consent.Cookieless,
			Recorder: m, Now: func() time.Time { return trkNow }})
		var terr error
		switch raw.Kind {
		case tracker.KindImpression:
			var call *tracker.Call
			if call, terr = tr.Call(api, raw.Labels...); terr == nil {
				terr = call.Shown(ps...)
			}
		case tracker.KindClick:
			terr = tr.Click(tracker.Click{Product: product, API: api, Labels: raw.Labels, Position: position})
		case tracker.KindSale:
			terr = tr.Sale(tracker.Sale{ID: sale, Customer: customer, Email: email, Products: lines})
		case tracker.KindView:
			terr = tr.View(product)
		case tracker.KindCategory:
			terr = tr.Category(category)
		case tracker.KindSearch:
			terr = tr.Search(query)
		case tracker.KindEmail:
			terr = tr.Email(email)
		default:
			return
		}
		valCheckError(t, terr)
		stamped := e
		stamped.ID, stamped.Store, stamped.Visitor, stamped.Time = "d6ncvqq6r8bc73b8ggo0", trkStore, trkVisitor, trkNow
		assert.Equal(t, valVerdict(stamped.Validate()), valVerdict(terr), "the Tracker and Validate agree")
		for _, rec := range m.Events() {
			assert.NoError(t, rec.Validate(), "what a Tracker records is valid")
		}
	})
}

// valClone copies e's slices, so that a later change to e shows.
func valClone(e tracker.Event) tracker.Event {
	e.Labels = append([]string(nil), e.Labels...)
	e.Products = append([]string(nil), e.Products...)
	e.Lines = append([]tracker.Line(nil), e.Lines...)
	return e
}

// valEqual asserts that a and b are equal, a NaN price equal to itself.
func valEqual(t *testing.T, a, b tracker.Event, msg string) {
	t.Helper()
	assert.Equal(t, fmt.Sprintf("%#v", a), fmt.Sprintf("%#v", b), msg)
}

// valVerdict is what an error from Validate says: the field and rule, or
// nothing.
func valVerdict(err error) string {
	var fe *tracker.FieldError
	if errors.As(err, &fe) {
		return fe.Field + ": " + fe.Err.Error()
	}
	if err != nil {
		return "not a FieldError: " + err.Error()
	}
	return ""
}

// valCheckError checks that err, when there is one, is a *FieldError
// wrapping one of the sentinels, with a readable message.
func valCheckError(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var fe *tracker.FieldError
	if !assert.ErrorAs(t, err, &fe) {
		return
	}
	assert.NotEmpty(t, fe.Field)
	assert.Contains(t, valSentinels, fe.Err, "%v", err)
	assert.True(t, utf8.ValidString(err.Error()), "%q", err.Error())
}
