package session

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gorilla/sessions"
	"github.com/rs/xid"

	"github.com/visitrack/visitrack/consent"
)

// DefaultSessionName is the default name of the cookieless session cookie.
const DefaultSessionName = "vt_s"

// Session value keys under which visitrack keeps a cookieless visit in a
// gorilla session: the ID (string) and the Unix seconds when the session
// began and was last saved (int64).
const (
	KeyID      = "visitrack.id"
	KeyCreated = "visitrack.created"
	KeySaved   = "visitrack.saved"
)

// CompactConfig configures NewCompactStore. Only Keys is required; every
// other field's zero value takes the default it names.
type CompactConfig struct {
	// Keys are pairs of hash key and optional block key, newest first, as
	// in PersistentConfig.
	Keys [][]byte
	// Store is bound into the signature: a cookie issued for one store is
	// invalid for another.
	Store string
	// Name is the cookie's name; default DefaultSessionName.
	Name string
	// Secure decides the Secure attribute; default SecureAuto.
	Secure SecurePolicy
	// Timeouts limits sessions; zero fields take the defaults.
	Timeouts Timeouts
	// Now returns the current time; default time.Now.
	Now func() time.Time
}

// CompactStore keeps a cookieless visit in a small signed browser-session
// cookie (no Max-Age, no Expires: the browser drops it when it closes). It is
// the default Cookieless keeper, and also a gorilla sessions.Store whose
// sessions hold only the KeyID, KeyCreated and KeySaved values. The cookie is
// about 110 bytes and verifies without allocating. Make one with
// NewCompactStore; it is safe for concurrent use.
type CompactStore struct {
	visitorCookie
	codec    *codec
	store    string
	timeouts Timeouts
	now      func() time.Time
	signed   string // the name bound into the signature: name, mode and store
}

// NewCompactStore returns a CompactStore. It returns an error wrapping
// ErrKeys, naming the field, for missing or unusable keys.
func NewCompactStore(cfg CompactConfig) (*CompactStore, error) {
	c, err := newCodec(cfg.Keys, "Keys")
	if err != nil {
		return nil, err
	}
	if cfg.Name == "" {
		cfg.Name = DefaultSessionName
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &CompactStore{visitorCookie: visitorCookie{names: newCookieNames(cfg.Name), secure: cfg.Secure},
		codec: c, store: cfg.Store, timeouts: cfg.Timeouts.withDefaults(), now: cfg.Now}
	s.signed = s.signedName(cfg.Name)
	return s, nil
}

// SignedName is the name bound into the cookie's signature: the cookie's
// configured name (without the __Host- prefix), "cookieless" and the
// store, such as "vt_s|cookieless|shop-dk". To read the cookie with
// gorilla/securecookie, give it the same keys, securecookie.NopEncoder as
// its serializer and this name; the value it decodes is the 12 bytes of
// the visitor's xid followed by the session's start, in Unix seconds, as
// a uvarint (encoding/binary). Used as a gorilla sessions.Store, the
// signed name is built the same way from the session's name.
func (s *CompactStore) SignedName() string { return s.signed }

func (s *CompactStore) signedName(name string) string { return name + "|cookieless|" + s.store }

// Load restores the visit kept in r's cookie.
func (s *CompactStore) Load(r *http.Request) (Visit, error) {
	v, ok := consent.CookieValue(r, s.Name(r))
	if !ok {
		return Visit{}, ErrNoCookie
	}
	return s.decode(s.signed, v)
}

func (s *CompactStore) decode(signed, value string) (Visit, error) {
	var buf [32]byte
	now := s.now()
	n, saved, err := s.codec.decode(signed, value, now, s.timeouts.Idle, buf[:])
	if err != nil {
		return Visit{}, err
	}
	if n <= 12 {
		return Visit{}, ErrInvalid
	}
	created, m := binary.Uvarint(buf[12:n])
	if m <= 0 || 12+m != n || created > 1<<40 {
		return Visit{}, ErrInvalid
	}
	refresh, err := s.timeouts.check(now, int64(created), saved)
	if err != nil {
		return Visit{}, err
	}
	return Visit{ID: xid.ID(buf[:12]).String(), Created: time.Unix(int64(created), 0), Refresh: refresh}, nil
}

func (s *CompactStore) encode(signed string, v Visit) (string, error) {
	x, err := xid.FromString(v.ID)
	if err != nil {
		return "", ErrInvalid
	}
	now := s.now()
	created := v.Created
	if created.IsZero() {
		created = now
	}
	var buf [12 + binary.MaxVarintLen64]byte
	copy(buf[:], x[:])
	n := 12 + binary.PutUvarint(buf[12:], uint64(max(created.Unix(), 0)))
	return s.codec.encode(signed, buf[:n], now)
}

// Keep sets the browser-session cookie holding v.
func (s *CompactStore) Keep(w http.ResponseWriter, r *http.Request, v Visit) error {
	val, err := s.encode(s.signed, v)
	if err != nil {
		return err
	}
	secure := s.secure.For(r)
	http.SetCookie(w, &http.Cookie{Name: s.names.get(secure), Value: val, Path: "/",
		Secure: secure, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	return nil
}

// Get implements sessions.Store: it returns the session called name from the
// request's registry, decoding its cookie once per request. name is the
// cookie's base name; Secure requests use the __Host- form.
func (s *CompactStore) Get(r *http.Request, name string) (*sessions.Session, error) {
	return sessions.GetRegistry(r).Get(s, name)
}

// New implements sessions.Store. A missing cookie gives a new empty session;
// one that does not verify gives a new session and the error.
func (s *CompactStore) New(r *http.Request, name string) (*sessions.Session, error) {
	secure := s.secure.For(r)
	sess := sessions.NewSession(s, name)
	sess.IsNew = true
	sess.Options = &sessions.Options{Path: "/", Secure: secure, HttpOnly: true, SameSite: http.SameSiteLaxMode}
	v, ok := consent.CookieValue(r, newCookieNames(name).get(secure))
	if !ok {
		return sess, nil
	}
	visit, err := s.decode(s.signedName(name), v)
	if err != nil {
		return sess, err
	}
	sess.IsNew = false
	sess.Values[KeyID] = visit.ID
	sess.Values[KeyCreated] = visit.Created.Unix()
	return sess, nil
}

// errCompactValues is returned by Save for a session holding other values.
var errCompactValues = errors.New("session: CompactStore holds only the visitrack values; use your own store for others")

// Save implements sessions.Store. A session whose Options.MaxAge is negative,
// or that holds no ID, deletes the cookie.
func (s *CompactStore) Save(r *http.Request, w http.ResponseWriter, sess *sessions.Session) error {
	secure := s.secure.For(r)
	name := newCookieNames(sess.Name()).get(secure)
	id, _ := sess.Values[KeyID].(string)
	if (sess.Options != nil && sess.Options.MaxAge < 0) || id == "" {
		http.SetCookie(w, expired(name, secure))
		return nil
	}
	for k := range sess.Values {
		if k != KeyID && k != KeyCreated && k != KeySaved {
			return fmt.Errorf("%w (found %v)", errCompactValues, k)
		}
	}
	v := Visit{ID: id}
	if c, ok := sess.Values[KeyCreated].(int64); ok {
		v.Created = time.Unix(c, 0)
	}
	val, err := s.encode(s.signedName(sess.Name()), v)
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: name, Value: val, Path: "/",
		Secure: secure, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	return nil
}

var (
	_ Cookieless     = (*CompactStore)(nil)
	_ sessions.Store = (*CompactStore)(nil)
)
