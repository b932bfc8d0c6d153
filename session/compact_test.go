package session_test

import (
	"encoding/base64"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/visitrack/visitrack/session"
)

func TestCompactRoundTrip(t *testing.T) {
	t.Parallel()
	for _, keys := range [][][]byte{{hashA}, {hashA, blockA}, {hashB, blockB}} {
		s, _ := newCompactAt(t, session.CompactConfig{Keys: keys, Store: "shop"})
		id := session.NewID()
		v := keep(t, s, session.Visit{ID: id})
		got, err := load(s, v)
		require.NoError(t, err)
		assert.Equal(t, id, got.ID)
		assert.True(t, got.Created.Equal(start), "a zero Created means the session begins now: %v", got.Created)
		assert.False(t, got.Refresh)

		created := start.Add(-time.Hour)
		got, err = load(s, keep(t, s, session.Visit{ID: id, Created: created}))
		require.NoError(t, err)
		assert.True(t, got.Created.Equal(created), "%v", got.Created)
	}
}

func TestCompactIdleTimeout(t *testing.T) {
	t.Parallel()
	s, clk := newCompactAt(t, session.CompactConfig{})
	id := session.NewID()
	v := keep(t, s, session.Visit{ID: id})

	clk.Add(29 * time.Minute)
	got, err := load(s, v)
	require.NoError(t, err, "within the default 30 minutes")
	assert.Equal(t, id, got.ID)

	clk.Add(2 * time.Minute)
	_, err = load(s, v)
	assert.ErrorIs(t, err, session.ErrExpired, "idle for 31 minutes")

	// A configured idle timeout.
	short, clk := newCompactAt(t, session.CompactConfig{Timeouts: session.Timeouts{Idle: 5 * time.Minute}})
	v = keep(t, short, session.Visit{ID: id})
	clk.Add(4 * time.Minute)
	_, err = load(short, v)
	require.NoError(t, err)
	clk.Add(2 * time.Minute)
	_, err = load(short, v)
	assert.ErrorIs(t, err, session.ErrExpired)
}

func TestCompactRefresh(t *testing.T) {
	t.Parallel()
	for _, idle := range []time.Duration{0, 15 * time.Minute, 2 * time.Hour} {
		s, clk := newCompactAt(t, session.CompactConfig{Timeouts: session.Timeouts{Idle: idle}})
		if idle == 0 {
			idle = session.DefaultIdleTimeout
		}
		v := keep(t, s, session.Visit{ID: session.NewID()})
		got, err := load(s, v)
		require.NoError(t, err)
		assert.False(t, got.Refresh, "idle %v: just saved", idle)

		clk.Add(idle/30 - time.Second)
		got, err = load(s, v)
		require.NoError(t, err)
		assert.False(t, got.Refresh, "idle %v: before a thirtieth of the idle timeout", idle)

		clk.Add(2 * time.Second)
		got, err = load(s, v)
		require.NoError(t, err)
		assert.True(t, got.Refresh, "idle %v: after a thirtieth of the idle timeout", idle)

		// Keeping the refreshed visit starts the idle timeout again.
		v = keep(t, s, got)
		got, err = load(s, v)
		require.NoError(t, err)
		assert.False(t, got.Refresh)
	}
}

func TestCompactAbsoluteCap(t *testing.T) {
	t.Parallel()
	s, clk := newCompactAt(t, session.CompactConfig{})
	id := session.NewID()
	v := keep(t, s, session.Visit{ID: id})

	// A visitor active every 20 minutes, refreshing each time, keeps the
	// session until 24 hours after it began, and no longer.
	for elapsed := 20 * time.Minute; elapsed <= 24*time.Hour; elapsed += 20 * time.Minute {
		clk.Add(20 * time.Minute)
		got, err := load(s, v)
		require.NoError(t, err, "after %v", elapsed)
		require.Equal(t, id, got.ID)
		require.True(t, got.Refresh)
		v = keep(t, s, got)
	}
	clk.Add(20 * time.Minute)
	_, err := load(s, v)
	assert.ErrorIs(t, err, session.ErrExpired, "past the 24-hour cap")

	// A visit kept with a Created already past the cap is expired.
	clk.Set(start)
	v = keep(t, s, session.Visit{ID: id, Created: start.Add(-25 * time.Hour)})
	_, err = load(s, v)
	assert.ErrorIs(t, err, session.ErrExpired)

	// A configured cap.
	capped, clk := newCompactAt(t, session.CompactConfig{Timeouts: session.Timeouts{Max: time.Hour}})
	v = keep(t, capped, session.Visit{ID: id})
	for range 3 {
		clk.Add(20 * time.Minute)
		got, err := load(capped, v)
		require.NoError(t, err)
		v = keep(t, capped, got)
	}
	clk.Add(time.Minute)
	_, err = load(capped, v)
	assert.ErrorIs(t, err, session.ErrExpired)
}

func TestCompactFromTheFuture(t *testing.T) {
	t.Parallel()
	s, clk := newCompactAt(t, session.CompactConfig{})
	id := session.NewID()

	// Saved in the future: another instance's clock is an hour ahead.
	clk.Add(time.Hour)
	v := keep(t, s, session.Visit{ID: id})
	clk.Set(start)
	_, err := load(s, v)
	assert.ErrorIs(t, err, session.ErrInvalid)

	// Created in the future.
	v = keep(t, s, session.Visit{ID: id, Created: start.Add(time.Hour)})
	_, err = load(s, v)
	assert.ErrorIs(t, err, session.ErrInvalid)

	// A few seconds of skew between instances is tolerated.
	clk.Add(30 * time.Second)
	v = keep(t, s, session.Visit{ID: id})
	clk.Set(start)
	got, err := load(s, v)
	require.NoError(t, err)
	assert.Equal(t, id, got.ID)
}

func TestCompactStoreBinding(t *testing.T) {
	t.Parallel()
	a := newCompact(t, session.CompactConfig{Store: "a"})
	b := newCompact(t, session.CompactConfig{Store: "b"})
	v := keep(t, a, session.Visit{ID: session.NewID()})
	_, err := load(b, v)
	assert.ErrorIs(t, err, session.ErrInvalid)
	_, err = load(a, v)
	assert.NoError(t, err)

	// A persistent cookie is not a session cookie, even under the same name
	// and keys.
	p := newPersistent(t, session.PersistentConfig{Name: session.DefaultSessionName, Store: "a"})
	w := httptest.NewRecorder()
	require.NoError(t, p.Keep(w, get(), session.NewID()))
	_, err = load(a, cookie(t, w).Value)
	assert.ErrorIs(t, err, session.ErrInvalid)
}

func TestCompactKeyRotation(t *testing.T) {
	t.Parallel()
	old := newCompact(t, session.CompactConfig{Keys: [][]byte{hashA, blockA}})
	rotated := newCompact(t, session.CompactConfig{Keys: [][]byte{hashB, blockB, hashA, blockA}})
	onlyNew := newCompact(t, session.CompactConfig{Keys: [][]byte{hashB, blockB}})
	id := session.NewID()
	v := keep(t, old, session.Visit{ID: id})
	got, err := load(rotated, v)
	require.NoError(t, err)
	assert.Equal(t, id, got.ID)
	_, err = load(onlyNew, v)
	assert.ErrorIs(t, err, session.ErrInvalid)
	_, err = load(onlyNew, keep(t, rotated, got))
	assert.NoError(t, err, "kept again, the visit is signed with the new pair")
}

func TestCompactGarbage(t *testing.T) {
	t.Parallel()
	s := newCompact(t, session.CompactConfig{Keys: [][]byte{hashA}})
	sc := gorillaCodec(hashA, nil, 0)
	for _, payload := range []string{"", "short", "123456789012", "123456789012\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", "123456789012\x01\x00"} {
		v, err := sc.Encode(compactSigned(""), []byte(payload))
		require.NoError(t, err)
		_, err = load(s, v)
		assert.ErrorIs(t, err, session.ErrInvalid, "payload %q", payload)
	}
	_, err := load(s, base64.URLEncoding.EncodeToString([]byte("1|2|3")))
	assert.ErrorIs(t, err, session.ErrInvalid)
}
