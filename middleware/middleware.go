package middleware

import (
	"context"
	"errors"
	"fmt"
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

// Middleware gives visitors IDs, honours their consent and attaches a
// tracker to every request. Make one with New (the zero Middleware is not
// usable); it is safe for concurrent use.
type Middleware struct {
	store      string
	decide     consent.Hook
	recorder   tracker.Recorder
	persistent *session.Persistent
	cookieless session.Cookieless
	compact    *session.CompactStore // cookieless, when it is the built-in store
	secure     session.SecurePolicy
	choiceName string
	isBot      func(*http.Request) bool
	log        *slog.Logger
	now        func() time.Time
}

// New checks cfg and returns a Middleware. Errors name the field at fault:
// ErrNoStore, ErrNoRecorder, or one wrapping session.ErrKeys for missing or
// unusable Keys.
func New(cfg Config) (*Middleware, error) {
	if cfg.Store == "" {
		return nil, ErrNoStore
	}
	if cfg.Recorder == nil {
		return nil, ErrNoRecorder
	}
	m := &Middleware{store: cfg.Store, decide: cfg.Consent, recorder: cfg.Recorder,
		cookieless: cfg.Cookieless, secure: cfg.Secure, choiceName: cfg.ChoiceCookie,
		isBot: cfg.IsBot, log: cfg.Logger, now: cfg.Now}
	if m.choiceName == "" {
		m.choiceName = consent.ChoiceCookie
	}
	if m.decide == nil {
		m.decide = consent.Default(m.choiceName)
	}
	if m.isBot == nil {
		m.isBot = newBotCache().isBot
	}
	if m.log == nil {
		m.log = slog.Default()
	}
	if m.now == nil {
		m.now = time.Now
	}
	var err error
	m.persistent, err = session.NewPersistent(session.PersistentConfig{Keys: cfg.Keys, Store: cfg.Store,
		Name: cfg.PersistentCookie, MaxAge: cfg.PersistentMaxAge, Secure: cfg.Secure, Now: m.now})
	if err != nil {
		return nil, fmt.Errorf("middleware: %w", err)
	}
	if m.cookieless == nil {
		m.cookieless, err = session.NewCompactStore(session.CompactConfig{Keys: cfg.Keys, Store: cfg.Store,
			Name: cfg.SessionCookie, Secure: cfg.Secure, Timeouts: cfg.Timeouts, Now: m.now})
		if err != nil {
			return nil, fmt.Errorf("middleware: %w", err)
		}
	}
	m.compact, _ = m.cookieless.(*session.CompactStore)
	return m, nil
}

// Handler returns next wrapped by m. Its signature fits chi's and
// gorilla/mux's Use as well as plain net/http.
func (m *Middleware) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Context().Value(stateKey) != nil {
			next.ServeHTTP(w, r) // already wrapped further out
			return
		}
		rw := &responseWriter{w: w, r: r, m: m, secure: m.secure.For(r)}
		m.restore(rw)
		rw.ctx = requestContext{Context: r.Context(), rw: rw}
		rw.t = rw.tctx.Init(&rw.ctx, tracker.Options{Store: m.store, Visitor: rw.id,
			Consent: rw.state, Recorder: m.recorder, Now: m.now, Context: r.Context()})
		next.ServeHTTP(rw, r.WithContext(&rw.tctx))
		rw.commit()
	})
}

type stateKeyType struct{ name string }

var stateKey = &stateKeyType{"visitrack request"}

// requestContext carries the request's responseWriter, for SetConsent. It
// lives inside the responseWriter to save an allocation per request.
type requestContext struct {
	context.Context
	rw *responseWriter
}

func (c *requestContext) Value(key any) any {
	if key == stateKey {
		return c.rw
	}
	return c.Context.Value(key)
}

// restore decides the consent state of rw's request and restores or assigns
// the visitor ID that state allows, noting which cookies must change.
func (m *Middleware) restore(rw *responseWriter) {
	r := rw.r
	state := consent.Disabled
	if !m.isBot(r) {
		if state = m.decide(r); state == consent.Unknown || !state.Valid() {
			state = consent.Cookieless
		}
	}
	rw.state = state
	switch state {
	case consent.Disabled:
		// Most disabled requests carry no visitor cookie: with the built-in
		// keepers one pass over the Cookie header tells.
		if m.compact == nil || consent.HasCookie(r, m.persistent.Name(r), m.compact.Name(r)) {
			rw.dropPersistent = m.persistent.Present(r)
			rw.dropSession = m.cookieless.Present(r)
		}
	case consent.Cookieless:
		v, err := m.cookieless.Load(r)
		if err != nil {
			m.rejected(r, "session", err)
			v = session.Visit{ID: session.NewID()}
			rw.keepSession = true
		}
		rw.id, rw.visit = v.ID, v
		rw.keepSession = rw.keepSession || v.Refresh
		rw.dropPersistent = m.persistent.Present(r)
	case consent.Persistent:
		id, err := m.persistent.Load(r)
		if err != nil {
			m.rejected(r, "persistent", err)
			// Promote the session's ID, if any, so that consenting
			// mid-visit keeps the visit whole.
			if v, err := m.cookieless.Load(r); err == nil {
				id = v.ID
			} else {
				id = session.NewID()
			}
			rw.keepPersistent = true
		}
		rw.id = id
		rw.dropSession = m.cookieless.Present(r)
	}
}

// rejected logs, at debug level, why a visitor cookie was not accepted. It
// logs no cookie contents.
func (m *Middleware) rejected(r *http.Request, cookie string, err error) {
	if errors.Is(err, session.ErrNoCookie) || !m.log.Enabled(r.Context(), slog.LevelDebug) {
		return
	}
	m.log.LogAttrs(r.Context(), slog.LevelDebug, "visitrack: visitor cookie rejected, new ID assigned",
		slog.String("cookie", cookie), slog.String("store", m.store), slog.String("reason", err.Error()))
}
