// Command gorillamux shows visitrack's middleware on a gorilla/mux router,
// added with Use: a handler labels a call for trending products, records what it
// showed and returns the call's tracking parameters; another logs a click.
//
// Run it from the repository root:
//
//	go run ./examples/gorillamux                  # listens on 127.0.0.1:8080
//	go run ./examples/gorillamux -addr 127.0.0.1:9000
//
// and call it like a browser (curl's own User-Agent counts as a bot, and bots
// are not tracked):
//
//	curl -A Mozilla/5.0 -c jar -b jar http://127.0.0.1:8080/
//	curl -A Mozilla/5.0 -c jar -b jar -d '{"product":12793,"api":"recommendations/trending","labels":["Homepage - Trending"],"position":1}' http://127.0.0.1:8080/click
//
// Cookie keys come from VISITRACK_KEYS (hex, comma-separated pairs of a hash
// and a block key, newest first); without it the program generates keys at
// start, so its cookies do not survive a restart. Events are kept in memory.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/gorilla/mux"

	"github.com/visitrack/visitrack/examples/internal/keys"
	"github.com/visitrack/visitrack/middleware"
	"github.com/visitrack/visitrack/tracker"
)

// store names the shop in cookies and events.
const store = "demo-shop"

// trending stands in for what a recommendations API would return.
var trending = []string{"12793", "10422", "11387", "10045"}

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	flag.Parse()
	log := slog.Default()
	ks, err := keys.Load(log)
	if err != nil {
		log.Error("visitrack example", "err", err)
		os.Exit(2)
	}
	h, err := newHandler(ks, tracker.NewMemory())
	if err != nil {
		log.Error("visitrack example", "err", err)
		os.Exit(2)
	}
	log.Info("listening", "url", "http://"+*addr)
	srv := &http.Server{Addr: *addr, Handler: h, ReadHeaderTimeout: 5 * time.Second}
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		log.Error("visitrack example", "err", err)
		os.Exit(1)
	}
}

// newHandler returns the example's router with visitrack's middleware,
// recording into rec. gorilla/mux runs middleware added with Use only for
// requests that match a route; wrap the router instead (m.Handler(r)) to
// give every request, 404s included, a tracker.
func newHandler(ks [][]byte, rec tracker.Recorder) (http.Handler, error) {
	m, err := middleware.New(middleware.Config{Keys: ks, Store: store, Recorder: rec})
	if err != nil {
		return nil, err
	}
	r := mux.NewRouter()
	r.Use(m.Handler)
	r.HandleFunc("/", recommend).Methods(http.MethodGet)
	r.HandleFunc("/click", click).Methods(http.MethodPost)
	return r, nil
}

// recommend labels a call, records the products it showed and returns the
// call's parameters, which a shop sends with its request to the
// recommendations API.
func recommend(w http.ResponseWriter, r *http.Request) {
	call, err := tracker.From(r.Context()).Call("recommendations/trending", "Homepage - Trending")
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	if err := call.Shown(trending...); err != nil {
		slog.ErrorContext(r.Context(), "recording impression", "err", err)
	}
	writeJSON(w, http.StatusOK, map[string]any{"params": call.Params(), "products": trending})
}

// click logs a click sent in Clerk.io's log/click shape; the product ID may
// be a JSON string or number.
func click(w http.ResponseWriter, r *http.Request) {
	var c tracker.Click
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4<<10)).Decode(&c); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "body must be a click: " + err.Error()})
		return
	}
	if err := tracker.From(r.Context()).Click(c); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
