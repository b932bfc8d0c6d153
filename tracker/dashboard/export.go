package dashboard

import (
	"bytes"
	"context"
	"net/http"
	"strings"
)

// exportFunc builds the table of an export for req; label exports need a
// name, checked before.
type exportFunc func(h *Handler, ctx context.Context, req *request, label string) (*table, error)

// exports are the tables a page shows, by export name; see doc.go for
// their columns.
var exports = map[string]exportFunc{
	"summary": func(h *Handler, ctx context.Context, req *request, _ string) (*table, error) {
		cur, prev, err := h.overviews(ctx, req.period)
		return summaryTable(req.period, cur, prev), err
	},
	"series": func(h *Handler, ctx context.Context, req *request, _ string) (*table, error) {
		points, err := h.series(ctx, req.period)
		return seriesTable(req.period, points), err
	},
	"labels": func(h *Handler, ctx context.Context, req *request, _ string) (*table, error) {
		p := req.period
		rep, err := h.cfg.Analytics.Report(ctx, h.cfg.Store, p.From, p.End)
		t := labelsTable(p, rep)
		labelSort(t, req.q.Get("sort"), req.q.Get("order"))
		return t, err
	},
	"label-series": func(h *Handler, ctx context.Context, req *request, name string) (*table, error) {
		stats, bounds, err := h.labelSeries(ctx, req.period, name)
		return labelSeriesTable(req.period, stats, bounds), err
	},
	"label-products": func(h *Handler, ctx context.Context, req *request, name string) (*table, error) {
		p := req.period
		products, err := h.cfg.Analytics.LabelProducts(ctx, h.cfg.Store, name, p.From, p.End, h.cfg.Rows)
		return labelProductsTable(products), err
	},
	"label-positions": func(h *Handler, ctx context.Context, req *request, name string) (*table, error) {
		p := req.period
		positions, err := h.cfg.Analytics.Positions(ctx, h.cfg.Store, name, p.From, p.End)
		return labelPositionsTable(positions), err
	},
	"searches":   searchExport("searches"),
	"no-results": searchExport("no-results"),
	"search-ctr": searchExport("search-ctr"),
}

func searchExport(name string) exportFunc {
	return func(h *Handler, ctx context.Context, req *request, _ string) (*table, error) {
		p := req.period
		stats, err := h.cfg.Analytics.Searches(ctx, h.cfg.Store, p.From, p.End, 0)
		return searchTable(name, stats, h.cfg.Rows), err
	}
}

// export answers r with the table name as CSV or JSON.
func (h *Handler) export(w http.ResponseWriter, r *http.Request, name, format string) {
	req, ok := h.read(w, r)
	if !ok {
		return
	}
	var label string
	if strings.HasPrefix(name, "label-") {
		if label, ok = h.labelParam(w, req); !ok {
			return
		}
	}
	t, err := exports[name](h, r.Context(), req, label)
	if err != nil {
		h.failed(w, r, err)
		return
	}
	p := req.period
	var buf bytes.Buffer
	if format == "csv" {
		err = t.writeCSV(&buf)
	} else {
		err = t.writeJSON(&buf, exportHeader{Version: 1, Table: name, Store: h.cfg.Store, TimeZone: p.loc.String(),
			From: p.From.In(p.loc).Format(timeLayout), To: p.End.In(p.loc).Format(timeLayout), Currency: h.cfg.Currency})
	}
	if err != nil {
		h.failed(w, r, err)
		return
	}
	file := "visitrack-" + fileSafe(h.cfg.Store) + "-" + name
	if label != "" {
		file += "-" + fileSafe(label)
	}
	file += "-" + p.From.In(p.loc).Format(dateLayout) + "-" + midnight(p.To, -1, p.loc).Format(dateLayout) + "." + format
	if format == "csv" {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="`+file+`"`)
	} else {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Disposition", `inline; filename="`+file+`"`)
	}
	if r.Method != http.MethodHead {
		w.Write(buf.Bytes())
	}
}

// timeLayout is how exports write times: RFC 3339 with the shop's offset.
const timeLayout = "2006-01-02T15:04:05Z07:00"

// fileSafe keeps the letters, digits, dots and dashes of s, for a file
// name, at most 40 of them.
func fileSafe(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '.':
			b.WriteRune(r)
		case r == ' ' || r == '_':
			b.WriteByte('-')
		}
		if b.Len() >= 40 {
			break
		}
	}
	return strings.Trim(b.String(), ".-")
}
