package middleware_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"

	"github.com/gorilla/securecookie"

	"github.com/visitrack/visitrack/consent"
	"github.com/visitrack/visitrack/middleware"
	"github.com/visitrack/visitrack/session"
	"github.com/visitrack/visitrack/tracker"
)

func ExampleNew() {
	events := tracker.NewMemory() // a *tracker.Queue in production
	m, err := middleware.New(middleware.Config{
		// In production, load the keys from your secret store: new keys
		// log every visitor out of their visit.
		Keys:     [][]byte{securecookie.GenerateRandomKey(64), securecookie.GenerateRandomKey(32)},
		Store:    "shop-dk",
		Recorder: events,
	})
	if err != nil {
		panic(err)
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /products/{id}", func(w http.ResponseWriter, r *http.Request) {
		t := tracker.From(r.Context())
		t.View(r.PathValue("id"))
		fmt.Printf("consent %v, valid visitor ID: %v\n", t.Consent(), session.ValidID(t.Visitor()))
	})
	h := m.Handler(mux)

	// A visitor's first request: a browser-session cookie keeps the ID.
	r := httptest.NewRequest(http.MethodGet, "/products/12793", nil)
	r.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	cookie := w.Result().Cookies()[0]
	fmt.Println("cookie:", cookie.Name, "session-only:", cookie.MaxAge == 0, "HttpOnly:", cookie.HttpOnly)

	// The next request carries it back.
	r = httptest.NewRequest(http.MethodGet, "/products/4711", nil)
	r.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0")
	r.AddCookie(cookie)
	h.ServeHTTP(httptest.NewRecorder(), r)

	e := events.Events()
	fmt.Println("views:", len(e), "same visitor:", e[0].Visitor == e[1].Visitor, "store:", e[1].Store)

	// A crawler is not tracked.
	r = httptest.NewRequest(http.MethodGet, "/products/1", nil)
	r.Header.Set("User-Agent", "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)")
	h.ServeHTTP(httptest.NewRecorder(), r)
	fmt.Println("views:", events.Len())
	// Output:
	// consent cookieless, valid visitor ID: true
	// cookie: vt_s session-only: true HttpOnly: true
	// consent cookieless, valid visitor ID: true
	// views: 2 same visitor: true store: shop-dk
	// consent disabled, valid visitor ID: false
	// views: 2
}

func ExampleSetConsent() {
	m, err := middleware.New(middleware.Config{
		Keys:     [][]byte{securecookie.GenerateRandomKey(64), securecookie.GenerateRandomKey(32)},
		Store:    "shop-dk",
		Recorder: tracker.NewMemory(),
	})
	if err != nil {
		panic(err)
	}
	// The consent banner posts accept, cookieless or refuse.
	banner := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		choice := map[string]consent.State{
			"accept": consent.Persistent, "cookieless": consent.Cookieless, "refuse": consent.Disabled,
		}[r.PostFormValue("choice")]
		before := tracker.From(r.Context()).Visitor()
		if err := middleware.SetConsent(w, r, choice); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		after := tracker.From(r.Context()).Visitor()
		fmt.Printf("%v: same visitor: %v\n", tracker.From(r.Context()).Consent(), before == after)
		http.Redirect(w, r, "/", http.StatusSeeOther)
	}))

	post := func(choice string, cookies []*http.Cookie) []*http.Cookie {
		r := httptest.NewRequest(http.MethodPost, "/consent", strings.NewReader(url.Values{"choice": {choice}}.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0")
		for _, c := range cookies {
			r.AddCookie(c)
		}
		w := httptest.NewRecorder()
		banner.ServeHTTP(w, r)
		set := w.Result().Cookies()
		for _, c := range set {
			if c.MaxAge < 0 {
				fmt.Printf("  delete %s\n", c.Name)
			} else {
				fmt.Printf("  set %s\n", c.Name)
			}
		}
		return set
	}

	// A cookieless visitor accepts: the same ID moves to the long-term
	// cookie.
	visit := post("cookieless", nil)
	post("accept", visit)
	// Output:
	// cookieless: same visitor: true
	//   set vt_consent
	//   set vt_s
	// persistent: same visitor: true
	//   set vt_consent
	//   set vt_id
	//   delete vt_s
}
