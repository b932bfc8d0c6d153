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
//	-addr       address to listen on (ADDR, or localhost:$PORT; default localhost:8080)
//	-catalog    product catalogue (VISITRACK_CATALOG; default testdata/catalog.json,
//	            looked up in the working directory and its parents)
//	-store      store name stamped on events (VISITRACK_STORE; default webshop)
//	-data       SQLite file the events go to (VISITRACK_DATA; default
//	            webshop.db in the user's cache directory, under visitrack/)
//	-demo       fill an empty store with 60 days of made-up shopping, so that
//	            the dashboard has something to show (VISITRACK_DEMO)
//	-clerk-key  Clerk.io public key (VISITRACK_CLERK_KEY; default none: Clerk is not used)
//	-clerk-url  Clerk.io API URL (VISITRACK_CLERK_URL; default https://api.clerk.io/v2)
//
// The Clerk private key, if any, comes from VISITRACK_CLERK_PRIVATE_KEY only,
// never from a flag, which other users of the machine could read.
//
// Events go through a tracker.Queue into the embedded SQLite store
// (tracker/sqlite), which the shop also asks for "Trending" (what visitors
// clicked and bought in the last 30 days) and "You previously visited".
//
// The shop's owner has the dashboard (tracker/dashboard) at /dashboard/,
// behind HTTP Basic authentication: user "owner" and the password in
// VISITRACK_DASHBOARD_PASSWORD, or else one made up at start and logged.
// /metrics serves the queue's and the store's figures to Prometheus
// (tracker/metrics). Both are outside visitrack's middleware: the owner and
// the scraper are not visitors. On SIGINT or SIGTERM the shop stops taking requests,
// drains the queue into the store and closes it. Events older than 13
// months are purged once a day.
//
// With a Clerk key, the shop also talks to Clerk.io (tracker/clerk): it
// fetches Trending, search results and similar products through
// clerk.Client (falling back to its own lists when Clerk is slow or down),
// and every event goes to SQLite and to Clerk at once (tracker.Fanout),
// each through a queue of its own. Try it against the fake Clerk of
// tracker/clerk/clerktest, as the tests do.
//
// Browser-side tracking: product links of tracked lists are signed click
// links (tracker/collect), and the "Similar products" list on a product page
// is rendered in the browser from JSON (/products/{id}/similar.json), its
// clicks logged with fetch through tracker/collect at /visitrack/.
//
// Cookie keys come from VISITRACK_KEYS (hex, comma-separated pairs of a hash
// and a block key, newest first); without it the shop generates keys at
// start, so visitor cookies do not survive a restart.
//
// Cookies: visitrack's vt_s (cookieless session), vt_id (after Accept) and
// vt_consent (the choice), and the shop's own "basket", set only when
// tracking is disabled: the basket is then kept in the browser because it is
// strictly necessary for the service the visitor asked for. Otherwise the
// basket is kept in memory, keyed by visitor ID.
package main

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/visitrack/visitrack/examples/internal/keys"
	"github.com/visitrack/visitrack/tracker"
	"github.com/visitrack/visitrack/tracker/clerk"
	"github.com/visitrack/visitrack/tracker/dashboard"
	"github.com/visitrack/visitrack/tracker/metrics"
	"github.com/visitrack/visitrack/tracker/postgres"
	"github.com/visitrack/visitrack/tracker/sqlite"
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
	Data    string // SQLite file; "" means defaultDataPath()
	// Postgres is a PostgreSQL URL for events (and baskets), for running
	// several instances of the shop; empty means the SQLite file.
	Postgres string
	// keys, if set, are the cookie keys, instead of VISITRACK_KEYS; tests
	// give two instances the same.
	keys [][]byte

	// Demo fills a store that has no orders in the last 30 days with 60
	// days of made-up shopping, so that the dashboard has something to
	// show and compare.
	Demo bool

	// DashboardPassword is the password of the dashboard's user
	// "owner"; empty means one made up at start and logged.
	DashboardPassword string

	// ClerkKey, ClerkPrivateKey and ClerkURL configure Clerk.io; without
	// a key the shop does not use it.
	ClerkKey, ClerkPrivateKey, ClerkURL string

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
	fs.StringVar(&cfg.Data, "data", getenv("VISITRACK_DATA"),
		"SQLite file for events (env VISITRACK_DATA; default webshop.db in the user cache directory)")
	fs.BoolVar(&cfg.Demo, "demo", getenv("VISITRACK_DEMO") != "",
		"fill an empty store with 60 days of made-up shopping, for the dashboard (env VISITRACK_DEMO)")
	// The URL's default is read after parsing, as it may hold a password.
	fs.StringVar(&cfg.Postgres, "postgres", "",
		"PostgreSQL URL for events and baskets, for several instances of the shop; empty: the SQLite file (env VISITRACK_POSTGRES_URL)")
	// The key's default is read after parsing, so that -h never prints it.
	fs.StringVar(&cfg.ClerkKey, "clerk-key", "",
		"Clerk.io public key; empty: Clerk is not used (env VISITRACK_CLERK_KEY)")
	fs.StringVar(&cfg.ClerkURL, "clerk-url", getenv("VISITRACK_CLERK_URL"),
		"Clerk.io API URL (env VISITRACK_CLERK_URL; default "+clerk.DefaultURL+")")
	cfg.ClerkPrivateKey = getenv("VISITRACK_CLERK_PRIVATE_KEY")
	cfg.DashboardPassword = getenv("VISITRACK_DASHBOARD_PASSWORD")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if cfg.ClerkKey == "" {
		cfg.ClerkKey = getenv("VISITRACK_CLERK_KEY")
	}
	if cfg.Postgres == "" {
		cfg.Postgres = getenv("VISITRACK_POSTGRES_URL")
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(out, "webshop: unexpected arguments %q\n", fs.Args())
		return config{}, errors.New("webshop: unexpected arguments")
	}
	return cfg, nil
}

// Retention and popularity windows.
const (
	retention     = 395 * 24 * time.Hour // 13 months
	trendingSince = 30 * 24 * time.Hour
)

// defaultDataPath is webshop.db in the user's cache directory, or in the
// temporary directory where there is none.
func defaultDataPath() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	return filepath.Join(dir, "visitrack", "webshop.db")
}

// run serves the shop until ctx ends, then shuts down gracefully: it stops
// accepting connections, waits up to 10 seconds for requests in flight, and
// gives the queue up to 10 seconds more to deliver what it holds.
func run(ctx context.Context, cfg config, log *slog.Logger) (err error) {
	cat, err := loadCatalog(cfg.Catalog)
	if err != nil {
		return err
	}
	ks := cfg.keys
	if ks == nil {
		if ks, err = keys.Load(log); err != nil {
			return err
		}
	}
	store := cfg.Store
	if store == "" {
		store = "webshop"
	}
	db, baskets, where, err := openStore(ctx, cfg, store, cat, log)
	if err != nil {
		return err
	}
	// The operator's /metrics: the store's queue, its writes and memory.
	reg := prometheus.NewRegistry()
	sink := metrics.InstrumentSink(db, prometheus.Labels{"sink": "store"})
	defer func() {
		if cerr := db.Close(); cerr != nil && err == nil {
			err = cerr
		}
		if b, ok := baskets.(*pgBaskets); ok {
			b.close()
		}
	}()
	q, err := tracker.OpenQueue(ctx, sink, tracker.QueueConfig{Logger: log})
	if err != nil {
		return err
	}
	reg.MustRegister(sink, metrics.NewCollector(metrics.Config{Queue: q, Store: db.memory,
		ConstLabels: prometheus.Labels{"sink": "store"}}))
	// The queues are closed after the server, on every path out of run.
	defer closeQueue(ctx, log, "store", q, &err)
	var rec tracker.Recorder = q
	var client *clerk.Client
	if cfg.ClerkKey != "" {
		ccfg := clerk.Config{Key: cfg.ClerkKey, PrivateKey: cfg.ClerkPrivateKey, URL: cfg.ClerkURL, Logger: log}
		cs, serr := clerk.NewSink(ccfg)
		if serr != nil {
			return fmt.Errorf("webshop: %w", serr)
		}
		// A queue of Clerk's own: Clerk being slow or down never delays
		// what SQLite gets, and the reverse.
		csink := metrics.InstrumentSink(cs, prometheus.Labels{"sink": "clerk"})
		cq, qerr := tracker.OpenQueue(ctx, csink, tracker.QueueConfig{Logger: log})
		if qerr != nil {
			return qerr
		}
		reg.MustRegister(csink, metrics.NewCollector(metrics.Config{Queue: cq,
			ConstLabels: prometheus.Labels{"sink": "clerk"}}))
		defer closeQueue(ctx, log, "clerk", cq, &err)
		rec, client = tracker.Fanout(q, cq), clerk.NewClient(ccfg)
		log.Info("webshop: forwarding to Clerk", "url", cmp.Or(ccfg.URL, clerk.DefaultURL))
	}

	password := cfg.DashboardPassword
	if password == "" {
		password = rand.Text()
		log.Info("webshop: the dashboard's password, for this run (set VISITRACK_DASHBOARD_PASSWORD to choose one)",
			"user", dashboardUser, "password", password)
	}
	dash, err := dashboard.New(dashboard.Config{Analytics: db, Store: store, Logger: log, Currency: "EUR",
		// A demo's events are today's: show them first.
		DefaultRange: "today", Location: time.Local, Authorize: dashboard.BasicAuth(dashboardUser, password)})
	if err != nil {
		return err
	}
	sh, err := newShop(shopConfig{Catalog: cat, Keys: ks, Store: store, Recorder: rec, History: db, Clerk: client, Logger: log,
		Baskets: baskets, Dashboard: dash, Metrics: promhttp.HandlerFor(reg, promhttp.HandlerOpts{})})
	if err != nil {
		return err
	}
	if cfg.Demo {
		if err := fillDemo(ctx, db, q, store, cat, log); err != nil {
			return err
		}
	}
	popular, err := db.Popular(ctx, sh.store, time.Now().Add(-trendingSince), 0)
	if err != nil {
		return err
	}
	for _, p := range popular {
		sh.popular.add(p.Product, p.Clicks+p.Units)
	}
	purgeCtx, stopPurge := context.WithCancel(ctx)
	defer stopPurge()
	go db.PurgeEvery(purgeCtx, 24*time.Hour, retention)

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
	log.Info("webshop: serving", "url", "http://"+displayAddr(cfg.Addr, ln.Addr()), "products", len(cat.products),
		"store", sh.store, "data", where)
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
	stopPurge()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("webshop: shutdown: %w", err)
	}
	return nil
}

// dashboardUser is the dashboard's user name.
const dashboardUser = "owner"

// eventStore is what the shop needs of a store: tracker/sqlite's and
// tracker/postgres's both, with memory adding their memory figures for
// /metrics.
type eventStore interface {
	tracker.Store
	tracker.Analytics
	Popular(ctx context.Context, store string, since time.Time, limit int) ([]tracker.ProductCount, error)
	PurgeEvery(ctx context.Context, interval, keep time.Duration)
	memory() metrics.StoreStats
}

type sqliteStore struct{ *sqlite.Store }

func (s sqliteStore) memory() metrics.StoreStats {
	st := s.Stats()
	return metrics.StoreStats{MemoryBudget: st.MemoryBudget, Memory: st.Memory, Groups: st.Groups, RowsRead: st.RowsRead}
}

type postgresStore struct{ *postgres.Store }

func (s postgresStore) memory() metrics.StoreStats {
	st := s.Stats()
	return metrics.StoreStats{MemoryBudget: st.MemoryBudget, Memory: st.Memory, Groups: st.Groups}
}

// openStore opens the store events go to: PostgreSQL when cfg names one,
// with the baskets there too so that every instance sees them; else the
// SQLite file, with baskets in memory. where says which, for the log,
// without a password.
func openStore(ctx context.Context, cfg config, store string, cat *catalog, log *slog.Logger) (eventStore, basketStore, string, error) {
	if cfg.Postgres != "" {
		pg, err := postgres.OpenConfig(ctx, cfg.Postgres, postgres.Config{Logger: log})
		if err != nil {
			return nil, nil, "", err
		}
		b, err := newPGBaskets(ctx, cfg.Postgres, store, cat)
		if err != nil {
			pg.Close()
			return nil, nil, "", fmt.Errorf("webshop: baskets: %w", err)
		}
		where := "postgres"
		if u, err := url.Parse(cfg.Postgres); err == nil && u.Host != "" {
			where = "postgres://" + u.Host + u.Path
		}
		return postgresStore{pg}, b, where, nil
	}
	path := cfg.Data
	if path == "" {
		path = defaultDataPath()
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, nil, "", fmt.Errorf("webshop: data directory: %w", err)
	}
	db, err := sqlite.OpenConfig(ctx, path, sqlite.Config{Logger: log})
	if err != nil {
		return nil, nil, "", err
	}
	return sqliteStore{db}, nil, path, nil
}

// fillDemo records the last 60 days of made-up shopping through q when
// the store has no orders in the last 30, and waits for the store to hold
// it.
func fillDemo(ctx context.Context, db eventStore, q *tracker.Queue, store string, cat *catalog, log *slog.Logger) error {
	now := time.Now()
	rep, err := db.Report(ctx, store, now.AddDate(0, 0, -31), now)
	if err != nil {
		return err
	}
	if rep.Orders > 0 {
		return nil
	}
	tot, err := seedDemo(q, store, cat, now, time.Local, 60, 1, uint64(now.UnixNano()))
	if err != nil {
		return err
	}
	log.Info("webshop: filled the store with 60 days of made-up shopping (-demo)", "visitors", tot.Visitors, "orders", tot.Orders)
	return q.Flush(ctx)
}

// closeQueue gives q up to 10 seconds to deliver what it holds, and sets
// *err to the failure when there is no error yet.
func closeQueue(ctx context.Context, log *slog.Logger, name string, q *tracker.Queue, err *error) {
	closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if cerr := q.Close(closeCtx); cerr != nil {
		log.Error("webshop: events not delivered", "queue", name, "err", cerr)
		if *err == nil {
			*err = cerr
		}
	}
	st := q.Stats()
	log.Info("webshop: queue closed", "queue", name, "delivered", st.Delivered, "dropped", st.Dropped, "failed", st.Failed)
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
