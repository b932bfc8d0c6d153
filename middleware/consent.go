package middleware

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/visitrack/visitrack/consent"
	"github.com/visitrack/visitrack/session"
)

// Errors returned by SetConsent.
var (
	// ErrNoMiddleware means the request did not pass through a
	// Middleware's Handler.
	ErrNoMiddleware = errors.New("middleware: request did not pass through visitrack's middleware")
	// ErrCommitted means the response's headers were already sent (or the
	// connection hijacked), so its cookies can no longer change.
	ErrCommitted = errors.New("middleware: response already started; call SetConsent before writing")
)

// SetConsent records the visitor's choice (in a long-lived choice cookie) and
// applies it to the rest of the request and to the response:
//
//   - Cookieless → Persistent keeps the same visitor ID in the long-term
//     cookie and ends the session cookie;
//   - Persistent → Cookieless deletes the long-term cookie and keeps the
//     same ID for the rest of the browser session;
//   - → Disabled deletes every visitor cookie; the tracker stops recording;
//   - Disabled → Cookieless or Persistent assigns a fresh ID.
//
// Call it before the handler writes its response (ErrCommitted otherwise).
// s must be Disabled, Cookieless or Persistent (an error wrapping
// consent.ErrBadState otherwise).
func SetConsent(w http.ResponseWriter, r *http.Request, s consent.State) error {
	if s == consent.Unknown || !s.Valid() {
		return fmt.Errorf("middleware: SetConsent(%v): %w", s, consent.ErrBadState)
	}
	rw, _ := r.Context().Value(stateKey).(*responseWriter)
	if rw == nil {
		return ErrNoMiddleware
	}
	if rw.committed {
		return ErrCommitted
	}
	rw.choice = s
	switch s {
	case consent.Disabled:
		rw.id, rw.keepPersistent, rw.keepSession = "", false, false
		rw.dropPersistent = rw.m.persistent.Present(rw.r)
		rw.dropSession = rw.m.cookieless.Present(rw.r)
	case consent.Cookieless:
		if rw.id == "" {
			rw.id = session.NewID()
		}
		if rw.state != consent.Cookieless {
			rw.visit = session.Visit{ID: rw.id}
			rw.keepSession, rw.dropSession = true, false
		}
		rw.keepPersistent = false
		rw.dropPersistent = rw.m.persistent.Present(rw.r)
	case consent.Persistent:
		if rw.id == "" {
			rw.id = session.NewID()
		}
		if rw.state != consent.Persistent {
			rw.keepPersistent, rw.dropPersistent = true, false
		}
		rw.keepSession = false
		rw.dropSession = rw.m.cookieless.Present(rw.r)
	}
	rw.state = s
	rw.t.Switch(s, rw.id)
	return nil
}
