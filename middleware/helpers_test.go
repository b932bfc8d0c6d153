package middleware_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/visitrack/visitrack/consent"
	"github.com/visitrack/visitrack/middleware"
	"github.com/visitrack/visitrack/session/sessiontest"
	"github.com/visitrack/visitrack/tracker"
)

// browserUA is a real browser's User-Agent: the default bot matcher treats a
// missing or short one as a bot.
const browserUA = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"

// Fixed key pairs (hash key, block key). Tests must not depend on randomness
// in keys, only in IDs.
var (
	keysA = [][]byte{[]byte("hash-key-A-0123456789abcdef-0123456789"), []byte("block-key-A-0123")}
	keysB = [][]byte{[]byte("hash-key-B-0123456789abcdef-0123456789"), []byte("block-key-B-0123456789ab")}
)

// t0 is the fixed start of every test's clock.
var t0 = time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC)

// logBuffer collects log output; safe for concurrent use.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// fixture is one middleware with its recorder, clock and log.
type fixture struct {
	m     *middleware.Middleware
	rec   *tracker.Memory
	clock *sessiontest.Clock
	log   *logBuffer
}

// newFixture returns a middleware for store "shop-dk" with keysA, a fixed
// clock, a memory recorder and a debug-level logger; edit adjusts the config.
func newFixture(t *testing.T, edit ...func(*middleware.Config)) *fixture {
	t.Helper()
	f := &fixture{rec: tracker.NewMemory(), clock: sessiontest.NewClock(t0), log: &logBuffer{}}
	cfg := middleware.Config{
		Keys:     keysA,
		Store:    "shop-dk",
		Recorder: f.rec,
		Now:      f.clock.Now,
		Logger:   slog.New(slog.NewTextHandler(f.log, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	for _, e := range edit {
		e(&cfg)
	}
	m, err := middleware.New(cfg)
	require.NoError(t, err)
	f.m = m
	return f
}

// visit is what echo saw of a request's tracker.
type visit struct {
	ID    string
	State consent.State
}

// echo is a handler that writes the tracker's visitor ID and consent state,
// in the form parseVisit reads.
var echo = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	t := tracker.From(r.Context())
	fmt.Fprintf(w, "%s|%s", t.Visitor(), t.Consent())
})

func parseVisit(t *testing.T, body string) visit {
	t.Helper()
	id, state, ok := strings.Cut(body, "|")
	require.True(t, ok, "body %q", body)
	s, err := consent.ParseState(state)
	require.NoError(t, err)
	return visit{ID: id, State: s}
}

// inState returns a request whose visitor chose state and carries the
// visitor cookie name=value.
func inState(state consent.State, name, value string) *http.Request {
	return newRequest("http://shop.example/",
		&http.Cookie{Name: "vt_consent", Value: state.String()},
		&http.Cookie{Name: name, Value: value})
}

// newRequest returns a GET request from a browser carrying cookies.
func newRequest(target string, cookies ...*http.Cookie) *http.Request {
	r := httptest.NewRequest(http.MethodGet, target, nil)
	r.Header.Set("User-Agent", browserUA)
	for _, c := range cookies {
		r.AddCookie(c)
	}
	return r
}

// fetch sends a browser's GET request for target with client, within ctx.
func fetch(t *testing.T, ctx context.Context, client *http.Client, target string) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	require.NoError(t, err)
	req.Header.Set("User-Agent", browserUA)
	resp, err := client.Do(req)
	require.NoError(t, err)
	return resp
}

// serve runs r through h and returns the response.
func serve(h http.Handler, r *http.Request) *http.Response {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec.Result()
}

// body reads and closes resp's body.
func body(t *testing.T, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	return string(b)
}

// setCookie returns the last cookie called name that resp sets, or nil.
func setCookie(resp *http.Response, name string) *http.Cookie {
	var found *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == name {
			found = c
		}
	}
	return found
}

// cookieNames returns the names of the cookies resp sets.
func cookieNames(resp *http.Response) []string {
	var names []string
	for _, c := range resp.Cookies() {
		names = append(names, c.Name)
	}
	return names
}

// visitorCookies are the two cookies that keep a visitor ID, each with the
// consent state it serves.
var visitorCookies = []struct {
	name  string
	state consent.State
}{{"vt_s", consent.Cookieless}, {"vt_id", consent.Persistent}}

// deleted reports whether c deletes its cookie.
func deleted(c *http.Cookie) bool { return c != nil && c.MaxAge < 0 }

// browser keeps cookies between requests the way a browser does, by name.
type browser struct {
	cookies map[string]*http.Cookie
}

func newBrowser() *browser { return &browser{cookies: map[string]*http.Cookie{}} }

// update applies resp's Set-Cookie headers.
func (b *browser) update(resp *http.Response) {
	for _, c := range resp.Cookies() {
		if c.MaxAge < 0 {
			delete(b.cookies, c.Name)
			continue
		}
		b.cookies[c.Name] = &http.Cookie{Name: c.Name, Value: c.Value}
	}
}

// request returns a browser's GET request carrying its cookies.
func (b *browser) request(target string) *http.Request {
	r := newRequest(target)
	for _, c := range b.cookies {
		r.AddCookie(c)
	}
	return r
}

// has reports whether b holds the cookie called name.
func (b *browser) has(name string) bool { _, ok := b.cookies[name]; return ok }

// do sends b's request through h, applies the response's cookies and returns
// the response and what echo-like handlers wrote.
func (b *browser) do(t *testing.T, h http.Handler, target string) (*http.Response, visit) {
	t.Helper()
	resp := serve(h, b.request(target))
	b.update(resp)
	return resp, parseVisit(t, body(t, resp))
}

// consentTo returns a handler that records choice s with SetConsent and then
// echoes the tracker.
func consentTo(t *testing.T, s consent.State) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := middleware.SetConsent(w, r, s); err != nil {
			t.Errorf("SetConsent(%v): %v", s, err)
		}
		echo(w, r)
	})
}

// headerOnly is a ResponseWriter that only has headers.
type headerOnly struct{ h http.Header }

func (w *headerOnly) Header() http.Header         { return w.h }
func (w *headerOnly) Write(b []byte) (int, error) { return len(b), nil }
func (w *headerOnly) WriteHeader(int)             {}

// start serves h behind f's middleware on a new test server, closed when the
// test ends.
func (f *fixture) start(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(f.m.Handler(h))
	t.Cleanup(srv.Close)
	return srv
}
