// Command webshop is a small shop that shows visitrack end to end: a
// labelled "Trending" list on the home page, product, category and search
// pages, a consent banner, a basket and a checkout that logs a sale, and a
// page (/me) showing the visitor's ID and consent state.
//
// Run it from the repository root, with no setup:
//
//	go run ./examples/webshop             # or: make run
//
// and open http://localhost:8080. Flags, each with an environment variable
// for its default:
//
//	-addr     address to listen on (ADDR, or localhost:$PORT; default localhost:8080)
//	-catalog  product catalogue (VISITRACK_CATALOG; default testdata/catalog.json,
//	          looked up in the working directory and its parents)
//	-store    store name stamped on events (VISITRACK_STORE; default webshop)
//
// Cookie keys come from VISITRACK_KEYS (hex, comma-separated pairs of a hash
// and a block key, newest first); without it the shop generates keys at
// start, so visitor cookies do not survive a restart. For now events are kept
// in memory.
//
// Cookies: visitrack's vt_s (cookieless session), vt_id (after Accept) and
// vt_consent (the choice), and the shop's own "basket", set only when
// tracking is disabled: the basket is then kept in the browser because it is
// strictly necessary for the service the visitor asked for. Otherwise the
// basket is kept in memory, keyed by visitor ID.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/visitrack/visitrack/examples/internal/keys"
	"github.com/visitrack/visitrack/tracker"
)

func main() {
	cfg, err := parseConfig(os.Args[1:], os.Getenv, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg, slog.Default()); err != nil {
		slog.Error("webshop", "err", err)
		os.Exit(1)
	}
}

// config is the shop's command-line configuration.
type config struct {
	Addr    string
	Catalog string
	Store   string

	// onListen, if set, is called with the listener's address once the
	// shop accepts connections; tests use it with Addr "127.0.0.1:0".
	onListen func(net.Addr)
}

// parseConfig reads flags from args, taking their defaults from the
// environment through getenv.
func parseConfig(args []string, getenv func(string) string, out io.Writer) (config, error) {
	addr := "localhost:8080"
	if p := getenv("PORT"); p != "" {
		addr = "localhost:" + p
	}
	if a := getenv("ADDR"); a != "" {
		addr = a
	}
	or := func(v, def string) string {
		if v != "" {
			return v
		}
		return def
	}
	var cfg config
	fs := flag.NewFlagSet("webshop", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&cfg.Addr, "addr", addr, "address to listen on (env ADDR, or PORT)")
	fs.StringVar(&cfg.Catalog, "catalog", or(getenv("VISITRACK_CATALOG"), "testdata/catalog.json"),
		"product catalogue, looked up in the working directory and its parents (env VISITRACK_CATALOG)")
	fs.StringVar(&cfg.Store, "store", or(getenv("VISITRACK_STORE"), "webshop"), "store name (env VISITRACK_STORE)")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(out, "webshop: unexpected arguments %q\n", fs.Args())
		return config{}, errors.New("webshop: unexpected arguments")
	}
	return cfg, nil
}

// run serves the shop until ctx ends, then shuts down gracefully: it stops
// accepting connections and waits up to 10 seconds for requests in flight.
func run(ctx context.Context, cfg config, log *slog.Logger) error {
	cat, err := loadCatalog(cfg.Catalog)
	if err != nil {
		return err
	}
	ks, err := keys.Load(log)
	if err != nil {
		return err
	}
	sh, err := newShop(shopConfig{Catalog: cat, Keys: ks, Store: cfg.Store, Recorder: tracker.NewMemory(), Logger: log})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           sh.routes(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	log.Info("webshop: serving", "url", "http://"+displayAddr(cfg.Addr, ln.Addr()), "products", len(cat.products), "store", sh.store)
	if cfg.onListen != nil {
		cfg.onListen(ln.Addr())
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	log.Info("webshop: shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("webshop: shutdown: %w", err)
	}
	return nil
}

// displayAddr keeps the host name the user asked for ("localhost") with the
// port actually bound.
func displayAddr(asked string, bound net.Addr) string {
	host, _, err := net.SplitHostPort(asked)
	_, port, err2 := net.SplitHostPort(bound.String())
	if err != nil || err2 != nil || host == "" {
		return bound.String()
	}
	return net.JoinHostPort(host, port)
}
