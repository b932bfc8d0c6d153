// Command nethttp shows visitrack's middleware in front of net/http's
// ServeMux: a handler labels a call for trending products, records what it
// showed and returns the call's tracking parameters; another logs a click.
//
// Run it from the repository root:
//
//	go run ./examples/nethttp                  # listens on 127.0.0.1:8080
//	go run ./examples/nethttp -addr 127.0.0.1:9000
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
	"net/http"

	"github.com/visitrack/visitrack/examples/internal/demo"
	"github.com/visitrack/visitrack/middleware"
)

func main() { demo.Main(routes) }

// routes returns the example's ServeMux behind m, visitrack's middleware
// (demo.Main makes it with middleware.New). Wrapping the whole ServeMux
// gives every request, 404s included, a tracker.
func routes(m *middleware.Middleware) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", demo.Recommend)
	mux.HandleFunc("POST /click", demo.Click)
	return m.Handler(mux)
}
