package session_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/visitrack/visitrack/session"
	"github.com/visitrack/visitrack/session/sessiontest"
)

func TestNoCookie(t *testing.T) {
	t.Parallel()
	checkNoCookie(t, newPersistent(t, session.PersistentConfig{}), session.NewID())
	checkNoCookie(t, newCompact(t, session.CompactConfig{}), session.Visit{ID: session.NewID()})
}

// checkNoCookie checks that k finds nothing to load in a request without its
// cookie, even with one whose name starts alike (v kept under that name), and
// that Present reports a cookie that is there, valid or not.
func checkNoCookie[T any](t *testing.T, k keeper[T], v T) {
	t.Helper()
	_, err := k.Load(get())
	assert.ErrorIs(t, err, session.ErrNoCookie, "%T", k)
	assert.False(t, k.Present(get()), "%T", k)

	name := k.Name(get())
	_, err = k.Load(carrying(name+"x", keep(t, k, v)))
	assert.ErrorIs(t, err, session.ErrNoCookie, "%T: another cookie whose name starts alike", k)
	assert.True(t, k.Present(carrying(name, "garbage")), "%T", k)
}

func TestKeepRejectsBadID(t *testing.T) {
	t.Parallel()
	p := newPersistent(t, session.PersistentConfig{})
	c := newCompact(t, session.CompactConfig{})
	for _, id := range []string{"", "not-an-id", strings.ToUpper(session.NewID()), session.NewID()[:19], session.NewID() + "0"} {
		checkRejects(t, p, id)
		checkRejects(t, c, session.Visit{ID: id})
	}
}

// checkRejects checks that k refuses to keep v and sets no cookie.
func checkRejects[T any](t *testing.T, k keeper[T], v T) {
	t.Helper()
	w := httptest.NewRecorder()
	assert.ErrorIs(t, k.Keep(w, get(), v), session.ErrInvalid, "%T %#v", k, v)
	assert.Empty(t, w.Header().Values("Set-Cookie"), "%T %#v", k, v)
}

// TestCookieAttributes checks both cookie keepers under every SecurePolicy:
// what their cookies share through checkCookie, and here how long each
// lives.
func TestCookieAttributes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		policy session.SecurePolicy
		r      *http.Request
		secure bool
	}{
		{"auto, plain HTTP", session.SecureAuto, get(), false},
		{"auto, TLS", session.SecureAuto, getTLS(), true},
		{"always, plain HTTP", session.SecureAlways, get(), true},
		{"never, TLS", session.SecureNever, getTLS(), false},
	}
	for _, tt := range tests {
		clk := sessiontest.NewClock(start)

		what := tt.name + ", persistent"
		p := newPersistent(t, session.PersistentConfig{Secure: tt.policy, Now: clk.Now})
		c, _ := checkCookie(t, what, p, session.NewID(), tt.r, session.DefaultPersistentName, tt.secure)
		months := float64(c.MaxAge) / (30.4 * 24 * 3600)
		assert.InDelta(t, 13, months, 0.2, "%s: Max-Age %d", what, c.MaxAge)
		assert.WithinDuration(t, start.Add(session.DefaultPersistentMaxAge), c.Expires, time.Second, what)
		assert.Less(t, len(c.Value), 200, "%s: a small cookie", what)

		what = tt.name + ", compact"
		s := newCompact(t, session.CompactConfig{Secure: tt.policy, Now: clk.Now})
		c, raw := checkCookie(t, what, s, session.Visit{ID: session.NewID()}, tt.r, session.DefaultSessionName, tt.secure)
		assert.Zero(t, c.MaxAge, what)
		assert.True(t, c.Expires.IsZero(), what)
		assert.NotContains(t, raw, "Max-Age", "%s: a browser-session cookie", what)
		assert.NotContains(t, raw, "Expires", what)
		assert.Less(t, len(c.Value), 160, what)
	}
}

// checkCookie has k keep v in answer to r, checks the attributes every
// visitor cookie has, that the cookie is read back under the same name and
// that Drop deletes it. It returns the cookie Keep set and its Set-Cookie
// line.
func checkCookie[T any](t *testing.T, what string, k keeper[T], v T, r *http.Request, name string, secure bool) (*http.Cookie, string) {
	t.Helper()
	w := httptest.NewRecorder()
	require.NoError(t, k.Keep(w, r, v), what)
	raw := w.Header().Get("Set-Cookie")
	c := cookie(t, w)
	if secure {
		name = session.HostPrefix + name
	}
	assert.Equal(t, name, c.Name, what)
	assert.Equal(t, name, k.Name(r), what)
	assert.Equal(t, secure, c.Secure, what)
	assert.True(t, c.HttpOnly, what)
	assert.Equal(t, http.SameSiteLaxMode, c.SameSite, what)
	assert.Equal(t, "/", c.Path, what)
	assert.Empty(t, c.Domain, what)

	_, err := k.Load(withCookies(t, r, w))
	require.NoError(t, err, "%s: read back under the same name", what)

	w = httptest.NewRecorder()
	require.NoError(t, k.Drop(w, r), what)
	d := cookie(t, w)
	assert.Equal(t, name, d.Name, "%s: Drop deletes the same cookie", what)
	assert.Negative(t, d.MaxAge, what)
	assert.Empty(t, d.Value, what)
	assert.Equal(t, "/", d.Path, what)
	assert.Equal(t, secure, d.Secure, what)
	assert.Empty(t, d.Domain, what)
	return c, raw
}

// TestConcurrentUse runs Load and Keep of every keeper from many goroutines
// at once; run with -race.
func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	clk := sessiontest.NewClock(start)
	p := newPersistent(t, session.PersistentConfig{Keys: [][]byte{hashB, blockB, hashA, blockA}, Now: clk.Now})
	c := newCompact(t, session.CompactConfig{Keys: [][]byte{hashA, blockA}, Now: clk.Now})
	d := session.NewDerived(session.DerivedConfig{Secret: secret, Now: clk.Now, MaxTracked: 16})
	k := session.NewSessionKeeper(session.SessionKeeperConfig{Store: shopStore(), Name: "shop", Now: clk.Now})

	// One visitor's cookies, sent by many concurrent requests.
	id := session.NewID()
	pw, cw, kw := httptest.NewRecorder(), httptest.NewRecorder(), httptest.NewRecorder()
	require.NoError(t, p.Keep(pw, get(), id))
	require.NoError(t, c.Keep(cw, get(), session.Visit{ID: id}))
	require.NoError(t, k.Keep(kw, get(), session.Visit{ID: id}))
	pv, cv := cookie(t, pw).Value, cookie(t, cw).Value
	kr := withCookies(t, get(), kw)

	const workers, rounds = 16, 100
	found := make(chan []error)
	for w := range workers {
		go func() {
			var errs []error
			for i := range rounds {
				if w == 0 && i%10 == 0 {
					clk.Add(time.Second) // the clock moves while others read it
				}
				got, err := load(p, pv)
				if err != nil || got != id {
					errs = append(errs, err)
				}
				visit, err := load(c, cv)
				if err != nil || visit.ID != id {
					errs = append(errs, err)
				}
				kvisit, err := k.Load(kr.Clone(kr.Context()))
				if err != nil || kvisit.ID != id {
					errs = append(errs, err)
				}
				if _, err := d.Load(from("192.0.2.1:1", firefox)); err != nil {
					errs = append(errs, err)
				}

				fresh := session.NewID()
				rec := httptest.NewRecorder()
				if err := p.Keep(rec, get(), fresh); err != nil {
					errs = append(errs, err)
				} else if got, err := p.Load(withCookies(t, get(), rec)); err != nil || got != fresh {
					errs = append(errs, err)
				}
				rec = httptest.NewRecorder()
				if err := c.Keep(rec, get(), session.Visit{ID: fresh}); err != nil {
					errs = append(errs, err)
				} else if got, err := c.Load(withCookies(t, get(), rec)); err != nil || got.ID != fresh {
					errs = append(errs, err)
				}
				rec = httptest.NewRecorder()
				if err := k.Keep(rec, get(), session.Visit{ID: fresh}); err != nil {
					errs = append(errs, err)
				}
			}
			found <- errs
		}()
	}
	var all []error
	for range workers {
		all = append(all, <-found...)
	}
	assert.Empty(t, all)
}
