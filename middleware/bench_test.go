package middleware

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/alexedwards/scs/v2"
	"github.com/gorilla/sessions"

	"github.com/visitrack/visitrack/session"
	"github.com/visitrack/visitrack/tracker"
)

// The benchmarks in this file measure the middleware against a bare handler
// and against two peers, in one binary so the figures are taken side by side:
// gorilla/sessions' CookieStore getting (and, for a new session, saving) a
// session that holds the visitor ID, and alexedwards/scs' LoadAndSave with
// its default in-memory store. Returning-visitor benchmarks cycle through
// benchVisitors distinct visitors' cookies, so nothing is served from a
// cache. Overhead is a benchmark's ns/op minus BenchmarkBare's.

const (
	benchVisitors = 10_000
	benchUA       = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"
)

var benchKeys = [][]byte{
	[]byte("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"),
	[]byte("0123456789abcdef0123456789abcdef"),
}

// discard is a ResponseWriter that keeps one header map, cleared between
// requests, so that the writer itself does not allocate.
type discard struct{ h http.Header }

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(b []byte) (int, error) { return len(b), nil }
func (d *discard) WriteHeader(int)             {}

// nopRecorder takes events and drops them.
type nopRecorder struct{}

func (nopRecorder) Record(context.Context, tracker.Event) error { return nil }

// visitorHandler is the handler every benchmark wraps: it reads the visitor
// ID, the least a tracking handler does.
var sink string

func visitorHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sink = tracker.From(r.Context()).Visitor()
	})
}

// run serves reqs round-robin through h. Each iteration serves a shallow
// copy of the request, as a server would hand a fresh *http.Request.
func run(b *testing.B, h http.Handler, reqs []*http.Request) {
	b.Helper()
	w := &discard{h: make(http.Header)}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		r := new(http.Request)
		*r = *reqs[i%len(reqs)]
		clear(w.h)
		h.ServeHTTP(w, r)
	}
}

func benchRequest(cookies ...*http.Cookie) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("User-Agent", benchUA)
	r.Header.Set("Accept-Language", "da-DK,da;q=0.9,en;q=0.8")
	for _, c := range cookies {
		r.AddCookie(c)
	}
	return r
}

func benchMiddleware(b *testing.B) *Middleware {
	m, err := New(Config{Keys: benchKeys, Store: "shop-dk", Recorder: nopRecorder{}})
	if err != nil {
		b.Fatal(err)
	}
	return m
}

// visitorRequests makes n requests, each carrying the cookies the middleware
// gave a distinct visitor in the state that choice selects ("" for the
// default, cookieless).
func visitorRequests(b *testing.B, m *Middleware, choice string) []*http.Request {
	b.Helper()
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	reqs := make([]*http.Request, benchVisitors)
	for i := range reqs {
		var first *http.Request
		if choice != "" {
			first = benchRequest(&http.Cookie{Name: "vt_consent", Value: choice})
		} else {
			first = benchRequest()
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, first)
		cookies := rec.Result().Cookies()
		if choice != "" {
			cookies = append(cookies, &http.Cookie{Name: "vt_consent", Value: choice})
		}
		if len(cookies) == 0 {
			b.Fatal("no cookie issued")
		}
		reqs[i] = benchRequest(cookies...)
	}
	return reqs
}

func BenchmarkBare(b *testing.B) {
	run(b, visitorHandler(), []*http.Request{benchRequest()})
}

func BenchmarkReturningPersistent(b *testing.B) {
	m := benchMiddleware(b)
	run(b, m.Handler(visitorHandler()), visitorRequests(b, m, "persistent"))
}

func BenchmarkReturningCookieless(b *testing.B) {
	m := benchMiddleware(b)
	run(b, m.Handler(visitorHandler()), visitorRequests(b, m, ""))
}

func BenchmarkNewVisitor(b *testing.B) {
	m := benchMiddleware(b)
	run(b, m.Handler(visitorHandler()), []*http.Request{benchRequest()})
}

func BenchmarkDisabled(b *testing.B) {
	m := benchMiddleware(b)
	run(b, m.Handler(visitorHandler()), []*http.Request{benchRequest(&http.Cookie{Name: "vt_consent", Value: "disabled"})})
}

func BenchmarkBot(b *testing.B) {
	m := benchMiddleware(b)
	r := benchRequest()
	r.Header.Set("User-Agent", "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)")
	run(b, m.Handler(visitorHandler()), []*http.Request{r})
}

// BenchmarkPeerGorillaCookieStore: a returning visitor whose ID lives in a
// gorilla/sessions CookieStore session (same key sizes), read on every
// request and saved when new.
func BenchmarkPeerGorillaCookieStore(b *testing.B) {
	store := sessions.NewCookieStore(benchKeys...)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, _ := store.Get(r, "vt")
		id, ok := s.Values["id"].(string)
		if !ok {
			id = session.NewID()
			s.Values["id"] = id
			_ = s.Save(r, w)
		}
		sink = id
	})
	reqs := make([]*http.Request, benchVisitors)
	for i := range reqs {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, benchRequest())
		reqs[i] = benchRequest(rec.Result().Cookies()...)
	}
	run(b, h, reqs)
}

// BenchmarkPeerSCS: a returning visitor whose ID lives in an scs session
// (default in-memory store), loaded and saved by LoadAndSave.
func BenchmarkPeerSCS(b *testing.B) {
	sm := scs.New()
	h := sm.LoadAndSave(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := sm.GetString(r.Context(), "id")
		if id == "" {
			id = session.NewID()
			sm.Put(r.Context(), "id", id)
		}
		sink = id
	}))
	reqs := make([]*http.Request, benchVisitors)
	for i := range reqs {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, benchRequest())
		cs := rec.Result().Cookies()
		if len(cs) == 0 {
			b.Fatal("scs issued no cookie " + strconv.Itoa(i))
		}
		reqs[i] = benchRequest(cs...)
	}
	run(b, h, reqs)
}
