package middleware_test

import (
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/visitrack/visitrack/consent"
	"github.com/visitrack/visitrack/middleware"
	"github.com/visitrack/visitrack/session"
	"github.com/visitrack/visitrack/tracker"
)

func TestDefaultConsentDecision(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		choice  string // value of vt_consent; "" for none
		gpc     bool
		want    consent.State
		cookies []string // names of the cookies set
	}{
		{name: "nothing", want: consent.Cookieless, cookies: []string{"vt_s"}},
		{name: "GPC", gpc: true, want: consent.Cookieless, cookies: []string{"vt_s"}},
		{name: "choice persistent", choice: "persistent", want: consent.Persistent, cookies: []string{"vt_id"}},
		{name: "choice persistent wins over GPC", choice: "persistent", gpc: true, want: consent.Persistent, cookies: []string{"vt_id"}},
		{name: "choice cookieless", choice: "cookieless", want: consent.Cookieless, cookies: []string{"vt_s"}},
		{name: "choice disabled", choice: "disabled", want: consent.Disabled},
		{name: "choice disabled with GPC", choice: "disabled", gpc: true, want: consent.Disabled},
		{name: "garbage choice", choice: "yes-please", want: consent.Cookieless, cookies: []string{"vt_s"}},
		{name: "garbage choice with GPC", choice: "PERSISTENT", gpc: true, want: consent.Cookieless, cookies: []string{"vt_s"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			r := newRequest("http://shop.example/")
			if tt.choice != "" {
				r.AddCookie(&http.Cookie{Name: "vt_consent", Value: tt.choice})
			}
			if tt.gpc {
				r.Header.Set("Sec-GPC", "1")
			}
			resp := serve(f.m.Handler(echo), r)
			v := parseVisit(t, body(t, resp))
			assert.Equal(t, tt.want, v.State)
			assert.Equal(t, tt.want != consent.Disabled, session.ValidID(v.ID), "ID %q", v.ID)
			assert.Equal(t, tt.cookies, cookieNames(resp))
		})
	}
}

func TestPersistentCookie(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	h := f.m.Handler(echo)
	b := newBrowser()
	b.cookies["vt_consent"] = &http.Cookie{Name: "vt_consent", Value: "persistent"}
	resp, first := b.do(t, h, "http://shop.example/")
	require.Equal(t, consent.Persistent, first.State)
	require.True(t, session.ValidID(first.ID))

	c := setCookie(resp, "vt_id")
	require.NotNil(t, c)
	const thirteenMonths = 395 * 24 * time.Hour
	assert.InDelta(t, thirteenMonths.Seconds(), float64(c.MaxAge), (24 * time.Hour).Seconds())
	assert.WithinDuration(t, t0.Add(thirteenMonths), c.Expires, 24*time.Hour)
	assert.True(t, c.HttpOnly)
	assert.Equal(t, http.SameSiteLaxMode, c.SameSite)
	assert.Equal(t, "/", c.Path)
	assert.False(t, c.Secure)
	assert.NotContains(t, c.Value, first.ID)
	assert.Contains(t, resp.Header.Values("Vary"), "Cookie")

	// A visit months later keeps the ID and does not extend the cookie.
	f.clock.Add(300 * 24 * time.Hour)
	resp, again := b.do(t, h, "http://shop.example/")
	assert.Equal(t, first.ID, again.ID)
	assert.Empty(t, resp.Header.Values("Set-Cookie"))

	// Past 13 months the cookie has expired: a new ID.
	f.clock.Add(96 * 24 * time.Hour)
	resp, later := b.do(t, h, "http://shop.example/")
	assert.True(t, session.ValidID(later.ID))
	assert.NotEqual(t, first.ID, later.ID)
	assert.NotNil(t, setCookie(resp, "vt_id"))
}

func TestGPCDropsLongTermCookieWithoutChoice(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	// A vt_id issued under a recorded choice that the visitor has since
	// cleared: GPC without a choice caps at Cookieless.
	b := newBrowser()
	b.cookies["vt_consent"] = &http.Cookie{Name: "vt_consent", Value: "persistent"}
	b.do(t, f.m.Handler(echo), "http://shop.example/")
	require.True(t, b.has("vt_id"))
	delete(b.cookies, "vt_consent")

	r := b.request("http://shop.example/")
	r.Header.Set("Sec-GPC", "1")
	resp := serve(f.m.Handler(echo), r)
	v := parseVisit(t, body(t, resp))
	assert.Equal(t, consent.Cookieless, v.State)
	assert.True(t, session.ValidID(v.ID))
	assert.True(t, deleted(setCookie(resp, "vt_id")))
	assert.NotNil(t, setCookie(resp, "vt_s"))
}

func TestConsentHook(t *testing.T) {
	t.Parallel()

	t.Run("fixed disabled", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t, func(c *middleware.Config) { c.Consent = consent.Fixed(consent.Disabled) })
		var params map[string]any
		h := f.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			tr := tracker.From(r.Context())
			call, err := tr.Call("recommendations/trending", "Homepage - Trending")
			if !assert.NoError(t, err) {
				return
			}
			params = call.Params()
			assert.NoError(t, call.Shown("1", "2"))
			assert.NoError(t, tr.View("1"))
			assert.NoError(t, tr.Sale(tracker.Sale{ID: "567", Products: []tracker.Line{{ID: "1", Price: 1, Quantity: 1}}}))
			assert.False(t, tr.Enabled())
			echo(w, r)
		}))
		resp := serve(h, newRequest("http://shop.example/"))
		v := parseVisit(t, body(t, resp))
		assert.Equal(t, visit{ID: "", State: consent.Disabled}, v)
		assert.Empty(t, resp.Header.Values("Set-Cookie"))
		assert.Empty(t, resp.Header.Values("Vary"))
		assert.Empty(t, resp.Header.Values("Cache-Control"))
		assert.Zero(t, f.rec.Len())
		require.NotNil(t, params)
		assert.Contains(t, params, "visitor")
		assert.Nil(t, params["visitor"])
	})

	t.Run("fixed persistent", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t, func(c *middleware.Config) { c.Consent = consent.Fixed(consent.Persistent) })
		resp := serve(f.m.Handler(echo), newRequest("http://shop.example/"))
		v := parseVisit(t, body(t, resp))
		assert.Equal(t, consent.Persistent, v.State)
		assert.Equal(t, []string{"vt_id"}, cookieNames(resp))
	})

	for name, hook := range map[string]consent.Hook{
		"unknown":       consent.Fixed(consent.Unknown),
		"invalid state": consent.Fixed(consent.State(42)),
		"empty chain":   consent.Chain(),
	} {
		t.Run(name+" gives cookieless", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, func(c *middleware.Config) { c.Consent = hook })
			resp := serve(f.m.Handler(echo), newRequest("http://shop.example/"))
			v := parseVisit(t, body(t, resp))
			assert.Equal(t, consent.Cookieless, v.State)
			assert.True(t, session.ValidID(v.ID))
			assert.Equal(t, []string{"vt_s"}, cookieNames(resp))
		})
	}

	t.Run("custom choice cookie name", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t, func(c *middleware.Config) { c.ChoiceCookie = "shop_consent" })
		r := newRequest("http://shop.example/",
			&http.Cookie{Name: "vt_consent", Value: "disabled"},
			&http.Cookie{Name: "shop_consent", Value: "persistent"})
		resp := serve(f.m.Handler(echo), r)
		assert.Equal(t, consent.Persistent, parseVisit(t, body(t, resp)).State)

		resp = serve(f.m.Handler(consentTo(t, consent.Cookieless)), newRequest("http://shop.example/"))
		assert.Equal(t, "cookieless", setCookie(resp, "shop_consent").Value)
		assert.Nil(t, setCookie(resp, "vt_consent"))
	})
}

func TestDisabledDeletesVisitorCookies(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	// Collect genuine cookies of both kinds.
	b := newBrowser()
	b.do(t, f.m.Handler(echo), "http://shop.example/")
	b.do(t, f.m.Handler(consentTo(t, consent.Persistent)), "http://shop.example/")
	vtS := serve(f.m.Handler(echo), newRequest("http://shop.example/"))
	b.cookies["vt_s"] = setCookie(vtS, "vt_s")
	require.True(t, b.has("vt_s"))
	require.True(t, b.has("vt_id"))

	for name, edit := range map[string]func(*http.Request){
		"recorded refusal": func(r *http.Request) {
			r.Header.Del("Cookie")
			r.AddCookie(&http.Cookie{Name: "vt_consent", Value: "disabled"})
			r.AddCookie(b.cookies["vt_s"])
			r.AddCookie(b.cookies["vt_id"])
		},
		"bot": func(r *http.Request) { r.Header.Set("User-Agent", "Googlebot/2.1 (+http://www.google.com/bot.html)") },
	} {
		t.Run(name, func(t *testing.T) {
			r := b.request("http://shop.example/")
			edit(r)
			resp := serve(f.m.Handler(echo), r)
			v := parseVisit(t, body(t, resp))
			assert.Equal(t, visit{State: consent.Disabled}, v)
			assert.True(t, deleted(setCookie(resp, "vt_s")), "vt_s deleted")
			assert.True(t, deleted(setCookie(resp, "vt_id")), "vt_id deleted")
			assert.Nil(t, setCookie(resp, "vt_consent"), "the choice stays")
			assert.Contains(t, resp.Header.Values("Vary"), "Cookie")
			assert.Contains(t, resp.Header.Get("Cache-Control"), `no-cache="Set-Cookie"`)
		})
	}
}

// cookieState is a consent state set up with a real prior request.
func setUpState(t *testing.T, f *fixture, s consent.State) (*browser, string) {
	t.Helper()
	b := newBrowser()
	_, v := b.do(t, f.m.Handler(consentTo(t, s)), "http://shop.example/")
	require.Equal(t, s, v.State)
	require.Equal(t, s.String(), b.cookies["vt_consent"].Value)
	switch s {
	case consent.Disabled:
		require.Empty(t, v.ID)
		require.False(t, b.has("vt_s"))
		require.False(t, b.has("vt_id"))
	case consent.Cookieless:
		require.True(t, session.ValidID(v.ID))
		require.True(t, b.has("vt_s"))
		require.False(t, b.has("vt_id"))
	case consent.Persistent:
		require.True(t, session.ValidID(v.ID))
		require.True(t, b.has("vt_id"))
		require.False(t, b.has("vt_s"))
	}
	return b, v.ID
}

func TestSetConsentTransitions(t *testing.T) {
	t.Parallel()
	states := []consent.State{consent.Disabled, consent.Cookieless, consent.Persistent}
	cookieOf := map[consent.State]string{consent.Cookieless: "vt_s", consent.Persistent: "vt_id"}
	for _, from := range states {
		for _, to := range states {
			t.Run(from.String()+" to "+to.String(), func(t *testing.T) {
				t.Parallel()
				f := newFixture(t)
				b, id0 := setUpState(t, f, from)
				f.rec.Reset()

				var before, after visit
				var setErr error
				h := f.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					tr := tracker.From(r.Context())
					before = visit{tr.Visitor(), tr.Consent()}
					tr.View("before")
					setErr = middleware.SetConsent(w, r, to)
					after = visit{tr.Visitor(), tr.Consent()}
					tr.View("after")
					io.WriteString(w, "ok")
				}))
				resp := serve(h, b.request("http://shop.example/"))
				require.NoError(t, setErr)
				assert.Equal(t, "ok", body(t, resp))
				b.update(resp)

				// The request started in the "from" state.
				assert.Equal(t, visit{id0, from}, before)

				// The choice is recorded in the same response.
				choice := setCookie(resp, "vt_consent")
				require.NotNil(t, choice)
				assert.Equal(t, to.String(), choice.Value)
				assert.Positive(t, choice.MaxAge)
				assert.True(t, choice.HttpOnly)
				assert.Equal(t, http.SameSiteLaxMode, choice.SameSite)
				assert.Equal(t, "/", choice.Path)

				// The tracker switched within the request.
				assert.Equal(t, to, after.State)
				switch {
				case to == consent.Disabled:
					assert.Empty(t, after.ID)
				case from == consent.Disabled:
					assert.True(t, session.ValidID(after.ID), "fresh ID %q", after.ID)
				default:
					assert.Equal(t, id0, after.ID, "the visit keeps its ID")
				}

				// Events before SetConsent follow "from", after it "to".
				var got []string
				for _, e := range f.rec.Events() {
					got = append(got, e.Product+"@"+e.Visitor)
				}
				var want []string
				if from != consent.Disabled {
					want = append(want, "before@"+id0)
				}
				if to != consent.Disabled {
					want = append(want, "after@"+after.ID)
				}
				assert.Equal(t, want, got)

				// Cookies: only what the transition needs.
				for _, s := range []consent.State{consent.Cookieless, consent.Persistent} {
					name := cookieOf[s]
					c := setCookie(resp, name)
					switch {
					case s == to && from != to:
						require.NotNil(t, c, "%s set", name)
						assert.False(t, deleted(c), "%s set", name)
					case s == from && from != to:
						assert.True(t, deleted(c), "%s deleted", name)
					default:
						assert.Nil(t, c, "%s untouched", name)
					}
				}
				if from == to {
					assert.Equal(t, []string{"vt_consent"}, cookieNames(resp), "same to same only records the choice")
				}
				if to == consent.Persistent && from != to {
					c := setCookie(resp, "vt_id")
					assert.Greater(t, c.MaxAge, int((365 * 24 * time.Hour).Seconds()))
				}
				if to == consent.Cookieless && from != to {
					c := setCookie(resp, "vt_s")
					assert.Zero(t, c.MaxAge, "a browser-session cookie")
				}

				// The browser holds exactly the cookies of the new state,
				// and the next request continues the same visit.
				assert.Equal(t, to == consent.Cookieless, b.has("vt_s"))
				assert.Equal(t, to == consent.Persistent, b.has("vt_id"))
				resp, next := b.do(t, f.m.Handler(echo), "http://shop.example/")
				assert.Equal(t, visit{after.ID, to}, next)
				assert.Empty(t, resp.Header.Values("Set-Cookie"), "nothing left to change")
			})
		}
	}
}

func TestSetConsentTwiceInOneRequest(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	h := f.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		require.NoError(t, middleware.SetConsent(w, r, consent.Persistent))
		require.NoError(t, middleware.SetConsent(w, r, consent.Disabled))
		echo(w, r)
	}))
	resp := serve(h, newRequest("http://shop.example/"))
	assert.Equal(t, visit{State: consent.Disabled}, parseVisit(t, body(t, resp)))
	assert.Equal(t, []string{"vt_consent"}, cookieNames(resp), "the last choice wins; no visitor cookie was ever sent")
	assert.Equal(t, "disabled", setCookie(resp, "vt_consent").Value)
}

func TestSetConsentErrors(t *testing.T) {
	t.Parallel()
	f := newFixture(t)

	t.Run("after the handler wrote", func(t *testing.T) {
		for name, start := range map[string]func(http.ResponseWriter){
			"Write":       func(w http.ResponseWriter) { io.WriteString(w, "hello") },
			"WriteHeader": func(w http.ResponseWriter) { w.WriteHeader(http.StatusNoContent) },
			"Flush":       func(w http.ResponseWriter) { http.NewResponseController(w).Flush() },
		} {
			t.Run(name, func(t *testing.T) {
				var err error
				h := f.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					start(w)
					err = middleware.SetConsent(w, r, consent.Persistent)
				}))
				resp := serve(h, newRequest("http://shop.example/"))
				assert.ErrorIs(t, err, middleware.ErrCommitted)
				assert.Nil(t, setCookie(resp, "vt_consent"))
				assert.Nil(t, setCookie(resp, "vt_id"))
				assert.NotNil(t, setCookie(resp, "vt_s"), "the request's own state was committed")
			})
		}
	})

	t.Run("without middleware", func(t *testing.T) {
		rec := newRequest("http://shop.example/")
		w := &headerOnly{h: http.Header{}}
		assert.ErrorIs(t, middleware.SetConsent(w, rec, consent.Cookieless), middleware.ErrNoMiddleware)
		assert.Empty(t, w.h)
	})

	t.Run("bad states", func(t *testing.T) {
		for _, s := range []consent.State{consent.Unknown, consent.State(9)} {
			var err error
			var after consent.State
			h := f.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				err = middleware.SetConsent(w, r, s)
				after = tracker.From(r.Context()).Consent()
			}))
			resp := serve(h, newRequest("http://shop.example/"))
			require.Error(t, err, "SetConsent(%v)", s)
			assert.True(t, errors.Is(err, consent.ErrBadState), "%v", err)
			assert.Equal(t, consent.Cookieless, after, "state unchanged")
			assert.Nil(t, setCookie(resp, "vt_consent"))
		}
	})
}

// A banner that records the choice on the client (a script writing the
// choice cookie) promotes the visit on the next request.
func TestChoiceCookieSetByClientPromotesVisit(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	h := f.m.Handler(echo)
	b := newBrowser()
	_, first := b.do(t, h, "http://shop.example/")
	require.True(t, b.has("vt_s"))

	b.cookies["vt_consent"] = &http.Cookie{Name: "vt_consent", Value: "persistent"}
	resp, v := b.do(t, h, "http://shop.example/")
	assert.Equal(t, visit{first.ID, consent.Persistent}, v)
	assert.NotNil(t, setCookie(resp, "vt_id"))
	assert.True(t, deleted(setCookie(resp, "vt_s")))
	assert.Nil(t, setCookie(resp, "vt_consent"), "the client's choice stands")

	resp, v = b.do(t, h, "http://shop.example/")
	assert.Equal(t, visit{first.ID, consent.Persistent}, v)
	assert.Empty(t, resp.Header.Values("Set-Cookie"))
	assert.Empty(t, f.log.String(), "a missing vt_id is no rejection")
}
