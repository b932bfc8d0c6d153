package demotest

import (
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/visitrack/visitrack/examples/internal/demo"
	"github.com/visitrack/visitrack/examples/internal/keys"
	"github.com/visitrack/visitrack/session"
	"github.com/visitrack/visitrack/tracker"
)

const (
	browserUA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36"
	botUA     = "Googlebot/2.1 (+http://www.google.com/bot.html)"
)

// Coverage says which requests an example's router passes through visitrack's
// middleware.
type Coverage int

const (
	// AllRequests is for middleware wrapped around the whole router, or added
	// to a router that runs it for every request, as chi's Use does: a
	// request that no route matches gets a tracker and a session cookie too.
	AllRequests Coverage = iota
	// MatchedRoutes is for a router that runs the middleware only for
	// requests that match a route, as gorilla/mux's Use does: a request that
	// no route matches gets no tracker and no cookie.
	MatchedRoutes
)

// Run checks, in parallel subtests, that demo.Handler with routes serves
// demo.Recommend at GET / and demo.Click at POST /click behind visitrack's
// middleware: a browser gets a visitor ID and a
// session cookie that keeps it, its impressions and clicks are recorded under
// that ID, bad clicks are refused with 400, bots are not tracked, and a
// request that no route matches is tracked or not as c says.
func Run(t *testing.T, routes demo.Routes, c Coverage) {
	t.Run("TrendingAndClick", func(t *testing.T) {
		t.Parallel()
		testTrendingAndClick(t, routes)
	})
	t.Run("BotsAreNotTracked", func(t *testing.T) {
		t.Parallel()
		testBotsAreNotTracked(t, routes)
	})
	t.Run("UnmatchedRoute", func(t *testing.T) {
		t.Parallel()
		testUnmatchedRoute(t, routes, c)
	})
}

func testTrendingAndClick(t *testing.T, routes demo.Routes) {
	srv, rec := serve(t, routes)
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	c := &http.Client{Jar: jar}

	resp := do(t, c, http.MethodGet, srv.URL+"/", "", browserUA)
	body := trendingOf(t, resp)
	require.NotNil(t, body.Params.Visitor, "a browser gets a visitor ID")
	visitor := *body.Params.Visitor
	assert.True(t, session.ValidID(visitor), "visitor ID %q is an xid", visitor)
	assert.Equal(t, []string{"Homepage - Trending"}, body.Params.Labels)
	assert.Equal(t, demo.Trending(), body.Products)
	assert.Equal(t, []string{"vt_s"}, cookieNames(resp), "a cookieless session cookie, and no long-term cookie without consent")

	again := trendingOf(t, do(t, c, http.MethodGet, srv.URL+"/", "", browserUA))
	require.NotNil(t, again.Params.Visitor)
	assert.Equal(t, visitor, *again.Params.Visitor, "the session cookie keeps the ID")

	resp = do(t, c, http.MethodPost, srv.URL+"/click",
		`{"product":12793,"api":"recommendations/trending","labels":["Homepage - Trending"],"position":1}`, browserUA)
	assert.Equal(t, http.StatusNoContent, resp.StatusCode)
	resp = do(t, c, http.MethodPost, srv.URL+"/click", `{"product":1.5}`, browserUA)
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	resp = do(t, c, http.MethodPost, srv.URL+"/click", `{}`, browserUA)
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)

	events := rec.Events()
	require.Len(t, events, 3)
	for i, kind := range []tracker.Kind{tracker.KindImpression, tracker.KindImpression, tracker.KindClick} {
		e := events[i]
		assert.Equal(t, kind, e.Kind, "event %d", i)
		assert.Equal(t, demo.Store, e.Store)
		assert.Equal(t, visitor, e.Visitor)
		assert.Equal(t, "recommendations/trending", e.API)
		assert.Equal(t, []string{"Homepage - Trending"}, e.Labels)
	}
	assert.Equal(t, demo.Trending(), events[0].Products)
	assert.Equal(t, "12793", events[2].Product, "a JSON number is the same product as its digits")
	assert.Equal(t, 1, events[2].Position)
}

func testBotsAreNotTracked(t *testing.T, routes demo.Routes) {
	srv, rec := serve(t, routes)

	resp := do(t, srv.Client(), http.MethodGet, srv.URL+"/", "", botUA)
	body := trendingOf(t, resp)
	assert.Nil(t, body.Params.Visitor, `"visitor" is null for a bot`)
	assert.Empty(t, resp.Cookies())
	assert.Zero(t, rec.Len())
}

func testUnmatchedRoute(t *testing.T, routes demo.Routes, c Coverage) {
	srv, rec := serve(t, routes)

	resp := do(t, srv.Client(), http.MethodGet, srv.URL+"/no-such-page", "", browserUA)
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	names := cookieNames(resp)
	switch c {
	case AllRequests:
		assert.Equal(t, []string{"vt_s"}, names, "the middleware gives a 404 a session cookie too")
	case MatchedRoutes:
		assert.Empty(t, names, "the middleware does not run for a 404")
	default:
		t.Fatalf("demotest: unknown Coverage %d", c)
	}
	assert.Zero(t, rec.Len())
}

// serve starts a test server for demo.Handler with routes, fresh keys and an
// in-memory recorder, and returns both.
func serve(t *testing.T, routes demo.Routes) (*httptest.Server, *tracker.Memory) {
	t.Helper()
	rec := tracker.NewMemory()
	h, err := demo.Handler(keys.Generate(), rec, routes)
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv, rec
}

func do(t *testing.T, c *http.Client, method, url, body, ua string) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("User-Agent", ua)
	resp, err := c.Do(req)
	require.NoError(t, err)
	t.Cleanup(func() { _ = resp.Body.Close() })
	return resp
}

func cookieNames(resp *http.Response) []string {
	var names []string
	for _, ck := range resp.Cookies() {
		names = append(names, ck.Name)
	}
	return names
}

// trendingBody is demo.Recommend's answer.
type trendingBody struct {
	Params struct {
		Visitor *string  `json:"visitor"`
		Labels  []string `json:"labels"`
	} `json:"params"`
	Products []string `json:"products"`
}

func trendingOf(t *testing.T, resp *http.Response) trendingBody {
	t.Helper()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var b trendingBody
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&b))
	return b
}
