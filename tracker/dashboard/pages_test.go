package dashboard_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/visitrack/visitrack/tracker"
	"github.com/visitrack/visitrack/tracker/dashboard"
)

// sortFake has labels that each sort differently.
func sortFake() *fake {
	return &fake{report: tracker.Report{Labels: []tracker.LabelStats{
		{Label: "alpha", Calls: 30, Impressions: 100, Clicks: 1, Orders: 2, Revenue: 50},
		{Label: "Beta", Calls: 10, Impressions: 300, Clicks: 30, Orders: 1, Revenue: 500},
		{Label: "gamma", Calls: 20, Impressions: 0, Clicks: 0, Orders: 0, Revenue: 0},
	}}}
}

// firstColumn returns the first cells of the rows of the table with id.
func firstColumn(t testing.TB, page, id string) []string {
	t.Helper()
	m := regexp.MustCompile(`(?s)<table id="` + id + `">.*?<tbody>(.*?)</tbody>`).FindStringSubmatch(page)
	require.NotNil(t, m, "no table %s", id)
	var out []string
	for _, row := range regexp.MustCompile(`(?s)<tr>(.*?)</tr>`).FindAllStringSubmatch(m[1], -1) {
		cell := regexp.MustCompile(`(?s)<td[^>]*>(.*?)</td>`).FindStringSubmatch(row[1])
		out = append(out, text(cell[1]))
	}
	return out
}

func TestLabelsSortable(t *testing.T) {
	t.Parallel()
	h := newDashboard(t, sortFake(), dashboard.Config{})
	tests := []struct {
		query string
		want  []string
		sort  string // the heading marked sorted, and how
	}{
		{"", []string{"Beta", "alpha", "gamma"}, `aria-sort="descending"><a href="labels?order=asc&amp;range=30d&amp;sort=revenue">Revenue</a>`},
		{"sort=revenue&order=asc", []string{"gamma", "alpha", "Beta"}, `aria-sort="ascending"><a href="labels?order=desc&amp;range=30d&amp;sort=revenue">Revenue</a>`},
		{"sort=label", []string{"alpha", "Beta", "gamma"}, `aria-sort="ascending"><a href="labels?order=desc&amp;range=30d&amp;sort=label">Label</a>`},
		{"sort=label&order=desc", []string{"gamma", "Beta", "alpha"}, `aria-sort="descending"`},
		{"sort=calls", []string{"alpha", "gamma", "Beta"}, `aria-sort="descending"><a href="labels?order=asc&amp;range=30d&amp;sort=calls">Calls</a>`},
		{"sort=ctr", []string{"Beta", "alpha", "gamma"}, `aria-sort="descending"`}, // gamma has no CTR: last
		{"sort=ctr&order=asc", []string{"gamma", "alpha", "Beta"}, `aria-sort="ascending"`},
		{"sort=orders", []string{"alpha", "Beta", "gamma"}, `aria-sort="descending"`},
		{"sort=nonsense", []string{"Beta", "alpha", "gamma"}, `aria-sort="descending"><a href="labels?order=asc&amp;range=30d&amp;sort=revenue">Revenue</a>`},
	}
	for _, tt := range tests {
		res, page := get(t, h, "/labels?"+tt.query)
		require.Equal(t, http.StatusOK, res.StatusCode, tt.query)
		assert.Equal(t, tt.want, firstColumn(t, page, "labels"), tt.query)
		contains(t, page, tt.sort, tt.query)
		assert.Equal(t, 1, strings.Count(page, `aria-sort="`), tt.query)

		// The export gives the rows in the page's order, and the page links
		// to it with the same sort.
		_, body := get(t, h, "/labels.csv?"+tt.query)
		lines := strings.Split(strings.TrimSpace(body), "\n")[1:]
		for i, l := range lines {
			assert.True(t, strings.HasPrefix(l, tt.want[i]+","), "%s: export row %d is %q", tt.query, i, l)
		}
	}
	// Switching the range keeps the sort.
	_, page := get(t, h, "/labels?sort=calls&order=asc")
	contains(t, page, `href="labels?order=asc&amp;range=7d&amp;sort=calls"`)
	contains(t, page, `<input type="hidden" name="sort" value="calls"><input type="hidden" name="order" value="asc">`)
}

// Changes from the previous period: percent for counts and amounts, "new"
// when there was nothing before, "—" when there is nothing either way,
// percentage points for rates.
func TestDeltas(t *testing.T) {
	t.Parallel()
	cph := copenhagen(t)
	f := &fake{overview: map[time.Time]tracker.Overview{
		time.Date(2025, 3, 30, 0, 0, 0, 0, cph): {Report: tracker.Report{Orders: 3, Revenue: 90, ImpactedOrders: 0, ImpactedRevenue: 0},
			Visitors: 100, Impressions: 200, Clicks: 5},
		time.Date(2025, 3, 29, 0, 0, 0, 0, cph): {Report: tracker.Report{Orders: 0, Revenue: 0},
			Visitors: 100, Impressions: 100, Clicks: 5},
	}}
	h := newDashboard(t, f, dashboard.Config{})
	_, page := get(t, h, "/?range=yesterday")
	assert.Equal(t, "100 ±0% before: 100", card(t, page, "Visitors"))
	assert.Equal(t, "3 new before: 0", card(t, page, "Orders"))
	assert.Equal(t, "30.00 new before: —", card(t, page, "Average order value"))
	assert.Equal(t, "0 — before: 0 0.00% of orders", card(t, page, "Impacted orders"))
	assert.Equal(t, "0.00 — before: 0.00 0.00% of revenue", card(t, page, "Impacted revenue"))
	assert.Equal(t, "3.00% +3.00 pp before: 0.00% orders per visitor", card(t, page, "Conversion rate"))
	assert.Equal(t, "2.50% −2.50 pp before: 5.00% 5 clicks on 200 products shown", card(t, page, "Click-through rate"))
	contains(t, page, `<p class="delta up" title="none in the previous period">new</p>`)
	contains(t, page, `<p class="delta down"`)
}

func TestStoreErrorIs500AndLogged(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	f := &fake{err: errStore}
	h := newDashboard(t, f, dashboard.Config{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	for _, target := range []string{"/", "/labels", "/label?name=x", "/searches", "/series.csv", "/label-products.json?name=x"} {
		res, page := get(t, h, target)
		assert.Equal(t, http.StatusInternalServerError, res.StatusCode, target)
		contains(t, page, "The figures could not be read", target)
		notContains(t, page, "store is down", "the error is for the log", target)
	}
	assert.Contains(t, logs.String(), "store is down")
	assert.Contains(t, logs.String(), "path=/labels")
}

func TestNotFoundAndRedirectToSlash(t *testing.T) {
	t.Parallel()
	f := fullFake(t)
	h := newDashboard(t, f, dashboard.Config{})
	res, page := get(t, h, "/wp-admin")
	assert.Equal(t, http.StatusNotFound, res.StatusCode)
	contains(t, page, "The dashboard has no such page.")

	// Mounted at /admin/dashboard and asked for /admin/dashboard: the
	// relative links of the pages need the slash.
	mux := http.NewServeMux()
	mux.Handle("/admin/dashboard/", http.StripPrefix("/admin/dashboard", h))
	mux.Handle("/admin/dashboard", http.StripPrefix("/admin/dashboard", h))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	c := srv.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Get(srv.URL + "/admin/dashboard?range=7d")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusMovedPermanently, resp.StatusCode)
	assert.Equal(t, "/admin/dashboard/?range=7d", resp.Header.Get("Location"))

	resp, err = c.Get(srv.URL + "/admin/dashboard/labels?range=7d")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}

func TestLabelPage(t *testing.T) {
	t.Parallel()
	f := fullFake(t)
	h := newDashboard(t, f, dashboard.Config{Rows: 7})
	res, page := get(t, h, "/label?range=7d&name=Homepage+-+Trending")
	require.Equal(t, http.StatusOK, res.StatusCode)
	contains(t, page, "<h1>Label “Homepage - Trending”</h1>")
	// Seven days of one row each from the fake.
	assert.Equal(t, "7", card(t, page, "Calls"))
	assert.Equal(t, "69.93 of the lines credited to it", card(t, page, "Revenue"))
	assert.Equal(t, "2,497.50", card(t, page, "Revenue per 1,000 shown"))
	assert.Equal(t, 7, f.lastLimit, "Config.Rows")
	assert.Equal(t, []string{"12793"}, firstColumn(t, page, "label-products"))
	assert.Equal(t, []string{"1"}, firstColumn(t, page, "label-positions"))
	assert.Equal(t, 4, strings.Count(page, `<svg class="chart"`), "clicks, orders, revenue, CTR by position")
	contains(t, page, `href="label-products.csv?name=Homepage&#43;-&#43;Trending&amp;range=7d"`)
	// Ranges keep the label.
	contains(t, page, `href="label?name=Homepage&#43;-&#43;Trending&amp;range=today"`)
	contains(t, page, `<input type="hidden" name="name" value="Homepage - Trending">`)

	res, page = get(t, h, "/label?range=7d")
	assert.Equal(t, http.StatusBadRequest, res.StatusCode)
	contains(t, page, "Which label?")
}

func TestSearchPage(t *testing.T) {
	t.Parallel()
	f := &fake{searches: []tracker.SearchStats{
		{Query: "shoes", Searches: 50, NoResults: 0, Impressions: 200, Clicks: 20},
		{Query: "sokker", Searches: 10, NoResults: 10},
		{Query: "hat", Searches: 30, NoResults: 3, Impressions: 400, Clicks: 4},
		{Query: "scarf", Searches: 0, Impressions: 10, Clicks: 1}, // shown by a call, never searched
	}}
	h := newDashboard(t, f, dashboard.Config{Rows: 2})
	res, page := get(t, h, "/searches?range=30d")
	require.Equal(t, http.StatusOK, res.StatusCode)
	assert.Equal(t, []string{"shoes", "hat"}, firstColumn(t, page, "searches"), "most searched, cut to Rows")
	assert.Equal(t, []string{"sokker", "hat"}, firstColumn(t, page, "no-results"))
	assert.Equal(t, []string{"hat", "shoes"}, firstColumn(t, page, "search-ctr"), "most shown first")
	assert.Equal(t, "90 4 different queries", card(t, page, "Searches"))
	assert.Equal(t, "13 14.4% of searches", card(t, page, "Searches with no results"))
	assert.Equal(t, "4.10% 25 clicks on 610 results shown", card(t, page, "Click-through rate"))
}
