package middleware

import (
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/visitrack/visitrack/consent"
	"github.com/visitrack/visitrack/session"
	"github.com/visitrack/visitrack/tracker"
)

// Config configures New. Keys, Store and Recorder are required; every other
// field has a default that is safe in production and works on plain-HTTP
// localhost.
type Config struct {
	// Keys sign and encrypt visitor cookies: pairs of a hash key (at least
	// 32 bytes; 64 is best for HMAC-SHA256) and a block key (16, 24 or 32
	// bytes for AES; nil to sign only), newest pair first. Cookies are
	// signed with the first pair; older pairs still verify, so a rotation
	// keeps every visitor.
	Keys [][]byte

	// Store names the shop. It is bound into every cookie's signature and
	// stamped on every event: activity never crosses stores.
	Store string

	// Consent decides each request's consent state. Nil means
	// consent.Default(ChoiceCookie): the visitor's recorded choice, then
	// GPC capping at Cookieless, then Cookieless. A hook answering Unknown
	// gets Cookieless.
	Consent consent.Hook

	// Recorder receives the events of every request's tracker, normally a
	// *tracker.Queue.
	Recorder tracker.Recorder

	// Cookieless keeps IDs of visitors in the Cookieless state. Nil means a
	// session.CompactStore: a signed browser-session cookie named
	// SessionCookie, limited by Timeouts. Use session.NewSessionKeeper to
	// keep the ID in the shop's own gorilla session, or session.NewDerived
	// for no cookie at all; such a keeper has its own name and timeouts.
	Cookieless session.Cookieless

	// Secure decides the cookies' Secure attribute. The zero value,
	// session.SecureAuto, sets it on TLS requests; Secure cookies get the
	// __Host- name prefix. Behind a proxy that terminates TLS, use
	// session.SecureAlways.
	Secure session.SecurePolicy

	// PersistentCookie names the long-term cookie; default "vt_id".
	PersistentCookie string
	// SessionCookie names the built-in cookieless session cookie; default
	// "vt_s".
	SessionCookie string
	// ChoiceCookie names the cookie that records the visitor's choice;
	// default consent.ChoiceCookie ("vt_consent").
	ChoiceCookie string

	// PersistentMaxAge is the long-term cookie's lifetime; default 13
	// months.
	PersistentMaxAge time.Duration
	// Timeouts limit the built-in cookieless sessions: 30 minutes idle and
	// 24 hours in all by default.
	Timeouts session.Timeouts

	// IsBot reports requests from bots, which get consent.Disabled. Nil
	// means IsBot, a User-Agent matcher.
	IsBot func(*http.Request) bool

	// Logger receives debug messages about rejected cookies (never their
	// contents). Nil means slog.Default().
	Logger *slog.Logger

	// Now returns the current time; nil means time.Now.
	Now func() time.Time
}

// Configuration errors returned by New; test with errors.Is. Unusable Keys
// give an error wrapping session.ErrKeys instead.
var (
	// ErrNoStore is returned by New when Config.Store is empty. There is no
	// default: the store's name is bound into every cookie and stamped on
	// every event, so that activity never crosses stores.
	ErrNoStore = errors.New("middleware: Store is required")
	// ErrNoRecorder is returned by New when Config.Recorder is nil: the
	// trackers would have nowhere to send events. tracker.NewMemory() will
	// do in tests.
	ErrNoRecorder = errors.New("middleware: Recorder is required (tracker.NewMemory() will do in tests)")
)
