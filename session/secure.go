package session

import "net/http"

// SecurePolicy decides the Secure attribute of visitor cookies. The zero
// value, SecureAuto, sets it on requests that arrived over TLS, so that
// plain-HTTP localhost works in development and production over HTTPS is
// secure. Behind a proxy that terminates TLS, use SecureAlways.
type SecurePolicy uint8

const (
	// SecureAuto marks cookies Secure when the request came over TLS.
	SecureAuto SecurePolicy = iota
	// SecureAlways marks cookies Secure on every request.
	SecureAlways
	// SecureNever never marks cookies Secure; for tests only.
	SecureNever
)

// For reports whether cookies set in answer to r are Secure.
func (p SecurePolicy) For(r *http.Request) bool {
	switch p {
	case SecureAlways:
		return true
	case SecureNever:
		return false
	}
	return r.TLS != nil
}

// HostPrefix is put before the name of a Secure cookie. Browsers accept a
// __Host- cookie only when it is Secure, host-only and has Path=/, so it
// cannot be set by a sibling subdomain or over plain HTTP.
const HostPrefix = "__Host-"

// cookieNames holds the plain and the __Host- form of one cookie name,
// computed once so that requests do not concatenate.
type cookieNames struct{ plain, host string }

func newCookieNames(name string) cookieNames {
	return cookieNames{plain: name, host: HostPrefix + name}
}

func (n cookieNames) get(secure bool) string {
	if secure {
		return n.host
	}
	return n.plain
}
