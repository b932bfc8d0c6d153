package middleware

import (
	"bufio"
	"net"
	"net/http"
	"strings"

	"github.com/visitrack/visitrack/consent"
	"github.com/visitrack/visitrack/session"
	"github.com/visitrack/visitrack/tracker"
)

// responseWriter wraps the handler's writer to commit visitor cookies before
// the response's headers leave, and carries the request's visitor state.
// Flush, Hijack and Unwrap pass through, so http.ResponseController works.
type responseWriter struct {
	w      http.ResponseWriter
	r      *http.Request // as the middleware received it
	m      *Middleware
	t      *tracker.Tracker
	ctx    requestContext  // carries rw, for SetConsent
	tctx   tracker.Context // carries t; its parent is ctx
	secure bool

	state consent.State
	id    string
	visit session.Visit

	keepPersistent, dropPersistent bool
	keepSession, dropSession       bool
	choice                         consent.State // to record; Unknown: none
	committed                      bool
}

func (rw *responseWriter) Header() http.Header { return rw.w.Header() }

func (rw *responseWriter) WriteHeader(code int) {
	if code >= 200 || code == http.StatusSwitchingProtocols {
		rw.commit()
	}
	rw.w.WriteHeader(code)
}

func (rw *responseWriter) Write(b []byte) (int, error) {
	rw.commit()
	return rw.w.Write(b)
}

// Flush commits the cookies and flushes the underlying writer.
func (rw *responseWriter) Flush() { _ = rw.FlushError() }

// FlushError is Flush reporting the underlying writer's error; it is what
// http.ResponseController calls.
func (rw *responseWriter) FlushError() error {
	rw.commit()
	return http.NewResponseController(rw.w).Flush()
}

// Hijack hands the connection over; cookies not yet sent are lost with the
// HTTP response. When the underlying writer cannot hijack (HTTP/2), the
// response stays the handler's, cookies included.
func (rw *responseWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, buf, err := http.NewResponseController(rw.w).Hijack()
	if err == nil {
		rw.committed = true
	}
	return conn, buf, err
}

// Unwrap returns the wrapped writer, for http.ResponseController.
func (rw *responseWriter) Unwrap() http.ResponseWriter { return rw.w }

// commit writes the pending cookie changes into the response's headers, once.
func (rw *responseWriter) commit() {
	if rw.committed {
		return
	}
	rw.committed = true
	m, w, r := rw.m, rw.w, rw.r
	set := false
	if rw.choice != consent.Unknown {
		http.SetCookie(w, consent.ChoiceCookieFor(m.choiceName, rw.choice, rw.secure))
		set = true
	}
	set = change(m.persistent, w, r, rw.dropPersistent, rw.keepPersistent, rw.id) || set
	set = change(m.cookieless, w, r, rw.dropSession, rw.keepSession, rw.visit) || set
	if set {
		noCacheCookies(w.Header())
	}
}

// keeper is what commit uses of a visitor-ID keeper: Persistent keeps a
// bare ID (T is string), a Cookieless keeper a session.Visit.
type keeper[T any] interface {
	Keep(w http.ResponseWriter, r *http.Request, v T) error
	Drop(w http.ResponseWriter, r *http.Request) error
}

// change has k drop its cookie, or else keep v, as asked, and reports
// whether that changed the response's cookies.
func change[T any](k keeper[T], w http.ResponseWriter, r *http.Request, drop, keep bool, v T) bool {
	switch {
	case drop:
		return k.Drop(w, r) == nil
	case keep:
		return k.Keep(w, r, v) == nil
	}
	return false
}

// noCacheCookies keeps shared caches from storing a Set-Cookie: it adds
// Vary: Cookie and, unless the response is already private or no-store, a
// no-cache="Set-Cookie" directive.
func noCacheCookies(h http.Header) {
	if !hasToken(h.Values("Vary"), "Cookie") && !hasToken(h.Values("Vary"), "*") {
		h.Add("Vary", "Cookie")
	}
	cc := h.Values("Cache-Control")
	if hasToken(cc, "no-store") || hasToken(cc, "private") || hasBareToken(cc, "no-cache") {
		return
	}
	if len(cc) == 0 {
		h.Set("Cache-Control", `no-cache="Set-Cookie"`)
		return
	}
	h.Set("Cache-Control", strings.Join(cc, ", ")+`, no-cache="Set-Cookie"`)
}

// hasToken reports whether a comma-separated header holds token (ignoring
// case and any =value).
func hasToken(values []string, token string) bool {
	for _, v := range values {
		for part := range strings.SplitSeq(v, ",") {
			part = strings.TrimSpace(part)
			if i := strings.IndexByte(part, '='); i >= 0 {
				part = part[:i]
			}
			if strings.EqualFold(part, token) {
				return true
			}
		}
	}
	return false
}

// hasBareToken reports whether a comma-separated header holds token with no
// =value: a bare no-cache is stricter than no-cache="Set-Cookie", one naming
// other fields is not.
func hasBareToken(values []string, token string) bool {
	for _, v := range values {
		for part := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(part), token) {
				return true
			}
		}
	}
	return false
}
