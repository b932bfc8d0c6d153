package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"unicode"

	"github.com/visitrack/visitrack/tracker"
)

// product is one catalogue entry. IDs are strings, as visitrack stores them;
// the catalogue file may write them as JSON numbers too.
type product struct {
	ID          string
	Name        string
	Category    string
	Price       float64
	Description string
}

// Slug returns the product's category slug, as used in /categories/{slug}.
func (p product) Slug() string { return slug(p.Category) }

type category struct {
	Name, Slug string
}

// catalog is the shop's read-only product list, in file order.
type catalog struct {
	products   []product
	byID       map[string]int
	categories []category // in order of first appearance
}

// findFile returns name if it exists, or else the first parent directory's
// name, walking up from the working directory. It lets "go run
// ./examples/webshop" (run from the repository root) and "go test" (run in
// the package's directory) find testdata/catalog.json alike.
func findFile(name string) (string, error) {
	if _, err := os.Stat(name); err == nil || filepath.IsAbs(name) {
		return name, err
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		p := filepath.Join(dir, name)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("%s not found in the working directory or its parents: %w", name, os.ErrNotExist)
		}
		dir = parent
	}
}

// loadCatalog reads the catalogue at path, looked up with findFile.
func loadCatalog(path string) (*catalog, error) {
	p, err := findFile(path)
	if err != nil {
		return nil, fmt.Errorf("catalogue: %w", err)
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, fmt.Errorf("catalogue: %w", err)
	}
	defer f.Close()
	c, err := parseCatalog(f)
	if err != nil {
		return nil, fmt.Errorf("catalogue %s: %w", p, err)
	}
	return c, nil
}

var errBadCatalog = errors.New("bad catalogue")

// parseCatalog decodes a JSON array of products and checks that IDs are
// unique and present, names and categories given and prices finite and not
// negative.
func parseCatalog(r io.Reader) (*catalog, error) {
	var raw []struct {
		ID          tracker.ProductID `json:"id"`
		Name        string            `json:"name"`
		Category    string            `json:"category"`
		Price       float64           `json:"price"`
		Description string            `json:"description"`
	}
	if err := json.NewDecoder(r).Decode(&raw); err != nil {
		return nil, fmt.Errorf("%w: %v", errBadCatalog, err)
	}
	if len(raw) == 0 {
		return nil, fmt.Errorf("%w: no products", errBadCatalog)
	}
	c := &catalog{byID: make(map[string]int, len(raw))}
	seen := map[string]bool{}
	for i, p := range raw {
		id := string(p.ID)
		switch {
		case id == "":
			return nil, fmt.Errorf("%w: product %d has no id", errBadCatalog, i+1)
		case strings.TrimSpace(p.Name) == "" || slug(p.Category) == "":
			return nil, fmt.Errorf("%w: product %q needs a name and a category", errBadCatalog, id)
		case math.IsNaN(p.Price) || math.IsInf(p.Price, 0) || p.Price < 0:
			return nil, fmt.Errorf("%w: product %q has price %v", errBadCatalog, id, p.Price)
		}
		if _, dup := c.byID[id]; dup {
			return nil, fmt.Errorf("%w: product id %q appears twice", errBadCatalog, id)
		}
		c.byID[id] = len(c.products)
		c.products = append(c.products, product{ID: id, Name: p.Name, Category: p.Category,
			Price: p.Price, Description: p.Description})
		if s := slug(p.Category); !seen[s] {
			seen[s] = true
			c.categories = append(c.categories, category{Name: p.Category, Slug: s})
		}
	}
	return c, nil
}

func (c *catalog) product(id string) (product, bool) {
	i, ok := c.byID[id]
	if !ok {
		return product{}, false
	}
	return c.products[i], true
}

// category returns the category with the given slug and its products.
func (c *catalog) category(s string) (category, []product, bool) {
	for _, cat := range c.categories {
		if cat.Slug == s {
			var ps []product
			for _, p := range c.products {
				if p.Slug() == s {
					ps = append(ps, p)
				}
			}
			return cat, ps, true
		}
	}
	return category{}, nil, false
}

// search returns up to limit products whose name, category or description
// contains every word of q, ignoring case.
func (c *catalog) search(q string, limit int) []product {
	words := strings.Fields(strings.ToLower(q))
	if len(words) == 0 {
		return nil
	}
	var out []product
	for _, p := range c.products {
		text := strings.ToLower(p.Name + " " + p.Category + " " + p.Description)
		match := true
		for _, w := range words {
			if !strings.Contains(text, w) {
				match = false
				break
			}
		}
		if match {
			out = append(out, p)
			if len(out) == limit {
				break
			}
		}
	}
	return out
}

// similar returns up to n other products of p's category.
func (c *catalog) similar(p product, n int) []product {
	var out []product
	for _, q := range c.products {
		if q.ID != p.ID && q.Category == p.Category {
			out = append(out, q)
			if len(out) == n {
				break
			}
		}
	}
	return out
}

// slug turns a category name into a URL path segment: "Running Shoes"
// becomes "running-shoes".
func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(strings.TrimSpace(s)) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
		} else {
			dash = true
		}
	}
	return b.String()
}
