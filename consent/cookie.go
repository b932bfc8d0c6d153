package consent

import (
	"net/http"
	"strings"
	"time"
)

// ChoiceCookie is the default name of the cookie that records a visitor's
// choice.
const ChoiceCookie = "vt_consent"

// ChoiceMaxAge is how long a recorded choice is kept: about six months, the
// lower end of what European regulators accept before asking again.
const ChoiceMaxAge = 183 * 24 * time.Hour

// FromCookie returns a hook that reads the visitor's recorded choice from the
// cookie called name, or its Secure form "__Host-"+name, which
// ChoiceCookieFor writes on TLS requests. A missing cookie, or one whose value
// names no state, gives Unknown, so garbage in the cookie never blocks a
// request.
func FromCookie(name string) Hook {
	host := hostPrefix + name
	return func(r *http.Request) State {
		var found [2]string
		switch n := scanCookies(r, &[2]string{host, name}, &found); {
		case n&1 != 0:
			return parseChoice(found[0])
		case n&2 != 0:
			return parseChoice(found[1])
		}
		return Unknown
	}
}

// hostPrefix marks cookies that browsers accept only when Secure, host-only
// and with Path=/.
const hostPrefix = "__Host-"

// parseChoice accepts exactly the values ChoiceCookieFor writes, so that it
// stays allocation-free on every request.
func parseChoice(v string) State {
	switch v {
	case "disabled":
		return Disabled
	case "cookieless":
		return Cookieless
	case "persistent":
		return Persistent
	}
	return Unknown
}

// ChoiceCookieFor returns the cookie that records choice s under name. It is
// long-lived (ChoiceMaxAge), HttpOnly, SameSite=Lax, Path=/ and host-only;
// when secure it is Secure and its name gets the "__Host-" prefix. Recording
// Unknown returns a cookie that deletes the choice.
func ChoiceCookieFor(name string, s State, secure bool) *http.Cookie {
	if secure {
		name = hostPrefix + name
	}
	c := &http.Cookie{
		Name:     name,
		Value:    s.String(),
		Path:     "/",
		MaxAge:   int(ChoiceMaxAge / time.Second),
		Secure:   secure,
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
	}
	if s == Unknown || !s.Valid() {
		c.Value = ""
		c.MaxAge = -1
		c.Expires = time.Unix(0, 0).UTC()
	}
	return c
}

// CookieValue returns the value of the first cookie called name in r's
// Cookie headers without allocating, unlike r.Cookie, which parses every
// cookie. Surrounding double quotes are removed.
func CookieValue(r *http.Request, name string) (string, bool) {
	var found [2]string
	n := scanCookies(r, &[2]string{name, name}, &found)
	return found[0], n&1 != 0
}

// HasCookie reports whether r carries a cookie called a or b, in one pass
// over its Cookie headers.
func HasCookie(r *http.Request, a, b string) bool {
	var found [2]string
	return scanCookies(r, &[2]string{a, b}, &found) != 0
}

// scanCookies looks for the two names in one pass over r's Cookie headers.
// It stores the value of the first cookie of each name in found and returns
// a bit set of the names found: 1 for names[0], 2 for names[1].
func scanCookies(r *http.Request, names, found *[2]string) (seen int) {
	for _, line := range r.Header["Cookie"] {
		for len(line) > 0 {
			var part string
			if i := strings.IndexByte(line, ';'); i >= 0 {
				part, line = line[:i], line[i+1:]
			} else {
				part, line = line, ""
			}
			for len(part) > 0 && (part[0] == ' ' || part[0] == '\t') {
				part = part[1:]
			}
			eq := strings.IndexByte(part, '=')
			if eq <= 0 {
				continue
			}
			name := part[:eq]
			for k := range names {
				if seen&(1<<k) != 0 || name != names[k] {
					continue
				}
				v := trimSpace(part[eq+1:])
				if len(v) > 1 && v[0] == '"' && v[len(v)-1] == '"' {
					v = v[1 : len(v)-1]
				}
				found[k] = v
				seen |= 1 << k
			}
			if seen == 3 {
				return seen
			}
		}
	}
	return seen
}
