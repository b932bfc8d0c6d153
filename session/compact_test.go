package session_test

import (
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/visitrack/visitrack/session"
)

func newCompact(t *testing.T, cfg session.CompactConfig) *session.CompactStore {
	t.Helper()
	if cfg.Keys == nil {
		cfg.Keys = [][]byte{hashA, blockA}
	}
	s, err := session.NewCompactStore(cfg)
	require.NoError(t, err)
	return s
}

// keepVisit has s keep v and returns the cookie's value.
func keepVisit(t *testing.T, s *session.CompactStore, v session.Visit) string {
	t.Helper()
	w := httptest.NewRecorder()
	require.NoError(t, s.Keep(w, get(), v))
	return cookie(t, w).Value
}

func loadVisit(s *session.CompactStore, value string) (session.Visit, error) {
	return s.Load(carrying(session.DefaultSessionName, value))
}

func TestCompactRoundTrip(t *testing.T) {
	t.Parallel()
	clk := newClock(start)
	for _, keys := range [][][]byte{{hashA}, {hashA, blockA}, {hashB, blockB}} {
		s := newCompact(t, session.CompactConfig{Keys: keys, Store: "shop", Now: clk.Now})
		id := session.NewID()
		v := keepVisit(t, s, session.Visit{ID: id})
		got, err := loadVisit(s, v)
		require.NoError(t, err)
		assert.Equal(t, id, got.ID)
		assert.True(t, got.Created.Equal(start), "a zero Created means the session begins now: %v", got.Created)
		assert.False(t, got.Refresh)

		created := start.Add(-time.Hour)
		got, err = loadVisit(s, keepVisit(t, s, session.Visit{ID: id, Created: created}))
		require.NoError(t, err)
		assert.True(t, got.Created.Equal(created), "%v", got.Created)
	}
}

func TestCompactNoCookie(t *testing.T) {
	t.Parallel()
	s := newCompact(t, session.CompactConfig{})
	_, err := s.Load(get())
	assert.ErrorIs(t, err, session.ErrNoCookie)
	assert.False(t, s.Present(get()))
	assert.True(t, s.Present(carrying(session.DefaultSessionName, "x")))
}

func TestCompactKeepRejectsBadID(t *testing.T) {
	t.Parallel()
	s := newCompact(t, session.CompactConfig{})
	for _, id := range []string{"", "nope", session.NewID()[:19]} {
		w := httptest.NewRecorder()
		assert.ErrorIs(t, s.Keep(w, get(), session.Visit{ID: id}), session.ErrInvalid, "%q", id)
		assert.Empty(t, w.Header().Values("Set-Cookie"))
	}
}

func TestCompactIdleTimeout(t *testing.T) {
	t.Parallel()
	clk := newClock(start)
	s := newCompact(t, session.CompactConfig{Now: clk.Now})
	id := session.NewID()
	v := keepVisit(t, s, session.Visit{ID: id})

	clk.Add(29 * time.Minute)
	got, err := loadVisit(s, v)
	require.NoError(t, err, "within the default 30 minutes")
	assert.Equal(t, id, got.ID)

	clk.Add(2 * time.Minute)
	_, err = loadVisit(s, v)
	assert.ErrorIs(t, err, session.ErrExpired, "idle for 31 minutes")

	// A configured idle timeout.
	clk.Set(start)
	short := newCompact(t, session.CompactConfig{Now: clk.Now, Timeouts: session.Timeouts{Idle: 5 * time.Minute}})
	v = keepVisit(t, short, session.Visit{ID: id})
	clk.Add(4 * time.Minute)
	_, err = loadVisit(short, v)
	require.NoError(t, err)
	clk.Add(2 * time.Minute)
	_, err = loadVisit(short, v)
	assert.ErrorIs(t, err, session.ErrExpired)
}

func TestCompactRefresh(t *testing.T) {
	t.Parallel()
	for _, idle := range []time.Duration{0, 15 * time.Minute, 2 * time.Hour} {
		clk := newClock(start)
		s := newCompact(t, session.CompactConfig{Now: clk.Now, Timeouts: session.Timeouts{Idle: idle}})
		if idle == 0 {
			idle = session.DefaultIdleTimeout
		}
		v := keepVisit(t, s, session.Visit{ID: session.NewID()})
		got, err := loadVisit(s, v)
		require.NoError(t, err)
		assert.False(t, got.Refresh, "idle %v: just saved", idle)

		clk.Add(idle/30 - time.Second)
		got, err = loadVisit(s, v)
		require.NoError(t, err)
		assert.False(t, got.Refresh, "idle %v: before a thirtieth of the idle timeout", idle)

		clk.Add(2 * time.Second)
		got, err = loadVisit(s, v)
		require.NoError(t, err)
		assert.True(t, got.Refresh, "idle %v: after a thirtieth of the idle timeout", idle)

		// Keeping the refreshed visit starts the idle timeout again.
		v = keepVisit(t, s, got)
		got, err = loadVisit(s, v)
		require.NoError(t, err)
		assert.False(t, got.Refresh)
	}
}

func TestCompactAbsoluteCap(t *testing.T) {
	t.Parallel()
	clk := newClock(start)
	s := newCompact(t, session.CompactConfig{Now: clk.Now})
	id := session.NewID()
	v := keepVisit(t, s, session.Visit{ID: id})

	// A visitor active every 20 minutes, refreshing each time, keeps the
	// session until 24 hours after it began, and no longer.
	for elapsed := 20 * time.Minute; elapsed <= 24*time.Hour; elapsed += 20 * time.Minute {
		clk.Add(20 * time.Minute)
		got, err := loadVisit(s, v)
		require.NoError(t, err, "after %v", elapsed)
		require.Equal(t, id, got.ID)
		require.True(t, got.Refresh)
		v = keepVisit(t, s, got)
	}
	clk.Add(20 * time.Minute)
	_, err := loadVisit(s, v)
	assert.ErrorIs(t, err, session.ErrExpired, "past the 24-hour cap")

	// A configured cap.
	clk.Set(start)
	capped := newCompact(t, session.CompactConfig{Now: clk.Now, Timeouts: session.Timeouts{Max: time.Hour}})
	v = keepVisit(t, capped, session.Visit{ID: id})
	for range 3 {
		clk.Add(20 * time.Minute)
		got, err := loadVisit(capped, v)
		require.NoError(t, err)
		v = keepVisit(t, capped, got)
	}
	clk.Add(time.Minute)
	_, err = loadVisit(capped, v)
	assert.ErrorIs(t, err, session.ErrExpired)

	// A visit kept with a Created already past the cap is expired.
	clk.Set(start)
	v = keepVisit(t, s, session.Visit{ID: id, Created: start.Add(-25 * time.Hour)})
	_, err = loadVisit(s, v)
	assert.ErrorIs(t, err, session.ErrExpired)
}

func TestCompactFromTheFuture(t *testing.T) {
	t.Parallel()
	clk := newClock(start)
	s := newCompact(t, session.CompactConfig{Now: clk.Now})
	id := session.NewID()

	// Saved in the future: another instance's clock is an hour ahead.
	clk.Add(time.Hour)
	v := keepVisit(t, s, session.Visit{ID: id})
	clk.Set(start)
	_, err := loadVisit(s, v)
	assert.ErrorIs(t, err, session.ErrInvalid)

	// Created in the future.
	v = keepVisit(t, s, session.Visit{ID: id, Created: start.Add(time.Hour)})
	_, err = loadVisit(s, v)
	assert.ErrorIs(t, err, session.ErrInvalid)

	// A few seconds of skew between instances is tolerated.
	clk.Add(30 * time.Second)
	v = keepVisit(t, s, session.Visit{ID: id})
	clk.Set(start)
	got, err := loadVisit(s, v)
	require.NoError(t, err)
	assert.Equal(t, id, got.ID)
}

func TestCompactStoreBinding(t *testing.T) {
	t.Parallel()
	a := newCompact(t, session.CompactConfig{Store: "a"})
	b := newCompact(t, session.CompactConfig{Store: "b"})
	v := keepVisit(t, a, session.Visit{ID: session.NewID()})
	_, err := loadVisit(b, v)
	assert.ErrorIs(t, err, session.ErrInvalid)
	_, err = loadVisit(a, v)
	assert.NoError(t, err)

	// A persistent cookie is not a session cookie, even under the same name
	// and keys.
	p := newPersistent(t, session.PersistentConfig{Name: session.DefaultSessionName, Store: "a"})
	w := httptest.NewRecorder()
	require.NoError(t, p.Keep(w, get(), session.NewID()))
	_, err = loadVisit(a, cookie(t, w).Value)
	assert.ErrorIs(t, err, session.ErrInvalid)
}

func TestCompactKeyRotation(t *testing.T) {
	t.Parallel()
	old := newCompact(t, session.CompactConfig{Keys: [][]byte{hashA, blockA}})
	rotated := newCompact(t, session.CompactConfig{Keys: [][]byte{hashB, blockB, hashA, blockA}})
	onlyNew := newCompact(t, session.CompactConfig{Keys: [][]byte{hashB, blockB}})
	id := session.NewID()
	v := keepVisit(t, old, session.Visit{ID: id})
	got, err := loadVisit(rotated, v)
	require.NoError(t, err)
	assert.Equal(t, id, got.ID)
	_, err = loadVisit(onlyNew, v)
	assert.ErrorIs(t, err, session.ErrInvalid)
	_, err = loadVisit(onlyNew, keepVisit(t, rotated, got))
	assert.NoError(t, err, "kept again, the visit is signed with the new pair")
}

func TestCompactCookieAttributes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		policy session.SecurePolicy
		r      *http.Request
		secure bool
	}{
		{"auto, plain HTTP", session.SecureAuto, get(), false},
		{"auto, TLS", session.SecureAuto, getTLS(), true},
		{"always", session.SecureAlways, get(), true},
		{"never", session.SecureNever, getTLS(), false},
	}
	for _, tt := range tests {
		s := newCompact(t, session.CompactConfig{Secure: tt.policy})
		w := httptest.NewRecorder()
		require.NoError(t, s.Keep(w, tt.r, session.Visit{ID: session.NewID()}))
		raw := w.Header().Get("Set-Cookie")
		c := cookie(t, w)
		want := session.DefaultSessionName
		if tt.secure {
			want = "__Host-" + want
		}
		assert.Equal(t, want, c.Name, tt.name)
		assert.Equal(t, want, s.Name(tt.r), tt.name)
		assert.Equal(t, tt.secure, c.Secure, tt.name)
		assert.True(t, c.HttpOnly, tt.name)
		assert.Equal(t, http.SameSiteLaxMode, c.SameSite, tt.name)
		assert.Equal(t, "/", c.Path, tt.name)
		assert.Empty(t, c.Domain, tt.name)
		assert.Zero(t, c.MaxAge, tt.name)
		assert.True(t, c.Expires.IsZero(), tt.name)
		assert.NotContains(t, raw, "Max-Age", "%s: a browser-session cookie", tt.name)
		assert.NotContains(t, raw, "Expires", tt.name)
		assert.Less(t, len(c.Value), 160, tt.name)

		// The cookie comes back and is read under the same name.
		got, err := s.Load(withCookies(t, tt.r, w))
		require.NoError(t, err, tt.name)
		assert.True(t, session.ValidID(got.ID))

		w = httptest.NewRecorder()
		require.NoError(t, s.Drop(w, tt.r))
		d := cookie(t, w)
		assert.Equal(t, want, d.Name, tt.name)
		assert.Negative(t, d.MaxAge, tt.name)
		assert.Equal(t, "/", d.Path, tt.name)
		assert.Equal(t, tt.secure, d.Secure, tt.name)
	}
}

func TestCompactGarbage(t *testing.T) {
	t.Parallel()
	s := newCompact(t, session.CompactConfig{Keys: [][]byte{hashA}})
	sc := gorillaCodec(hashA, nil, 0)
	for _, payload := range []string{"", "short", "123456789012", "123456789012\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", "123456789012\x01\x00"} {
		v, err := sc.Encode(compactSigned(""), []byte(payload))
		require.NoError(t, err)
		_, err = loadVisit(s, v)
		assert.ErrorIs(t, err, session.ErrInvalid, "payload %q", payload)
	}
	_, err := loadVisit(s, base64.URLEncoding.EncodeToString([]byte("1|2|3")))
	assert.ErrorIs(t, err, session.ErrInvalid)
}
