package middleware_test

import (
	"context"
	"crypto/tls"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/visitrack/visitrack/consent"
	"github.com/visitrack/visitrack/middleware"
	"github.com/visitrack/visitrack/session"
)

func TestNewVisitorGetsSessionCookie(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	resp := serve(f.m.Handler(echo), newRequest("http://shop.example/"))
	v := parseVisit(t, body(t, resp))

	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.True(t, session.ValidID(v.ID), "ID %q", v.ID)
	assert.Equal(t, consent.Cookieless, v.State)

	assert.Equal(t, []string{"vt_s"}, cookieNames(resp), "only the browser-session cookie")
	c := setCookie(resp, "vt_s")
	require.NotNil(t, c)
	assert.NotEmpty(t, c.Value)
	assert.NotContains(t, c.Value, v.ID, "the ID is encrypted")
	assert.Zero(t, c.MaxAge, "browser-session cookie: no Max-Age")
	assert.True(t, c.Expires.IsZero(), "browser-session cookie: no Expires")
	assert.Empty(t, c.RawExpires)
	assert.True(t, c.HttpOnly)
	assert.Equal(t, http.SameSiteLaxMode, c.SameSite)
	assert.Equal(t, "/", c.Path)
	assert.Empty(t, c.Domain, "host-only")
	assert.False(t, c.Secure, "plain HTTP")

	assert.Contains(t, resp.Header.Values("Vary"), "Cookie")
	assert.Contains(t, resp.Header.Get("Cache-Control"), `no-cache="Set-Cookie"`)
}

func TestCacheHeadersOnSetCookie(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		cacheControl []string // set by the handler
		vary         []string // set by the handler
		wantCC       string
		wantVary     []string
	}{
		{name: "none", wantCC: `no-cache="Set-Cookie"`, wantVary: []string{"Cookie"}},
		{name: "public", cacheControl: []string{"public, max-age=60"},
			wantCC: `public, max-age=60, no-cache="Set-Cookie"`, wantVary: []string{"Cookie"}},
		{name: "two headers", cacheControl: []string{"public", "max-age=60"},
			wantCC: `public, max-age=60, no-cache="Set-Cookie"`, wantVary: []string{"Cookie"}},
		{name: "private", cacheControl: []string{"private, max-age=60"},
			wantCC: "private, max-age=60", wantVary: []string{"Cookie"}},
		{name: "no-store", cacheControl: []string{"no-store"}, wantCC: "no-store", wantVary: []string{"Cookie"}},
		{name: "bare no-cache", cacheControl: []string{"no-cache"}, wantCC: "no-cache", wantVary: []string{"Cookie"}},
		{name: "no-cache naming another field", cacheControl: []string{`no-cache="Authorization"`},
			wantCC: `no-cache="Authorization", no-cache="Set-Cookie"`, wantVary: []string{"Cookie"}},
		{name: "vary accept-encoding", vary: []string{"Accept-Encoding"},
			wantCC: `no-cache="Set-Cookie"`, wantVary: []string{"Accept-Encoding", "Cookie"}},
		{name: "vary cookie already", vary: []string{"Accept-Encoding, cookie"},
			wantCC: `no-cache="Set-Cookie"`, wantVary: []string{"Accept-Encoding, cookie"}},
		{name: "vary star", vary: []string{"*"}, wantCC: `no-cache="Set-Cookie"`, wantVary: []string{"*"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			h := f.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				for _, v := range tt.cacheControl {
					w.Header().Add("Cache-Control", v)
				}
				for _, v := range tt.vary {
					w.Header().Add("Vary", v)
				}
				io.WriteString(w, "ok")
			}))
			resp := serve(h, newRequest("http://shop.example/"))
			require.NotNil(t, setCookie(resp, "vt_s"))
			assert.Equal(t, tt.wantCC, strings.Join(resp.Header.Values("Cache-Control"), ", "))
			assert.Equal(t, tt.wantVary, resp.Header.Values("Vary"))
		})
	}
}

func TestReturningVisitorKeepsID(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	h := f.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=60")
		echo(w, r)
	}))
	b := newBrowser()
	_, first := b.do(t, h, "http://shop.example/")
	require.True(t, session.ValidID(first.ID))

	resp, again := b.do(t, h, "http://shop.example/other")
	assert.Equal(t, first.ID, again.ID)
	assert.Equal(t, consent.Cookieless, again.State)
	assert.Empty(t, resp.Header.Values("Set-Cookie"))
	assert.Empty(t, resp.Header.Values("Vary"), "no cookie set: the response stays cacheable")
	assert.Equal(t, "public, max-age=60", resp.Header.Get("Cache-Control"))
}

func TestSessionRefresh(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	h := f.m.Handler(echo)
	b := newBrowser()
	_, first := b.do(t, h, "http://shop.example/")
	old := b.cookies["vt_s"].Value

	f.clock.Add(59 * time.Second)
	resp, v := b.do(t, h, "http://shop.example/")
	assert.Equal(t, first.ID, v.ID)
	assert.Nil(t, setCookie(resp, "vt_s"), "no refresh within a minute")

	f.clock.Add(2 * time.Second)
	resp, v = b.do(t, h, "http://shop.example/")
	assert.Equal(t, first.ID, v.ID)
	c := setCookie(resp, "vt_s")
	require.NotNil(t, c, "refreshed after more than a minute")
	assert.NotEqual(t, old, c.Value)
	assert.Zero(t, c.MaxAge)
	assert.True(t, c.Expires.IsZero())
	assert.Contains(t, resp.Header.Get("Cache-Control"), `no-cache="Set-Cookie"`)
	assert.Empty(t, f.log.String(), "a refresh is no rejection")
}

func TestSessionTimeouts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		every time.Duration // requests this far apart keep the ID...
		until time.Duration // ...this long after the first...
		then  time.Duration // ...and one this long after the last gets a new one
	}{
		{"30 minutes idle gives a new ID", 29 * time.Minute, 30 * time.Minute, 30*time.Minute + time.Second},
		{"24 hours in all gives a new ID however active", 25 * time.Minute, 24 * time.Hour, 25 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			h := f.m.Handler(echo)
			b := newBrowser()
			_, first := b.do(t, h, "http://shop.example/")
			for elapsed := tt.every; elapsed < tt.until; elapsed += tt.every {
				f.clock.Add(tt.every)
				_, v := b.do(t, h, "http://shop.example/")
				require.Equal(t, first.ID, v.ID, "after %v", elapsed)
			}

			f.clock.Add(tt.then)
			resp, v := b.do(t, h, "http://shop.example/")
			assert.True(t, session.ValidID(v.ID))
			assert.NotEqual(t, first.ID, v.ID)
			assert.NotNil(t, setCookie(resp, "vt_s"))
			assert.Contains(t, f.log.String(), "level=DEBUG")
		})
	}
}

func TestSecureCookies(t *testing.T) {
	t.Parallel()

	check := func(t *testing.T, resp *http.Response, name string) {
		t.Helper()
		c := setCookie(resp, name)
		require.NotNil(t, c, "cookie %s in %v", name, cookieNames(resp))
		assert.True(t, c.Secure)
		assert.True(t, c.HttpOnly)
		assert.Equal(t, "/", c.Path)
		assert.Empty(t, c.Domain)
		assert.Equal(t, http.SameSiteLaxMode, c.SameSite)
	}

	t.Run("TLS request", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		resp := serve(f.m.Handler(echo), newRequest("https://shop.example/"))
		check(t, resp, "__Host-vt_s")
		assert.Nil(t, setCookie(resp, "vt_s"))

		resp = serve(f.m.Handler(consentTo(t, consent.Persistent)), newRequest("https://shop.example/"))
		check(t, resp, "__Host-vt_id")
		check(t, resp, "__Host-vt_consent")
		assert.Equal(t, "persistent", setCookie(resp, "__Host-vt_consent").Value)
		assert.Nil(t, setCookie(resp, "vt_id"))
		assert.Nil(t, setCookie(resp, "vt_consent"))
	})

	t.Run("SecureAlways on plain HTTP", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t, func(c *middleware.Config) { c.Secure = session.SecureAlways })
		resp := serve(f.m.Handler(consentTo(t, consent.Cookieless)), newRequest("http://shop.example/"))
		check(t, resp, "__Host-vt_s")
		check(t, resp, "__Host-vt_consent")
		resp = serve(f.m.Handler(consentTo(t, consent.Persistent)), newRequest("http://shop.example/"))
		check(t, resp, "__Host-vt_id")
	})

	t.Run("TLS server round trip", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		srv := httptest.NewTLSServer(f.m.Handler(echo))
		t.Cleanup(srv.Close)
		jar, err := cookiejar.New(nil)
		require.NoError(t, err)
		client := srv.Client()
		client.Jar = jar

		get := func() (*http.Response, visit) {
			resp := fetch(t, context.Background(), client, srv.URL+"/")
			return resp, parseVisit(t, body(t, resp))
		}
		resp, first := get()
		check(t, resp, "__Host-vt_s")
		require.True(t, session.ValidID(first.ID))
		resp, again := get()
		assert.Equal(t, first.ID, again.ID, "the browser sends the __Host- cookie back")
		assert.Empty(t, resp.Header.Values("Set-Cookie"))
	})

	t.Run("TLS connection state set by hand", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		r := newRequest("http://shop.example/")
		r.TLS = &tls.ConnectionState{}
		resp := serve(f.m.Handler(echo), r)
		check(t, resp, "__Host-vt_s")
	})
}

// issue returns the visitor ID and the value of the cookie called name that f
// sets for a new visitor in state s.
func issue(t *testing.T, f *fixture, s consent.State, name string) (id, value string) {
	t.Helper()
	resp := serve(f.m.Handler(consentTo(t, s)), newRequest("http://shop.example/"))
	v := parseVisit(t, body(t, resp))
	c := setCookie(resp, name)
	require.NotNil(t, c, "%s in %v", name, cookieNames(resp))
	require.True(t, session.ValidID(v.ID))
	return v.ID, c.Value
}

// tamper changes one character in the middle of a cookie value.
func tamper(v string) string {
	b := []byte(v)
	i := len(b) / 2
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

func TestBadVisitorCookies(t *testing.T) {
	t.Parallel()
	home := newFixture(t)
	otherStore := newFixture(t, func(c *middleware.Config) { c.Store = "shop-se" })
	otherKeys := newFixture(t, func(c *middleware.Config) { c.Keys = keysB })

	rng := rand.New(rand.NewPCG(1, 2))
	random := make([]byte, 96)
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	randomB64 := make([]byte, 150)
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_="
	for i := range randomB64 {
		randomB64[i] = alphabet[rng.IntN(len(alphabet))]
	}

	type bad struct {
		value   string
		foreign string // the ID the cookie holds, which must not come back
	}
	values := func(state consent.State, name string) map[string]bad {
		genuineID, genuine := issue(t, home, state, name)
		seID, se := issue(t, otherStore, state, name)
		bID, b := issue(t, otherKeys, state, name)
		other := map[string]string{"vt_s": "vt_id", "vt_id": "vt_s"}[name]
		otherState := map[string]consent.State{"vt_s": consent.Persistent, "vt_id": consent.Cookieless}[name]
		xID, x := issue(t, home, otherState, other)
		return map[string]bad{
			"empty":                    {value: ""},
			"quotes":                   {value: `""`},
			"quoted garbage":           {value: `"not-a-cookie-at-all"`},
			"5 KB of A":                {value: strings.Repeat("A", 5<<10)},
			"random bytes":             {value: string(random)},
			"random base64":            {value: string(randomB64)},
			"tampered":                 {value: tamper(genuine), foreign: genuineID},
			"truncated":                {value: genuine[:len(genuine)-4], foreign: genuineID},
			"other store":              {value: se, foreign: seID},
			"other keys":               {value: b, foreign: bID},
			"the other cookie's value": {value: x, foreign: xID},
		}
	}

	for _, name := range []string{"vt_s", "vt_id"} {
		state := map[string]consent.State{"vt_s": consent.Cookieless, "vt_id": consent.Persistent}[name]
		for what, c := range values(state, name) {
			t.Run(name+"/"+what, func(t *testing.T) {
				t.Parallel()
				f := newFixture(t) // same keys and store as home, its own log
				r := newRequest("http://shop.example/")
				if state == consent.Persistent {
					r.AddCookie(&http.Cookie{Name: "vt_consent", Value: "persistent"})
				}
				r.Header.Add("Cookie", name+"="+c.value)
				var resp *http.Response
				require.NotPanics(t, func() { resp = serve(f.m.Handler(echo), r) })
				assert.Equal(t, http.StatusOK, resp.StatusCode)
				v := parseVisit(t, body(t, resp))
				assert.Equal(t, state, v.State)
				assert.True(t, session.ValidID(v.ID), "fresh ID %q", v.ID)
				assert.NotEqual(t, c.foreign, v.ID)
				fresh := setCookie(resp, name)
				require.NotNil(t, fresh, "a new %s", name)
				assert.False(t, deleted(fresh))

				log := f.log.String()
				assert.Contains(t, log, "level=DEBUG")
				assert.NotContains(t, log, "level=INFO")
				assert.NotContains(t, log, "level=WARN")
				assert.NotContains(t, log, "level=ERROR")
				if len(c.value) >= 8 {
					assert.NotContains(t, log, c.value)
					assert.NotContains(t, log, c.value[len(c.value)/2-4:len(c.value)/2+4])
				}
				if c.foreign != "" {
					assert.NotContains(t, log, c.foreign)
				}
			})
		}
	}

	for what, value := range map[string]string{
		"garbage":      "garbage-choice-value",
		"5 KB of A":    strings.Repeat("A", 5<<10),
		"random bytes": string(random),
		"quotes":       `""`,
		"upper case":   "PERSISTENT",
	} {
		t.Run("vt_consent/"+what, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			r := newRequest("http://shop.example/")
			r.Header.Add("Cookie", "vt_consent="+value)
			var resp *http.Response
			require.NotPanics(t, func() { resp = serve(f.m.Handler(echo), r) })
			assert.Equal(t, http.StatusOK, resp.StatusCode)
			v := parseVisit(t, body(t, resp))
			assert.Equal(t, consent.Cookieless, v.State, "the default")
			assert.True(t, session.ValidID(v.ID))
			assert.Nil(t, setCookie(resp, "vt_id"))
			if len(value) >= 8 {
				assert.NotContains(t, f.log.String(), value)
			}
		})
	}
}

func TestExpiredCookiesAreLogged(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	sID, s := issue(t, f, consent.Cookieless, "vt_s")
	pID, p := issue(t, f, consent.Persistent, "vt_id")
	f.clock.Add(400 * 24 * time.Hour)

	for name, r := range map[string]*http.Request{
		"vt_s": newRequest("http://shop.example/", &http.Cookie{Name: "vt_s", Value: s}),
		"vt_id": newRequest("http://shop.example/", &http.Cookie{Name: "vt_consent", Value: "persistent"},
			&http.Cookie{Name: "vt_id", Value: p}),
	} {
		resp := serve(f.m.Handler(echo), r)
		v := parseVisit(t, body(t, resp))
		assert.True(t, session.ValidID(v.ID), name)
		assert.NotEqual(t, sID, v.ID, name)
		assert.NotEqual(t, pID, v.ID, name)
		assert.NotNil(t, setCookie(resp, name))
	}
	log := f.log.String()
	assert.Equal(t, 2, strings.Count(log, "level=DEBUG"), "one record per rejected cookie:\n%s", log)
	assert.NotContains(t, log, s)
	assert.NotContains(t, log, p)
}

func TestNoLogForMissingCookies(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, r := range []*http.Request{
		newRequest("http://shop.example/"),
		newRequest("http://shop.example/", &http.Cookie{Name: "vt_consent", Value: "persistent"}),
		newRequest("http://shop.example/", &http.Cookie{Name: "vt_consent", Value: "cookieless"}),
		newRequest("http://shop.example/", &http.Cookie{Name: "vt_consent", Value: "disabled"}),
		newRequest("http://shop.example/", &http.Cookie{Name: "unrelated", Value: "x"}),
	} {
		resp := serve(f.m.Handler(echo), r)
		assert.Equal(t, http.StatusOK, resp.StatusCode)
	}
	// Returning visitors log nothing either.
	b := newBrowser()
	b.do(t, f.m.Handler(echo), "http://shop.example/")
	b.do(t, f.m.Handler(echo), "http://shop.example/")
	assert.Empty(t, f.log.String())
}

func TestKeyRotation(t *testing.T) {
	t.Parallel()
	old := newFixture(t)                                                                                             // Keys {A}
	rotated := newFixture(t, func(c *middleware.Config) { c.Keys = append(append([][]byte{}, keysB...), keysA...) }) // {B, A}
	onlyNew := newFixture(t, func(c *middleware.Config) { c.Keys = keysB })                                          // {B}

	for _, tc := range visitorCookies {
		t.Run(tc.name, func(t *testing.T) {
			id, value := issue(t, old, tc.state, tc.name)

			resp := serve(rotated.m.Handler(echo), inState(tc.state, tc.name, value))
			assert.Equal(t, visit{id, tc.state}, parseVisit(t, body(t, resp)), "an old key still verifies")
			assert.Nil(t, setCookie(resp, tc.name), "no need to reissue")

			resp = serve(onlyNew.m.Handler(echo), inState(tc.state, tc.name, value))
			v := parseVisit(t, body(t, resp))
			assert.NotEqual(t, id, v.ID, "a dropped key no longer verifies")

			// New cookies are signed with the newest pair.
			newID, newValue := issue(t, rotated, tc.state, tc.name)
			resp = serve(onlyNew.m.Handler(echo), inState(tc.state, tc.name, newValue))
			assert.Equal(t, newID, parseVisit(t, body(t, resp)).ID)
			resp = serve(old.m.Handler(echo), inState(tc.state, tc.name, newValue))
			assert.NotEqual(t, newID, parseVisit(t, body(t, resp)).ID)
		})
	}
}

func TestStoreBinding(t *testing.T) {
	t.Parallel()
	dk := newFixture(t)
	se := newFixture(t, func(c *middleware.Config) { c.Store = "shop-se" })
	for _, tc := range visitorCookies {
		t.Run(tc.name, func(t *testing.T) {
			id, value := issue(t, dk, tc.state, tc.name)
			resp := serve(dk.m.Handler(echo), inState(tc.state, tc.name, value))
			require.Equal(t, id, parseVisit(t, body(t, resp)).ID, "valid in its own store")

			resp = serve(se.m.Handler(echo), inState(tc.state, tc.name, value))
			v := parseVisit(t, body(t, resp))
			assert.True(t, session.ValidID(v.ID))
			assert.NotEqual(t, id, v.ID, "refused by another store")
			assert.NotNil(t, setCookie(resp, tc.name))
		})
	}
	assert.Contains(t, se.log.String(), "level=DEBUG")
	assert.Contains(t, se.log.String(), "shop-se")
}
