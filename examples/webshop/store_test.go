package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/visitrack/visitrack/examples/internal/keys"
	"github.com/visitrack/visitrack/tracker"
	"github.com/visitrack/visitrack/tracker/dashboard"
	"github.com/visitrack/visitrack/tracker/sqlite"
)

// testPassword is the dashboard's password in tests.
const testPassword = "correct horse battery staple"

// ownerGet gets path from the shop at base as the dashboard's owner.
func ownerGet(t *testing.T, base, path string) (int, string) {
	t.Helper()
	return getAs(t, base+path, testPassword)
}

// getAs gets u in a browser's name, signed in to the dashboard with
// password unless it is "".
func getAs(t *testing.T, u, password string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, u, nil)
	require.NoError(t, err)
	req.Header.Set("User-Agent", browserUA)
	if password != "" {
		req.SetBasicAuth(dashboardUser, password)
	}
	resp, body := send(t, http.DefaultClient, req)
	return resp.StatusCode, body
}

// currentSummary reads today's headline figures from the dashboard's
// export, as the owner.
func currentSummary(t *testing.T, base string) map[string]any {
	t.Helper()
	status, body := ownerGet(t, base, "/dashboard/summary.json?range=today")
	require.Equal(t, http.StatusOK, status, body)
	var export struct {
		Rows []map[string]any `json:"rows"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &export))
	for _, row := range export.Rows {
		if row["period"] == "current" {
			return row
		}
	}
	t.Fatalf("no current period in %s", body)
	return nil
}

// sqliteShop serves a shop as run() wires it: events through a Queue into
// a real SQLite file.
func sqliteShop(t *testing.T) (*shop, *sqlite.Store, *tracker.Queue, *httptest.Server) {
	t.Helper()
	db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "shop.db"))
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	q := tracker.NewQueue(db, tracker.QueueConfig{})
	t.Cleanup(func() { q.Close(context.Background()) })
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	dash, err := dashboard.New(dashboard.Config{Analytics: db, Store: "webshop", Logger: log,
		Authorize: dashboard.BasicAuth(dashboardUser, testPassword)})
	require.NoError(t, err)
	sh, err := newShop(shopConfig{Catalog: testCatalog(t), Keys: keys.Generate(), Recorder: q, History: db,
		Dashboard: dash, Logger: log})
	require.NoError(t, err)
	srv := httptest.NewServer(sh.routes())
	t.Cleanup(srv.Close)
	return sh, db, q, srv
}

// TestShopOnSQLite runs the shop as run() wires it: events through a Queue
// into a real SQLite file, which answers the dashboard and "You previously
// visited".
func TestShopOnSQLite(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	sh, db, q, srv := sqliteShop(t)
	b := newBrowser(t, srv, browserUA)

	// Home (Trending shown), a click from Trending, the product page, then
	// a purchase of the clicked product.
	_, home := b.get("/")
	require.Equal(t, "/products/12794", b.follow(linkTo(t, home, "12794")))
	b.get("/products/12794")
	b.post("/basket/add", url.Values{"id": {"12794"}})
	resp, _ := b.post("/checkout", url.Values{"email": {"ada@example.com"}})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.NoError(t, q.Flush(ctx))

	// The dashboard is the owner's: a shopper gets a password prompt.
	resp, page := b.get("/dashboard/")
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.NotContains(t, page, "Homepage - Trending")
	assert.Contains(t, resp.Header.Get("WWW-Authenticate"), "Basic")

	// The owner's dashboard reads SQLite: the order was impacted by the
	// Trending click.
	status, page := ownerGet(t, srv.URL, "/dashboard/labels?range=today")
	require.Equal(t, http.StatusOK, status)
	assert.Contains(t, page, "Homepage - Trending")
	summary := currentSummary(t, srv.URL)
	assert.Equal(t, 1.0, summary["orders"])
	assert.Equal(t, 1.0, summary["impacted_orders_share"], "the only order came through Trending")

	// The home page remembers the visit.
	_, page = b.get("/")
	require.Contains(t, page, "You previously visited")
	hist := page[strings.Index(page, "You previously visited"):]
	assert.Contains(t, hist, "City Sneaker")

	// The store knows the visitor by email.
	ids, err := db.Visitors(ctx, sh.store, "ada@example.com")
	require.NoError(t, err)
	assert.Equal(t, []string{b.visitor()}, ids)
}

// A visitor who types someone else's email at checkout does not see that
// person's history: linking is for attribution, never for what a visitor
// is shown.
func TestHistoryStaysPrivateAfterAnotherEmail(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	sh, db, q, srv := sqliteShop(t)

	victim := newBrowser(t, srv, browserUA)
	victim.get("/products/12794")
	victim.post("/basket/add", url.Values{"id": {"12794"}})
	resp, _ := victim.post("/checkout", url.Values{"email": {"victim@example.com"}})
	require.Equal(t, http.StatusOK, resp.StatusCode)

	attacker := newBrowser(t, srv, browserUA)
	attacker.get("/products/12793")
	attacker.post("/basket/add", url.Values{"id": {"12793"}})
	resp, _ = attacker.post("/checkout", url.Values{"email": {"Victim@Example.com"}})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.NoError(t, q.Flush(ctx))

	ids, err := db.Visitors(ctx, sh.store, "victim@example.com")
	require.NoError(t, err)
	require.Len(t, ids, 2, "the two visitors are linked, for attribution")

	victimName := sh.catalog.products[sh.catalog.byID["12794"]].Name
	history := func(b *browser, path string) string {
		_, page := b.get(path)
		i := strings.Index(page, "You previously visited")
		require.GreaterOrEqual(t, i, 0, "%s has a history", path)
		page = page[i:]
		return page[:strings.Index(page, "</section>")]
	}
	for _, path := range []string{"/", "/me"} {
		assert.NotContains(t, history(attacker, path), victimName, "%s shows the attacker the victim's product", path)
		assert.Contains(t, history(victim, path), victimName, "%s shows the victim their own", path)
	}
}
