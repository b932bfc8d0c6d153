package clerktest

import (
	"encoding/json"
	"sort"
	"strconv"
	"strings"
)

// Product is a catalogue entry recommendations and search answer from.
type Product struct {
	ID          string
	Name        string
	Category    string
	Description string
	// Popularity orders recommendations/trending, highest first; ties
	// keep catalogue order.
	Popularity int
}

// Catalog returns the default catalogue: eight products in three
// categories.
func Catalog() []Product {
	return []Product{
		{ID: "12793", Name: "Trail Runner 2", Category: "Shoes", Description: "Light trail running shoe", Popularity: 9},
		{ID: "12794", Name: "City Sneaker", Category: "Shoes", Description: "Everyday leather sneaker", Popularity: 7},
		{ID: "12795", Name: "Wool Hiker", Category: "Shoes", Description: "Warm wool hiking boot", Popularity: 3},
		{ID: "13001", Name: "Rain Shell", Category: "Jackets", Description: "Waterproof rain jacket", Popularity: 8},
		{ID: "13002", Name: "Down Parka", Category: "Jackets", Description: "Warm winter parka", Popularity: 2},
		{ID: "14020", Name: "Day Pack", Category: "Bags", Description: "Twenty litre backpack", Popularity: 5},
		{ID: "14021", Name: "Duffel", Category: "Bags", Description: "Weekend duffel bag", Popularity: 1},
		{ID: "15100", Name: "Merino Beanie", Category: "Accessories", Description: "Soft wool beanie", Popularity: 6},
	}
}

// result answers ps, paged by the request's offset and limit (10 unless
// given), with count the number of matches.
func (s *Server) result(body map[string]any, ps []Product) map[string]any {
	offset, limit := intArg(body, "offset", 0), intArg(body, "limit", 10)
	n := len(ps)
	ps = ps[min(offset, len(ps)):]
	ps = ps[:min(limit, len(ps))]
	out := make([]any, len(ps))
	for i, p := range ps {
		out[i] = s.productID(p.ID)
	}
	return map[string]any{"status": "ok", "result": out, "count": n}
}

// productID answers an ID as the shop's feed gives it.
func (s *Server) productID(id string) any {
	if s.opts.NumericIDs {
		if _, err := strconv.ParseInt(id, 10, 64); err == nil {
			return json.Number(id)
		}
	}
	return id
}

func intArg(body map[string]any, k string, def int) int {
	if n, ok := body[k].(json.Number); ok {
		if i, err := strconv.Atoi(string(n)); err == nil && i >= 0 {
			return i
		}
	}
	return def
}

func (s *Server) trending(body map[string]any) map[string]any {
	ps := append([]Product(nil), s.opts.Catalog...)
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].Popularity > ps[j].Popularity })
	return s.result(body, ps)
}

// related returns the products of the same category as the first known
// product of the request's "products" (same is true), or of other
// categories (same is false), leaving out the products asked about.
func (s *Server) related(body map[string]any, same bool) []Product {
	asked := map[string]bool{}
	for _, x := range body["products"].([]any) {
		asked[idString(x)] = true
	}
	cat := ""
	for _, p := range s.opts.Catalog {
		if asked[p.ID] {
			cat = p.Category
			break
		}
	}
	if cat == "" {
		return nil
	}
	var out []Product
	for _, p := range s.opts.Catalog {
		if !asked[p.ID] && (p.Category == cat) == same {
			out = append(out, p)
		}
	}
	return out
}

func (s *Server) substituting(body map[string]any) map[string]any {
	return s.result(body, s.related(body, true))
}

func (s *Server) complementary(body map[string]any) map[string]any {
	return s.result(body, s.related(body, false))
}

// search answers the products whose name, category or description holds
// every word of the query, ignoring case.
func (s *Server) search(body map[string]any) map[string]any {
	words := strings.Fields(strings.ToLower(body["query"].(string)))
	var out []Product
	for _, p := range s.opts.Catalog {
		text := strings.ToLower(p.Name + " " + p.Category + " " + p.Description)
		all := true
		for _, w := range words {
			all = all && strings.Contains(text, w)
		}
		if all {
			out = append(out, p)
		}
	}
	return s.result(body, out)
}

func idString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return string(x)
	}
	return ""
}
