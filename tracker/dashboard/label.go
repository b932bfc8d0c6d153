package dashboard

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/visitrack/visitrack/tracker"
)

// labelView is a label's page content.
type labelView struct {
	Name      string
	Cards     []card
	Charts    []figure
	Series    tableView
	Products  tableView
	Positions tableView
}

// labelSeries returns the label's stats per bucket of the period.
func (h *Handler) labelSeries(ctx context.Context, p period, name string) ([]tracker.LabelStats, []time.Time, error) {
	b := p.bounds()
	if len(b) < 2 {
		return nil, nil, nil
	}
	s, err := h.cfg.Analytics.LabelSeries(ctx, h.cfg.Store, name, b)
	return s, b, err
}

// labelSeriesTable is the export "label-series".
func labelSeriesTable(p period, stats []tracker.LabelStats, bounds []time.Time) *table {
	t := &table{Name: "label-series", Title: "Over time", step: p.step(), Cols: []column{
		{"from", "From", kindTime}, {"to", "To", kindTime}, {"calls", "Calls", kindCount},
		{"impressions", "Products shown", kindCount}, {"clicks", "Clicks", kindCount}, {"ctr", "CTR", kindRatio},
		{"orders", "Orders", kindCount}, {"revenue", "Revenue", kindMoney},
	}}
	for i, s := range stats {
		t.Rows = append(t.Rows, []any{bounds[i].In(p.loc), bounds[i+1].In(p.loc), s.Calls, s.Impressions, s.Clicks,
			ratioOf(float64(s.Clicks), float64(s.Impressions)), s.Orders, moneyOf(s.Revenue)})
	}
	return t
}

// labelProductsTable is the export "label-products".
func labelProductsTable(products []tracker.ProductStats) *table {
	t := &table{Name: "label-products", Title: "Products", Cols: []column{
		{"product", "Product", kindText}, {"shown", "Shown", kindCount}, {"clicks", "Clicks", kindCount},
		{"ctr", "CTR", kindRatio}, {"units", "Units sold", kindCount}, {"revenue", "Revenue", kindMoney},
	}}
	for _, s := range products {
		t.Rows = append(t.Rows, []any{s.Product, s.Shown, s.Clicks, ratioOf(float64(s.Clicks), float64(s.Shown)),
			s.Units, moneyOf(s.Revenue)})
	}
	return t
}

// labelPositionsTable is the export "label-positions".
func labelPositionsTable(positions []tracker.PositionStats) *table {
	t := &table{Name: "label-positions", Title: "Click-through by position", Cols: []column{
		{"position", "Position", kindCount}, {"impressions", "Products shown", kindCount},
		{"clicks", "Clicks", kindCount}, {"ctr", "CTR", kindRatio},
	}}
	for _, s := range positions {
		t.Rows = append(t.Rows, []any{s.Position, s.Impressions, s.Clicks, ratioOf(float64(s.Clicks), float64(s.Impressions))})
	}
	return t
}

func (h *Handler) label(w http.ResponseWriter, r *http.Request) {
	req, ok := h.read(w, r)
	if !ok {
		return
	}
	name, ok := h.labelParam(w, req)
	if !ok {
		return
	}
	p := req.period
	ctx := r.Context()
	var stats []tracker.LabelStats
	var bounds []time.Time
	var products []tracker.ProductStats
	var positions []tracker.PositionStats
	err := parallel(
		func() (err error) { stats, bounds, err = h.labelSeries(ctx, p, name); return },
		func() (err error) {
			products, err = h.cfg.Analytics.LabelProducts(ctx, h.cfg.Store, name, p.From, p.End, h.cfg.Rows)
			return
		},
		func() (err error) {
			positions, err = h.cfg.Analytics.Positions(ctx, h.cfg.Store, name, p.From, p.End)
			return
		},
	)
	if err != nil {
		h.failed(w, r, err)
		return
	}
	// The range's totals are the sum of its buckets: every event is in
	// exactly one.
	var total tracker.LabelStats
	var revenue money
	for _, s := range stats {
		total.Calls += s.Calls
		total.Impressions += s.Impressions
		total.Clicks += s.Clicks
		total.Orders += s.Orders
		revenue += moneyOf(s.Revenue)
	}
	v := &labelView{Name: name, Cards: []card{
		{Title: "Calls", Value: countText(total.Calls)},
		{Title: "Products shown", Value: countText(total.Impressions)},
		{Title: "Clicks", Value: countText(total.Clicks)},
		{Title: "Click-through rate", Value: ratioOf(float64(total.Clicks), float64(total.Impressions)).String()},
		{Title: "Orders", Value: countText(total.Orders), Sub: "impacted orders with a line credited to it"},
		{Title: "Revenue", Value: h.withCurrency(revenue.String()), Sub: "of the lines credited to it"},
		{Title: "Revenue per 1,000 shown", Value: h.withCurrency((revenue * 1000).per(total.Impressions).String())},
	}}
	s := p.step()
	n := len(stats)
	clicks, orders, rev := make([]float64, n), make([]float64, n), make([]float64, n)
	times := make([]time.Time, n)
	for i, st := range stats {
		clicks[i], orders[i], rev[i] = float64(st.Clicks), float64(st.Orders), float64(moneyOf(st.Revenue).cents())/100
		times[i] = bounds[i].In(p.loc)
	}
	count := func(v float64) string { return groupDigits(int64(v)) }
	amount := func(v float64) string { return h.withCurrency(money(v * 1e6).String()) }
	v.Charts = []figure{
		barChart("clicks", "Clicks per "+unit(s), clicks, times, s, count, "clicks"),
		barChart("orders", "Orders per "+unit(s), orders, times, s, count, "orders"),
		barChart("revenue", "Revenue per "+unit(s), rev, times, s, amount, "revenue"),
	}
	if len(positions) > 0 {
		c := chart{ID: "ctr-by-position", Title: "Click-through rate by position", Format: percent}
		for _, ps := range positions {
			r := ratioOf(float64(ps.Clicks), float64(ps.Impressions))
			c.Values = append(c.Values, r.V)
			c.Axis = append(c.Axis, "#"+strconv.Itoa(ps.Position))
			c.Tips = append(c.Tips, "Position "+strconv.Itoa(ps.Position)+" — "+r.String()+" ("+plural(ps.Clicks, "click")+" on "+countText(ps.Impressions)+" shown)")
		}
		c.Summary = "The click-through rate at each of " + plural(len(positions), "position") + "."
		v.Charts = append(v.Charts, figure{c.Title, c.SVG()})
	}
	v.Series = h.view(labelSeriesTable(p, stats, bounds), req, nil, "name", name)
	v.Series.QuietCaption = false
	v.Products = h.view(labelProductsTable(products), req, nil, "name", name)
	v.Products.Empty = "No products shown under this label in this range."
	v.Positions = h.view(labelPositionsTable(positions), req, nil, "name", name)
	v.Positions.Empty = "No products shown under this label in this range."
	l := h.frame(req, "label", name, "name", name)
	l.Nav = "labels"
	l.Content = v
	h.render(w, r, http.StatusOK, "label", l)
}
