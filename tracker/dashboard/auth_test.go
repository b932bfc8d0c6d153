package dashboard_test

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/visitrack/visitrack/tracker/dashboard"
)

// Revenue is not for everyone: without an Authorize hook, nothing is
// served, exports included, and the store is never asked.
func TestZeroConfigRefusesEveryRequest(t *testing.T) {
	t.Parallel()
	f := &fake{}
	h, err := dashboard.New(dashboard.Config{Analytics: f, Store: "shop-dk"})
	require.NoError(t, err)
	for _, target := range []string{"/", "/labels", "/label?name=x", "/searches", "/labels.csv", "/summary.json", "/nothing"} {
		res, page := get(t, h, target)
		assert.Equal(t, http.StatusForbidden, res.StatusCode, target)
		contains(t, page, "Access is not configured", target)
		contains(t, page, "dashboard.BasicAuth(user, password)", target)
	}
	assert.Empty(t, f.ranges)
	assert.Empty(t, f.bounds)
}

func TestBasicAuth(t *testing.T) {
	t.Parallel()
	f := &fake{}
	h := newDashboard(t, f, dashboard.Config{Authorize: dashboard.BasicAuth("owner", "s3cret")})
	tests := []struct {
		name       string
		user, pass string
		set        bool
		want       int
	}{
		{"no credentials", "", "", false, http.StatusUnauthorized},
		{"wrong password", "owner", "guess", true, http.StatusUnauthorized},
		{"wrong user", "admin", "s3cret", true, http.StatusUnauthorized},
		{"password as a prefix", "owner", "s3cre", true, http.StatusUnauthorized},
		{"right", "owner", "s3cret", true, http.StatusOK},
	}
	for _, tt := range tests {
		r := httptest.NewRequest(http.MethodGet, "/labels.csv", nil)
		if tt.set {
			r.SetBasicAuth(tt.user, tt.pass)
		}
		res, body := do(t, h, r)
		assert.Equal(t, tt.want, res.StatusCode, tt.name)
		if tt.want == http.StatusUnauthorized {
			assert.Equal(t, `Basic realm="visitrack dashboard", charset="UTF-8"`, res.Header.Get("WWW-Authenticate"), tt.name)
			assert.NotContains(t, body, "label,", tt.name)
		}
	}

	// An empty password lets no one in, not even with an empty password.
	h = newDashboard(t, f, dashboard.Config{Authorize: dashboard.BasicAuth("owner", "")})
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.SetBasicAuth("owner", "")
	res, _ := do(t, h, r)
	assert.Equal(t, http.StatusUnauthorized, res.StatusCode)
}

// A hook of the shop's own: one that only says no gets the dashboard's 403;
// one that answers (a redirect to the sign-in page) is left to answer.
func TestAuthorizeHook(t *testing.T) {
	t.Parallel()
	f := &fake{}
	signedIn := func(r *http.Request) bool { c, err := r.Cookie("admin"); return err == nil && c.Value == "yes" }
	refuse := newDashboard(t, f, dashboard.Config{Authorize: func(_ http.ResponseWriter, r *http.Request) bool { return signedIn(r) }})
	redirect := newDashboard(t, f, dashboard.Config{Authorize: func(w http.ResponseWriter, r *http.Request) bool {
		if signedIn(r) {
			return true
		}
		http.Redirect(w, r, "/signin", http.StatusSeeOther)
		return false
	}})

	res, page := get(t, refuse, "/")
	assert.Equal(t, http.StatusForbidden, res.StatusCode)
	contains(t, page, "Access refused")
	res, _ = get(t, redirect, "/")
	assert.Equal(t, http.StatusSeeOther, res.StatusCode)
	assert.Equal(t, "/signin", res.Header.Get("Location"))

	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.AddCookie(&http.Cookie{Name: "admin", Value: "yes"})
	res, _ = do(t, refuse, r)
	assert.Equal(t, http.StatusOK, res.StatusCode)
}

// Nothing the dashboard serves changes state; a request that would is
// refused, from another origin before anything else.
func TestOnlyGETAndCrossOriginProtection(t *testing.T) {
	t.Parallel()
	h := newDashboard(t, &fake{}, dashboard.Config{})
	r := httptest.NewRequest(http.MethodPost, "/labels", nil)
	r.Header.Set("Sec-Fetch-Site", "cross-site")
	res, page := do(t, h, r)
	assert.Equal(t, http.StatusForbidden, res.StatusCode)
	contains(t, page, "came from another site")

	r = httptest.NewRequest(http.MethodPost, "/labels", nil)
	r.Header.Set("Sec-Fetch-Site", "same-origin")
	res, _ = do(t, h, r)
	assert.Equal(t, http.StatusMethodNotAllowed, res.StatusCode)
	assert.Equal(t, "GET, HEAD", res.Header.Get("Allow"))

	res, body := do(t, h, httptest.NewRequest(http.MethodHead, "/", nil))
	assert.Equal(t, http.StatusOK, res.StatusCode)
	assert.Empty(t, body)
}

func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	h := newDashboard(t, &fake{}, dashboard.Config{})
	for _, target := range []string{"/", "/labels.csv", "/nothing"} {
		res, _ := get(t, h, target)
		csp := res.Header.Get("Content-Security-Policy")
		assert.Contains(t, csp, "default-src 'none'", target)
		assert.Contains(t, csp, "frame-ancestors 'none'", target)
		assert.NotContains(t, csp, "script-src", target)
		assert.Equal(t, "private, no-store", res.Header.Get("Cache-Control"), target)
		assert.Equal(t, "nosniff", res.Header.Get("X-Content-Type-Options"), target)
	}
	// The one style sheet is inline, allowed by its hash.
	_, page := get(t, h, "/")
	m := regexp.MustCompile(`(?s)<style>(.*?)</style>`).FindStringSubmatch(page)
	require.NotNil(t, m)
	sum := sha256.Sum256([]byte(m[1]))
	res, _ := get(t, h, "/")
	assert.Contains(t, res.Header.Get("Content-Security-Policy"), "style-src 'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'")
}
