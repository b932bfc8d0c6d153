package middleware_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/gorilla/mux"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/visitrack/visitrack/consent"
	"github.com/visitrack/visitrack/middleware"
	"github.com/visitrack/visitrack/session"
	"github.com/visitrack/visitrack/tracker"
)

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
	srv := f.start(t, func(w http.ResponseWriter, r *http.Request) {
		tracker.From(r.Context()).View("12793")
		echo(w, r)
	})
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

// productPage is a route handler that logs a product view and echoes the
// tracker; with ?consent= it records that choice first.
func productPage(param func(*http.Request) string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if c := r.URL.Query().Get("consent"); c != "" {
			s, err := consent.ParseState(c)
			if err == nil {
				err = middleware.SetConsent(w, r, s)
			}
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
		}
		t := tracker.From(r.Context())
		if err := t.View(param(r)); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		fmt.Fprintf(w, "%s|%s", t.Visitor(), t.Consent())
	}
}

func TestRouters(t *testing.T) {
	t.Parallel()
	routers := map[string]func(m *middleware.Middleware, times int) http.Handler{
		"net/http": func(m *middleware.Middleware, times int) http.Handler {
			mx := http.NewServeMux()
			mx.Handle("GET /products/{id}", productPage(func(r *http.Request) string { return r.PathValue("id") }))
			var h http.Handler = mx
			for range times {
				h = m.Handler(h)
			}
			return h
		},
		"chi": func(m *middleware.Middleware, times int) http.Handler {
			r := chi.NewRouter()
			for range times {
				r.Use(m.Handler)
			}
			r.Get("/products/{id}", productPage(func(r *http.Request) string { return chi.URLParam(r, "id") }))
			return r
		},
		"gorilla/mux": func(m *middleware.Middleware, times int) http.Handler {
			r := mux.NewRouter()
			for range times {
				r.Use(m.Handler)
			}
			r.HandleFunc("/products/{id}", productPage(func(r *http.Request) string { return mux.Vars(r)["id"] })).Methods(http.MethodGet)
			return r
		},
	}
	for name, router := range routers {
		for _, times := range []int{1, 2} {
			t.Run(fmt.Sprintf("%s/wrapped %d×", name, times), func(t *testing.T) {
				t.Parallel()
				f := newFixture(t)
				h := router(f.m, times)
				b := newBrowser()

				resp, first := b.do(t, h, "http://shop.example/products/12793")
				require.Equal(t, http.StatusOK, resp.StatusCode)
				assert.True(t, session.ValidID(first.ID))
				assert.Equal(t, consent.Cookieless, first.State)
				assert.Len(t, resp.Header.Values("Set-Cookie"), 1, "one Set-Cookie")
				assert.NotNil(t, setCookie(resp, "vt_s"))
				assert.Equal(t, []string{"Cookie"}, resp.Header.Values("Vary"))
				assert.Equal(t, `no-cache="Set-Cookie"`, resp.Header.Get("Cache-Control"))

				resp, again := b.do(t, h, "http://shop.example/products/4711?consent=persistent")
				require.Equal(t, http.StatusOK, resp.StatusCode)
				assert.Equal(t, visit{first.ID, consent.Persistent}, again)
				assert.Len(t, resp.Header.Values("Set-Cookie"), 3, "choice, vt_id, vt_s deleted: %v", resp.Header.Values("Set-Cookie"))

				_, last := b.do(t, h, "http://shop.example/products/1")
				assert.Equal(t, visit{first.ID, consent.Persistent}, last)

				events := f.rec.Events()
				require.Len(t, events, 3, "one view per request")
				for i, p := range []string{"12793", "4711", "1"} {
					assert.Equal(t, p, events[i].Product)
					assert.Equal(t, first.ID, events[i].Visitor)
				}
			})
		}
	}
}

func TestTwoMiddlewaresNested(t *testing.T) {
	t.Parallel()
	outer := newFixture(t)
	inner := newFixture(t, func(c *middleware.Config) { c.Store = "shop-se" })
	h := outer.m.Handler(inner.m.Handler(echo))
	resp := serve(h, newRequest("http://shop.example/"))
	v := parseVisit(t, body(t, resp))
	assert.True(t, session.ValidID(v.ID))
	assert.Len(t, resp.Header.Values("Set-Cookie"), 1, "one visitor, one cookie")
}
