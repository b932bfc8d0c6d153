package session_test

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/visitrack/visitrack/session"
)

const firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"

func from(remote, ua string, xff ...string) *http.Request {
	r := get()
	r.RemoteAddr = remote
	r.Header.Set("User-Agent", ua)
	for _, h := range xff {
		r.Header.Add("X-Forwarded-For", h)
	}
	return r
}

func derive(t *testing.T, d *session.Derived, r *http.Request) string {
	t.Helper()
	v, err := d.Load(r)
	require.NoError(t, err)
	require.True(t, session.ValidID(v.ID), v.ID)
	return v.ID
}

var secret = []byte("shop secret, shared by instances")

// at is a UTC instant in March 2026, for the tests that cross midnight.
func at(day, h, m int) time.Time { return time.Date(2026, 3, day, h, m, 0, 0, time.UTC) }

func TestDerivedStable(t *testing.T) {
	t.Parallel()
	d, clk := newDerivedAt(start, session.DerivedConfig{Store: "shop", Secret: secret})
	id := derive(t, d, from("203.0.113.7:5000", firefox))

	clk.Add(3 * time.Hour)
	assert.Equal(t, id, derive(t, d, from("203.0.113.7:6001", firefox)), "the port does not matter")
	assert.Equal(t, id, derive(t, session.NewDerived(session.DerivedConfig{Store: "shop", Secret: secret, Now: clk.Now}), from("203.0.113.7:1", firefox)),
		"another instance with the same secret")

	others := map[string]string{
		"store":  derive(t, session.NewDerived(session.DerivedConfig{Store: "other", Secret: secret, Now: clk.Now}), from("203.0.113.7:1", firefox)),
		"secret": derive(t, session.NewDerived(session.DerivedConfig{Store: "shop", Secret: []byte("x"), Now: clk.Now}), from("203.0.113.7:1", firefox)),
		"random": derive(t, session.NewDerived(session.DerivedConfig{Store: "shop", Now: clk.Now}), from("203.0.113.7:1", firefox)),
		"ua":     derive(t, d, from("203.0.113.7:1", firefox+" ")),
		"no ua":  derive(t, d, from("203.0.113.7:1", "")),
		"ip":     derive(t, d, from("203.0.113.8:1", firefox)),
		"ipv6":   derive(t, d, from("[2001:db8::7]:1", firefox)),
	}
	seen := map[string]string{id: "original"}
	for what, other := range others {
		assert.NotEqual(t, id, other, what)
		assert.NotContains(t, seen, other, "%s collides with %s", what, seen[other])
		seen[other] = what
	}
}

func TestDerivedSetsNoCookie(t *testing.T) {
	t.Parallel()
	d := session.NewDerived(session.DerivedConfig{})
	r := from("192.0.2.1:1", firefox)
	v, err := d.Load(r)
	require.NoError(t, err)
	w := httptest.NewRecorder()
	require.NoError(t, d.Keep(w, r, v))
	require.NoError(t, d.Drop(w, r))
	assert.Empty(t, w.Header())
	assert.False(t, d.Present(r))
}

func TestDerivedNewIDEachDay(t *testing.T) {
	t.Parallel()
	d, clk := newDerivedAt(start, session.DerivedConfig{Secret: secret})
	r := from("192.0.2.1:1", firefox)
	monday := derive(t, d, r)
	clk.Set(time.Date(2026, 3, 15, 0, 5, 0, 0, time.UTC))
	tuesday := derive(t, d, r)
	assert.NotEqual(t, monday, tuesday, "not active before midnight")
	clk.Set(time.Date(2026, 3, 15, 23, 0, 0, 0, time.UTC))
	assert.Equal(t, tuesday, derive(t, d, r))
	clk.Set(time.Date(2026, 3, 17, 0, 0, 0, 0, time.UTC))
	assert.NotEqual(t, tuesday, derive(t, d, r))
}

func TestDerivedSpansMidnight(t *testing.T) {
	t.Parallel()
	d, clk := newDerivedAt(at(14, 23, 50), session.DerivedConfig{Secret: secret})
	active := from("192.0.2.1:1", firefox)
	quiet := from("192.0.2.2:1", firefox)

	before := derive(t, d, active)
	clk.Set(at(14, 12, 0))
	quietBefore := derive(t, d, quiet) // active at noon only

	clk.Set(at(15, 0, 10))
	assert.Equal(t, before, derive(t, d, active), "active 20 minutes before midnight: keeps the ID")
	assert.NotEqual(t, quietBefore, derive(t, d, quiet), "not active before midnight: a new ID")

	clk.Set(at(15, 0, 25))
	assert.Equal(t, before, derive(t, d, active), "still within the idle timeout of the last request")

	// Idle longer than the timeout: the previous day's ID is dropped.
	other := from("192.0.2.3:1", firefox)
	clk.Set(at(14, 23, 45))
	otherBefore := derive(t, d, other)
	clk.Set(at(15, 0, 16))
	assert.NotEqual(t, otherBefore, derive(t, d, other), "idle 31 minutes across midnight")

	// Once the previous day's ID is dropped, the visitor has today's ID.
	clk.Set(at(15, 12, 0))
	today := derive(t, d, active)
	assert.NotEqual(t, before, today)
	clk.Set(at(15, 13, 0))
	assert.Equal(t, today, derive(t, d, active))
}

func TestDerivedSpansMidnightConfiguredIdle(t *testing.T) {
	t.Parallel()
	d, clk := newDerivedAt(at(14, 22, 30), session.DerivedConfig{Secret: secret, IdleTimeout: 2 * time.Hour})
	r := from("192.0.2.1:1", firefox)
	before := derive(t, d, r)
	clk.Set(at(15, 0, 20))
	assert.Equal(t, before, derive(t, d, r), "within two hours")

	short := session.NewDerived(session.DerivedConfig{Secret: secret, Now: clk.Now, IdleTimeout: 5 * time.Minute})
	clk.Set(at(14, 23, 56))
	before = derive(t, short, r)
	clk.Set(at(15, 0, 2))
	assert.NotEqual(t, before, derive(t, short, r), "idle six minutes with a five-minute timeout")
}

func TestDerivedMaxTracked(t *testing.T) {
	t.Parallel()
	d, clk := newDerivedAt(at(14, 23, 50), session.DerivedConfig{Secret: secret, MaxTracked: 2})
	a, b, c := from("192.0.2.1:1", firefox), from("192.0.2.2:1", firefox), from("192.0.2.3:1", firefox)
	idA, idB, idC := derive(t, d, a), derive(t, d, b), derive(t, d, c)

	clk.Set(at(15, 0, 5))
	assert.Equal(t, idA, derive(t, d, a))
	assert.Equal(t, idB, derive(t, d, b))
	assert.NotEqual(t, idC, derive(t, d, c), "past MaxTracked a visit spanning midnight gets a new ID")
}

func TestDerivedXForwardedFor(t *testing.T) {
	t.Parallel()
	plain, clk := newDerivedAt(start, session.DerivedConfig{Secret: secret})
	direct := derive(t, plain, from("10.0.0.1:1", firefox))
	assert.Equal(t, direct, derive(t, plain, from("10.0.0.1:1", firefox, "203.0.113.9")),
		"X-Forwarded-For is ignored by default")

	proxied := session.NewDerived(session.DerivedConfig{Secret: secret, Now: clk.Now,
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}})
	viaProxy := derive(t, proxied, from("10.0.0.1:1", firefox, "203.0.113.9"))
	assert.Equal(t, derive(t, proxied, from("203.0.113.9:1", firefox)), viaProxy, "the client behind the trusted proxy")
	assert.Equal(t, viaProxy, derive(t, proxied, from("10.0.0.2:1", firefox, "203.0.113.9, 10.0.0.7")))
	assert.NotEqual(t, viaProxy, derive(t, proxied, from("10.0.0.1:1", firefox, "203.0.113.10")))
	// From an untrusted address the header is ignored.
	assert.Equal(t, derive(t, proxied, from("198.51.100.1:1", firefox)),
		derive(t, proxied, from("198.51.100.1:1", firefox, "203.0.113.9")))
}

func TestClientIP(t *testing.T) {
	t.Parallel()
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}
	tests := []struct {
		name    string
		remote  string
		xff     []string
		trusted []netip.Prefix
		want    string
	}{
		{"ipv4", "192.0.2.1:1234", nil, nil, "192.0.2.1"},
		{"ipv4 no port", "192.0.2.1", nil, nil, "192.0.2.1"},
		{"ipv6", "[2001:db8::1]:443", nil, nil, "2001:db8::1"},
		{"ipv6 no port", "2001:db8::1", nil, nil, "2001:db8::1"},
		{"ipv4-mapped", "[::ffff:192.0.2.1]:443", nil, nil, "192.0.2.1"},
		{"garbage", "not an address", nil, nil, "invalid IP"},
		{"empty", "", nil, nil, "invalid IP"},
		{"garbage port", "192.0.2.1:x", nil, nil, "192.0.2.1"},
		{"xff ignored by default", "192.0.2.1:1", []string{"203.0.113.1"}, nil, "192.0.2.1"},
		{"xff from untrusted", "192.0.2.1:1", []string{"203.0.113.1"}, trusted, "192.0.2.1"},
		{"xff from trusted", "10.1.2.3:1", []string{"203.0.113.1"}, trusted, "203.0.113.1"},
		{"rightmost untrusted", "10.1.2.3:1", []string{"198.51.100.1, 203.0.113.1, 10.9.9.9"}, trusted, "203.0.113.1"},
		{"spoofed left entries", "10.1.2.3:1", []string{"1.1.1.1, 2.2.2.2", "203.0.113.1"}, trusted, "203.0.113.1"},
		{"across headers", "10.1.2.3:1", []string{"203.0.113.1", "10.4.4.4"}, trusted, "203.0.113.1"},
		{"all trusted", "10.1.2.3:1", []string{"10.4.4.4, 10.5.5.5"}, trusted, "10.4.4.4"},
		{"no header", "10.1.2.3:1", nil, trusted, "10.1.2.3"},
		{"garbled chain", "10.1.2.3:1", []string{"203.0.113.1, junk, 10.5.5.5"}, trusted, "10.5.5.5"},
		{"mapped in header", "10.1.2.3:1", []string{"::ffff:203.0.113.1"}, trusted, "203.0.113.1"},
		{"ipv6 proxy", "[fd00::1]:1", []string{"2001:db8::9"}, trusted, "2001:db8::9"},
		{"mapped trusted proxy", "[::ffff:10.1.2.3]:1", []string{"203.0.113.1"}, trusted, "203.0.113.1"},
	}
	for _, tt := range tests {
		r := from(tt.remote, firefox, tt.xff...)
		assert.Equal(t, tt.want, session.ClientIP(r, tt.trusted).String(), tt.name)
	}
}

func TestDerivedGarbageRemoteAddr(t *testing.T) {
	t.Parallel()
	d := session.NewDerived(session.DerivedConfig{Secret: secret})
	for _, remote := range []string{"", "garbage", "[::1", "1.2.3.4.5:6"} {
		v, err := d.Load(from(remote, firefox))
		require.NoError(t, err, remote)
		assert.True(t, session.ValidID(v.ID), remote)
	}
}

func TestDerivedCarriesIDWhileVisitLasts(t *testing.T) {
	t.Parallel()
	d, clk := newDerivedAt(at(14, 23, 50), session.DerivedConfig{Secret: secret})
	r := from("192.0.2.1:1", firefox)
	before := derive(t, d, r)
	// A request every 20 minutes keeps the visit, and its ID, alive well
	// past the first IdleTimeout after midnight.
	for _, m := range []int{5, 25, 45, 65, 85, 105} {
		clk.Set(at(15, m/60, m%60))
		assert.Equal(t, before, derive(t, d, r), "at 00:%02d + %dh", m%60, m/60)
	}
	// An idle pause ends the visit; the next one has today's ID, and keeps it.
	clk.Set(at(15, 3, 0))
	today := derive(t, d, r)
	assert.NotEqual(t, before, today)
	clk.Set(at(15, 3, 10))
	assert.Equal(t, today, derive(t, d, r))
}
