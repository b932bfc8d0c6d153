package main

import (
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/visitrack/visitrack/examples/internal/keys"
	"github.com/visitrack/visitrack/session"
	"github.com/visitrack/visitrack/tracker"
)

const browserUA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36"

type trendingBody struct {
	Params struct {
		Visitor *string  `json:"visitor"`
		Labels  []string `json:"labels"`
	} `json:"params"`
	Products []string `json:"products"`
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

func trendingOf(t *testing.T, resp *http.Response) trendingBody {
	t.Helper()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var b trendingBody
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&b))
	return b
}

func TestTrendingAndClick(t *testing.T) {
	t.Parallel()
	rec := tracker.NewMemory()
	h, err := newHandler(keys.Generate(), rec)
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	c := &http.Client{Jar: jar}

	resp := do(t, c, http.MethodGet, srv.URL+"/", "", browserUA)
	body := trendingOf(t, resp)
	require.NotNil(t, body.Params.Visitor, "a browser gets a visitor ID")
	visitor := *body.Params.Visitor
	assert.True(t, session.ValidID(visitor), "visitor ID %q is an xid", visitor)
	assert.Equal(t, []string{"Homepage - Trending"}, body.Params.Labels)
	var names []string
	for _, ck := range resp.Cookies() {
		names = append(names, ck.Name)
	}
	assert.Equal(t, []string{"vt_s"}, names, "a cookieless session cookie, and no long-term cookie without consent")

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
		assert.Equal(t, store, e.Store)
		assert.Equal(t, visitor, e.Visitor)
		assert.Equal(t, "recommendations/trending", e.API)
		assert.Equal(t, []string{"Homepage - Trending"}, e.Labels)
	}
	assert.Equal(t, trending, events[0].Products)
	assert.Equal(t, "12793", events[2].Product, "a JSON number is the same product as its digits")
	assert.Equal(t, 1, events[2].Position)
}

func TestBotsAreNotTracked(t *testing.T) {
	t.Parallel()
	rec := tracker.NewMemory()
	h, err := newHandler(keys.Generate(), rec)
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)

	resp := do(t, srv.Client(), http.MethodGet, srv.URL+"/", "", "Googlebot/2.1 (+http://www.google.com/bot.html)")
	body := trendingOf(t, resp)
	assert.Nil(t, body.Params.Visitor, `"visitor" is null for a bot`)
	assert.Empty(t, resp.Cookies())
	assert.Zero(t, rec.Len())
}
