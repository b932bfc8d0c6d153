package consent_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/visitrack/visitrack/consent"
)

func TestChoiceCookieFor(t *testing.T) {
	t.Parallel()
	for _, s := range []consent.State{consent.Disabled, consent.Cookieless, consent.Persistent} {
		for _, secure := range []bool{false, true} {
			c := consent.ChoiceCookieFor("vt_consent", s, secure)
			wantName := "vt_consent"
			if secure {
				wantName = "__Host-vt_consent"
			}
			assert.Equal(t, wantName, c.Name)
			assert.Equal(t, s.String(), c.Value)
			assert.Equal(t, "/", c.Path)
			assert.Empty(t, c.Domain, "host-only")
			assert.True(t, c.HttpOnly)
			assert.Equal(t, http.SameSiteLaxMode, c.SameSite)
			assert.Equal(t, secure, c.Secure)
			months := time.Duration(c.MaxAge) * time.Second / (30 * 24 * time.Hour)
			assert.InDelta(t, 6, float64(months), 0.5, "about six months, got MaxAge %d", c.MaxAge)
			assert.True(t, c.Expires.IsZero(), "Max-Age alone sets the lifetime, so no wall clock is read")
			require.NoError(t, c.Valid())

			// The cookie the browser sends back gives the state again.
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
			assert.Equal(t, s, consent.FromCookie("vt_consent")(r))
			assert.Equal(t, s, consent.Default("vt_consent")(r))
		}
	}
}

func TestChoiceCookieForUnknownDeletes(t *testing.T) {
	t.Parallel()
	for _, s := range []consent.State{consent.Unknown, consent.State(7)} {
		for _, secure := range []bool{false, true} {
			c := consent.ChoiceCookieFor("ch", s, secure)
			assert.Empty(t, c.Value)
			assert.Negative(t, c.MaxAge, "deletes the cookie")
			assert.True(t, c.Expires.Before(time.Now()))
			assert.Equal(t, "/", c.Path)
			assert.Equal(t, secure, c.Secure)
			if secure {
				assert.Equal(t, "__Host-ch", c.Name)
			} else {
				assert.Equal(t, "ch", c.Name)
			}
		}
	}
}

func TestChoiceCookieHeader(t *testing.T) {
	t.Parallel()
	w := httptest.NewRecorder()
	http.SetCookie(w, consent.ChoiceCookieFor(consent.ChoiceCookie, consent.Persistent, true))
	h := w.Header().Get("Set-Cookie")
	assert.Contains(t, h, "__Host-vt_consent=persistent")
	assert.Contains(t, h, "Path=/")
	assert.Contains(t, h, "Max-Age=")
	assert.Contains(t, h, "HttpOnly")
	assert.Contains(t, h, "Secure")
	assert.Contains(t, h, "SameSite=Lax")
	assert.NotContains(t, h, "Domain")
}

func TestCookieValue(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		headers []string
		cookie  string
		want    string
		ok      bool
	}{
		{"no header", nil, "vt_consent", "", false},
		{"empty header", []string{""}, "vt_consent", "", false},
		{"only", []string{"vt_consent=persistent"}, "vt_consent", "persistent", true},
		{"first of several", []string{"a=1; vt_consent=x; b=2"}, "vt_consent", "x", true},
		{"last", []string{"a=1;vt_consent=x"}, "vt_consent", "x", true},
		{"tabs and spaces", []string{"a=1;\t vt_consent=x \t; b=2"}, "vt_consent", "x", true},
		{"second header", []string{"a=1", "b=2; vt_consent=y"}, "vt_consent", "y", true},
		{"first occurrence wins", []string{"vt_consent=1", "vt_consent=2"}, "vt_consent", "1", true},
		{"first occurrence in one header", []string{"vt_consent=1; vt_consent=2"}, "vt_consent", "1", true},
		{"quoted", []string{`vt_consent="persistent"`}, "vt_consent", "persistent", true},
		{"empty quotes", []string{`vt_consent=""`}, "vt_consent", "", true},
		{"lone quote", []string{`vt_consent="`}, "vt_consent", `"`, true},
		{"half quoted", []string{`vt_consent="abc`}, "vt_consent", `"abc`, true},
		{"empty value", []string{"vt_consent="}, "vt_consent", "", true},
		{"empty value then more", []string{"vt_consent=; b=2"}, "vt_consent", "", true},
		{"no equals", []string{"vt_consent"}, "vt_consent", "", false},
		{"longer name", []string{"vt_consentX=1"}, "vt_consent", "", false},
		{"longer name then real", []string{"vt_consentX=1; vt_consent=2"}, "vt_consent", "2", true},
		{"shorter name", []string{"vt_consen=1"}, "vt_consent", "", false},
		{"suffix of another name", []string{"xvt_consent=1"}, "vt_consent", "", false},
		{"host prefix is a different name", []string{"__Host-vt_consent=1"}, "vt_consent", "", false},
		{"plain is not the host form", []string{"vt_consent=1"}, "__Host-vt_consent", "", false},
		{"host form", []string{"vt_consent=1; __Host-vt_consent=2"}, "__Host-vt_consent", "2", true},
		{"name in value", []string{"a=vt_consent=1"}, "vt_consent", "", false},
		{"equals in value", []string{"vt_consent=a=b"}, "vt_consent", "a=b", true},
		{"case matters", []string{"VT_CONSENT=1"}, "vt_consent", "", false},
		{"semicolons only", []string{";;;"}, "vt_consent", "", false},
		{"trailing semicolon", []string{"vt_consent=z;"}, "vt_consent", "z", true},
	}
	for _, tt := range tests {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		for _, h := range tt.headers {
			r.Header.Add("Cookie", h)
		}
		got, ok := consent.CookieValue(r, tt.cookie)
		assert.Equal(t, tt.ok, ok, tt.name)
		assert.Equal(t, tt.want, got, tt.name)
	}
}

func TestCookieValueAgreesWithNetHTTP(t *testing.T) {
	t.Parallel()
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.AddCookie(&http.Cookie{Name: "a", Value: "1"})
	r.AddCookie(&http.Cookie{Name: "vt_consent", Value: "cookieless"})
	r.AddCookie(&http.Cookie{Name: "vt_id", Value: "MTcwMDAwMDAwMHxhYmN8ZGVm"})
	for _, name := range []string{"a", "vt_consent", "vt_id"} {
		c, err := r.Cookie(name)
		require.NoError(t, err)
		got, ok := consent.CookieValue(r, name)
		assert.True(t, ok, name)
		assert.Equal(t, c.Value, got, name)
	}
}

func TestCookieValueDoesNotAllocate(t *testing.T) {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("Cookie", "a=1; b=2; vt_consent=persistent; c=3")
	allocs := testing.AllocsPerRun(100, func() {
		if v, ok := consent.CookieValue(r, "vt_consent"); !ok || v != "persistent" {
			t.Fatal("cookie not found")
		}
	})
	assert.Zero(t, allocs)
}

func TestHasCookie(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		header string
		want   bool
	}{
		{"", false},
		{"vt_consent=disabled", false},
		{"vt_consent=disabled; vt_id=x", true},
		{"vt_s=y", true},
		{"vt_idx=1; xvt_s=2", false},
		{"a=1;vt_s=", true},
	} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		if tc.header != "" {
			r.Header.Set("Cookie", tc.header)
		}
		assert.Equal(t, tc.want, consent.HasCookie(r, "vt_id", "vt_s"), "Cookie: %q", tc.header)
	}
}
