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
