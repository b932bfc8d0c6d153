package clerktest

import (
	"encoding/json"
	"fmt"
	"maps"
	"sort"
	"strconv"
	"strings"
)

// field checks one argument and says what is wrong with it, or "".
type field func(v any) string

// shape is what an endpoint takes and how it answers.
type shape struct {
	required map[string]field
	optional map[string]field
	// answer builds the answer to a valid request; nil answers
	// {"status": "ok"}.
	answer func(s *Server, body map[string]any) map[string]any
}

// shapes are the endpoints the server knows, as Clerk's API v2 reference
// documents their arguments. "key" is checked on every endpoint, and
// "private_key" where it may be given, by checkKeys.
var shapes = map[string]shape{
	"log/click": {
		required: map[string]field{"visitor": visitorID, "product": id},
		optional: map[string]field{"api": text, "labels": labels, "n": count, "external": boolean},
	},
	"log/product": {
		required: map[string]field{"visitor": visitorID, "product": id},
	},
	"log/category": {
		required: map[string]field{"visitor": visitorID, "category": id},
	},
	"log/email": {
		required: map[string]field{"visitor": visitorID, "email": email},
	},
	"log/sale": {
		required: map[string]field{"sale": id, "products": lines},
		optional: map[string]field{"customer": nullable(id), "email": email, "visitor": nullable(visitorID), "time": count},
	},
	"recommendations/trending":      listing((*Server).trending, nil),
	"recommendations/substituting":  listing((*Server).substituting, map[string]field{"products": ids}),
	"recommendations/complementary": listing((*Server).complementary, map[string]field{"products": ids}),
	"search/search":                 listing((*Server).search, map[string]field{"query": text}),
	"search/predictive":             listing((*Server).search, map[string]field{"query": text}),
}

// listing is the shape of an endpoint that answers with products: it
// requires the visitor (or null), the labels and more, and takes a limit
// and an offset.
func listing(answer func(s *Server, body map[string]any) map[string]any, more map[string]field) shape {
	required := map[string]field{"visitor": nullable(visitorID), "labels": labels}
	maps.Copy(required, more)
	return shape{required: required, optional: map[string]field{"limit": count, "offset": count}, answer: answer}
}

// check returns what is wrong with body for this endpoint, or "": a
// required argument missing, one of the wrong type, or one the endpoint
// does not take.
func (sh shape) check(body map[string]any) string {
	names := make([]string, 0, len(body))
	for k := range body {
		names = append(names, k)
	}
	sort.Strings(names) // the first problem by name, whatever the map's order
	for _, k := range names {
		if k == "key" || k == "private_key" {
			continue
		}
		f, ok := sh.required[k]
		if !ok {
			f, ok = sh.optional[k]
		}
		if !ok {
			return k + ": not an argument of this endpoint"
		}
		if msg := f(body[k]); msg != "" {
			return k + ": " + msg
		}
	}
	req := make([]string, 0, len(sh.required))
	for k := range sh.required {
		req = append(req, k)
	}
	sort.Strings(req)
	for _, k := range req {
		if _, ok := body[k]; !ok {
			return k + ": required"
		}
	}
	return ""
}

func text(v any) string {
	if s, ok := v.(string); !ok || strings.TrimSpace(s) == "" {
		return "must be a non-empty string"
	}
	return ""
}

// id is a product, sale, customer or category ID: a non-empty string or an
// integer.
func id(v any) string {
	switch x := v.(type) {
	case string:
		if strings.TrimSpace(x) != "" {
			return ""
		}
	case json.Number:
		if _, err := strconv.ParseInt(string(x), 10, 64); err == nil {
			return ""
		}
	}
	return "must be a non-empty string or an integer"
}

// visitorID follows Clerk's rule for custom visitor IDs: alphanumeric, at
// most 32 characters.
func visitorID(v any) string {
	s, ok := v.(string)
	if !ok || s == "" || len(s) > 32 {
		return "must be an alphanumeric string of at most 32 characters"
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return "must be an alphanumeric string of at most 32 characters"
		}
	}
	return ""
}

// nullable accepts null as well as what f accepts.
func nullable(f field) field {
	return func(v any) string {
		if v == nil {
			return ""
		}
		if msg := f(v); msg != "" {
			return msg + ", or null"
		}
		return ""
	}
}

// labels and ids are lists of text and of id.
var (
	labels = listOf(text, "non-empty strings")
	ids    = listOf(id, "IDs (strings or integers)")
)

// listOf is a field that must be a non-empty list of what: elements that
// each passes.
func listOf(each field, what string) field {
	return func(v any) string {
		l, ok := v.([]any)
		if !ok || len(l) == 0 {
			return "must be a non-empty list of " + what
		}
		for _, x := range l {
			if each(x) != "" {
				return "must be a non-empty list of " + what
			}
		}
		return ""
	}
}

// count is a non-negative integer.
func count(v any) string {
	n, ok := v.(json.Number)
	if !ok {
		return "must be an integer"
	}
	if i, err := strconv.ParseInt(string(n), 10, 64); err != nil || i < 0 {
		return "must be a non-negative integer"
	}
	return ""
}

func boolean(v any) string {
	if _, ok := v.(bool); !ok {
		return "must be true or false"
	}
	return ""
}

func email(v any) string {
	s, ok := v.(string)
	at := strings.LastIndexByte(s, '@')
	if !ok || at < 1 || at == len(s)-1 || strings.ContainsAny(s, " \t\r\n") {
		return "must be an email address"
	}
	return ""
}

// lines are a sale's products: [{id, price, quantity}].
func lines(v any) string {
	l, ok := v.([]any)
	if !ok || len(l) == 0 {
		return "must be a non-empty list of {id, price, quantity}"
	}
	for i, x := range l {
		m, ok := x.(map[string]any)
		if !ok {
			return fmt.Sprintf("[%d] must be an object {id, price, quantity}", i)
		}
		for k := range m {
			if k != "id" && k != "price" && k != "quantity" {
				return fmt.Sprintf("[%d].%s: not a field of a sale's product", i, k)
			}
		}
		if msg := id(m["id"]); msg != "" {
			return fmt.Sprintf("[%d].id: %s", i, msg)
		}
		p, ok := m["price"].(json.Number)
		if f, err := strconv.ParseFloat(string(p), 64); !ok || err != nil || f < 0 {
			return fmt.Sprintf("[%d].price: must be a number, at least 0", i)
		}
		q, ok := m["quantity"].(json.Number)
		if n, err := strconv.ParseInt(string(q), 10, 64); !ok || err != nil || n < 1 {
			return fmt.Sprintf("[%d].quantity: must be an integer, at least 1", i)
		}
	}
	return ""
}
