package session_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rs/xid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/visitrack/visitrack/session"
)

func newPersistent(t *testing.T, cfg session.PersistentConfig) *session.Persistent {
	t.Helper()
	if cfg.Keys == nil {
		cfg.Keys = [][]byte{hashA, blockA}
	}
	p, err := session.NewPersistent(cfg)
	require.NoError(t, err)
	return p
}

// keep has p set a cookie for id and returns its value.
func keep(t *testing.T, p *session.Persistent, id string) string {
	t.Helper()
	w := httptest.NewRecorder()
	require.NoError(t, p.Keep(w, get(), id))
	return cookie(t, w).Value
}

func load(p *session.Persistent, value string) (string, error) {
	return p.Load(carrying(session.DefaultPersistentName, value))
}

func TestPersistentRoundTrip(t *testing.T) {
	t.Parallel()
	for _, keys := range [][][]byte{{hashA}, {hashA, nil}, {hashA, blockA}, {hashB, blockB}, {hashA, key('x', 24)}} {
		p := newPersistent(t, session.PersistentConfig{Keys: keys, Store: "shop"})
		id := session.NewID()
		w := httptest.NewRecorder()
		require.NoError(t, p.Keep(w, get(), id))
		got, err := p.Load(withCookies(t, get(), w))
		require.NoError(t, err, "%d keys", len(keys))
		assert.Equal(t, id, got)
	}
}

func TestPersistentEncrypts(t *testing.T) {
	t.Parallel()
	id := session.NewID()
	x, err := xid.FromString(id)
	require.NoError(t, err)

	signed := keep(t, newPersistent(t, session.PersistentConfig{Keys: [][]byte{hashA}}), id)
	assert.Contains(t, decodeB64(t, signed), b64(x[:]), "a signed-only cookie holds the ID in the clear")

	sealed := keep(t, newPersistent(t, session.PersistentConfig{Keys: [][]byte{hashA, blockA}}), id)
	assert.NotContains(t, decodeB64(t, sealed), b64(x[:]), "with a block key the ID is encrypted")
	again := keep(t, newPersistent(t, session.PersistentConfig{Keys: [][]byte{hashA, blockA}}), id)
	assert.NotEqual(t, sealed, again, "a random IV per cookie")
}

func TestPersistentNoCookie(t *testing.T) {
	t.Parallel()
	p := newPersistent(t, session.PersistentConfig{})
	_, err := p.Load(get())
	assert.ErrorIs(t, err, session.ErrNoCookie)
	assert.False(t, p.Present(get()))

	r := carrying("vt_idx", keep(t, p, session.NewID()))
	_, err = p.Load(r)
	assert.ErrorIs(t, err, session.ErrNoCookie, "another cookie whose name starts alike")
	assert.True(t, p.Present(carrying(session.DefaultPersistentName, "garbage")))
}

func TestPersistentKeepRejectsBadID(t *testing.T) {
	t.Parallel()
	p := newPersistent(t, session.PersistentConfig{})
	for _, id := range []string{"", "not-an-id", strings.ToUpper(session.NewID()), session.NewID() + "0"} {
		w := httptest.NewRecorder()
		assert.ErrorIs(t, p.Keep(w, get(), id), session.ErrInvalid, "%q", id)
		assert.Empty(t, w.Header().Values("Set-Cookie"), "%q", id)
	}
}

func TestPersistentKeyRotation(t *testing.T) {
	t.Parallel()
	for _, withBlock := range []bool{false, true} {
		oldPair, newPair := [][]byte{hashA, nil}, [][]byte{hashB, nil}
		if withBlock {
			oldPair, newPair = [][]byte{hashA, blockA}, [][]byte{hashB, blockB}
		}
		old := newPersistent(t, session.PersistentConfig{Keys: oldPair, Store: "s"})
		rotated := newPersistent(t, session.PersistentConfig{Keys: append(append([][]byte{}, newPair...), oldPair...), Store: "s"})
		onlyNew := newPersistent(t, session.PersistentConfig{Keys: newPair, Store: "s"})

		id := session.NewID()
		oldCookie := keep(t, old, id)

		got, err := load(rotated, oldCookie)
		require.NoError(t, err, "block key %v: an old cookie decodes after rotation", withBlock)
		assert.Equal(t, id, got)

		_, err = load(onlyNew, oldCookie)
		assert.ErrorIs(t, err, session.ErrInvalid, "block key %v: a key no longer configured", withBlock)

		// New cookies are signed with the first pair: the new key alone
		// reads them, the old one alone does not.
		newCookie := keep(t, rotated, id)
		got, err = load(onlyNew, newCookie)
		require.NoError(t, err)
		assert.Equal(t, id, got)
		_, err = load(old, newCookie)
		assert.ErrorIs(t, err, session.ErrInvalid)
	}
}

func TestPersistentStoreBinding(t *testing.T) {
	t.Parallel()
	a := newPersistent(t, session.PersistentConfig{Store: "a"})
	b := newPersistent(t, session.PersistentConfig{Store: "b"})
	c := newPersistent(t, session.PersistentConfig{Store: ""})
	v := keep(t, a, session.NewID())
	_, err := load(b, v)
	assert.ErrorIs(t, err, session.ErrInvalid)
	_, err = load(c, v)
	assert.ErrorIs(t, err, session.ErrInvalid)
	_, err = load(a, v)
	assert.NoError(t, err)
}

func TestPersistentNameBinding(t *testing.T) {
	t.Parallel()
	a := newPersistent(t, session.PersistentConfig{Name: "one"})
	b := newPersistent(t, session.PersistentConfig{Name: "two"})
	w := httptest.NewRecorder()
	require.NoError(t, a.Keep(w, get(), session.NewID()))
	_, err := b.Load(carrying("two", cookie(t, w).Value))
	assert.ErrorIs(t, err, session.ErrInvalid, "a value moved to another cookie name")
}

func TestPersistentMaxAge(t *testing.T) {
	t.Parallel()
	clk := newClock(start)
	p := newPersistent(t, session.PersistentConfig{Now: clk.Now, MaxAge: 48 * time.Hour})
	id := session.NewID()
	v := keep(t, p, id)

	clk.Add(47 * time.Hour)
	got, err := load(p, v)
	require.NoError(t, err)
	assert.Equal(t, id, got)

	clk.Add(2 * time.Hour)
	_, err = load(p, v)
	assert.ErrorIs(t, err, session.ErrExpired)

	// Visits do not extend the lifetime: only Keep does.
	clk.Set(start)
	def := newPersistent(t, session.PersistentConfig{Now: clk.Now})
	v = keep(t, def, id)
	clk.Add(394 * 24 * time.Hour)
	_, err = load(def, v)
	require.NoError(t, err, "the default lifetime is 13 months")
	clk.Add(2 * 24 * time.Hour)
	_, err = load(def, v)
	assert.ErrorIs(t, err, session.ErrExpired)
}

func TestPersistentCookieAttributes(t *testing.T) {
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
		clk := newClock(start)
		p := newPersistent(t, session.PersistentConfig{Secure: tt.policy, Now: clk.Now})
		w := httptest.NewRecorder()
		require.NoError(t, p.Keep(w, tt.r, session.NewID()))
		c := cookie(t, w)
		wantName := session.DefaultPersistentName
		if tt.secure {
			wantName = "__Host-" + wantName
		}
		assert.Equal(t, wantName, c.Name, tt.name)
		assert.Equal(t, wantName, p.Name(tt.r), tt.name)
		assert.Equal(t, tt.secure, c.Secure, tt.name)
		assert.True(t, c.HttpOnly, tt.name)
		assert.Equal(t, http.SameSiteLaxMode, c.SameSite, tt.name)
		assert.Equal(t, "/", c.Path, tt.name)
		assert.Empty(t, c.Domain, tt.name)
		months := float64(c.MaxAge) / (30.4 * 24 * 3600)
		assert.InDelta(t, 13, months, 0.2, "%s: Max-Age %d", tt.name, c.MaxAge)
		assert.WithinDuration(t, start.Add(session.DefaultPersistentMaxAge), c.Expires, time.Second, tt.name)
		assert.Less(t, len(c.Value), 200, "%s: a small cookie", tt.name)

		// Drop deletes the same cookie.
		w = httptest.NewRecorder()
		p.Drop(w, tt.r)
		d := cookie(t, w)
		assert.Equal(t, wantName, d.Name, tt.name)
		assert.Negative(t, d.MaxAge, tt.name)
		assert.Empty(t, d.Value, tt.name)
		assert.Equal(t, "/", d.Path, tt.name)
		assert.Equal(t, tt.secure, d.Secure, tt.name)
		assert.Empty(t, d.Domain, tt.name)
	}
}

func TestPersistentSecureReadsHostName(t *testing.T) {
	t.Parallel()
	p := newPersistent(t, session.PersistentConfig{})
	id := session.NewID()
	w := httptest.NewRecorder()
	require.NoError(t, p.Keep(w, getTLS(), id))
	r := withCookies(t, getTLS(), w)
	got, err := p.Load(r)
	require.NoError(t, err)
	assert.Equal(t, id, got)

	// On plain HTTP the __Host- cookie is not the one looked for.
	plain := get()
	plain.Header.Set("Cookie", r.Header.Get("Cookie"))
	_, err = p.Load(plain)
	assert.ErrorIs(t, err, session.ErrNoCookie)
}

func TestConfigErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		keys  [][]byte
		field string
	}{
		{"no keys", nil, "Keys"},
		{"empty list", [][]byte{}, "Keys"},
		{"empty hash key", [][]byte{{}}, "Keys"},
		{"short hash key", [][]byte{key('h', 31)}, "Keys[0]"},
		{"block key 15", [][]byte{hashA, key('k', 15)}, "Keys[1]"},
		{"block key 33", [][]byte{hashA, key('k', 33)}, "Keys[1]"},
		{"block key 64", [][]byte{hashA, key('k', 64)}, "Keys[1]"},
		{"old pair short hash key", [][]byte{hashA, blockA, key('h', 16), nil}, "Keys[2]"},
		{"old pair bad block key", [][]byte{hashA, blockA, hashB, key('k', 15)}, "Keys[3]"},
	}
	for _, tt := range tests {
		_, err := session.NewPersistent(session.PersistentConfig{Keys: tt.keys})
		require.Error(t, err, tt.name)
		assert.ErrorIs(t, err, session.ErrKeys, tt.name)
		assert.Contains(t, err.Error(), tt.field, tt.name)
		assert.False(t, errors.Is(err, session.ErrInvalid), tt.name)

		_, err = session.NewCompactStore(session.CompactConfig{Keys: tt.keys})
		require.Error(t, err, tt.name)
		assert.ErrorIs(t, err, session.ErrKeys, tt.name)
		assert.Contains(t, err.Error(), tt.field, tt.name)
	}
	for _, keys := range [][][]byte{{hashA}, {hashA, nil}, {hashB, key('k', 16)}, {hashA, key('k', 24)}, {hashA, blockA, hashB, nil}} {
		_, err := session.NewPersistent(session.PersistentConfig{Keys: keys})
		assert.NoError(t, err)
		_, err = session.NewCompactStore(session.CompactConfig{Keys: keys})
		assert.NoError(t, err)
	}
}

func TestConfigDoesNotAliasKeys(t *testing.T) {
	t.Parallel()
	hk := append([]byte(nil), hashA...)
	p := newPersistent(t, session.PersistentConfig{Keys: [][]byte{hk}})
	v := keep(t, p, session.NewID())
	hk[0] ^= 1
	_, err := load(p, v)
	assert.NoError(t, err, "changing the caller's key slice afterwards changes nothing")
}
