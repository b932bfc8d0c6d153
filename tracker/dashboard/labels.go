package dashboard

import (
	"net/http"

	"github.com/visitrack/visitrack/tracker"
)

// labelsTable is a Report's labels, as the table of labels shows them: the
// export "labels".
func labelsTable(p period, rep tracker.Report) *table {
	t := &table{Name: "labels", Title: "Labels", Cols: []column{
		{"label", "Label", kindText}, {"calls", "Calls", kindCount}, {"impressions", "Products shown", kindCount},
		{"clicks", "Clicks", kindCount}, {"ctr", "CTR", kindRatio}, {"orders", "Orders", kindCount},
		{"revenue", "Revenue", kindMoney}, {"revenue_per_1000_impressions", "Revenue per 1,000 shown", kindMoney},
	}, Links: []string{}}
	for _, l := range rep.Labels {
		rev := moneyOf(l.Revenue)
		t.Rows = append(t.Rows, []any{l.Label, l.Calls, l.Impressions, l.Clicks,
			ratioOf(float64(l.Clicks), float64(l.Impressions)), l.Orders, rev, (rev * 1000).per(l.Impressions)})
		t.Links = append(t.Links, href("label", p, "name", l.Label))
	}
	return t
}

// labelSort returns how q asks the table of labels sorted: "sort" names a
// column (revenue by default), "order" is "asc" or "desc" (numbers
// descending by default, text ascending). It sorts t.
func labelSort(t *table, sortKey, order string) *sorting {
	s := &sorting{path: "labels", key: sortKey, desc: order != "asc"}
	if order == "" && sortKey == "label" {
		s.desc = false
	}
	if !t.sortBy(s.key, s.desc) {
		s.key, s.desc = "revenue", true
		t.sortBy(s.key, s.desc)
	}
	return s
}

func (h *Handler) labels(w http.ResponseWriter, r *http.Request) {
	req, ok := h.read(w, r)
	if !ok {
		return
	}
	p := req.period
	rep, err := h.cfg.Analytics.Report(r.Context(), h.cfg.Store, p.From, p.End)
	if err != nil {
		h.failed(w, r, err)
		return
	}
	t := labelsTable(p, rep)
	s := labelSort(t, req.q.Get("sort"), req.q.Get("order"))
	order := "asc"
	if s.desc {
		order = "desc"
	}
	if h.cfg.Currency != "" {
		t.Cols[6].Title += " (" + h.cfg.Currency + ")"
	}
	l := h.frame(req, "labels", "Labels", "sort", s.key, "order", order)
	v := h.view(t, req, s, "sort", s.key, "order", order)
	v.Empty = "No tracked calls in this range."
	l.Content = v
	h.render(w, r, http.StatusOK, "labels", l)
}
