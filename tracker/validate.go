package tracker

import (
	"fmt"
	"math"
	"net/mail"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits on what an event may hold. Input is bounded where it enters (a
// Tracker's methods, JSON decoding, tracker/collect), so that one bad event
// can neither fail a store's batch nor grow without bound. Text is also
// valid UTF-8 without control characters (unicode.IsControl: U+0000–U+001F
// and U+007F–U+009F), and lengths count bytes, not characters.
const (
	// MaxIDBytes bounds product, sale and customer IDs, and an event's ID,
	// store and visitor.
	MaxIDBytes = 256
	// MaxLabels is how many labels a call or a click may carry, once empty
	// and duplicate labels are removed.
	MaxLabels = 20
	// MaxLabelBytes bounds one label.
	MaxLabelBytes = 200
	// MaxAPIBytes bounds an API name such as "recommendations/trending".
	MaxAPIBytes = 200
	// MaxEmailBytes bounds an email address, as RFC 5321's path limit does.
	MaxEmailBytes = 254
	// MaxCategoryBytes bounds a category.
	MaxCategoryBytes = 256
	// MaxQueryBytes bounds a search query. A longer query is cut at a rune
	// boundary rather than refused: what a visitor typed is still worth
	// keeping, and a shop cannot always bound it.
	MaxQueryBytes = 500
	// MaxResults bounds the result count a search may report.
	MaxResults = 1_000_000_000
	// MaxProducts is how many products one impression may show: more than
	// any page lists, few enough that an impression stays a small row.
	MaxProducts = 1000
	// MaxLines is how many lines one sale may have.
	MaxLines = 1000
	// MaxPrice bounds a line's unit price; prices are finite and at least 0.
	MaxPrice = 1e9
	// MaxQuantity bounds a line's quantity; quantities are at least 1.
	MaxQuantity = 1_000_000
	// MaxSaleTotal bounds a sale's value, the sum of its lines' price ×
	// quantity. MaxPrice and MaxQuantity alone would let one line be worth
	// 1e15, or 1e21 micro-units, past what an int64 holds (about 9.2e18);
	// with this bound every line's and every sale's value in micro-units
	// (see Micros) is at most 1e18 and fits an int64.
	MaxSaleTotal = 1e12
	// MaxClockSkew is how far after the receiver's clock an event may be
	// dated; CheckTime refuses one dated later.
	MaxClockSkew = 5 * time.Minute
)

// FieldError is an event, or the input of a Tracker's method, that breaks a
// rule. Field names the field as it is called on the wire ("product",
// "labels[3]", "products[2].price"; indices count from 0) and Err is the
// sentinel of the rule broken, such as ErrBadPrice or ErrTooLong:
// errors.Is(err, ErrTooLong) sees through a FieldError. The message names
// a sale by its ID and a call by its API name, and quotes a bad price or
// quantity, but never repeats other text, which may be personal data (an
// email, a customer ID, a search).
type FieldError struct {
	// Field is the wire name of the field that breaks the rule.
	Field string
	// Err is the sentinel of the rule: ErrTooLong, ErrBadText, ...
	Err error

	event  string // which event, for the message: "click", `sale "567"`
	detail string // what is wrong with the value, without the value's text
}

// Error reads like `tracker: sale "567", products[2].price: price must be
// finite, 0 ≤ price ≤ 1e9 (got -1)`.
func (e *FieldError) Error() string {
	var b strings.Builder
	b.WriteString("tracker: ")
	if e.event != "" && e.event != e.Field {
		b.WriteString(e.event)
		b.WriteString(", ")
	}
	b.WriteString(e.Field)
	b.WriteString(": ")
	if e.Err != nil {
		b.WriteString(strings.TrimPrefix(e.Err.Error(), "tracker: "))
	} else {
		b.WriteString("invalid")
	}
	if e.detail != "" {
		b.WriteString(" (")
		b.WriteString(e.detail)
		b.WriteString(")")
	}
	return b.String()
}

// Unwrap returns Err.
func (e *FieldError) Unwrap() error { return e.Err }

// Normalize puts e into the form stores keep: text fields trimmed of white
// space; labels trimmed, with empty ones and duplicates removed (the first
// of equal labels stays, in order); product IDs of impressions and sale
// lines trimmed (empty ones stay, for Validate to refuse); the email
// lower-cased; the query cut at a rune boundary to MaxQueryBytes; a
// negative Position made 0 (unknown); Time truncated to the microsecond,
// the resolution every store keeps, without a monotonic clock reading.
// ID, Store and Visitor identify the event and are left as they are.
// Fields that e's Kind does not use (a Query on a click, Lines on a view)
// are cleared, so that nothing Validate does not check travels on.
//
// Normalize never fails, and a second call changes nothing. It never writes
// to the backing arrays of e's slices: it gives e a new slice where one
// changes, so that a caller's slices (and those events of one Call share)
// stay as they were.
func (e *Event) Normalize() { e.normalize(false) }

// normalize is Normalize; owned says that e's slices are e's own, to be
// changed in place rather than copied.
func (e *Event) normalize(owned bool) {
	e.clearUnused()
	e.API = strings.TrimSpace(e.API)
	e.Labels = normLabels(e.Labels, owned)
	e.Products = trimAll(e.Products, owned)
	e.Product = strings.TrimSpace(e.Product)
	e.Position = max(e.Position, 0)
	e.Sale = strings.TrimSpace(e.Sale)
	e.Lines = trimLines(e.Lines, owned)
	e.Customer = strings.TrimSpace(e.Customer)
	e.Email = normEmail(e.Email)
	e.Category = strings.TrimSpace(e.Category)
	e.Query = cutQuery(strings.TrimSpace(e.Query))
	e.Time = e.Time.Truncate(time.Microsecond)
}

// clearUnused clears the fields e's kind does not use; an event of no
// known kind keeps them all, for Validate to refuse.
func (e *Event) clearUnused() {
	if !e.Kind.Valid() {
		return
	}
	k := e.Kind
	if k != KindImpression && k != KindClick {
		e.API, e.Labels = "", nil
	}
	if k != KindImpression {
		e.Products = nil
	}
	if k != KindClick && k != KindView {
		e.Product, e.Position, e.External = "", 0, false
	}
	if k != KindSale {
		e.Sale, e.Lines, e.Customer = "", nil, ""
	}
	if k != KindSale && k != KindEmail {
		e.Email = ""
	}
	if k != KindCategory {
		e.Category = ""
	}
	if k != KindSearch && k != KindImpression {
		e.Query = ""
	}
	if k != KindSearch {
		e.Results = nil
	}
}

// normLabels trims labels and removes empty ones and duplicates. A list
// left empty becomes nil.
func normLabels(ls []string, owned bool) []string {
	if labelsNormal(ls) {
		return ls // also what lets events of one Call share its labels
	}
	out := ls[:0]
	if !owned {
		out = make([]string, 0, len(ls))
	}
	var seen map[string]struct{}
	if len(ls) > smallList {
		seen = make(map[string]struct{}, len(ls))
	}
	for _, l := range ls {
		if l = strings.TrimSpace(l); l == "" || contains(out, seen, l) {
			continue
		}
		out = append(out, l)
		if seen != nil {
			seen[l] = struct{}{}
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// smallList is the length up to which duplicates are found by comparing
// each pair rather than with a map.
const smallList = 16

// labelsNormal reports whether normLabels would leave ls as it is.
func labelsNormal(ls []string) bool {
	if ls != nil && len(ls) == 0 {
		return false // normalised to nil
	}
	var seen map[string]struct{}
	if len(ls) > smallList {
		seen = make(map[string]struct{}, len(ls))
	}
	for i, l := range ls {
		if l == "" || len(strings.TrimSpace(l)) != len(l) || contains(ls[:i], seen, l) {
			return false
		}
		if seen != nil {
			seen[l] = struct{}{}
		}
	}
	return true
}

// contains reports whether l is among done (the labels kept so far), asking
// seen instead when there is one.
func contains(done []string, seen map[string]struct{}, l string) bool {
	if seen != nil {
		_, ok := seen[l]
		return ok
	}
	for _, d := range done {
		if d == l {
			return true
		}
	}
	return false
}

// trimAll trims every string of ss.
func trimAll(ss []string, owned bool) []string {
	for i, s := range ss {
		if t := strings.TrimSpace(s); len(t) != len(s) {
			if !owned {
				ss = append([]string(nil), ss...)
			}
			ss[i] = t
			for j := i + 1; j < len(ss); j++ {
				ss[j] = strings.TrimSpace(ss[j])
			}
			return ss
		}
	}
	return ss
}

// trimLines trims the product ID of every line.
func trimLines(ls []Line, owned bool) []Line {
	for i, l := range ls {
		if t := strings.TrimSpace(l.ID); len(t) != len(l.ID) {
			if !owned {
				ls = append([]Line(nil), ls...)
			}
			ls[i].ID = t
			for j := i + 1; j < len(ls); j++ {
				ls[j].ID = strings.TrimSpace(ls[j].ID)
			}
			return ls
		}
	}
	return ls
}

// normEmail trims an address and lower-cases it. Invalid UTF-8 is left as
// it is, for Validate to refuse: lower-casing would replace it.
func normEmail(a string) string {
	a = strings.TrimSpace(a)
	if utf8.ValidString(a) {
		a = strings.ToLower(a)
	}
	return a
}

// cutQuery cuts q at a rune boundary to at most MaxQueryBytes, and trims
// what the cut leaves at its end.
func cutQuery(q string) string {
	if len(q) <= MaxQueryBytes {
		return q
	}
	i := MaxQueryBytes
	// A rune is at most utf8.UTFMax bytes; further back than that q is not
	// UTF-8 anyway, and Validate refuses it.
	for n := 1; n < utf8.UTFMax && !utf8.RuneStart(q[i]); n++ {
		i--
	}
	return strings.TrimSpace(q[:i])
}

// Validate reports the first rule e breaks, as a *FieldError wrapping a
// sentinel, or nil. It checks a complete event as a Sink receives it:
//
//   - kind: a defined Kind (ErrBadEvent);
//   - id, store, visitor: not empty (ErrBadEvent), at most MaxIDBytes
//     (ErrTooLong), valid text (ErrBadText);
//   - time: not zero, from 1970 to 9999, the years stores and JSON hold
//     (ErrBadEvent);
//
// and then the fields of its kind:
//
//   - impression: api (ErrNoAPI, at most MaxAPIBytes), 1 to MaxLabels
//     labels (ErrNoLabels, ErrTooMany) of at most MaxLabelBytes, and 1 to
//     MaxProducts product IDs (ErrNoProduct, ErrTooMany);
//   - click: product (ErrNoProduct); api and labels may be left out;
//   - product (view): product;
//   - category: category (ErrEmpty, at most MaxCategoryBytes);
//   - search: query (ErrEmpty, at most MaxQueryBytes);
//   - email: an address NormalizeEmail accepts (ErrBadEmail);
//   - sale: sale (ErrNoSaleID), 1 to MaxLines lines (ErrNoLines,
//     ErrTooMany) each with a product ID, a price (ErrBadPrice) and a
//     quantity (ErrBadQuantity) within their limits, together worth at
//     most MaxSaleTotal (ErrBadTotal); customer, if any, at most
//     MaxIDBytes; email, if any, valid.
//
// Every ID, label, API name, category and query is valid text (ErrBadText)
// of at most its limit (ErrTooLong). Fields that e's kind does not use are
// not checked.
//
// Validate does not normalize: call Normalize first, or an event whose
// labels only differ in spaces passes with duplicate labels. It does not
// check the clock either; see CheckTime.
func (e Event) Validate() error { return e.validate() }

// validate is Validate without a copy of e.
func (e *Event) validate() error {
	if err := e.validateHeader(); err != nil {
		return err
	}
	return e.validateFields()
}

// CheckTime returns a *FieldError wrapping ErrFuture when e is dated more
// than MaxClockSkew after now, the receiving store's clock; otherwise nil.
// A Tracker stamps events with its own clock, so only stores call it.
func (e Event) CheckTime(now time.Time) error { return e.checkTime(now) }

func (e *Event) checkTime(now time.Time) error {
	if d := e.Time.Sub(now); d > MaxClockSkew {
		return e.fail("time", ErrFuture, fmt.Sprintf("%v after the receiver's clock, at most %v", d, MaxClockSkew))
	}
	return nil
}

// minTime and maxTime bound an event's time: Unix time in microseconds and
// JSON's four-digit years both hold it.
var (
	minTime = time.Unix(0, 0)
	maxTime = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
)

// validateHeader checks what the Tracker stamps: kind, ID, store, visitor
// and time.
func (e *Event) validateHeader() error {
	if !e.Kind.Valid() {
		return e.fail("kind", ErrBadEvent, fmt.Sprintf("unknown kind %d", uint8(e.Kind)))
	}
	if err := e.text("id", e.ID, MaxIDBytes, ErrBadEvent); err != nil {
		return err
	}
	if err := e.text("store", e.Store, MaxIDBytes, ErrBadEvent); err != nil {
		return err
	}
	if err := e.text("visitor", e.Visitor, MaxIDBytes, ErrBadEvent); err != nil {
		return err
	}
	switch {
	case e.Time.IsZero():
		return e.fail("time", ErrBadEvent, "zero")
	case e.Time.Before(minTime):
		return e.fail("time", ErrBadEvent, "before 1970")
	case !e.Time.Before(maxTime):
		return e.fail("time", ErrBadEvent, "after 9999")
	}
	return nil
}

// validateFields checks the fields of e's kind: what a Tracker checks
// before it records, whether it is enabled or not.
func (e *Event) validateFields() error {
	switch e.Kind {
	case KindImpression:
		if err := e.validateCall(); err != nil {
			return err
		}
		if err := e.texts("products", e.Products, MaxProducts, MaxIDBytes, ErrNoProduct, ErrNoProduct); err != nil {
			return err
		}
		return e.text("query", e.Query, MaxQueryBytes, nil)
	case KindClick:
		if err := e.text("product", e.Product, MaxIDBytes, ErrNoProduct); err != nil {
			return err
		}
		if err := e.text("api", e.API, MaxAPIBytes, nil); err != nil {
			return err
		}
		return e.validateLabels(nil)
	case KindView:
		return e.text("product", e.Product, MaxIDBytes, ErrNoProduct)
	case KindCategory:
		return e.text("category", e.Category, MaxCategoryBytes, ErrEmpty)
	case KindSearch:
		if e.Results != nil && (*e.Results < 0 || *e.Results > MaxResults) {
			return e.fail("results", ErrTooMany, fmt.Sprintf("got %d, 0 to %d", *e.Results, MaxResults))
		}
		return e.text("query", e.Query, MaxQueryBytes, ErrEmpty)
	case KindEmail:
		return e.email(true)
	case KindSale:
		return e.validateSale()
	}
	return e.fail("kind", ErrBadEvent, fmt.Sprintf("unknown kind %d", uint8(e.Kind)))
}

// validateCall checks what Tracker.Call takes: the API name and labels of
// an impression.
func (e *Event) validateCall() error {
	if err := e.text("api", e.API, MaxAPIBytes, ErrNoAPI); err != nil {
		return err
	}
	return e.validateLabels(ErrNoLabels)
}

// validateLabels checks e.Labels; required is the error for no labels, nil
// when they may be left out.
func (e *Event) validateLabels(required error) error {
	if len(e.Labels) == 0 && required == nil {
		return nil
	}
	return e.texts("labels", e.Labels, MaxLabels, MaxLabelBytes, required, ErrNoLabels)
}

func (e *Event) validateSale() error {
	if err := e.text("sale", e.Sale, MaxIDBytes, ErrNoSaleID); err != nil {
		return err
	}
	if err := e.count("products", len(e.Lines), MaxLines, ErrNoLines); err != nil {
		return err
	}
	var total float64
	for i, l := range e.Lines {
		if err := e.textAt("products", i, ".id", l.ID, MaxIDBytes, ErrNoProduct); err != nil {
			return err
		}
		// Written so that NaN fails too.
		if !(l.Price >= 0 && l.Price <= MaxPrice) {
			return e.fail(indexed("products", i, ".price"), ErrBadPrice,
				"got "+strconv.FormatFloat(l.Price, 'g', -1, 64))
		}
		if l.Quantity < 1 || l.Quantity > MaxQuantity {
			return e.fail(indexed("products", i, ".quantity"), ErrBadQuantity, "got "+strconv.Itoa(l.Quantity))
		}
		if total += l.Price * float64(l.Quantity); total > MaxSaleTotal {
			return e.fail("products", ErrBadTotal, "past it at "+indexed("products", i, ""))
		}
	}
	if err := e.text("customer", e.Customer, MaxIDBytes, nil); err != nil {
		return err
	}
	return e.email(false)
}

// email checks e.Email; required says whether it may be left out.
func (e *Event) email(required bool) error {
	if e.Email == "" && !required {
		return nil
	}
	if d := emailProblem(e.Email); d != "" {
		return e.fail("email", ErrBadEmail, d)
	}
	return nil
}

// text checks a text field: not blank unless required is nil, at most max
// bytes, valid text.
func (e *Event) text(field, s string, max int, required error) error {
	return e.textAt(field, -1, "", s, max, required)
}

// textAt is text for the field list[i]+suffix (or list alone when i < 0),
// whose name it builds only when s breaks a rule: it runs for every
// product and label of every event a store receives.
func (e *Event) textAt(list string, i int, suffix, s string, max int, required error) error {
	if !isBlank(s) && len(s) <= max && textProblem(s) == "" {
		return nil
	}
	field := list
	if i >= 0 {
		field = indexed(list, i, suffix)
	}
	if isBlank(s) {
		switch {
		case s == "" && required == nil:
			return nil
		case required == nil:
			required = ErrEmpty // spaces where text may be left out: not normalized
		}
		return e.fail(field, required, "")
	}
	if len(s) > max {
		return e.fail(field, ErrTooLong, fmt.Sprintf("%d bytes, at most %d", len(s), max))
	}
	if d := textProblem(s); d != "" {
		return e.fail(field, ErrBadText, d)
	}
	return nil
}

// count checks that a list has 1 to max entries; none gives required.
func (e *Event) count(field string, n, max int, required error) error {
	switch {
	case n == 0:
		return e.fail(field, required, "")
	case n > max:
		return e.fail(field, ErrTooMany, fmt.Sprintf("%d, at most %d", n, max))
	}
	return nil
}

// texts checks the list field: 1 to max items (none is the error for
// none), each text of at most maxBytes (blank is the error for a blank one).
func (e *Event) texts(field string, items []string, max, maxBytes int, none, blank error) error {
	if err := e.count(field, len(items), max, none); err != nil {
		return err
	}
	for i, s := range items {
		if err := e.textAt(field, i, "", s, maxBytes, blank); err != nil {
			return err
		}
	}
	return nil
}

// fail returns the *FieldError for field of e.
func (e *Event) fail(field string, err error, detail string) error {
	return &FieldError{Field: field, Err: err, event: e.where(), detail: detail}
}

// where names e in messages: its kind, and a sale's ID or a call's API name
// when they are valid.
func (e *Event) where() string {
	switch e.Kind {
	case KindImpression:
		return named("call", e.API, MaxAPIBytes)
	case KindSale:
		return named("sale", e.Sale, MaxIDBytes)
	}
	if e.Kind.Valid() {
		return e.Kind.String()
	}
	return "event"
}

func named(what, name string, max int) string {
	if name == "" || len(name) > max || textProblem(name) != "" {
		return what
	}
	return what + " " + strconv.Quote(name)
}

// indexed returns a list entry's field name, such as "products[2].price".
func indexed(list string, i int, suffix string) string {
	return list + "[" + strconv.Itoa(i) + "]" + suffix
}

// isBlank reports whether s is empty once trimmed.
func isBlank(s string) bool {
	if s != "" && s[0] > ' ' && s[0] < utf8.RuneSelf {
		return false // starts with a visible ASCII character: the common case
	}
	return strings.TrimSpace(s) == ""
}

// textProblem says what makes s invalid text (invalid UTF-8 or a control
// character), or returns "" when it is valid. It never repeats s.
func textProblem(s string) string {
	for i := 0; i < len(s); {
		if c := s[i]; c >= 0x20 && c < 0x7f {
			i++ // printable ASCII, the common case
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n <= 1:
			return fmt.Sprintf("invalid UTF-8 at byte %d", i)
		case unicode.IsControl(r):
			return fmt.Sprintf("control character %U at byte %d", r, i)
		}
		i += n
	}
	return ""
}

// NormalizeEmail checks that address is a bare email address ("a@example.com",
// no display name) of at most MaxEmailBytes, and returns it trimmed and in
// lower case, the form stores match on. Otherwise it returns ErrBadEmail.
func NormalizeEmail(address string) (string, error) {
	a := normEmail(address)
	if emailProblem(a) != "" {
		return "", ErrBadEmail
	}
	return a, nil
}

// emailProblem says what makes a, an address already trimmed, invalid, or
// returns "" when it is valid. It never repeats a.
func emailProblem(a string) string {
	switch {
	case a == "":
		return "empty"
	case len(a) > MaxEmailBytes:
		return fmt.Sprintf("%d bytes, at most %d", len(a), MaxEmailBytes)
	}
	if d := textProblem(a); d != "" {
		return d
	}
	p, err := mail.ParseAddress(a)
	if err != nil || p.Address != a || p.Name != "" {
		return "not a bare address such as a@example.com"
	}
	return ""
}

// Every sale's value in micro-units fits an int64: this fails to compile
// (the constant overflows uint64) if the limits are ever raised past that.
const _ uint64 = math.MaxInt64 - MaxSaleTotal*1e6
