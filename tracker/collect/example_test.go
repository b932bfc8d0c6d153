package collect_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/visitrack/visitrack/consent"
	"github.com/visitrack/visitrack/tracker"
	"github.com/visitrack/visitrack/tracker/collect"
)

// middlewareStandIn gives every request a tracker recording into rec, as
// middleware.Middleware.Handler does.
func middlewareStandIn(rec tracker.Recorder, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t := tracker.New(tracker.Options{Store: "shop-dk", Visitor: "d0lq6ur2ek9ks4d5v2u0",
			Consent: consent.Cookieless, Recorder: rec, Context: r.Context()})
		next.ServeHTTP(w, r.WithContext(tracker.NewContext(r.Context(), t)))
	})
}

// A signed click link records the click and redirects to its target.
func ExampleHandler_Link() {
	keys := [][]byte{[]byte(strings.Repeat("k", 64)), nil} // use the middleware's Keys
	h, err := collect.New(collect.Config{Keys: keys})
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/visitrack/", http.StripPrefix("/visitrack", h))
	rec := tracker.NewMemory()
	shop := middlewareStandIn(rec, mux)

	link, err := h.Link("/products/12793", tracker.Click{Product: "12793",
		API: "recommendations/trending", Labels: []string{"Homepage - Trending"}, Position: 1})
	if err != nil {
		panic(err)
	}
	w := httptest.NewRecorder()
	shop.ServeHTTP(w, httptest.NewRequest(http.MethodGet, link, nil))
	fmt.Println(w.Code, w.Header().Get("Location"))

	w = httptest.NewRecorder()
	shop.ServeHTTP(w, httptest.NewRequest(http.MethodGet, strings.Replace(link, "p=12793", "p=666", 1), nil))
	fmt.Println(w.Code, w.Header().Get("Location"), "(altered)")

	for _, e := range rec.Events() {
		fmt.Println(e.Kind, e.Product, e.API, e.Labels, e.Position)
	}
	// Output:
	// 303 /products/12793
	// 303 / (altered)
	// click 12793 recommendations/trending [Homepage - Trending] 1
}

// The browser POSTs Clerk's log/click body; the visitor is the request's.
func ExampleHandler_log() {
	h, err := collect.New(collect.Config{})
	if err != nil {
		panic(err)
	}
	rec := tracker.NewMemory()
	shop := middlewareStandIn(rec, http.StripPrefix("/visitrack", h))

	for _, body := range []string{
		`{"product": 12793, "api": "recommendations/trending", "labels": ["Homepage - Trending"], "n": 0, "visitor": "someone"}`,
		`{"product": 12793, "labels": "Homepage - Trending"}`,
	} {
		r := httptest.NewRequest(http.MethodPost, "/visitrack/log/click", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		shop.ServeHTTP(w, r)
		fmt.Print(w.Code, " ", w.Body.String())
	}
	e := rec.Events()[0]
	fmt.Println(e.Visitor, e.Product, e.Position)
	// Output:
	// 200 {"status":"ok"}
	// 400 {"status":"error","type":"invalid_argument","message":"labels: must be a list of strings"}
	// d0lq6ur2ek9ks4d5v2u0 12793 1
}
