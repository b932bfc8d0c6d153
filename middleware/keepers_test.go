package middleware_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"testing"

	"github.com/gorilla/sessions"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/visitrack/visitrack/consent"
	"github.com/visitrack/visitrack/middleware"
	"github.com/visitrack/visitrack/session"
	"github.com/visitrack/visitrack/tracker"
)

func TestSessionKeeperSharesTheShopsSession(t *testing.T) {
	t.Parallel()
	store := sessions.NewCookieStore([]byte("shop-session-key-0123456789abcdef"))
	f := newFixture(t, func(c *middleware.Config) {
		c.Cookieless = session.NewSessionKeeper(session.SessionKeeperConfig{Store: store, Name: "shop"})
	})
	type seen struct {
		id, cart string
	}
	seenCh := make(chan seen, 1)
	srv := f.start(t, func(w http.ResponseWriter, r *http.Request) {
		sess, err := store.Get(r, "shop")
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		cart, _ := sess.Values["cart"].(string)
		id, _ := sess.Values[session.KeyID].(string)
		seenCh <- seen{id: tracker.From(r.Context()).Visitor(), cart: cart}
		if id != "" && id != tracker.From(r.Context()).Visitor() {
			http.Error(w, "session and tracker disagree", http.StatusInternalServerError)
			return
		}
		if add := r.URL.Query().Get("add"); add != "" {
			sess.Values["cart"] = cart + add
			if err := sess.Save(r, w); err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
		}
		io.WriteString(w, "ok")
	})
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	client := &http.Client{Jar: jar}
	get := func(path string) (*http.Response, seen) {
		t.Helper()
		resp := fetch(t, context.Background(), client, srv.URL+path)
		require.Equal(t, "ok", body(t, resp))
		return resp, <-seenCh
	}

	// A new visitor whose first request also puts something in the cart.
	resp, first := get("/?add=shoe")
	require.True(t, session.ValidID(first.id))
	assert.Empty(t, first.cart)
	assert.Nil(t, setCookie(resp, "vt_s"), "no visitrack cookie: the shop's session keeps the ID")
	assert.NotNil(t, setCookie(resp, "shop"))

	_, second := get("/?add=+sock")
	assert.Equal(t, seen{id: first.id, cart: "shoe"}, second, "both the cart and the ID survive")

	resp, third := get("/")
	assert.Equal(t, seen{id: first.id, cart: "shoe sock"}, third)
	assert.Empty(t, resp.Header.Values("Set-Cookie"))

	// Consent to persistent: the ID moves to vt_id and leaves the shop's
	// session, whose cart stays.
	req, err := http.NewRequest(http.MethodGet, srv.URL+"/", nil)
	require.NoError(t, err)
	req.Header.Set("User-Agent", browserUA)
	h := f.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		require.NoError(t, middleware.SetConsent(w, r, consent.Persistent))
	}))
	for _, c := range jar.Cookies(req.URL) {
		req.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	jar.SetCookies(req.URL, rec.Result().Cookies())
	_, fourth := get("/")
	assert.Equal(t, seen{id: first.id, cart: "shoe sock"}, fourth)
	sess, err := store.Get(func() *http.Request {
		r := httptest.NewRequest(http.MethodGet, srv.URL+"/", nil)
		for _, c := range jar.Cookies(req.URL) {
			r.AddCookie(c)
		}
		return r
	}(), "shop")
	require.NoError(t, err)
	assert.NotContains(t, sess.Values, session.KeyID, "the ID left the shop's session")
	assert.Equal(t, "shoe sock", sess.Values["cart"])
}

func TestDerivedIDsNeedNoCookie(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(c *middleware.Config) {
		c.Cookieless = session.NewDerived(session.DerivedConfig{Store: "shop-dk", Secret: []byte("derived-secret"), Now: c.Now})
	})
	from := func(addr, ua string) (*http.Response, visit) {
		r := newRequest("http://shop.example/")
		r.RemoteAddr = addr
		r.Header.Set("User-Agent", ua)
		resp := serve(f.m.Handler(echo), r)
		return resp, parseVisit(t, body(t, resp))
	}
	resp, first := from("203.0.113.7:40000", browserUA)
	assert.True(t, session.ValidID(first.ID))
	assert.Equal(t, consent.Cookieless, first.State)
	assert.Empty(t, resp.Header.Values("Set-Cookie"), "no cookie at all")
	assert.Empty(t, resp.Header.Values("Vary"))

	_, again := from("203.0.113.7:51234", browserUA)
	assert.Equal(t, first.ID, again.ID, "same address and User-Agent, another port")

	_, otherUA := from("203.0.113.7:40000", browserUA+" Edg/140.0")
	assert.NotEqual(t, first.ID, otherUA.ID)
	_, otherIP := from("198.51.100.1:40000", browserUA)
	assert.NotEqual(t, first.ID, otherIP.ID)

	// X-Forwarded-For is not trusted by default.
	r := newRequest("http://shop.example/")
	r.RemoteAddr = "203.0.113.7:40000"
	r.Header.Set("X-Forwarded-For", "192.0.2.99")
	assert.Equal(t, first.ID, parseVisit(t, body(t, serve(f.m.Handler(echo), r))).ID)

	assert.Empty(t, f.log.String())
}
