package dashboard_test

import (
	"encoding/csv"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/visitrack/visitrack/tracker"
	"github.com/visitrack/visitrack/tracker/dashboard"
)

// fullFake answers every question with a row or two, for the exports.
func fullFake(t testing.TB) *fake {
	cph := copenhagen(t)
	rep := tracker.Report{Orders: 3, ImpactedOrders: 1, Revenue: 300.005, ImpactedRevenue: 120.125,
		Labels: []tracker.LabelStats{{Label: "Homepage - Trending", Calls: 10, Impressions: 40, Clicks: 4, Orders: 1, Revenue: 99.995}}}
	return &fake{
		overview:  map[time.Time]tracker.Overview{time.Date(2025, 3, 1, 0, 0, 0, 0, cph): {Report: rep, Visitors: 30, Calls: 10, Impressions: 40, Clicks: 4}},
		report:    rep,
		labelRows: []tracker.LabelStats{{Label: "Homepage - Trending", Calls: 1, Impressions: 4, Clicks: 1, Orders: 1, Revenue: 9.99}},
		products:  []tracker.ProductStats{{Product: "12793", Shown: 10, Clicks: 2, Units: 3, Revenue: 29.97}},
		positions: []tracker.PositionStats{{Position: 1, Impressions: 10, Clicks: 3}},
		searches:  []tracker.SearchStats{{Query: "red shoes", Searches: 5, NoResults: 1, Impressions: 8, Clicks: 2}},
	}
}

// The exports' schema, as doc.go documents it: a change here is a change
// for every shop that reads them.
var schemas = map[string][]string{
	"summary": {"period", "from", "to", "visitors", "orders", "conversion_rate", "average_order_value", "revenue",
		"impacted_orders", "impacted_orders_share", "impacted_revenue", "impacted_revenue_share",
		"calls", "impressions", "clicks", "ctr"},
	"series":          {"from", "to", "orders", "impacted_orders", "revenue", "impacted_revenue", "calls", "impressions", "clicks"},
	"labels":          {"label", "calls", "impressions", "clicks", "ctr", "orders", "revenue", "revenue_per_1000_impressions"},
	"label-series":    {"from", "to", "calls", "impressions", "clicks", "ctr", "orders", "revenue"},
	"label-products":  {"product", "shown", "clicks", "ctr", "units", "revenue"},
	"label-positions": {"position", "impressions", "clicks", "ctr"},
	"searches":        {"query", "searches", "no_results", "impressions", "clicks", "ctr"},
	"no-results":      {"query", "searches", "no_results", "impressions", "clicks", "ctr"},
	"search-ctr":      {"query", "searches", "no_results", "impressions", "clicks", "ctr"},
}

func TestExportSchemas(t *testing.T) {
	t.Parallel()
	h := newDashboard(t, fullFake(t), dashboard.Config{Currency: "DKK"})
	for name, cols := range schemas {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			query := "?range=month&name=Homepage+-+Trending"
			res, body := get(t, h, "/"+name+".csv"+query)
			require.Equal(t, http.StatusOK, res.StatusCode, body)
			assert.Equal(t, "text/csv; charset=utf-8", res.Header.Get("Content-Type"))
			file := "visitrack-shop-dk-" + name
			if strings.HasPrefix(name, "label-") {
				file += "-Homepage---Trending"
			}
			assert.Equal(t, `attachment; filename="`+file+`-2025-03-01-2025-03-31.csv"`, res.Header.Get("Content-Disposition"))
			rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
			require.NoError(t, err)
			require.GreaterOrEqual(t, len(rows), 2, "a header and rows")
			assert.Equal(t, cols, rows[0])

			res, body = get(t, h, "/"+name+".json"+query)
			require.Equal(t, http.StatusOK, res.StatusCode, body)
			assert.Equal(t, "application/json", res.Header.Get("Content-Type"))
			var doc struct {
				Version  int               `json:"version"`
				Table    string            `json:"table"`
				Store    string            `json:"store"`
				TimeZone string            `json:"time_zone"`
				From     string            `json:"from"`
				To       string            `json:"to"`
				Currency string            `json:"currency"`
				Rows     []json.RawMessage `json:"rows"`
			}
			dec := json.NewDecoder(strings.NewReader(body))
			dec.DisallowUnknownFields()
			require.NoError(t, dec.Decode(&doc))
			assert.Equal(t, 1, doc.Version)
			assert.Equal(t, name, doc.Table)
			assert.Equal(t, "shop-dk", doc.Store)
			assert.Equal(t, "Europe/Copenhagen", doc.TimeZone)
			assert.Equal(t, "2025-03-01T00:00:00+01:00", doc.From)
			assert.Equal(t, "2025-03-31T10:30:00+02:00", doc.To, "the end of what is counted: now")
			assert.Equal(t, "DKK", doc.Currency)
			require.Len(t, doc.Rows, len(rows)-1, "the same rows as the CSV")
			for _, raw := range doc.Rows {
				assert.Equal(t, cols, keys(t, raw), "fields in the columns' order")
			}
		})
	}
}

// keys returns the field names of a JSON object, in order.
func keys(t testing.TB, raw json.RawMessage) []string {
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	var out []string
	_, err := dec.Token()
	require.NoError(t, err)
	for dec.More() {
		k, err := dec.Token()
		require.NoError(t, err)
		out = append(out, k.(string))
		var v any
		require.NoError(t, dec.Decode(&v))
	}
	return out
}

// Money is a decimal string rounded to cents (half away from zero), rates
// fractions to 6 places, and a rate or an average of nothing is null in
// JSON and empty in CSV.
func TestExportValues(t *testing.T) {
	t.Parallel()
	h := newDashboard(t, fullFake(t), dashboard.Config{})
	_, body := get(t, h, "/summary.json?range=month")
	var doc struct {
		Rows []map[string]any `json:"rows"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &doc))
	require.Len(t, doc.Rows, 2)
	cur, prev := doc.Rows[0], doc.Rows[1]
	assert.Equal(t, "current", cur["period"])
	assert.Equal(t, "300.01", cur["revenue"], "300.005 rounds up")
	assert.Equal(t, "120.13", cur["impacted_revenue"])
	assert.Equal(t, "100.00", cur["average_order_value"], "300.005 / 3 = 100.001666…")
	assert.Equal(t, 0.1, cur["conversion_rate"])
	assert.Equal(t, 0.333333, cur["impacted_orders_share"])
	assert.Equal(t, 0.1, cur["ctr"])
	assert.Equal(t, "previous", prev["period"])
	assert.Equal(t, "2025-01-29T00:00:00+01:00", prev["from"])
	assert.Equal(t, "0.00", prev["revenue"])
	assert.Nil(t, prev["average_order_value"], "no orders: no average")
	assert.Nil(t, prev["ctr"], "nothing shown: no rate")
	assert.Contains(t, prev, "ctr")

	_, body = get(t, h, "/summary.csv?range=month")
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	require.NoError(t, err)
	assert.Equal(t, []string{"previous", "2025-01-29T00:00:00+01:00", "2025-02-28T10:30:00+01:00", "0", "0", "", "", "0.00",
		"0", "", "0.00", "", "0", "0", "0", ""}, rows[2])
}

// A spreadsheet runs a cell that starts with = + - @ as a formula: text
// cells that do are quoted with an apostrophe; numbers are left alone.
func TestCSVInjectionGuarded(t *testing.T) {
	t.Parallel()
	f := fullFake(t)
	f.report.Labels = nil
	for _, s := range []string{"=SUM(A1)", "+1", "-2+3", "@cmd", "\tx", "\rx", "plain", "a=b"} {
		f.report.Labels = append(f.report.Labels, tracker.LabelStats{Label: s, Impressions: 1})
	}
	h := newDashboard(t, f, dashboard.Config{})
	_, body := get(t, h, "/labels.csv?range=month&sort=label")
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	require.NoError(t, err)
	var got []string
	for _, r := range rows[1:] {
		got = append(got, r[0])
	}
	assert.ElementsMatch(t, []string{"'=SUM(A1)", "'+1", "'-2+3", "'@cmd", "'\tx", "'\rx", "plain", "a=b"}, got)

	// JSON is data, not a spreadsheet: left as it is.
	_, body = get(t, h, "/labels.json?range=month")
	assert.Contains(t, body, `"label":"=SUM(A1)"`)
}

func TestExportErrors(t *testing.T) {
	t.Parallel()
	h := newDashboard(t, fullFake(t), dashboard.Config{})
	for target, want := range map[string]int{
		"/label-products.csv?range=month":                     http.StatusBadRequest, // which label?
		"/label-series.json?name=" + strings.Repeat("x", 201): http.StatusBadRequest,
		"/nothing.csv":            http.StatusNotFound,
		"/labels.xml":             http.StatusNotFound,
		"/labels.csv?range=month": http.StatusOK,
		"/label-positions.csv?range=month&name=Homepage+-+Trending": http.StatusOK,
	} {
		res, _ := get(t, h, target)
		assert.Equal(t, want, res.StatusCode, target)
	}
}
