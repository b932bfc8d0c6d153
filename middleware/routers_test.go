package middleware_test

import (
	"fmt"
	"net/http"
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
