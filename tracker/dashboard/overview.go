package dashboard

import (
	"context"
	"net/http"
	"time"

	"github.com/visitrack/visitrack/tracker"
)

// overviewView is the overview page's content.
type overviewView struct {
	Cards     []card
	Charts    []figure
	Summary   tableView
	Series    tableView
	TopLabels tableView
	AllLabels string
}

// overviews returns the Overview of the period and of the previous one.
func (h *Handler) overviews(ctx context.Context, p period) (cur, prev tracker.Overview, err error) {
	pf, pe := p.previous()
	err = parallel(
		func() (err error) { cur, err = h.cfg.Analytics.Overview(ctx, h.cfg.Store, p.From, p.End); return },
		func() (err error) { prev, err = h.cfg.Analytics.Overview(ctx, h.cfg.Store, pf, pe); return },
	)
	return cur, prev, err
}

// series returns the points of the period's buckets.
func (h *Handler) series(ctx context.Context, p period) ([]tracker.Point, error) {
	b := p.bounds()
	if len(b) < 2 {
		return nil, nil
	}
	return h.cfg.Analytics.Series(ctx, h.cfg.Store, b)
}

func (h *Handler) overview(w http.ResponseWriter, r *http.Request) {
	req, ok := h.read(w, r)
	if !ok {
		return
	}
	p := req.period
	var cur, prev tracker.Overview
	var points []tracker.Point
	err := parallel(
		func() (err error) { cur, prev, err = h.overviews(r.Context(), p); return },
		func() (err error) { points, err = h.series(r.Context(), p); return },
	)
	if err != nil {
		h.failed(w, r, err)
		return
	}
	pf, pe := p.previous()
	l := h.frame(req, "overview", "Overview")
	l.Range.Previous = spanTitle(pf, pe, p.loc)

	v := &overviewView{Cards: h.cards(cur, prev), AllLabels: href("labels", p)}
	v.Charts = h.seriesCharts(p, points)
	v.Summary = h.view(summaryTable(p, cur, prev), req, nil)
	v.Series = h.view(seriesTable(p, points), req, nil)
	top := labelsTable(p, cur.Report)
	top.sortBy("revenue", true)
	if len(top.Rows) > 5 {
		top.Rows, top.Links = top.Rows[:5], top.Links[:5]
	}
	top.Title = "Top labels by revenue"
	v.TopLabels = h.view(top, req, nil)
	v.TopLabels.CSV, v.TopLabels.JSON = "", "" // the table of labels has them
	v.TopLabels.Empty = "No tracked calls in this range."
	// Their captions say more than the headings above them.
	v.TopLabels.QuietCaption, v.Series.QuietCaption, v.Summary.QuietCaption = false, false, false
	l.Content = v
	h.render(w, r, http.StatusOK, "overview", l)
}

// cards returns the headline figures of cur compared with prev.
func (h *Handler) cards(cur, prev tracker.Overview) []card {
	cur2, prev2 := figuresOf(cur), figuresOf(prev)
	cc := func(n, p int) *delta { d := changeOf(float64(n), float64(p)); return &d }
	cm := func(n, p money) *delta { d := changeOf(float64(n), float64(p)); return &d }
	cr := func(n, p ratio) *delta { d := pointsOf(n, p); return &d }
	cu := h.withCurrency
	return []card{
		{Title: "Visitors", Value: countText(cur.Visitors), Delta: cc(cur.Visitors, prev.Visitors), Prev: countText(prev.Visitors)},
		{Title: "Orders", Value: countText(cur.Orders), Delta: cc(cur.Orders, prev.Orders), Prev: countText(prev.Orders)},
		{Title: "Conversion rate", Value: cur2.conversion.String(), Sub: "orders per visitor",
			Delta: cr(cur2.conversion, prev2.conversion), Prev: prev2.conversion.String()},
		{Title: "Average order value", Value: cu(cur2.aov.String()),
			Delta: cm(cur2.aov.M, prev2.aov.M), Prev: cu(prev2.aov.String())},
		{Title: "Revenue", Value: cu(cur2.revenue.String()), Delta: cm(cur2.revenue, prev2.revenue), Prev: cu(prev2.revenue.String())},
		{Title: "Impacted orders", Value: countText(cur.ImpactedOrders), Sub: cur2.orderShare.String() + " of orders",
			Delta: cc(cur.ImpactedOrders, prev.ImpactedOrders), Prev: countText(prev.ImpactedOrders)},
		{Title: "Impacted revenue", Value: cu(cur2.impacted.String()), Sub: cur2.revenueShare.String() + " of revenue",
			Delta: cm(cur2.impacted, prev2.impacted), Prev: cu(prev2.impacted.String())},
		{Title: "Click-through rate", Value: cur2.ctr.String(),
			Sub:   plural(cur.Clicks, "click") + " on " + plural(cur.Impressions, "product") + " shown",
			Delta: cr(cur2.ctr, prev2.ctr), Prev: prev2.ctr.String()},
	}
}

// withCurrency appends Config.Currency to an amount.
func (h *Handler) withCurrency(s string) string {
	if h.cfg.Currency == "" || s == "—" {
		return s
	}
	return s + " " + h.cfg.Currency
}

// figures are an Overview's derived figures, as the page and the summary
// export give them.
type figures struct {
	revenue, impacted        money
	aov                      optMoney
	conversion, ctr          ratio
	orderShare, revenueShare ratio
}

func figuresOf(o tracker.Overview) figures {
	f := figures{revenue: moneyOf(o.Revenue), impacted: moneyOf(o.ImpactedRevenue)}
	f.aov = f.revenue.per(o.Orders)
	f.conversion = ratioOf(float64(o.Orders), float64(o.Visitors))
	f.ctr = ratioOf(float64(o.Clicks), float64(o.Impressions))
	f.orderShare = ratioOf(float64(o.ImpactedOrders), float64(o.Orders))
	f.revenueShare = ratioOf(float64(f.impacted), float64(f.revenue))
	return f
}

// summaryTable is the headline figures of the period and the previous one:
// the export "summary".
func summaryTable(p period, cur, prev tracker.Overview) *table {
	t := &table{Name: "summary", Title: "Headline figures", step: stepHour, Cols: []column{
		{"period", "Period", kindText}, {"from", "From", kindTime}, {"to", "To", kindTime},
		{"visitors", "Visitors", kindCount}, {"orders", "Orders", kindCount},
		{"conversion_rate", "Conversion rate", kindRatio}, {"average_order_value", "Average order value", kindMoney},
		{"revenue", "Revenue", kindMoney}, {"impacted_orders", "Impacted orders", kindCount},
		{"impacted_orders_share", "Share of orders impacted", kindRatio},
		{"impacted_revenue", "Impacted revenue", kindMoney}, {"impacted_revenue_share", "Share of revenue impacted", kindRatio},
		{"calls", "Tracked calls", kindCount}, {"impressions", "Products shown", kindCount},
		{"clicks", "Clicks", kindCount}, {"ctr", "Click-through rate", kindRatio},
	}}
	pf, pe := p.previous()
	for _, row := range []struct {
		name     string
		from, to time.Time
		o        tracker.Overview
	}{{"current", p.From, p.End, cur}, {"previous", pf, pe, prev}} {
		f := figuresOf(row.o)
		o := row.o
		t.Rows = append(t.Rows, []any{row.name, row.from.In(p.loc), row.to.In(p.loc), o.Visitors, o.Orders,
			f.conversion, f.aov, f.revenue, o.ImpactedOrders, f.orderShare, f.impacted, f.revenueShare,
			o.Calls, o.Impressions, o.Clicks, f.ctr})
	}
	return t
}

// seriesTable is the chart's figures, a row per bucket: the export
// "series".
func seriesTable(p period, points []tracker.Point) *table {
	t := &table{Name: "series", Title: "Over time", step: p.step(), Cols: []column{
		{"from", "From", kindTime}, {"to", "To", kindTime},
		{"orders", "Orders", kindCount}, {"impacted_orders", "Impacted orders", kindCount},
		{"revenue", "Revenue", kindMoney}, {"impacted_revenue", "Impacted revenue", kindMoney},
		{"calls", "Tracked calls", kindCount}, {"impressions", "Products shown", kindCount}, {"clicks", "Clicks", kindCount},
	}}
	for _, pt := range points {
		t.Rows = append(t.Rows, []any{pt.From.In(p.loc), pt.To.In(p.loc), pt.Orders, pt.ImpactedOrders,
			moneyOf(pt.Revenue), moneyOf(pt.ImpactedRevenue), pt.Calls, pt.Impressions, pt.Clicks})
	}
	return t
}

// unit names a bucket of step s, for charts' titles.
func unit(s step) string {
	return [...]string{stepHour: "hour", stepDay: "day", stepWeek: "week", stepMonth: "month"}[s]
}

// seriesCharts draws orders, impacted revenue and clicks per bucket.
func (h *Handler) seriesCharts(p period, points []tracker.Point) []figure {
	s := p.step()
	n := len(points)
	orders, revenue, clicks := make([]float64, n), make([]float64, n), make([]float64, n)
	for i, pt := range points {
		orders[i], revenue[i], clicks[i] = float64(pt.Orders), float64(moneyOf(pt.ImpactedRevenue).cents())/100, float64(pt.Clicks)
	}
	times := make([]time.Time, n)
	for i, pt := range points {
		times[i] = pt.From.In(p.loc)
	}
	count := func(v float64) string { return groupDigits(int64(v)) }
	amount := func(v float64) string { return h.withCurrency(money(v * 1e6).String()) }
	return []figure{
		barChart("orders", "Orders per "+unit(s), orders, times, s, count, "orders"),
		barChart("impacted", "Impacted revenue per "+unit(s), revenue, times, s, amount, "impacted revenue"),
		barChart("clicks", "Clicks per "+unit(s), clicks, times, s, count, "clicks"),
	}
}

// barChart draws values, one per bucket starting at times, described in
// words for screen readers.
func barChart(id, title string, values []float64, times []time.Time, s step, format func(float64) string, what string) figure {
	c := chart{ID: id, Title: title, Values: values, Format: compact}
	total, peak := 0.0, -1
	for i, v := range values {
		total += v
		if peak < 0 || v > values[peak] {
			peak = i
		}
		c.Axis = append(c.Axis, axisLabel(times[i], s))
		c.Tips = append(c.Tips, bucketLabel(times[i], s)+" — "+what+": "+format(v))
	}
	switch {
	case len(values) == 0:
		c.Summary = "No data: the range has not begun."
	case total == 0:
		c.Summary = "None in this range."
	default:
		c.Summary = upper(what) + ": " + format(total) + " over " + plural(len(values), unit(s)) + "; the most, " +
			format(values[peak]) + ", in the " + unit(s) + " of " + bucketLabel(times[peak], s) + "."
	}
	return figure{title, c.SVG()}
}
