package main

import (
	"embed"
	"fmt"
	"html/template"
	"strconv"
)

//go:embed templates/*.html
var templateFS embed.FS

// staticFS holds the scripts pages load: static/similar.js renders
// "Similar products" from JSON.
//
//go:embed static/*.js
var staticFS embed.FS

// pageNames lists the pages; each is templates/<name>.html with the layout.
var pageNames = []string{"home", "product", "category", "search", "basket", "confirmation", "me", "notfound", "problem"}

var funcs = template.FuncMap{
	"money": func(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) },
	// tracking says in words what a consent state means for the visitor.
	"tracking": func(state string) string {
		switch state {
		case "persistent":
			return "You accepted: your anonymous visitor ID is remembered across visits."
		case "cookieless":
			return "Your anonymous visitor ID lasts for this visit only."
		default:
			return "Tracking is off: nothing about your visit is recorded."
		}
	},
}

func parsePages() (map[string]*template.Template, error) {
	pages := make(map[string]*template.Template, len(pageNames))
	for _, name := range pageNames {
		t, err := template.New(name).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("webshop: page %s: %w", name, err)
		}
		pages[name] = t
	}
	return pages, nil
}
