package dashboard

import (
	"cmp"
	"net/http"
	"slices"

	"github.com/visitrack/visitrack/tracker"
)

// searchView is the search page's content.
type searchView struct {
	Cards               []card
	Top, NoResults, CTR tableView
}

// searchTables are the search page's three tables, by export name: the
// most searched queries, those that found nothing (most such searches
// first) and the click-through of the queries whose results were shown
// (most shown first).
var searchTables = map[string]struct {
	title string
	keep  func(tracker.SearchStats) bool
	order func(a, b tracker.SearchStats) int
}{
	"searches": {"Top searches", func(s tracker.SearchStats) bool { return s.Searches > 0 },
		func(a, b tracker.SearchStats) int { return cmp.Compare(b.Searches, a.Searches) }},
	"no-results": {"Searches with no results", func(s tracker.SearchStats) bool { return s.NoResults > 0 },
		func(a, b tracker.SearchStats) int { return cmp.Compare(b.NoResults, a.NoResults) }},
	"search-ctr": {"Click-through per query", func(s tracker.SearchStats) bool { return s.Impressions > 0 },
		func(a, b tracker.SearchStats) int { return cmp.Compare(b.Impressions, a.Impressions) }},
}

// searchTable returns the search table name (a key of searchTables) of
// stats, cut to rows.
func searchTable(name string, stats []tracker.SearchStats, rows int) *table {
	spec := searchTables[name]
	var sel []tracker.SearchStats
	for _, s := range stats {
		if spec.keep(s) {
			sel = append(sel, s)
		}
	}
	slices.SortStableFunc(sel, func(a, b tracker.SearchStats) int { return cmp.Or(spec.order(a, b), cmp.Compare(a.Query, b.Query)) })
	t := &table{Name: name, Title: spec.title, Cols: []column{
		{"query", "Query", kindText}, {"searches", "Searches", kindCount}, {"no_results", "No results", kindCount},
		{"impressions", "Products shown", kindCount}, {"clicks", "Clicks", kindCount}, {"ctr", "CTR", kindRatio},
	}}
	for _, s := range sel[:min(len(sel), rows)] {
		t.Rows = append(t.Rows, []any{s.Query, s.Searches, s.NoResults, s.Impressions, s.Clicks,
			ratioOf(float64(s.Clicks), float64(s.Impressions))})
	}
	return t
}

func (h *Handler) searches(w http.ResponseWriter, r *http.Request) {
	req, ok := h.read(w, r)
	if !ok {
		return
	}
	p := req.period
	stats, err := h.cfg.Analytics.Searches(r.Context(), h.cfg.Store, p.From, p.End, 0)
	if err != nil {
		h.failed(w, r, err)
		return
	}
	var searches, none, shown, clicks int
	for _, s := range stats {
		searches += s.Searches
		none += s.NoResults
		shown += s.Impressions
		clicks += s.Clicks
	}
	t := func(name string) *table { return searchTable(name, stats, h.cfg.Rows) }
	v := &searchView{Cards: []card{
		{Title: "Searches", Value: countText(searches), Sub: plural(len(stats), "different query")},
		{Title: "Searches with no results", Value: countText(none), Sub: ratioOf(float64(none), float64(searches)).String() + " of searches"},
		{Title: "Click-through rate", Value: ratioOf(float64(clicks), float64(shown)).String(),
			Sub: plural(clicks, "click") + " on " + plural(shown, "result") + " shown"},
	}}
	v.Top = h.view(t("searches"), req, nil)
	v.Top.Empty = "No searches in this range."
	v.NoResults = h.view(t("no-results"), req, nil)
	v.NoResults.Empty = "Every search found something (or the shop does not report result counts: see Tracker.SearchResults)."
	v.CTR = h.view(t("search-ctr"), req, nil)
	v.CTR.Empty = "No search results were shown through a tracked call (see Call.ForQuery)."
	l := h.frame(req, "searches", "Searches")
	l.Content = v
	h.render(w, r, http.StatusOK, "searches", l)
}
