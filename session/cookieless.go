package session

import (
	"net/http"
	"time"
)

// Defaults for cookieless sessions.
const (
	// DefaultIdleTimeout ends a cookieless session after 30 minutes without
	// a request, the usual web-analytics session.
	DefaultIdleTimeout = 30 * time.Minute
	// DefaultSessionMaxAge ends a cookieless session 24 hours after it
	// began, however active, so that a browser left open never turns a
	// session ID into a long-term one.
	DefaultSessionMaxAge = 24 * time.Hour
)

// Visit is a cookieless session's visitor ID and when the session began.
// The zero Visit holds no ID: CompactStore and SessionKeeper refuse to keep
// it.
type Visit struct {
	// ID is the visitor ID, as NewID makes it.
	ID string
	// Created is when the session began. Keep treats a zero Created as
	// now.
	Created time.Time
	// Refresh is set by Load when the session should be kept again to stay
	// alive: the idle timeout runs from the last save, and saving on every
	// request would send a Set-Cookie with every response.
	Refresh bool
}

// Cookieless keeps a visitor ID for the length of a session, for
// consent.Cookieless. CompactStore, SessionKeeper and Derived implement it;
// implementations must be safe for concurrent use.
type Cookieless interface {
	// Load restores the session of r. It returns ErrNoCookie when there is
	// none, ErrExpired when it timed out and ErrInvalid when what r carries
	// does not verify; the caller then starts a new session.
	Load(r *http.Request) (Visit, error)
	// Keep keeps v for the requests that follow. A zero v.Created means
	// the session begins now.
	Keep(w http.ResponseWriter, r *http.Request, v Visit) error
	// Drop ends the session.
	Drop(w http.ResponseWriter, r *http.Request) error
	// Present reports whether r carries something Drop would remove.
	Present(r *http.Request) bool
}

// Timeouts are the two limits of a cookieless session. Zero fields take the
// defaults.
type Timeouts struct {
	// Idle ends a session after this long without a saved request; default
	// DefaultIdleTimeout.
	Idle time.Duration
	// Max ends a session this long after it began; default
	// DefaultSessionMaxAge.
	Max time.Duration
}

func (t Timeouts) withDefaults() Timeouts {
	if t.Idle <= 0 {
		t.Idle = DefaultIdleTimeout
	}
	if t.Max <= 0 {
		t.Max = DefaultSessionMaxAge
	}
	return t
}

// refreshAfter is how long after the last save a session is saved again:
// a thirtieth of the idle timeout (a minute by default), so that a session
// in use never times out and most responses carry no Set-Cookie.
func (t Timeouts) refreshAfter() time.Duration {
	return max(t.Idle/30, time.Second)
}

// check applies the timeouts to a session created and last saved at the
// given Unix seconds.
func (t Timeouts) check(now time.Time, created, saved int64) (refresh bool, err error) {
	n := now.Unix()
	if created > n+60 || saved > n+60 {
		return false, ErrInvalid // from the future: not ours
	}
	if n-saved > int64(t.Idle/time.Second) || n-created > int64(t.Max/time.Second) {
		return false, ErrExpired
	}
	return n-saved >= int64(t.refreshAfter()/time.Second), nil
}
