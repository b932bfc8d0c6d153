package session_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// key returns a deterministic key of n bytes, distinct per seed.
func key(seed byte, n int) []byte { return bytes.Repeat([]byte{seed}, n) }

var (
	hashA  = key('a', 32)
	blockA = key('A', 32)
	hashB  = key('b', 64)
	blockB = key('B', 16)
)

// clock is a Now that tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(t time.Time) *clock { return &clock{t: t} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// start is a fixed instant for tests that move time: 2026-03-14 12:00 UTC.
var start = time.Date(2026, 3, 14, 12, 0, 0, 0, time.UTC)

func get() *http.Request { return httptest.NewRequest(http.MethodGet, "http://shop.example/", nil) }

func getTLS() *http.Request { return httptest.NewRequest(http.MethodGet, "https://shop.example/", nil) }

// withCookies returns a request carrying the cookies set on w, as a browser
// would send them back.
func withCookies(t *testing.T, r *http.Request, w *httptest.ResponseRecorder) *http.Request {
	t.Helper()
	next := r.Clone(r.Context())
	next.Header.Del("Cookie")
	for _, c := range w.Result().Cookies() {
		if c.MaxAge < 0 {
			continue
		}
		next.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	return next
}

// cookie returns the only cookie set on w.
func cookie(t *testing.T, w *httptest.ResponseRecorder) *http.Cookie {
	t.Helper()
	cs := w.Result().Cookies()
	require.Len(t, cs, 1, "Set-Cookie: %q", w.Header().Values("Set-Cookie"))
	return cs[0]
}

// carrying returns a request with one cookie.
func carrying(name, value string) *http.Request {
	r := get()
	r.Header.Set("Cookie", name+"="+value)
	return r
}
