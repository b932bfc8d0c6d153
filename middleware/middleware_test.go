package middleware_test

import (
	"context"
	"crypto/tls"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/visitrack/visitrack/consent"
	"github.com/visitrack/visitrack/middleware"
	"github.com/visitrack/visitrack/session"
	"github.com/visitrack/visitrack/tracker"
)

func TestNewVisitorGetsSessionCookie(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	resp := serve(f.m.Handler(echo), newRequest("http://shop.example/"))
	v := parseVisit(t, body(t, resp))

	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.True(t, session.ValidID(v.ID), "ID %q", v.ID)
	assert.Equal(t, consent.Cookieless, v.State)

	assert.Equal(t, []string{"vt_s"}, cookieNames(resp), "only the browser-session cookie")
	c := setCookie(resp, "vt_s")
	require.NotNil(t, c)
	assert.NotEmpty(t, c.Value)
	assert.NotContains(t, c.Value, v.ID, "the ID is encrypted")
	assert.Zero(t, c.MaxAge, "browser-session cookie: no Max-Age")
	assert.True(t, c.Expires.IsZero(), "browser-session cookie: no Expires")
	assert.Empty(t, c.RawExpires)
	assert.True(t, c.HttpOnly)
	assert.Equal(t, http.SameSiteLaxMode, c.SameSite)
	assert.Equal(t, "/", c.Path)
	assert.Empty(t, c.Domain, "host-only")
	assert.False(t, c.Secure, "plain HTTP")

	assert.Contains(t, resp.Header.Values("Vary"), "Cookie")
	assert.Contains(t, resp.Header.Get("Cache-Control"), `no-cache="Set-Cookie"`)
}

func TestCacheHeadersOnSetCookie(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		cacheControl []string // set by the handler
		vary         []string // set by the handler
		wantCC       string
		wantVary     []string
	}{
		{name: "none", wantCC: `no-cache="Set-Cookie"`, wantVary: []string{"Cookie"}},
		{name: "public", cacheControl: []string{"public, max-age=60"},
			wantCC: `public, max-age=60, no-cache="Set-Cookie"`, wantVary: []string{"Cookie"}},
		{name: "two headers", cacheControl: []string{"public", "max-age=60"},
			wantCC: `public, max-age=60, no-cache="Set-Cookie"`, wantVary: []string{"Cookie"}},
		{name: "private", cacheControl: []string{"private, max-age=60"},
			wantCC: "private, max-age=60", wantVary: []string{"Cookie"}},
		{name: "no-store", cacheControl: []string{"no-store"}, wantCC: "no-store", wantVary: []string{"Cookie"}},
		{name: "bare no-cache", cacheControl: []string{"no-cache"}, wantCC: "no-cache", wantVary: []string{"Cookie"}},
		{name: "no-cache naming another field", cacheControl: []string{`no-cache="Authorization"`},
			wantCC: `no-cache="Authorization", no-cache="Set-Cookie"`, wantVary: []string{"Cookie"}},
		{name: "vary accept-encoding", vary: []string{"Accept-Encoding"},
			wantCC: `no-cache="Set-Cookie"`, wantVary: []string{"Accept-Encoding", "Cookie"}},
		{name: "vary cookie already", vary: []string{"Accept-Encoding, cookie"},
			wantCC: `no-cache="Set-Cookie"`, wantVary: []string{"Accept-Encoding, cookie"}},
		{name: "vary star", vary: []string{"*"}, wantCC: `no-cache="Set-Cookie"`, wantVary: []string{"*"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			h := f.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				for _, v := range tt.cacheControl {
					w.Header().Add("Cache-Control", v)
				}
				for _, v := range tt.vary {
					w.Header().Add("Vary", v)
				}
				io.WriteString(w, "ok")
			}))
			resp := serve(h, newRequest("http://shop.example/"))
			require.NotNil(t, setCookie(resp, "vt_s"))
			assert.Equal(t, tt.wantCC, strings.Join(resp.Header.Values("Cache-Control"), ", "))
			assert.Equal(t, tt.wantVary, resp.Header.Values("Vary"))
		})
	}
}

func TestReturningVisitorKeepsID(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	h := f.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=60")
		echo(w, r)
	}))
	b := newBrowser()
	_, first := b.do(t, h, "http://shop.example/")
	require.True(t, session.ValidID(first.ID))

	resp, again := b.do(t, h, "http://shop.example/other")
	assert.Equal(t, first.ID, again.ID)
	assert.Equal(t, consent.Cookieless, again.State)
	assert.Empty(t, resp.Header.Values("Set-Cookie"))
	assert.Empty(t, resp.Header.Values("Vary"), "no cookie set: the response stays cacheable")
	assert.Equal(t, "public, max-age=60", resp.Header.Get("Cache-Control"))
}

func TestSessionRefreshAndTimeouts(t *testing.T) {
	t.Parallel()

	t.Run("refresh after a minute keeps the ID", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		h := f.m.Handler(echo)
		b := newBrowser()
		_, first := b.do(t, h, "http://shop.example/")
		old := b.cookies["vt_s"].Value

		f.clock.Add(59 * time.Second)
		resp, v := b.do(t, h, "http://shop.example/")
		assert.Equal(t, first.ID, v.ID)
		assert.Nil(t, setCookie(resp, "vt_s"), "no refresh within a minute")

		f.clock.Add(2 * time.Second)
		resp, v = b.do(t, h, "http://shop.example/")
		assert.Equal(t, first.ID, v.ID)
		c := setCookie(resp, "vt_s")
		require.NotNil(t, c, "refreshed after more than a minute")
		assert.NotEqual(t, old, c.Value)
		assert.Zero(t, c.MaxAge)
		assert.True(t, c.Expires.IsZero())
		assert.Contains(t, resp.Header.Get("Cache-Control"), `no-cache="Set-Cookie"`)
		assert.Empty(t, f.log.String(), "a refresh is no rejection")
	})

	t.Run("30 minutes idle gives a new ID", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		h := f.m.Handler(echo)
		b := newBrowser()
		_, first := b.do(t, h, "http://shop.example/")

		f.clock.Add(29 * time.Minute)
		_, v := b.do(t, h, "http://shop.example/")
		require.Equal(t, first.ID, v.ID, "29 minutes idle is within the timeout")

		f.clock.Add(30*time.Minute + time.Second)
		resp, v := b.do(t, h, "http://shop.example/")
		assert.True(t, session.ValidID(v.ID))
		assert.NotEqual(t, first.ID, v.ID)
		assert.NotNil(t, setCookie(resp, "vt_s"))
		assert.Contains(t, f.log.String(), "level=DEBUG")
	})

	t.Run("24 hours in all gives a new ID however active", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		h := f.m.Handler(echo)
		b := newBrowser()
		_, first := b.do(t, h, "http://shop.example/")
		// A request every 25 minutes keeps the session alive until its
		// absolute cap.
		for elapsed := 25 * time.Minute; elapsed < 24*time.Hour; elapsed += 25 * time.Minute {
			f.clock.Add(25 * time.Minute)
			_, v := b.do(t, h, "http://shop.example/")
			require.Equal(t, first.ID, v.ID, "after %v", elapsed)
		}
		f.clock.Add(25 * time.Minute)
		_, v := b.do(t, h, "http://shop.example/")
		assert.True(t, session.ValidID(v.ID))
		assert.NotEqual(t, first.ID, v.ID)
	})
}

func TestSecureCookies(t *testing.T) {
	t.Parallel()

	check := func(t *testing.T, resp *http.Response, name string) {
		t.Helper()
		c := setCookie(resp, name)
		require.NotNil(t, c, "cookie %s in %v", name, cookieNames(resp))
		assert.True(t, c.Secure)
		assert.True(t, c.HttpOnly)
		assert.Equal(t, "/", c.Path)
		assert.Empty(t, c.Domain)
		assert.Equal(t, http.SameSiteLaxMode, c.SameSite)
	}
	consentTo := func(s consent.State) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if err := middleware.SetConsent(w, r, s); err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			echo(w, r)
		})
	}

	t.Run("TLS request", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		resp := serve(f.m.Handler(echo), newRequest("https://shop.example/"))
		check(t, resp, "__Host-vt_s")
		assert.Nil(t, setCookie(resp, "vt_s"))

		resp = serve(f.m.Handler(consentTo(consent.Persistent)), newRequest("https://shop.example/"))
		check(t, resp, "__Host-vt_id")
		check(t, resp, "__Host-vt_consent")
		assert.Equal(t, "persistent", setCookie(resp, "__Host-vt_consent").Value)
		assert.Nil(t, setCookie(resp, "vt_id"))
		assert.Nil(t, setCookie(resp, "vt_consent"))
	})

	t.Run("SecureAlways on plain HTTP", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t, func(c *middleware.Config) { c.Secure = session.SecureAlways })
		resp := serve(f.m.Handler(consentTo(consent.Cookieless)), newRequest("http://shop.example/"))
		check(t, resp, "__Host-vt_s")
		check(t, resp, "__Host-vt_consent")
		resp = serve(f.m.Handler(consentTo(consent.Persistent)), newRequest("http://shop.example/"))
		check(t, resp, "__Host-vt_id")
	})

	t.Run("TLS server round trip", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		srv := httptest.NewTLSServer(f.m.Handler(echo))
		t.Cleanup(srv.Close)
		jar, err := cookiejar.New(nil)
		require.NoError(t, err)
		client := srv.Client()
		client.Jar = jar

		get := func() (*http.Response, visit) {
			resp := fetch(t, context.Background(), client, srv.URL+"/")
			return resp, parseVisit(t, body(t, resp))
		}
		resp, first := get()
		check(t, resp, "__Host-vt_s")
		require.True(t, session.ValidID(first.ID))
		resp, again := get()
		assert.Equal(t, first.ID, again.ID, "the browser sends the __Host- cookie back")
		assert.Empty(t, resp.Header.Values("Set-Cookie"))
	})

	t.Run("TLS connection state set by hand", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		r := newRequest("http://shop.example/")
		r.TLS = &tls.ConnectionState{}
		resp := serve(f.m.Handler(echo), r)
		check(t, resp, "__Host-vt_s")
	})
}

func TestTrackerInContext(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var (
		gotID    string
		gotState consent.State
		params   map[string]any
	)
	h := f.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tr := tracker.From(r.Context())
		require.NotNil(t, tr)
		gotID, gotState = tr.Visitor(), tr.Consent()
		assert.True(t, tr.Enabled())
		assert.Equal(t, "shop-dk", tr.Store())
		call, err := tr.Call("recommendations/trending", "Homepage - Trending")
		require.NoError(t, err)
		params = call.Params()
		require.NoError(t, call.Shown("12793", "4711"))
		require.NoError(t, tr.View("12793"))
		require.NoError(t, tr.Search("red shoes"))
		echo(w, r)
	}))
	resp := serve(h, newRequest("http://shop.example/"))
	v := parseVisit(t, body(t, resp))

	require.True(t, session.ValidID(gotID))
	assert.Equal(t, v.ID, gotID)
	assert.Equal(t, consent.Cookieless, gotState)
	assert.Equal(t, gotID, params["visitor"])
	assert.Equal(t, []string{"Homepage - Trending"}, params["labels"])

	events := f.rec.Events()
	require.Len(t, events, 3)
	kinds := []tracker.Kind{tracker.KindImpression, tracker.KindView, tracker.KindSearch}
	for i, e := range events {
		assert.Equal(t, kinds[i], e.Kind)
		assert.Equal(t, "shop-dk", e.Store)
		assert.Equal(t, gotID, e.Visitor)
		assert.True(t, session.ValidID(e.ID), "event ID %q", e.ID)
		assert.True(t, e.Time.Equal(t0), "event time %v comes from Config.Now", e.Time)
	}
	assert.Equal(t, []string{"12793", "4711"}, events[0].Products)
}

func TestTrackerWithoutMiddleware(t *testing.T) {
	t.Parallel()
	var calls int
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		tr := tracker.From(r.Context())
		require.NotNil(t, tr)
		assert.Empty(t, tr.Visitor())
		assert.Equal(t, consent.Disabled, tr.Consent())
		assert.False(t, tr.Enabled())
		call, err := tr.Call("search/predictive", "Search")
		require.NoError(t, err)
		assert.Nil(t, call.Params()["visitor"])
		assert.NoError(t, call.Shown("1"))
		assert.NoError(t, tr.View("1"))
		assert.NoError(t, tr.Click(tracker.Click{Product: "1"}))
		assert.ErrorIs(t, middleware.SetConsent(w, r, consent.Persistent), middleware.ErrNoMiddleware)
	})
	resp := serve(h, newRequest("http://shop.example/"))
	assert.Equal(t, 1, calls)
	assert.Empty(t, resp.Header.Values("Set-Cookie"))

	assert.Empty(t, tracker.From(context.Background()).Visitor())
}

func TestRequestsOfOneVisitorConcurrently(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	srv := httptest.NewServer(f.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tracker.From(r.Context()).View("12793")
		echo(w, r)
	})))
	t.Cleanup(srv.Close)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	t.Cleanup(client.CloseIdleConnections)

	get := func(cookie *http.Cookie) (*http.Response, visit, error) {
		req, err := http.NewRequest(http.MethodGet, srv.URL+"/", nil)
		if err != nil {
			return nil, visit{}, err
		}
		req.Header.Set("User-Agent", browserUA)
		if cookie != nil {
			req.AddCookie(cookie)
		}
		resp, err := client.Do(req)
		if err != nil {
			return nil, visit{}, err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			return nil, visit{}, err
		}
		id, state, _ := strings.Cut(string(b), "|")
		s, _ := consent.ParseState(state)
		return resp, visit{ID: id, State: s}, nil
	}

	resp, first, err := get(nil)
	require.NoError(t, err)
	cookie := setCookie(resp, "vt_s")
	require.NotNil(t, cookie)
	cookie = &http.Cookie{Name: cookie.Name, Value: cookie.Value}

	const n = 200
	type result struct {
		v      visit
		cookie bool
		err    error
	}
	results := make(chan result, n)
	for range n {
		go func() {
			resp, v, err := get(cookie)
			var set bool
			if err == nil {
				set = len(resp.Header.Values("Set-Cookie")) > 0
			}
			results <- result{v, set, err}
		}()
	}
	for range n {
		r := <-results
		require.NoError(t, r.err)
		assert.Equal(t, first.ID, r.v.ID)
		assert.False(t, r.cookie)
	}
	for _, e := range f.rec.Events() {
		assert.Equal(t, first.ID, e.Visitor)
	}
	assert.Equal(t, n+1, f.rec.Len())

	t.Run("many new visitors", func(t *testing.T) {
		const n = 100
		ids := make(chan string, n)
		errs := make(chan error, n)
		for range n {
			go func() {
				_, v, err := get(nil)
				errs <- err
				ids <- v.ID
			}()
		}
		seen := map[string]bool{}
		for range n {
			require.NoError(t, <-errs)
			id := <-ids
			assert.True(t, session.ValidID(id))
			assert.False(t, seen[id], "duplicate ID %s", id)
			seen[id] = true
		}
		assert.Len(t, seen, n)
	})
}
