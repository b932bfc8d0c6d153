package demo

import (
	"errors"
	"flag"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/visitrack/visitrack/examples/internal/keys"
	"github.com/visitrack/visitrack/middleware"
	"github.com/visitrack/visitrack/tracker"
)

// Routes builds an example's router: it routes GET / to Recommend and
// POST /click to Click, and wires m, visitrack's middleware, into the router
// (wrapped around it, or added with the router's own Use). That wiring is all
// that differs between the examples.
type Routes func(m *middleware.Middleware) http.Handler

// Handler returns an example's handler: visitrack's middleware, configured
// with keys and Store and recording into rec, wired into the router that
// routes builds.
func Handler(keys [][]byte, rec tracker.Recorder, routes Routes) (http.Handler, error) {
	m, err := middleware.New(middleware.Config{Keys: keys, Store: Store, Recorder: rec})
	if err != nil {
		return nil, err
	}
	return routes(m), nil
}

// Main runs an example program. It parses the -addr flag (default
// 127.0.0.1:8080), loads the cookie keys with keys.Load, builds the handler
// with Handler, routes and an in-memory recorder, and serves it until the
// server fails. It exits with status 2 for a configuration error and 1 when
// serving fails, so it never returns.
func Main(routes Routes) {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	flag.Parse()
	log := slog.Default()
	ks, err := keys.Load(log)
	if err != nil {
		log.Error("visitrack example", "err", err)
		os.Exit(2)
	}
	h, err := Handler(ks, tracker.NewMemory(), routes)
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
