package session_test

import (
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/rs/xid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/visitrack/visitrack/session"
	"github.com/visitrack/visitrack/session/sessiontest"
)

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
	clk := sessiontest.NewClock(start)
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

func TestPersistentRefusesCookiesFromTheFuture(t *testing.T) {
	t.Parallel()
	clk := sessiontest.NewClock(start.Add(100 * 24 * time.Hour))
	p := newPersistent(t, session.PersistentConfig{Store: "s", MaxAge: time.Hour, Now: clk.Now})
	v := keep(t, p, session.NewID())

	clk.Set(start) // the cookie was issued 100 days from now
	_, err := load(p, v)
	assert.ErrorIs(t, err, session.ErrInvalid)

	clk.Set(start.Add(100*24*time.Hour - 30*time.Second)) // within clock skew
	_, err = load(p, v)
	assert.NoError(t, err)
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
