package session

import (
	"net/http"
	"time"

	"github.com/gorilla/sessions"
)

// SessionKeeper keeps a cookieless visit in a session of the shop's own
// gorilla sessions.Store, under KeyID, KeyCreated and KeySaved. The shop's
// other values in that session are left untouched, and the session is the
// same *sessions.Session the shop's handlers get from the store's Get during
// the request. The cookie's attributes are the store's Options: for a
// browser-session cookie, leave their MaxAge at 0.
type SessionKeeper struct {
	store    sessions.Store
	name     string
	timeouts Timeouts
	now      func() time.Time
}

// NewSessionKeeper returns a keeper for the session called name in store.
// Zero timeouts take the defaults; a nil now means time.Now.
func NewSessionKeeper(store sessions.Store, name string, t Timeouts, now func() time.Time) *SessionKeeper {
	if now == nil {
		now = time.Now
	}
	return &SessionKeeper{store: store, name: name, timeouts: t.withDefaults(), now: now}
}

// Load restores the visit from the shop's session.
func (k *SessionKeeper) Load(r *http.Request) (Visit, error) {
	sess, err := k.store.Get(r, k.name)
	if err != nil {
		return Visit{}, ErrInvalid
	}
	raw, ok := sess.Values[KeyID]
	if !ok {
		return Visit{}, ErrNoCookie
	}
	id, _ := raw.(string)
	created, ok1 := sess.Values[KeyCreated].(int64)
	saved, ok2 := sess.Values[KeySaved].(int64)
	if !ValidID(id) || !ok1 || !ok2 {
		return Visit{}, ErrInvalid
	}
	refresh, err := k.timeouts.check(k.now(), created, saved)
	if err != nil {
		return Visit{}, err
	}
	return Visit{ID: id, Created: time.Unix(created, 0), Refresh: refresh}, nil
}

// Keep writes v into the shop's session and saves it.
func (k *SessionKeeper) Keep(w http.ResponseWriter, r *http.Request, v Visit) error {
	if !ValidID(v.ID) {
		return ErrInvalid
	}
	sess, _ := k.store.Get(r, k.name) // on a decode error the store gives a fresh session
	if sess == nil {
		return ErrInvalid
	}
	now := k.now()
	created := v.Created
	if created.IsZero() {
		created = now
	}
	sess.Values[KeyID] = v.ID
	sess.Values[KeyCreated] = created.Unix()
	sess.Values[KeySaved] = now.Unix()
	return sess.Save(r, w)
}

// Drop removes the visit from the shop's session and saves it; the shop's
// other values stay.
func (k *SessionKeeper) Drop(w http.ResponseWriter, r *http.Request) error {
	sess, _ := k.store.Get(r, k.name)
	if sess == nil {
		return nil
	}
	delete(sess.Values, KeyID)
	delete(sess.Values, KeyCreated)
	delete(sess.Values, KeySaved)
	return sess.Save(r, w)
}

// Present reports whether the shop's session holds a visit.
func (k *SessionKeeper) Present(r *http.Request) bool {
	sess, err := k.store.Get(r, k.name)
	if err != nil || sess == nil {
		return false
	}
	_, ok := sess.Values[KeyID]
	return ok
}

var _ Cookieless = (*SessionKeeper)(nil)
