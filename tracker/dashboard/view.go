package dashboard

import (
	"html/template"
	"strings"
)

// layout is what every page's template gets: the frame, and the page's
// own Content.
type layout struct {
	Title   string
	Dash    string
	CSS     template.CSS
	Zone    string
	Nav     string // the current section: "overview", "labels" or "searches"
	Links   navLinks
	Range   *rangeView // nil on pages without one (errors)
	Content any
}

type navLinks struct{ Overview, Labels, Searches string }

// link is a link in a list of choices; Current marks the one shown.
type link struct {
	Title, Href string
	Current     bool
}

// rangeView is the range picker: the presets as links, and a form for a
// custom range that keeps the page's other parameters.
type rangeView struct {
	Presets  []link
	Custom   bool
	From, To string // the custom form's values: the first and last day shown
	Keep     []param
	Span     string // the range in words
	Previous string // the period compared with, in words; empty if none
}

type param struct{ Name, Value string }

// frame returns the layout of a page of section nav for req; keep lists
// the parameters (name, value, ...) that links to other ranges keep.
func (h *Handler) frame(req *request, nav, title string, keep ...string) *layout {
	p := req.period
	l := &layout{Title: title, Nav: nav, Links: navLinks{
		Overview: href("./", p), Labels: href("labels", p), Searches: href("searches", p)}}
	path := map[string]string{"overview": "./", "labels": "labels", "label": "label", "searches": "searches"}[nav]
	rv := &rangeView{Custom: p.Preset == rangeCustom, Span: spanTitle(p.From, p.End, p.loc),
		From: p.From.In(p.loc).Format(dateLayout), To: midnight(p.To, -1, p.loc).Format(dateLayout)}
	for _, pr := range presets {
		q := p
		q.Preset = pr.key
		rv.Presets = append(rv.Presets, link{Title: pr.title, Href: href(path, q, keep...), Current: pr.key == p.Preset})
	}
	for i := 0; i+1 < len(keep); i += 2 {
		if keep[i+1] != "" {
			rv.Keep = append(rv.Keep, param{keep[i], keep[i+1]})
		}
	}
	l.Range = rv
	return l
}

// card is one headline figure.
type card struct {
	Title string
	Value string
	Sub   string // what it is made of, or its share
	Delta *delta // nil: no comparison
	Prev  string // the previous period's value
}

// head is a table's column heading; Href, when set, sorts by it.
type head struct {
	Title   string
	Numeric bool
	Href    string
	Sort    string // aria-sort: "ascending", "descending" or ""
}

type cellView struct {
	Text    string
	Href    string
	Numeric bool
}

// tableView is a table as a page shows it, with links to its exports.
type tableView struct {
	ID, Title string
	Heads     []head
	Rows      [][]cellView
	CSV, JSON string
	Empty     string // shown instead of an empty table
	// QuietCaption hides the caption but from screen readers, where a
	// heading just above says the same.
	QuietCaption bool
}

// sorting says how a sortable table is sorted, and where its headings
// lead: path with the range, and sort and order.
type sorting struct {
	path string
	key  string
	desc bool
}

// view returns t as a page shows it; exports link to its exports with
// the range of req and extra parameters.
func (h *Handler) view(t *table, req *request, s *sorting, extra ...string) tableView {
	v := tableView{ID: t.Name, Title: t.Title,
		CSV:   href(t.Name+".csv", req.period, extra...),
		JSON:  href(t.Name+".json", req.period, extra...),
		Empty: "Nothing in this range.", QuietCaption: true}
	for _, c := range t.Cols {
		hd := head{Title: c.Title, Numeric: c.Numeric()}
		if s != nil {
			desc := c.Numeric() // numbers first high, text first A
			if c.Key == s.key {
				hd.Sort = "ascending"
				if s.desc {
					hd.Sort = "descending"
				}
				desc = !s.desc
			}
			order := "asc"
			if desc {
				order = "desc"
			}
			hd.Href = href(s.path, req.period, "sort", c.Key, "order", order)
		}
		v.Heads = append(v.Heads, hd)
	}
	for i := range t.Rows {
		row := make([]cellView, len(t.Cols))
		for j, c := range t.Cols {
			row[j] = cellView{Text: t.cell(i, j), Numeric: c.Numeric()}
		}
		if t.Links != nil {
			row[0].Href = t.Links[i]
		}
		v.Rows = append(v.Rows, row)
	}
	return v
}

// countText formats a count for a card.
func countText(n int) string { return groupDigits(int64(n)) }

// plural writes n and the noun, in the plural unless n is 1: "1 click",
// "2 clicks", "3 different queries".
func plural(n int, noun string) string {
	if n != 1 {
		if strings.HasSuffix(noun, "y") {
			noun = noun[:len(noun)-1] + "ie"
		}
		noun += "s"
	}
	return countText(n) + " " + noun
}

// upper returns s with its first letter in upper case.
func upper(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
