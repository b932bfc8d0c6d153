package session

import (
	"net/http"
	"time"

	"github.com/rs/xid"

	"github.com/visitrack/visitrack/consent"
)

// DefaultPersistentName is the default name of the long-term visitor cookie.
const DefaultPersistentName = "vt_id"

// DefaultPersistentMaxAge is the default lifetime of the long-term cookie:
// 13 months, the longest European regulators accept for audience
// measurement. The lifetime runs from consent and is not extended by visits.
const DefaultPersistentMaxAge = 395 * 24 * time.Hour

// PersistentConfig configures NewPersistent. Only Keys is required; every
// other field's zero value takes the default it names.
type PersistentConfig struct {
	// Keys are pairs of hash key (at least 32 bytes) and block key (16, 24
	// or 32 bytes; nil for signing only), newest first.
	Keys [][]byte
	// Store is bound into the signature: a cookie issued for one store is
	// invalid for another.
	Store string
	// Name is the cookie's name; default DefaultPersistentName. Secure
	// cookies get the __Host- prefix.
	Name string
	// MaxAge is the cookie's lifetime; default DefaultPersistentMaxAge.
	MaxAge time.Duration
	// Secure decides the Secure attribute; default SecureAuto.
	Secure SecurePolicy
	// Now returns the current time; default time.Now.
	Now func() time.Time
}

// Persistent keeps a visitor ID in a signed long-term first-party cookie,
// for consent.Persistent. Make one with NewPersistent; it is safe for
// concurrent use.
//
// Its Name, Present and Drop are CompactStore's. Load and Keep carry a bare
// ID rather than a Visit: the cookie's lifetime runs from
// Keep, with no session start to remember and no idle timeout to refresh, so
// a Persistent is never mistaken for a Cookieless keeper.
type Persistent struct {
	visitorCookie
	codec  *codec
	signed string // the name bound into the signature: name and store
	maxAge time.Duration
	now    func() time.Time
}

// NewPersistent returns a Persistent keeper. It returns an error wrapping
// ErrKeys, naming the field, for missing or unusable keys.
func NewPersistent(cfg PersistentConfig) (*Persistent, error) {
	c, err := newCodec(cfg.Keys, "Keys")
	if err != nil {
		return nil, err
	}
	p := &Persistent{codec: c, maxAge: cfg.MaxAge, now: cfg.Now}
	if cfg.Name == "" {
		cfg.Name = DefaultPersistentName
	}
	if p.maxAge <= 0 {
		p.maxAge = DefaultPersistentMaxAge
	}
	if p.now == nil {
		p.now = time.Now
	}
	p.visitorCookie = visitorCookie{names: newCookieNames(cfg.Name), secure: cfg.Secure}
	p.signed = cfg.Name + "|persistent|" + cfg.Store
	return p, nil
}

// SignedName is the name bound into the cookie's signature: the cookie's
// configured name (without the __Host- prefix), "persistent" and the
// store, such as "vt_id|persistent|shop-dk". To read the cookie with
// gorilla/securecookie, give it the same keys, securecookie.NopEncoder as
// its serializer and this name; the value it decodes is the 12 bytes of
// the visitor's xid (xid.FromBytes).
func (p *Persistent) SignedName() string { return p.signed }

// Load returns the visitor ID in r's cookie. It returns ErrNoCookie without
// one, ErrExpired for a genuine cookie past its lifetime and ErrInvalid for
// anything else that does not verify.
func (p *Persistent) Load(r *http.Request) (string, error) {
	v, ok := consent.CookieValue(r, p.Name(r))
	if !ok {
		return "", ErrNoCookie
	}
	var buf [16]byte
	now := p.now()
	n, issued, err := p.codec.decode(p.signed, v, now, p.maxAge, buf[:])
	if err != nil {
		return "", err
	}
	if issued > now.Unix()+60 {
		return "", ErrInvalid // issued in the future: a wrong clock, or not ours
	}
	if n != len(xid.ID{}) {
		return "", ErrInvalid
	}
	return xid.ID(buf[:12]).String(), nil
}

// Keep sets the cookie holding id on w. It returns ErrInvalid for an id that
// is not a valid visitor ID.
func (p *Persistent) Keep(w http.ResponseWriter, r *http.Request, id string) error {
	x, err := xid.FromString(id)
	if err != nil {
		return ErrInvalid
	}
	now := p.now()
	v, err := p.codec.encode(p.signed, x[:], now)
	if err != nil {
		return err
	}
	secure := p.secure.For(r)
	http.SetCookie(w, &http.Cookie{
		Name:     p.names.get(secure),
		Value:    v,
		Path:     "/",
		MaxAge:   int(p.maxAge / time.Second),
		Expires:  now.Add(p.maxAge).UTC(),
		Secure:   secure,
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
	})
	return nil
}
