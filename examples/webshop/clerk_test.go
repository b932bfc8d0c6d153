package main

import (
	"context"
	"encoding/json"
	"html"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/visitrack/visitrack/examples/internal/keys"
	"github.com/visitrack/visitrack/tracker"
	"github.com/visitrack/visitrack/tracker/clerk"
	"github.com/visitrack/visitrack/tracker/clerk/clerktest"
)

// productNameRe finds the names of a rendered list's products.
var productNameRe = regexp.MustCompile(`data-product="[^"]*">([^<]*)</a>`)

// fakeClerk starts a fake Clerk that knows the shop's catalogue. Its
// Trending is the catalogue backwards, so that a page shows whose list it
// got.
func fakeClerk(t testing.TB) *clerktest.Server {
	t.Helper()
	var ps []clerktest.Product
	for i, p := range testCatalog(t).products {
		ps = append(ps, clerktest.Product{ID: p.ID, Name: p.Name, Category: p.Category, Description: p.Description, Popularity: i})
	}
	api := clerktest.NewServer(clerktest.Options{Catalog: ps})
	t.Cleanup(api.Close)
	return api
}

// clerkShop serves a shop wired as run() wires it with a Clerk key: events
// to a Memory (standing in for SQLite) and to Clerk, each through its own
// recorder, and lists fetched from Clerk.
func clerkShop(t *testing.T, api *clerktest.Server, timeout time.Duration) (*tracker.Memory, *tracker.Queue, *httptest.Server) {
	t.Helper()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg := clerk.Config{Key: clerktest.Key, URL: api.URL, Logger: quiet}
	sink, err := clerk.NewSink(cfg)
	require.NoError(t, err)
	remote := tracker.NewQueue(sink, tracker.QueueConfig{Logger: quiet, FlushInterval: 10 * time.Millisecond})
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = remote.Close(ctx)
	})
	local := tracker.NewMemory()
	sh, err := newShop(shopConfig{Catalog: testCatalog(t), Keys: keys.Generate(), Recorder: tracker.Fanout(local, remote),
		Clerk: clerk.NewClient(cfg), ClerkTimeout: timeout, Logger: quiet})
	require.NoError(t, err)
	srv := httptest.NewServer(sh.routes())
	t.Cleanup(srv.Close)
	return local, remote, srv
}

// names returns the product names of a list section of page, in order.
func names(t testing.TB, page, section string) []string {
	t.Helper()
	i := strings.Index(page, `<section id="`+section+`"`)
	require.GreaterOrEqual(t, i, 0, "no section %s", section)
	page = page[i:]
	page = page[:strings.Index(page, "</section>")]
	var out []string
	for _, m := range productNameRe.FindAllStringSubmatch(page, -1) {
		out = append(out, html.UnescapeString(m[1]))
	}
	return out
}

func TestShopWithClerk(t *testing.T) {
	t.Parallel()
	api := fakeClerk(t)
	local, remote, srv := clerkShop(t, api, 5*time.Second)
	b := newBrowser(t, srv, browserUA)
	cat := testCatalog(t)

	// Trending comes from Clerk, and is recorded as shown locally.
	_, home := b.get("/")
	last := cat.products[len(cat.products)-1]
	require.Equal(t, last.Name, names(t, home, "trending")[0], "Clerk's order, not the shop's")
	visitor := b.visitor()
	calls := api.Received()
	require.Len(t, calls, 1)
	assert.Equal(t, "recommendations/trending", calls[0].Endpoint)
	assert.True(t, calls[0].Accepted, calls[0].Error)
	assert.Equal(t, visitor, calls[0].Body["visitor"])
	assert.Equal(t, []any{"Homepage - Trending"}, calls[0].Body["labels"])
	imps := ofKind(local.Events(), tracker.KindImpression)
	require.Len(t, imps, 1)
	assert.Equal(t, last.ID, imps[0].Products[0])

	// A signed link from Clerk's list; the similar products from Clerk,
	// clicked in the browser through tracker/collect.
	require.Equal(t, "/products/"+last.ID, b.follow(linkTo(t, home, last.ID)))
	b.get("/products/" + last.ID)
	_, body := b.get("/products/" + last.ID + "/similar.json")
	var sim similarAnswer
	require.NoError(t, json.Unmarshal([]byte(body), &sim))
	require.NotEmpty(t, sim.Products)
	resp, _ := b.post("/visitrack/log/click", nil)
	assert.Equal(t, http.StatusUnsupportedMediaType, resp.StatusCode)
	clickJSON, err := json.Marshal(map[string]any{"product": sim.Products[0].ID, "api": sim.API, "labels": sim.Labels, "n": 0})
	require.NoError(t, err)
	resp = b.postJSON("/visitrack/log/click", string(clickJSON))
	require.Equal(t, http.StatusOK, resp.StatusCode)

	// Search from Clerk; a purchase.
	_, page := b.get("/search?q=wool")
	assert.NotEmpty(t, names(t, page, "results"))
	b.post("/basket/add", url.Values{"id": {last.ID}})
	resp, _ = b.post("/checkout", url.Values{"email": {"ada@example.com"}})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.NoError(t, remote.Flush(t.Context()))

	got := map[string][]clerktest.Request{}
	for _, r := range api.Received() {
		assert.True(t, r.Accepted, "%s: %s", r.Endpoint, r.Error)
		got[r.Endpoint] = append(got[r.Endpoint], r)
	}
	assert.Len(t, got["recommendations/substituting"], 1)
	assert.Len(t, got["search/search"], 1)
	require.Len(t, got["log/click"], 2, "the link's click and the browser's")
	clicks := map[any]map[string]any{} // by API; a batch's requests go in parallel, in no set order
	for _, r := range got["log/click"] {
		clicks[r.Body["api"]] = r.Body
	}
	assert.Equal(t, map[string]any{"key": clerktest.Key, "visitor": visitor, "product": last.ID,
		"api": "recommendations/trending", "labels": []any{"Homepage - Trending"}, "n": json.Number("0")},
		clicks["recommendations/trending"])
	assert.Equal(t, map[string]any{"key": clerktest.Key, "visitor": visitor, "product": sim.Products[0].ID,
		"api": "recommendations/substituting", "labels": []any{"Product page - Similar products"}, "n": json.Number("0")},
		clicks["recommendations/substituting"])
	assert.Len(t, got["log/product"], 1)
	require.Len(t, got["log/sale"], 1)
	assert.Equal(t, visitor, got["log/sale"][0].Body["visitor"])
	assert.Len(t, got["log/email"], 1)

	// Locally, the same events: every impression too, which Clerk is not sent.
	kinds := map[tracker.Kind]int{}
	for _, e := range local.Events() {
		kinds[e.Kind]++
	}
	assert.Equal(t, map[tracker.Kind]int{tracker.KindImpression: 3, tracker.KindClick: 2, tracker.KindView: 1,
		tracker.KindSearch: 1, tracker.KindSale: 1, tracker.KindEmail: 1}, kinds)
}

// While Clerk hangs, pages answer within the shop's timeout with its own
// lists, and the local store gets every event at once.
func TestShopKeepsServingWhileClerkHangs(t *testing.T) {
	t.Parallel()
	api := fakeClerk(t)
	api.Fail(clerktest.Failure{Delay: time.Hour})
	local, remote, srv := clerkShop(t, api, 100*time.Millisecond)
	b := newBrowser(t, srv, browserUA)

	start := time.Now()
	resp, home := b.get("/")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, testCatalog(t).products[0].Name, names(t, home, "trending")[0], "the shop's own Trending")
	require.Equal(t, "/products/12793", b.follow(linkTo(t, home, "12793")))
	resp, _ = b.get("/products/12793")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	resp, page := b.get("/search?q=wool")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.NotEmpty(t, names(t, page, "results"))
	assert.Less(t, time.Since(start), 3*time.Second, "each page waited for Clerk no longer than the timeout")

	kinds := map[tracker.Kind]int{}
	for _, e := range local.Events() {
		kinds[e.Kind]++
	}
	assert.Equal(t, map[tracker.Kind]int{tracker.KindImpression: 2, tracker.KindClick: 1, tracker.KindView: 1,
		tracker.KindSearch: 1}, kinds, "the local store has everything, the fallback lists' impressions included")
	assert.Empty(t, api.Accepted(""), "Clerk took nothing yet")
	assert.Positive(t, remote.Stats().Pending, "Clerk's copies wait in its queue")
}

// run with a Clerk key and URL: pages fetch from Clerk and events reach it,
// delivered on the way out.
func TestRunWithClerk(t *testing.T) {
	t.Parallel()
	api := fakeClerk(t)
	ctx, cancel := context.WithCancel(t.Context())
	addrs := make(chan net.Addr, 1)
	done := make(chan error, 1)
	cfg := config{Addr: "127.0.0.1:0", Catalog: "testdata/catalog.json", Store: "webshop",
		Data: filepath.Join(t.TempDir(), "shop.db"), ClerkKey: clerktest.Key, ClerkURL: api.URL,
		onListen: func(a net.Addr) { addrs <- a }}
	go func() { done <- run(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil))) }()
	var addr net.Addr
	select {
	case addr = <-addrs:
	case err := <-done:
		t.Fatalf("run returned before listening: %v", err)
	}
	for _, path := range []string{"/", "/products/12793"} {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, "http://"+addr.String()+path, nil)
		require.NoError(t, err)
		req.Header.Set("User-Agent", browserUA)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		_ = resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode)
	}
	cancel()
	require.NoError(t, <-done)
	assert.Len(t, api.Accepted("recommendations/trending"), 1)
	assert.Len(t, api.Accepted("log/product"), 1, "the view was delivered to Clerk on the way out")
}

func (b *browser) postJSON(path, body string) *http.Response {
	b.t.Helper()
	req, err := http.NewRequestWithContext(b.t.Context(), http.MethodPost, b.srv.URL+path, strings.NewReader(body))
	require.NoError(b.t, err)
	req.Header.Set("User-Agent", b.ua)
	req.Header.Set("Content-Type", "application/json")
	resp, err := b.c.Do(req)
	require.NoError(b.t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp
}
