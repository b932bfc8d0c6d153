package demo

import (
	"log/slog"
	"net/http"

	"github.com/visitrack/visitrack/tracker"
)

// Recommend labels a call for trending products, records the products it
// showed and returns, as JSON, the call's parameters, which a shop sends with
// its request to the recommendations API, and the products:
//
//	{"params":{"visitor":"…","labels":["Homepage - Trending"]},"products":["12793",…]}
//
// The request must have passed through visitrack's middleware.
func Recommend(w http.ResponseWriter, r *http.Request) {
	call, err := tracker.From(r.Context()).Call(trendingAPI, trendingLabel)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	products := Trending()
	if err := call.Shown(products...); err != nil {
		slog.ErrorContext(r.Context(), "recording impression", "err", err)
	}
	writeJSON(w, http.StatusOK, map[string]any{"params": call.Params(), "products": products})
}
