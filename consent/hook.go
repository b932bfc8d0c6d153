package consent

import "net/http"

// Hook decides the consent state of one request. It returns Unknown when it
// has no opinion. Hooks run on every request, so they should not allocate or
// block. Chain skips a nil Hook, and the middleware takes a nil one for
// Default(ChoiceCookie).
type Hook func(r *http.Request) State

// Chain returns a hook that asks each hook in turn and returns the first
// answer that is not Unknown. With no hooks, or when all abstain, it returns
// Unknown. Nil hooks are skipped.
func Chain(hooks ...Hook) Hook {
	hs := make([]Hook, 0, len(hooks))
	for _, h := range hooks {
		if h != nil {
			hs = append(hs, h)
		}
	}
	return func(r *http.Request) State {
		for _, h := range hs {
			if s := h(r); s != Unknown {
				return s
			}
		}
		return Unknown
	}
}

// Fixed returns a hook that always answers s. Fixed(Cookieless) is the usual
// last link of a chain.
func Fixed(s State) Hook {
	return func(*http.Request) State { return s }
}

// GPC returns a hook that answers limit when the request carries the Global
// Privacy Control signal (Sec-GPC: 1), and Unknown otherwise. GPC is a cap,
// not a refusal: put it after FromCookie so that an explicit choice recorded
// by the visitor still wins, and use GPC(Disabled) to treat the signal as a
// refusal of all tracking.
func GPC(limit State) Hook {
	return func(r *http.Request) State {
		if HasGPC(r) {
			return limit
		}
		return Unknown
	}
}

// HasGPC reports whether r carries Sec-GPC: 1.
func HasGPC(r *http.Request) bool {
	for _, v := range r.Header["Sec-Gpc"] {
		if trimSpace(v) == "1" {
			return true
		}
	}
	return false
}

// Default returns the default decision: the choice recorded in the cookie
// called name, then GPC(Cookieless), then Cookieless. It never returns
// Unknown. A recorded choice wins over the GPC signal because it is the more
// specific statement of the visitor's wish; GPC still keeps a visitor who
// never chose out of the long-term cookie, whatever a shop chains after it.
func Default(name string) Hook {
	return Chain(FromCookie(name), GPC(Cookieless), Fixed(Cookieless))
}

func trimSpace(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}
