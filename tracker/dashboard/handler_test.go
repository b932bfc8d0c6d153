package dashboard_test

import (
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/visitrack/visitrack/tracker/dashboard"
)

// The figures of 30 March 2025 (see newFilledShop), on a real SQLite store.
func TestOverviewOnSQLite(t *testing.T) {
	t.Parallel()
	s := newFilledShop(t)
	h := newDashboard(t, s.db, dashboard.Config{Currency: "DKK"})

	res, page := get(t, h, "/?range=yesterday")
	require.Equal(t, http.StatusOK, res.StatusCode, page)
	assert.Equal(t, "text/html; charset=utf-8", res.Header.Get("Content-Type"))
	contains(t, page, "Sun 30 Mar 2025, compared with Sat 29 Mar 2025")

	for title, want := range map[string]string{
		"Visitors":            "4 +300.0% before: 1",
		"Orders":              "2 +100.0% before: 1",
		"Conversion rate":     "50.0% −50.00 pp before: 100.0% orders per visitor",
		"Average order value": "125.25 DKK +1152.5% before: 10.00 DKK",
		"Revenue":             "250.50 DKK +2405.0% before: 10.00 DKK",
		"Impacted orders":     "1 new before: 0 50.0% of orders",
		"Impacted revenue":    "200.00 DKK new before: 0.00 DKK 79.8% of revenue",
		"Click-through rate":  "33.3% — before: — 2 clicks on 6 products shown",
	} {
		assert.Equal(t, want, card(t, page, title), title)
	}

	// The chart's table: an hour per row over the 23-hour day, in the
	// shop's time; the order of 09:10 in the bucket of 09:00 summer time.
	body := getOK(t, h, "/series.csv?range=yesterday")
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 1+23)
	assert.Equal(t, []string{"2025-03-30T00:00:00+01:00", "2025-03-30T01:00:00+01:00", "0", "0", "0.00", "0.00", "0", "0", "0"}, rows[1])
	assert.Equal(t, "2025-03-30T03:00:00+02:00", rows[3][0], "no 02:00 that night")
	assert.Equal(t, []string{"2025-03-30T09:00:00+02:00", "2025-03-30T10:00:00+02:00", "1", "1", "200.00", "200.00", "1", "3", "1"}, rows[9])
	assert.Equal(t, "2025-03-31T00:00:00+02:00", rows[23][1])
	assert.Equal(t, 3, strings.Count(page, `<svg class="chart"`), "orders, impacted revenue, clicks")
}

func TestLabelsOnSQLite(t *testing.T) {
	t.Parallel()
	s := newFilledShop(t)
	h := newDashboard(t, s.db, dashboard.Config{})

	body := getOK(t, h, "/labels.csv?range=7d&sort=label")
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	require.NoError(t, err)
	assert.Equal(t, [][]string{
		{"label", "calls", "impressions", "clicks", "ctr", "orders", "revenue", "revenue_per_1000_impressions"},
		{hostileLabel, "1", "1", "0", "0", "0", "0.00", "0.00"},
		{"'" + formulaLabel, "1", "1", "0", "0", "0", "0.00", "0.00"},
		{"Homepage - Trending", "1", "3", "1", "0.333333", "1", "200.00", "66666.67"},
		{"Search", "1", "2", "1", "0.5", "0", "0.00", "0.00"},
	}, rows)

	// A label's page: its products and positions.
	page := getOK(t, h, "/label?range=7d&name="+urlEscape("Homepage - Trending"))
	assert.Equal(t, "200.00", card(t, page, "Revenue")[:6])
	body = getOK(t, h, "/label-products.json?range=7d&name="+urlEscape("Homepage - Trending"))
	var products struct {
		Rows []map[string]any `json:"rows"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &products))
	assert.Contains(t, products.Rows, map[string]any{"product": "p2", "shown": 1.0, "clicks": 1.0, "ctr": 1.0, "units": 2.0, "revenue": "200.00"})
	assert.Len(t, products.Rows, 3)
	body = getOK(t, h, "/label-positions.csv?range=7d&name="+urlEscape("Homepage - Trending"))
	assert.Equal(t, "position,impressions,clicks,ctr\n1,1,0,0\n2,1,1,1\n3,1,0,0\n", body)
}

func TestSearchesOnSQLite(t *testing.T) {
	t.Parallel()
	s := newFilledShop(t)
	h := newDashboard(t, s.db, dashboard.Config{})

	page := getOK(t, h, "/searches?range=yesterday")
	assert.Equal(t, "3 3 different queries", card(t, page, "Searches"))
	assert.Equal(t, "1 33.3% of searches", card(t, page, "Searches with no results"))

	_, body := get(t, h, "/no-results.csv?range=yesterday")
	assert.Equal(t, "query,searches,no_results,impressions,clicks,ctr\nred shoes,1,1,0,0,\n", body)
	_, body = get(t, h, "/search-ctr.csv?range=yesterday")
	assert.Equal(t, "query,searches,no_results,impressions,clicks,ctr\nblue shoes,1,0,2,1,0.5\n", body)
	_, body = get(t, h, "/searches.csv?range=yesterday")
	assert.Contains(t, body, "\n'+1+2,1,0,0,0,\n", "a query that a spreadsheet would run is quoted")
}

// Labels and queries are the shop's and its visitors' text: the pages
// escape them, and links carry them encoded.
func TestHostileTextIsEscaped(t *testing.T) {
	t.Parallel()
	s := newFilledShop(t)
	h := newDashboard(t, s.db, dashboard.Config{})
	for _, target := range []string{"/?range=yesterday", "/labels?range=yesterday", "/label?range=yesterday&name=" + urlEscape(hostileLabel)} {
		res, page := get(t, h, target)
		require.Equal(t, http.StatusOK, res.StatusCode, target)
		notContains(t, page, "<script", target)
		contains(t, page, "&lt;script&gt;alert(&#34;label&#34;)&lt;/script&gt;", target)
	}
	_, page := get(t, h, "/labels?range=yesterday")
	contains(t, page, `href="label?name=%3Cscript%3Ealert%28%22label%22%29%3C%2Fscript%3E&amp;range=yesterday"`)
}

// urlEscape escapes a query parameter's value.
func urlEscape(s string) string {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	q := r.URL.Query()
	q.Set("x", s)
	return strings.TrimPrefix(q.Encode(), "x=")
}
