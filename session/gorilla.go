package session

import (
	"net/http"
	"time"

	"github.com/gorilla/sessions"
)

// SessionKeeperConfig configures NewSessionKeeper. Store and Name are
// required.
type SessionKeeperConfig struct {
	// Store is the shop's own gorilla store. Its Options are the cookie's
	// attributes: for a browser-session cookie, leave their MaxAge at 0.
	Store sessions.Store
	// Name is the session's name, the one the shop's handlers pass to
	// Store.Get.
	Name string
	// Timeouts limits sessions; zero fields take the defaults.
	Timeouts Timeouts
	// Now returns the current time; default time.Now.
	Now func() time.Time
}

// SessionKeeper keeps a cookieless visit in a session of the shop's own
// gorilla sessions.Store, under KeyID, KeyCreated and KeySaved. The shop's
// other values in that session are left untouched, and the session is the
// same *sessions.Session the shop's handlers get from the store's Get during
// the request. Make one with NewSessionKeeper; it is safe for concurrent use
// when the store is.
type SessionKeeper struct {
	store    sessions.Store
	name     string
	timeouts Timeouts
	now      func() time.Time
}

// NewSessionKeeper returns a SessionKeeper for the session cfg.Name in
// cfg.Store.
func NewSessionKeeper(cfg SessionKeeperConfig) *SessionKeeper {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &SessionKeeper{store: cfg.Store, name: cfg.Name, timeouts: cfg.Timeouts.withDefaults(), now: cfg.Now}
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
