package main

import (
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
	"github.com/visitrack/visitrack/tracker/sqlite"
)

// TestShopOnSQLite runs the shop as run() wires it: events through a Queue
// into a real SQLite file, which answers the dashboard and "You previously
// visited".
func TestShopOnSQLite(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "shop.db"))
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	q := tracker.NewQueue(db, tracker.QueueConfig{})
	t.Cleanup(func() { q.Close(ctx) })
	sh, err := newShop(shopConfig{Catalog: testCatalog(t), Keys: keys.Generate(), Recorder: q, Analytics: db,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err)
	srv := httptest.NewServer(sh.routes())
	t.Cleanup(srv.Close)
	b := newBrowser(t, srv, browserUA)

	// Home (Trending shown), a click from Trending, the product page, then
	// a purchase of the clicked product.
	b.get("/")
	resp, _ := b.get("/products/12794?from=recommendations%2Ftrending&label=Homepage+-+Trending&pos=2")
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	b.get("/products/12794")
	b.post("/basket/add", url.Values{"id": {"12794"}})
	resp, _ = b.post("/checkout", url.Values{"email": {"ada@example.com"}})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.NoError(t, q.Flush(ctx))

	// The dashboard reads the report from SQLite: the order was impacted by
	// the Trending click.
	resp, page := b.get("/dashboard")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, page, "<td>Homepage - Trending</td>")
	assert.Contains(t, page, `id="impacted-share">100.0 %<`, "the only order came through Trending")

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
