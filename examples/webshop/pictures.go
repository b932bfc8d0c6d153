package main

import (
	"fmt"
	"hash/fnv"
	"net/http"
	"net/url"
	"strings"
)

// Product pictures are drawn, not photographed: an SVG per product, a
// silhouette of its category on a tint of a colour picked from its ID, so
// that the demo looks like a shop without shipping images.

// silhouettes draws each category's shape on a 200×150 canvas, filled with
// the picture's colour (%[1]s).
var silhouettes = map[string]string{
	"Shoes": `<path fill="%[1]s" d="M28 112V84q2-20 22-22l26-3q10 17 31 20l44 9q22 6 22 20v4z"/>` +
		`<rect x="24" y="112" width="152" height="10" rx="5" fill="%[1]s" opacity=".6"/>`,
	"Jackets": `<path fill="%[1]s" d="M72 28l28 12 28-12 36 22-15 32-11-7v57H62V75l-11 7-15-32z"/>` +
		`<path stroke="#fff" stroke-width="3" opacity=".7" d="M100 42v86"/>`,
	"Bags": `<path fill="none" stroke="%[1]s" stroke-width="8" d="M76 60q0-34 24-34t24 34"/>` +
		`<rect x="48" y="56" width="104" height="72" rx="12" fill="%[1]s"/>`,
	"Accessories": `<path fill="%[1]s" d="M58 42h62l38 33-38 33H58a8 8 0 0 1-8-8V50a8 8 0 0 1 8-8z"/>` +
		`<circle cx="128" cy="75" r="8" fill="#fff"/>`,
}

// fallback draws a product of a category without a silhouette.
const fallback = `<rect x="50" y="35" width="100" height="80" rx="14" fill="%[1]s"/>`

// pictureSVG draws p's picture.
func pictureSVG(p product) string {
	h := fnv.New32a()
	_, _ = h.Write([]byte(p.ID))
	hue := h.Sum32() % 360
	shape, ok := silhouettes[p.Category]
	if !ok {
		shape = fallback
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 150" width="200" height="150">`+
		`<rect width="200" height="150" fill="hsl(%d 55%% 93%%)"/>`, hue)
	fmt.Fprintf(&b, shape, fmt.Sprintf("hsl(%d 45%% 42%%)", hue))
	b.WriteString(`</svg>`)
	return b.String()
}

// pictureURL is where p's picture is served.
func pictureURL(id string) string { return "/pictures/" + url.PathEscape(id) + ".svg" }

// picture serves /pictures/{id}.svg.
func (s *shop) picture(w http.ResponseWriter, r *http.Request) {
	id, ok := strings.CutSuffix(r.PathValue("file"), ".svg")
	p, known := s.catalog.product(id)
	if !ok || !known {
		http.NotFound(w, r)
		return
	}
	// Opened on its own, the picture runs nothing.
	headers(w, "image/svg+xml", "public, max-age=86400", "default-src 'none'; style-src 'unsafe-inline'")
	_, _ = w.Write([]byte(pictureSVG(p)))
}
