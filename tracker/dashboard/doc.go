// Package dashboard is a dashboard a shop owner opens every morning: an
// http.Handler that shows, for a range of days, what tracked
// recommendations and search earned, compared with the period before; the
// labels, sortable, each with a page of its own; what visitors searched
// for; and every table as CSV and JSON. It reads any tracker.Analytics: the
// SQLite store, the PostgreSQL store, or one of the shop's own.
//
// Mount it under a prefix of the shop's with http.StripPrefix, and say who
// may see it:
//
//	dash, err := dashboard.New(dashboard.Config{
//		Analytics: db,                     // *sqlite.Store, *postgres.Store
//		Store:     "shop-dk",
//		Location:  copenhagen,             // where the shop's days begin
//		Currency:  "DKK",
//		Authorize: dashboard.BasicAuth("owner", os.Getenv("DASHBOARD_PASSWORD")),
//	})
//	mux.Handle("/admin/dashboard/", http.StripPrefix("/admin/dashboard", dash))
//
// # Access
//
// A dashboard shows revenue, so the zero Config refuses every request with
// a 403 page that says how to give access. Config.Authorize decides for
// each request: BasicAuth asks for a user name and password (compared in
// constant time); a hook of the shop's own can check its sign-in and
// redirect to it. Every response forbids caching by shared caches, framing
// and scripts (Content-Security-Policy). Nothing the dashboard serves
// changes state: every page and export is a GET, and other methods get a
// 405. The handler still sits behind http.CrossOriginProtection, so that a
// route added later that changes something (a sign-out, a saved
// preference) is refused from other sites from the start.
//
// # Pages
//
// Every page takes the range from its query: "range" is a preset (today,
// yesterday, 7d and 30d — the whole days before today —, month, last-month;
// "30d" unless Config.DefaultRange says otherwise), or "from" and "to" are
// the first and last day of a custom range (YYYY-MM-DD, at most 1,098
// days). Days begin at midnight in Config.Location. A range that has not
// ended is counted up to now. The previous period is as many calendar days
// just before, as long by the clock on the wall, so "today" until 10:30 is
// compared with yesterday until 10:30.
//
//	/                 overview: headline figures and their change, charts
//	/labels           the labels; ?sort=<column key>&order=asc|desc
//	/label?name=L     one label: over time, its products, CTR by position
//	/searches         top searches, searches with no results, CTR per query
//	/<table>.csv      a table as CSV, the range and parameters of its page
//	/<table>.json     the same as JSON
//
// Charts are inline SVG drawn on the server, with no script and nothing
// loaded from elsewhere: a bar per hour for ranges of up to 2 days, per day
// up to 92 days, per week (from the first day) up to 2 years, per month
// beyond. Buckets begin at whole hours or midnights of the shop's time
// zone, so a day across a change of daylight saving time lasts 23 or 25
// hours. Each chart's figures are also a table, under it.
//
// Changes are in percent of the previous value for counts and amounts,
// "new" when the previous period had none, "—" when neither had any; rates
// change in percentage points ("pp").
//
// # Exports
//
// Every table a page shows can be downloaded with the same figures, for
// the same range: its export links carry the page's parameters. CSV has a
// header row of the column keys below. JSON is one object:
//
//	{"version": 1, "table": "labels", "store": "shop-dk",
//	 "time_zone": "Europe/Copenhagen",
//	 "from": "2025-03-01T00:00:00+01:00", "to": "2025-03-31T00:00:00+02:00",
//	 "currency": "DKK",
//	 "rows": [{"label": "Homepage - Trending", "calls": 12, ...}]}
//
// "from" and "to" bound what was counted, [from, to): "to" is now for a
// range that has not ended. Rows have the column keys as fields, in their
// order. Values:
//
//   - counts are integers;
//   - amounts are decimal strings rounded to cents, half away from zero:
//     "1234.50" (stores sum exact micro-units; a string keeps them exact
//     and keeps the trailing zero). No currency is converted; "currency" is
//     Config.Currency, "" when not set;
//   - rates (ctr, conversion_rate, *_share) are fractions, not percents,
//     rounded to 6 places: 0.0125 is 1.25%;
//   - times are RFC 3339 with the shop's offset;
//   - a rate or an average of nothing (no impressions, no orders) is null
//     in JSON and an empty cell in CSV; a page shows "—".
//
// In CSV, a text cell (a label, a product, a query) that starts with
// = + - @, a tab or a carriage return gets a leading apostrophe, so that a
// spreadsheet does not run it as a formula. JSON gives text as it is.
//
// The tables and their columns:
//
//	summary          period ("current" or "previous"), from, to, visitors, orders,
//	                 conversion_rate (orders per visitor), average_order_value,
//	                 revenue, impacted_orders, impacted_orders_share,
//	                 impacted_revenue, impacted_revenue_share, calls,
//	                 impressions (products shown), clicks, ctr (clicks per impression)
//	series           from, to, orders, impacted_orders, revenue, impacted_revenue,
//	                 calls, impressions, clicks: a row per bucket of the charts
//	labels           label, calls, impressions, clicks, ctr, orders, revenue,
//	                 revenue_per_1000_impressions; in the page's sort
//	label-series     from, to, calls, impressions, clicks, ctr, orders, revenue
//	label-products   product, shown, clicks, ctr, units, revenue: most shown
//	                 first, at most Config.Rows
//	label-positions  position (1-based), impressions, clicks, ctr
//	searches         query, searches, no_results, impressions, clicks, ctr:
//	                 most searched first, at most Config.Rows
//	no-results       the same columns: queries that found nothing, most such
//	                 searches first
//	search-ctr       the same columns: queries whose results tracked calls
//	                 showed (Call.ForQuery), most shown first
//
// The label exports need ?name=. Fields are only ever added; a change
// to what a field means gets a new version.
//
// # Figures
//
// Every figure follows the rules of the store's Report: an order is
// impacted when one of its lines was clicked through a tracked result
// before it; a label's orders and revenue are those of the lines credited
// to it. Visitors counts the distinct visitors with an event in the range;
// the conversion rate is orders per visitor. Searches with no results are
// those the shop reported with Tracker.SearchResults(query, 0).
//
// The overview page asks the store three things at once: the range's
// figures, the previous period's and the chart's series. BenchmarkOverview
// measures every page over 30 days of 1M events in the SQLite store; the
// README quotes its figures.
package dashboard
