package session

import "errors"

// Errors returned when a kept ID cannot be restored. They are reported to
// the middleware, which answers each of them with a fresh ID; test with
// errors.Is.
var (
	// ErrNoCookie means the request carries nothing to restore.
	ErrNoCookie = errors.New("session: no visitor cookie")
	// ErrInvalid means the cookie was tampered with, was issued with a key
	// no longer configured or for another store, or is garbage. The cookie
	// keepers' Keep returns it for an ID that ValidID refuses.
	ErrInvalid = errors.New("session: invalid visitor cookie")
	// ErrExpired means the cookie was genuine but is older than its
	// lifetime, or the session was idle too long.
	ErrExpired = errors.New("session: visitor cookie expired")
)

// ErrKeys is wrapped by the error NewPersistent and NewCompactStore return
// for missing or unusable keys; the message names the offending field.
var ErrKeys = errors.New("session: bad keys")
