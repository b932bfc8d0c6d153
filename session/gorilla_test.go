package session_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gorilla/sessions"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/visitrack/visitrack/session"
	"github.com/visitrack/visitrack/session/sessiontest"
)

func TestCompactStoreIsGorillaStore(t *testing.T) {
	t.Parallel()
	s, clk := newCompactAt(t, session.CompactConfig{Store: "shop"})
	var store sessions.Store = s
	id := session.NewID()

	r := get()
	sess, err := store.Get(r, session.DefaultSessionName)
	require.NoError(t, err)
	assert.True(t, sess.IsNew)
	again, err := store.Get(r, session.DefaultSessionName)
	require.NoError(t, err)
	assert.Same(t, sess, again, "one session per request, through the registry")

	sess.Values[session.KeyID] = id
	sess.Values[session.KeyCreated] = start.Add(-time.Minute).Unix()
	w := httptest.NewRecorder()
	require.NoError(t, sessions.Save(r, w))
	c := cookie(t, w)
	assert.Equal(t, session.DefaultSessionName, c.Name)
	assert.Zero(t, c.MaxAge)
	assert.True(t, c.HttpOnly)

	clk.Add(time.Minute)
	r = withCookies(t, get(), w)
	sess, err = store.Get(r, session.DefaultSessionName)
	require.NoError(t, err)
	assert.False(t, sess.IsNew)
	assert.Equal(t, id, sess.Values[session.KeyID])
	assert.Equal(t, start.Add(-time.Minute).Unix(), sess.Values[session.KeyCreated])

	// The same cookie read through the Cookieless interface.
	visit, err := store.(*session.CompactStore).Load(r)
	require.NoError(t, err)
	assert.Equal(t, id, visit.ID)

	// MaxAge -1 deletes.
	sess.Options.MaxAge = -1
	w = httptest.NewRecorder()
	require.NoError(t, sess.Save(r, w))
	assert.Negative(t, cookie(t, w).MaxAge)

	// A session without an ID deletes too.
	r = withCookies(t, get(), w)
	sess, err = store.Get(r, session.DefaultSessionName)
	require.NoError(t, err)
	w = httptest.NewRecorder()
	require.NoError(t, sess.Save(r, w))
	assert.Negative(t, cookie(t, w).MaxAge)
}

func TestCompactStoreRefusesForeignValues(t *testing.T) {
	t.Parallel()
	store := newCompact(t, session.CompactConfig{})
	r := get()
	sess, err := store.Get(r, session.DefaultSessionName)
	require.NoError(t, err)
	sess.Values[session.KeyID] = session.NewID()
	sess.Values["cart"] = []string{"12793"}
	w := httptest.NewRecorder()
	assert.Error(t, sess.Save(r, w))
	assert.Empty(t, w.Header().Values("Set-Cookie"))

	sess.Values[session.KeyID] = "not an id"
	delete(sess.Values, "cart")
	assert.ErrorIs(t, sess.Save(r, httptest.NewRecorder()), session.ErrInvalid)
}

func TestCompactStoreGetBadCookie(t *testing.T) {
	t.Parallel()
	a := newCompact(t, session.CompactConfig{Store: "a"})
	b := newCompact(t, session.CompactConfig{Store: "b"})
	w := saveVisit(t, a, get())

	sess, err := b.Get(withCookies(t, get(), w), "visit")
	assert.ErrorIs(t, err, session.ErrInvalid, "issued for another store")
	require.NotNil(t, sess)
	assert.True(t, sess.IsNew)
	assert.Empty(t, sess.Values)

	sess, err = a.Get(carrying("visit", "garbage"), "visit")
	assert.ErrorIs(t, err, session.ErrInvalid)
	require.NotNil(t, sess)
	assert.True(t, sess.IsNew)
}

func TestCompactStoreSecureSessionName(t *testing.T) {
	t.Parallel()
	store := newCompact(t, session.CompactConfig{})
	w := saveVisit(t, store, getTLS())
	c := cookie(t, w)
	assert.Equal(t, "__Host-visit", c.Name)
	assert.True(t, c.Secure)
	sess, err := store.Get(withCookies(t, getTLS(), w), "visit")
	require.NoError(t, err)
	assert.False(t, sess.IsNew)
}

// saveVisit has store save, in answer to r, a session called "visit"
// holding a fresh ID, and returns the response.
func saveVisit(t *testing.T, store sessions.Store, r *http.Request) *httptest.ResponseRecorder {
	t.Helper()
	sess, err := store.Get(r, "visit")
	require.NoError(t, err)
	sess.Values[session.KeyID] = session.NewID()
	w := httptest.NewRecorder()
	require.NoError(t, sess.Save(r, w))
	return w
}

// shopStore is the shop's own gorilla store, holding a browser-session
// cookie.
func shopStore() *sessions.CookieStore {
	s := sessions.NewCookieStore(key('s', 32), key('S', 32))
	s.Options.MaxAge = 0
	s.Options.HttpOnly = true
	s.Options.SameSite = http.SameSiteLaxMode
	return s
}

func TestSessionKeeperSharesTheShopsSession(t *testing.T) {
	t.Parallel()
	clk := sessiontest.NewClock(start)
	store := shopStore()
	k := session.NewSessionKeeper(session.SessionKeeperConfig{Store: store, Name: "shop", Now: clk.Now})

	// The shop puts its basket in the session.
	r := get()
	sess, err := store.Get(r, "shop")
	require.NoError(t, err)
	sess.Values["basket"] = "12793x2"
	w := httptest.NewRecorder()
	require.NoError(t, sess.Save(r, w))

	r = withCookies(t, get(), w)
	_, err = k.Load(r)
	assert.ErrorIs(t, err, session.ErrNoCookie)
	assert.False(t, k.Present(r))

	id := session.NewID()
	w = httptest.NewRecorder()
	require.NoError(t, k.Keep(w, r, session.Visit{ID: id}))
	c := cookie(t, w)
	assert.Equal(t, "shop", c.Name)
	assert.Zero(t, c.MaxAge, "the store's options: a browser-session cookie")
	assert.NotContains(t, w.Header().Get("Set-Cookie"), "Max-Age")
	// The shop's handler in the same request sees the same session.
	same, err := store.Get(r, "shop")
	require.NoError(t, err)
	assert.Equal(t, id, same.Values[session.KeyID])
	assert.Equal(t, "12793x2", same.Values["basket"])

	clk.Add(10 * time.Minute)
	r = withCookies(t, get(), w)
	visit, err := k.Load(r)
	require.NoError(t, err)
	assert.Equal(t, id, visit.ID)
	assert.True(t, visit.Created.Equal(start))
	assert.True(t, k.Present(r))
	sess, err = store.Get(r, "shop")
	require.NoError(t, err)
	assert.Equal(t, "12793x2", sess.Values["basket"], "the basket survives Keep")

	w = httptest.NewRecorder()
	require.NoError(t, k.Drop(w, r))
	r = withCookies(t, get(), w)
	_, err = k.Load(r)
	assert.ErrorIs(t, err, session.ErrNoCookie)
	sess, err = store.Get(r, "shop")
	require.NoError(t, err)
	assert.Equal(t, "12793x2", sess.Values["basket"], "the basket survives Drop")
	assert.NotContains(t, sess.Values, session.KeyCreated)
	assert.NotContains(t, sess.Values, session.KeySaved)
}

func TestSessionKeeperTimeouts(t *testing.T) {
	t.Parallel()
	clk := sessiontest.NewClock(start)
	store := shopStore()
	k := session.NewSessionKeeper(session.SessionKeeperConfig{Store: store, Name: "shop",
		Timeouts: session.Timeouts{Idle: 10 * time.Minute, Max: time.Hour}, Now: clk.Now})
	id := session.NewID()
	w := httptest.NewRecorder()
	require.NoError(t, k.Keep(w, get(), session.Visit{ID: id}))
	r := withCookies(t, get(), w)

	clk.Add(10*time.Minute/30 - time.Second)
	visit, err := k.Load(r)
	require.NoError(t, err)
	assert.False(t, visit.Refresh)
	clk.Add(2 * time.Second)
	visit, err = k.Load(r)
	require.NoError(t, err)
	assert.True(t, visit.Refresh)

	clk.Add(10 * time.Minute)
	_, err = k.Load(r)
	assert.ErrorIs(t, err, session.ErrExpired, "idle")

	// Refreshed every 9 minutes, the visit lasts an hour.
	clk.Set(start)
	w = httptest.NewRecorder()
	require.NoError(t, k.Keep(w, get(), session.Visit{ID: id}))
	for elapsed := 9 * time.Minute; elapsed <= time.Hour; elapsed += 9 * time.Minute {
		clk.Add(9 * time.Minute)
		r = withCookies(t, get(), w)
		visit, err = k.Load(r)
		require.NoError(t, err, "after %v", elapsed)
		w = httptest.NewRecorder()
		require.NoError(t, k.Keep(w, r, visit))
	}
	clk.Add(9 * time.Minute)
	_, err = k.Load(withCookies(t, get(), w))
	assert.ErrorIs(t, err, session.ErrExpired, "past the cap")
}

func TestSessionKeeperDefaults(t *testing.T) {
	t.Parallel()
	clk := sessiontest.NewClock(start)
	k := session.NewSessionKeeper(session.SessionKeeperConfig{Store: shopStore(), Name: "shop", Now: clk.Now})
	w := httptest.NewRecorder()
	require.NoError(t, k.Keep(w, get(), session.Visit{ID: session.NewID()}))
	r := withCookies(t, get(), w)
	clk.Add(29 * time.Minute)
	_, err := k.Load(r)
	require.NoError(t, err)
	clk.Add(2 * time.Minute)
	_, err = k.Load(r)
	assert.ErrorIs(t, err, session.ErrExpired)
}

func TestSessionKeeperBadSession(t *testing.T) {
	t.Parallel()
	store := shopStore()
	k := session.NewSessionKeeper(session.SessionKeeperConfig{Store: store, Name: "shop"})

	_, err := k.Load(carrying("shop", "tampered"))
	assert.ErrorIs(t, err, session.ErrInvalid)
	assert.False(t, k.Present(carrying("shop", "tampered")))

	w := httptest.NewRecorder()
	assert.ErrorIs(t, k.Keep(w, get(), session.Visit{ID: "nope"}), session.ErrInvalid)
	assert.Empty(t, w.Header().Values("Set-Cookie"))

	// Values of the wrong type, put there by someone else.
	for _, vals := range []map[any]any{
		{session.KeyID: "nope", session.KeyCreated: time.Now().Unix(), session.KeySaved: time.Now().Unix()},
		{session.KeyID: session.NewID(), session.KeyCreated: 5, session.KeySaved: time.Now().Unix()},
		{session.KeyID: session.NewID(), session.KeyCreated: time.Now().Unix()},
		{session.KeyID: 42},
	} {
		r := get()
		sess, err := store.Get(r, "shop")
		require.NoError(t, err)
		for k, v := range vals {
			sess.Values[k] = v
		}
		w := httptest.NewRecorder()
		require.NoError(t, sess.Save(r, w))
		_, err = k.Load(withCookies(t, get(), w))
		assert.ErrorIs(t, err, session.ErrInvalid, "%v", vals)
	}
}
