package session_test

import (
	"encoding/base64"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/securecookie"
	"github.com/rs/xid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/visitrack/visitrack/session"
	"github.com/visitrack/visitrack/session/sessiontest"
)

func b64(b []byte) string { return base64.URLEncoding.EncodeToString(b) }

func decodeB64(t *testing.T, s string) string {
	t.Helper()
	b, err := base64.URLEncoding.DecodeString(s)
	require.NoError(t, err)
	return string(b)
}

// gorillaCodec is gorilla/securecookie configured as visitrack's codec:
// NopEncoder, so the value is the raw payload.
func gorillaCodec(hashKey, blockKey []byte, maxAge time.Duration) *securecookie.SecureCookie {
	s := securecookie.New(hashKey, blockKey)
	s.SetSerializer(securecookie.NopEncoder{})
	s.MaxAge(int(maxAge / time.Second))
	return s
}

// The name bound into the signature of each keeper.
func persistentSigned(store string) string {
	return session.DefaultPersistentName + "|persistent|" + store
}
func compactSigned(store string) string { return session.DefaultSessionName + "|cookieless|" + store }

var interopKeys = []struct {
	name           string
	hashKey, block []byte
}{
	{"signed", hashA, nil},
	{"encrypted AES-256", hashA, blockA},
	{"encrypted AES-128, 64-byte hash key", hashB, blockB},
}

func TestInteropPersistentToSecurecookie(t *testing.T) {
	t.Parallel()
	for _, k := range interopKeys {
		p := newPersistent(t, session.PersistentConfig{Keys: [][]byte{k.hashKey, k.block}, Store: "shop-dk"})
		id := session.NewID()
		v := keep(t, p, id)

		var payload []byte
		sc := gorillaCodec(k.hashKey, k.block, session.DefaultPersistentMaxAge)
		require.NoError(t, sc.Decode(persistentSigned("shop-dk"), v, &payload), k.name)
		x, err := xid.FromBytes(payload)
		require.NoError(t, err, k.name)
		assert.Equal(t, id, x.String(), k.name)

		assert.Error(t, sc.Decode(persistentSigned("shop-se"), v, &payload), "%s: store bound", k.name)
		other := gorillaCodec(key('z', 32), k.block, 0)
		assert.Error(t, other.Decode(persistentSigned("shop-dk"), v, &payload), "%s: wrong key", k.name)
	}
}

func TestInteropSecurecookieToPersistent(t *testing.T) {
	t.Parallel()
	for _, k := range interopKeys {
		p := newPersistent(t, session.PersistentConfig{Keys: [][]byte{k.hashKey, k.block}, Store: "shop-dk"})
		sc := gorillaCodec(k.hashKey, k.block, session.DefaultPersistentMaxAge)
		x := xid.New()
		v, err := sc.Encode(persistentSigned("shop-dk"), x.Bytes())
		require.NoError(t, err, k.name)
		got, err := load(p, v)
		require.NoError(t, err, k.name)
		assert.Equal(t, x.String(), got, k.name)

		// securecookie's cookie for another store, or with a payload that is
		// not an xid, is refused.
		v, err = sc.Encode(persistentSigned("shop-se"), x.Bytes())
		require.NoError(t, err)
		_, err = load(p, v)
		assert.ErrorIs(t, err, session.ErrInvalid, k.name)
		for _, payload := range [][]byte{nil, []byte("short"), append(x.Bytes(), 0)} {
			v, err = sc.Encode(persistentSigned("shop-dk"), payload)
			require.NoError(t, err)
			_, err = load(p, v)
			assert.ErrorIs(t, err, session.ErrInvalid, "%s: payload %q", k.name, payload)
		}
	}
}

func TestInteropSecurecookieRotation(t *testing.T) {
	t.Parallel()
	// securecookie.CodecsFromPairs is how gorilla users rotate keys; a cookie
	// from its old pair decodes in a Persistent configured the same way.
	old := gorillaCodec(hashA, blockA, 0)
	x := xid.New()
	v, err := old.Encode(persistentSigned(""), x.Bytes())
	require.NoError(t, err)
	p := newPersistent(t, session.PersistentConfig{Keys: [][]byte{hashB, blockB, hashA, blockA}})
	got, err := load(p, v)
	require.NoError(t, err)
	assert.Equal(t, x.String(), got)

	// And the other way: what the rotated Persistent writes, securecookie
	// with the new pair first reads.
	var payload []byte
	codecs := securecookie.CodecsFromPairs(hashB, blockB, hashA, blockA)
	for _, c := range codecs {
		c.(*securecookie.SecureCookie).SetSerializer(securecookie.NopEncoder{})
	}
	require.NoError(t, securecookie.DecodeMulti(persistentSigned(""), keep(t, p, x.String()), &payload, codecs...))
	assert.Equal(t, x.Bytes(), payload)
}

func TestInteropExpiry(t *testing.T) {
	t.Parallel()
	// A cookie we issued long ago is expired for securecookie too.
	clk := sessiontest.NewClock(time.Now().Add(-40 * 24 * time.Hour))
	p := newPersistent(t, session.PersistentConfig{Keys: [][]byte{hashA, blockA}, Now: clk.Now})
	v := keep(t, p, session.NewID())
	var payload []byte
	err := gorillaCodec(hashA, blockA, 30*24*time.Hour).Decode(persistentSigned(""), v, &payload)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "expired")
	require.NoError(t, gorillaCodec(hashA, blockA, 50*24*time.Hour).Decode(persistentSigned(""), v, &payload))

	// A cookie securecookie issues now is expired for us once our clock has
	// moved past the lifetime.
	v, err = gorillaCodec(hashA, blockA, 0).Encode(persistentSigned(""), xid.New().Bytes())
	require.NoError(t, err)
	clk.Set(time.Now().Add(10 * time.Minute))
	p = newPersistent(t, session.PersistentConfig{Keys: [][]byte{hashA, blockA}, Now: clk.Now, MaxAge: 5 * time.Minute})
	_, err = load(p, v)
	assert.ErrorIs(t, err, session.ErrExpired)
}

func TestInteropCompactStore(t *testing.T) {
	t.Parallel()
	for _, k := range interopKeys {
		s := newCompact(t, session.CompactConfig{Keys: [][]byte{k.hashKey, k.block}, Store: "shop-dk"})
		sc := gorillaCodec(k.hashKey, k.block, 0)

		// Ours to securecookie: the payload begins with the ID's 12 bytes.
		id := session.NewID()
		w := httptest.NewRecorder()
		require.NoError(t, s.Keep(w, get(), session.Visit{ID: id}))
		var payload []byte
		require.NoError(t, sc.Decode(compactSigned("shop-dk"), cookie(t, w).Value, &payload), k.name)
		require.Greater(t, len(payload), 12, k.name)
		x, err := xid.FromBytes(payload[:12])
		require.NoError(t, err)
		assert.Equal(t, id, x.String(), k.name)
		assert.Error(t, sc.Decode(compactSigned("shop-se"), cookie(t, w).Value, &payload), k.name)

		// securecookie to ours: the same payload, signed by securecookie now.
		v, err := sc.Encode(compactSigned("shop-dk"), payload)
		require.NoError(t, err)
		visit, err := s.Load(carrying(session.DefaultSessionName, v))
		require.NoError(t, err, k.name)
		assert.Equal(t, id, visit.ID, k.name)
	}
}

func TestInteropSecurecookieCookieLimits(t *testing.T) {
	t.Parallel()
	// securecookie accepts cookies up to 4096 bytes; visitrack reads at most
	// 1024, far more than its own ~120-byte cookies need. A genuine
	// securecookie cookie with a large payload is refused, never a panic.
	sc := gorillaCodec(hashA, nil, 0)
	v, err := sc.Encode(persistentSigned(""), []byte(strings.Repeat("x", 2000)))
	require.NoError(t, err)
	var payload []byte
	require.NoError(t, sc.Decode(persistentSigned(""), v, &payload))
	p := newPersistent(t, session.PersistentConfig{Keys: [][]byte{hashA}})
	_, err = load(p, v)
	assert.ErrorIs(t, err, session.ErrInvalid)
}
