package main

import (
	"context"
	"html"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"regexp"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/visitrack/visitrack/examples/internal/keys"
	"github.com/visitrack/visitrack/tracker/postgres"
	"github.com/visitrack/visitrack/tracker/postgres/pgtest"
)

// instance runs the shop as main does, on PostgreSQL, until the test ends,
// and returns its address.
func instance(t *testing.T, dsn string, ks [][]byte) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	addrs := make(chan net.Addr, 1)
	done := make(chan error, 1)
	cfg := config{Addr: "127.0.0.1:0", Catalog: "testdata/catalog.json", Store: "webshop", Postgres: dsn, keys: ks,
		DashboardPassword: testPassword, onListen: func(a net.Addr) { addrs <- a }}
	go func() { done <- run(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil))) }()
	t.Cleanup(func() {
		cancel()
		assert.NoError(t, <-done, "an instance shuts down cleanly")
	})
	select {
	case a := <-addrs:
		return "http://" + a.String()
	case err := <-done:
		t.Fatalf("the shop stopped before listening: %v", err)
	}
	return ""
}

var linkRe = regexp.MustCompile(`href="([^"]+)" data-product="12794"`)

// Two instances of the shop with the same keys on one PostgreSQL, behind a
// reverse proxy that sends each request to the other one: a visitor keeps
// one ID and one consent state, the click through one instance attributes
// the sale on the other, and both dashboards show the same figures.
func TestTwoInstancesOneShop(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	ks := keys.Generate()
	backends := []string{instance(t, dsn, ks), instance(t, dsn, ks)}
	var served [2]atomic.Int64
	var n atomic.Int64
	proxy := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		i := int(n.Add(1) % 2)
		served[i].Add(1)
		u, _ := url.Parse(backends[i])
		r.SetURL(u)
		r.Out.Host = r.In.Host
	}}
	front := httptest.NewServer(proxy)
	t.Cleanup(front.Close)
	b := newBrowser(t, front, browserUA)

	// The visitor's ID is the same whichever instance answers.
	id := b.visitor()
	require.NotEmpty(t, id)
	assert.Equal(t, id, b.visitor())

	// Home, a click from Trending, the product page, the basket and the
	// checkout, each step on the other instance from the one before.
	_, page := b.get("/")
	m := linkRe.FindStringSubmatch(page)
	require.NotNil(t, m, "Trending shows a signed link to product 12794")
	resp, _ := b.get(html.UnescapeString(m[1]))
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	b.get("/products/12794")
	resp, _ = b.post("/basket/add", url.Values{"id": {"12794"}})
	require.Less(t, resp.StatusCode, 400)
	resp, page = b.post("/checkout", url.Values{"email": {"ada@example.com"}})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, page, "Thank you", "the basket filled on one instance checks out on the other")

	// One consent state: chosen on one instance, applied by the other.
	b.post("/consent", url.Values{"choice": {"persistent"}, "return": {"/me"}})
	state := regexp.MustCompile(`id="consent-state" data-state="([^"]*)"`)
	for range 2 {
		_, me := b.get("/me")
		m := state.FindStringSubmatch(me)
		require.NotNil(t, m)
		assert.Equal(t, "persistent", m[1])
		assert.NotContains(t, me, `id="consent-banner"`, "the choice is known")
	}
	assert.Equal(t, id, b.visitor(), "the same ID, kept in the long-term cookie now")
	assert.Positive(t, served[0].Load())
	assert.Positive(t, served[1].Load())

	// The click on one instance attributes the sale on the other, once
	// both queues have delivered.
	pg, err := postgres.Open(t.Context(), dsn)
	require.NoError(t, err)
	defer pg.Close()
	from, to := time.Now().Add(-time.Hour), time.Now().Add(time.Hour)
	require.Eventually(t, func() bool {
		rep, err := pg.Report(t.Context(), "webshop", from, to)
		return err == nil && rep.Orders == 1 && rep.ImpactedOrders == 1
	}, 20*time.Second, 100*time.Millisecond, "the order counts as impacted")

	// Both dashboards show the same figures. "Today" ends at the moment of
	// each request, which may be a second apart: the end is left out.
	var figures []map[string]any
	for _, addr := range backends {
		f := currentSummary(t, addr)
		require.Contains(t, f, "to")
		delete(f, "to")
		figures = append(figures, f)
	}
	assert.Equal(t, figures[0], figures[1])
	assert.Equal(t, 1.0, figures[0]["impacted_orders_share"])
}

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
