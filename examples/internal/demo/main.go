package demo

import (
	"errors"
	"flag"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/visitrack/visitrack/examples/internal/keys"
	"github.com/visitrack/visitrack/tracker"
)

// NewHandler builds an example's handler: its router with visitrack's
// middleware, configured with keys and recording into rec.
type NewHandler func(keys [][]byte, rec tracker.Recorder) (http.Handler, error)

// Main runs an example program. It parses the -addr flag (default
// 127.0.0.1:8080), loads the cookie keys with keys.Load, builds the handler
// with newHandler and an in-memory recorder, and serves it until the server
// fails. It exits with status 2 for a configuration error and 1 when serving
// fails, so it never returns.
func Main(newHandler NewHandler) {
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
