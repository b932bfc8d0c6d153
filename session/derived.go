package session

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/rs/xid"
)

// DerivedConfig configures NewDerived. Every field is optional: its zero
// value takes the default it names, and the zero DerivedConfig works.
type DerivedConfig struct {
	// Store is hashed into every ID, so IDs never match across stores.
	Store string
	// Secret keys the daily salts. Instances of a shop that share a Secret
	// derive the same IDs. Nil means a random secret per process: IDs then
	// differ between instances and cannot be recomputed once the process
	// ends.
	Secret []byte
	// TrustedProxies are the networks whose X-Forwarded-For is believed. By
	// default none: the client is RemoteAddr, because anyone can send the
	// header.
	TrustedProxies []netip.Prefix
	// IdleTimeout is the longest pause a visit that spans midnight (UTC)
	// may take and still keep the previous day's ID; default
	// DefaultIdleTimeout.
	IdleTimeout time.Duration
	// MaxTracked bounds the visits remembered around midnight, and those
	// carrying an ID over it; default 100,000. Past it a visit spanning
	// midnight gets a new ID.
	MaxTracked int
	// Now returns the current time; default time.Now.
	Now func() time.Time
}

// Derived derives cookieless IDs without any cookie: the ID is a keyed hash
// of the store, the client's IP address and its User-Agent, under a salt that
// changes every day (UTC). The previous day's salt is honoured for a visit
// that was active in the last IdleTimeout before midnight, so a visit
// spanning midnight keeps its ID for as long as it never pauses longer than
// IdleTimeout.
//
// Privacy trade-off: nothing is stored on the visitor's device, and an ID
// lasts a day (a visit under way at midnight keeps it until the visit ends),
// so visits cannot be linked across days. But the ID is
// computed from data the browser sends anyway, which is a form of
// fingerprinting some regulators treat like a cookie; visitors behind one
// address with the same browser (an office, a mobile carrier's NAT) share an
// ID, and a visitor whose address changes (a phone moving between networks)
// gets a new one. With a shared Secret, whoever holds it and a visitor's
// address and User-Agent can recompute that visitor's IDs; without one, no
// one can once the process ends. The address and User-Agent are hashed, never
// kept.
//
// Make one with NewDerived; it is safe for concurrent use.
type Derived struct {
	store   string
	secret  []byte
	trusted []netip.Prefix
	idle    time.Duration
	max     int
	now     func() time.Time

	mu      sync.Mutex
	saltDay int64     // day number of salts[0]
	salts   [2][]byte // today's and yesterday's
	// late holds the IDs in use in the last IdleTimeout of today (UTC),
	// prevLate those of yesterday: a visit among them may carry its ID
	// over midnight.
	late, prevLate map[string]time.Time
	// carried maps today's derived ID of a visit that crossed midnight to
	// the ID it carries, for as long as the visit never idles.
	carried map[string]*carriedID
}

type carriedID struct {
	id   string
	last time.Time
}

// NewDerived returns a Derived keeper configured by cfg.
func NewDerived(cfg DerivedConfig) *Derived {
	d := &Derived{store: cfg.Store, secret: cfg.Secret, trusted: cfg.TrustedProxies,
		idle: cfg.IdleTimeout, max: cfg.MaxTracked, now: cfg.Now, saltDay: -1}
	if len(d.secret) == 0 {
		d.secret = make([]byte, 32)
		rand.Read(d.secret) // never fails on supported platforms
	}
	if d.idle <= 0 {
		d.idle = DefaultIdleTimeout
	}
	if d.max <= 0 {
		d.max = 100_000
	}
	if d.now == nil {
		d.now = time.Now
	}
	return d
}

const day = 24 * time.Hour

// Load derives the visitor's ID. It never fails.
func (d *Derived) Load(r *http.Request) (Visit, error) {
	now := d.now().UTC()
	dayNum := now.Unix() / int64(day/time.Second)
	dayStart := time.Unix(dayNum*int64(day/time.Second), 0)
	ip := ClientIP(r, d.trusted)
	ua := r.UserAgent()

	d.mu.Lock()
	defer d.mu.Unlock()
	d.rotate(dayNum)
	today := d.derive(d.salts[0], dayNum, ip, ua)
	id, created := today, dayStart
	if c, ok := d.carried[today]; ok {
		if now.Sub(c.last) <= d.idle {
			id, created, c.last = c.id, dayStart.Add(-day), now
		} else {
			delete(d.carried, today)
		}
	} else if now.Sub(dayStart) < d.idle {
		prev := d.derive(d.salts[1], dayNum-1, ip, ua)
		if last, ok := d.prevLate[prev]; ok && now.Sub(last) <= d.idle && len(d.carried) < d.max {
			id, created = prev, dayStart.Add(-day)
			d.carried[today] = &carriedID{id: prev, last: now}
		}
	}
	if dayStart.Add(day).Sub(now) <= d.idle {
		if _, ok := d.late[id]; ok || len(d.late) < d.max {
			d.late[id] = now
		}
	}
	return Visit{ID: id, Created: created}, nil
}

// rotate makes salts hold the salts of dayNum and the day before, and
// forgets the visits that can no longer carry an ID into dayNum.
func (d *Derived) rotate(dayNum int64) {
	if d.saltDay == dayNum {
		return
	}
	if d.saltDay == dayNum-1 {
		d.salts[1], d.prevLate = d.salts[0], d.late
	} else {
		d.salts[1], d.prevLate = d.salt(dayNum-1), nil
	}
	d.salts[0] = d.salt(dayNum)
	d.saltDay = dayNum
	d.late = make(map[string]time.Time)
	d.carried = make(map[string]*carriedID)
}

func (d *Derived) salt(dayNum int64) []byte {
	m := hmac.New(sha256.New, d.secret)
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(dayNum))
	m.Write([]byte("visitrack derived salt"))
	m.Write(b[:])
	return m.Sum(nil)
}

// derive returns an xid whose time is the start of the day and whose other
// eight bytes are the keyed hash.
func (d *Derived) derive(salt []byte, dayNum int64, ip netip.Addr, ua string) string {
	m := hmac.New(sha256.New, salt)
	m.Write([]byte(d.store))
	m.Write([]byte{0})
	ipb, _ := ip.MarshalBinary()
	m.Write(ipb)
	m.Write([]byte{0})
	m.Write([]byte(ua))
	sum := m.Sum(nil)
	var x xid.ID
	binary.BigEndian.PutUint32(x[:4], uint32(dayNum*int64(day/time.Second)))
	copy(x[4:], sum[:8])
	return x.String()
}

// Keep does nothing: a derived ID needs no cookie.
func (d *Derived) Keep(http.ResponseWriter, *http.Request, Visit) error { return nil }

// Drop does nothing: there is no cookie to delete.
func (d *Derived) Drop(http.ResponseWriter, *http.Request) error { return nil }

// Present reports false: a derived ID leaves nothing on the device.
func (d *Derived) Present(*http.Request) bool { return false }

// ClientIP returns the address of the client that sent r. It is the address
// in r.RemoteAddr unless that is one of the trusted proxies, in which case it
// is the right-most address in X-Forwarded-For that is not a trusted proxy.
// It returns the zero Addr when RemoteAddr does not parse.
func ClientIP(r *http.Request, trusted []netip.Prefix) netip.Addr {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	addr = addr.Unmap()
	if !isTrusted(addr, trusted) {
		return addr
	}
	hops := r.Header.Values("X-Forwarded-For")
	for i := len(hops) - 1; i >= 0; i-- {
		parts := strings.Split(hops[i], ",")
		for j := len(parts) - 1; j >= 0; j-- {
			a, err := netip.ParseAddr(strings.TrimSpace(parts[j]))
			if err != nil {
				return addr // a garbled chain: stop at the last address we trust
			}
			a = a.Unmap()
			if !isTrusted(a, trusted) {
				return a
			}
			addr = a
		}
	}
	return addr
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

var _ Cookieless = (*Derived)(nil)
