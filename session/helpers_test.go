package session_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/visitrack/visitrack/session"
	"github.com/visitrack/visitrack/session/sessiontest"
)

// key returns a deterministic key of n bytes, distinct per seed.
func key(seed byte, n int) []byte { return bytes.Repeat([]byte{seed}, n) }

var (
	hashA  = key('a', 32)
	blockA = key('A', 32)
	hashB  = key('b', 64)
	blockB = key('B', 16)
)

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

// defaultKeys are the keys newPersistent and newCompact give a config that
// has none.
var defaultKeys = [][]byte{hashA, blockA}

func newPersistent(t *testing.T, cfg session.PersistentConfig) *session.Persistent {
	t.Helper()
	if cfg.Keys == nil {
		cfg.Keys = defaultKeys
	}
	return build(t, session.NewPersistent, cfg)
}

func newCompact(t *testing.T, cfg session.CompactConfig) *session.CompactStore {
	t.Helper()
	if cfg.Keys == nil {
		cfg.Keys = defaultKeys
	}
	return build(t, session.NewCompactStore, cfg)
}

// newCompactAt returns newCompact(t, cfg) on a new clock, returned too, set
// to start.
func newCompactAt(t *testing.T, cfg session.CompactConfig) (*session.CompactStore, *sessiontest.Clock) {
	t.Helper()
	clk := sessiontest.NewClock(start)
	cfg.Now = clk.Now
	return newCompact(t, cfg), clk
}

// newDerivedAt returns the Derived keeper cfg makes, on a new clock, returned
// too, set to now.
func newDerivedAt(now time.Time, cfg session.DerivedConfig) (*session.Derived, *sessiontest.Clock) {
	clk := sessiontest.NewClock(now)
	cfg.Now = clk.Now
	return session.NewDerived(cfg), clk
}

// build returns what newKeeper makes of cfg, failing t on an error.
func build[C, K any](t *testing.T, newKeeper func(C) (K, error), cfg C) K {
	t.Helper()
	k, err := newKeeper(cfg)
	require.NoError(t, err)
	return k
}

// keeper is what the cookie tests use of the two cookie keepers: Persistent
// keeps a bare ID (T is string), CompactStore a Visit.
type keeper[T any] interface {
	Name(*http.Request) string
	Keep(http.ResponseWriter, *http.Request, T) error
	Load(*http.Request) (T, error)
	Drop(http.ResponseWriter, *http.Request) error
	Present(*http.Request) bool
}

// keep has k keep v in answer to a plain-HTTP request and returns the
// cookie's value.
func keep[T any](t *testing.T, k keeper[T], v T) string {
	t.Helper()
	w := httptest.NewRecorder()
	require.NoError(t, k.Keep(w, get(), v))
	return cookie(t, w).Value
}

// load has k load what a plain-HTTP request carrying value in k's cookie
// holds.
func load[T any](k keeper[T], value string) (T, error) {
	return k.Load(carrying(k.Name(get()), value))
}
