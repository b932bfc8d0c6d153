package session

import (
	"net/http"
	"time"

	"github.com/visitrack/visitrack/consent"
)

// visitorCookie is what the two cookie keepers, Persistent and CompactStore,
// share: one cookie's name in its plain and __Host- forms, and the policy
// that picks one for a request. Its methods are theirs.
type visitorCookie struct {
	names  cookieNames
	secure SecurePolicy
}

// Name returns the cookie's name for r: with the __Host- prefix when the
// cookie is Secure.
func (c *visitorCookie) Name(r *http.Request) string { return c.names.get(c.secure.For(r)) }

// Present reports whether r carries the cookie, valid or not.
func (c *visitorCookie) Present(r *http.Request) bool {
	_, ok := consent.CookieValue(r, c.Name(r))
	return ok
}

// Drop deletes the cookie. It never fails: the error is there so that every
// keeper's Drop has one shape.
func (c *visitorCookie) Drop(w http.ResponseWriter, r *http.Request) error {
	secure := c.secure.For(r)
	http.SetCookie(w, expired(c.names.get(secure), secure))
	return nil
}

// expired returns a cookie that deletes the cookie called name.
func expired(name string, secure bool) *http.Cookie {
	return &http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1,
		Expires: time.Unix(0, 0).UTC(), Secure: secure, HttpOnly: true, SameSite: http.SameSiteLaxMode}
}
