package collect_test

import (
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/visitrack/visitrack/tracker"
	"github.com/visitrack/visitrack/tracker/collect"
)

var trending = tracker.Click{Product: "12793", API: "recommendations/trending",
	Labels: []string{"Homepage - Trending", "Top"}, Position: 3}

// follow requests link and returns where it redirects to.
func follow(t *testing.T, h http.Handler, link string, headers ...string) string {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, link, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Set(headers[i], headers[i+1])
	}
	w := serve(h, r)
	require.Equal(t, http.StatusSeeOther, w.Code, link)
	assert.Equal(t, "no-store", w.Header().Get("Cache-Control"))
	return w.Header().Get("Location")
}

func TestLinkRecordsTheClickAndRedirects(t *testing.T) {
	t.Parallel()
	c, h, mem := setup(t, collect.Config{Keys: testKeys('a')})
	link, err := c.Link("/products/12793?ref=home#reviews", trending)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(link, "/visitrack/click?"), link)

	assert.Equal(t, "/products/12793?ref=home#reviews", follow(t, h, link))
	evs := mem.Events()
	require.Len(t, evs, 1)
	e := evs[0]
	assert.Equal(t, tracker.KindClick, e.Kind)
	assert.Equal(t, visitor, e.Visitor)
	assert.Equal(t, tracker.Click{Product: e.Product, API: e.API, Labels: e.Labels, Position: e.Position, External: e.External}, trending)

	// An email tool's parameters added to the link change nothing.
	assert.Equal(t, "/products/12793?ref=home#reviews", follow(t, h, link+"&utm_source=newsletter"))
	assert.Equal(t, 2, mem.Len())

	ext, err := c.Link("/products/1", tracker.Click{Product: "1", External: true})
	require.NoError(t, err)
	assert.Equal(t, "/products/1", follow(t, h, ext))
	last := mem.Events()[2]
	assert.True(t, last.External)
	assert.Zero(t, last.Position)
	assert.Empty(t, last.Labels)
}

func TestLinkForgedOrAlteredRecordsNothing(t *testing.T) {
	t.Parallel()
	c, h, mem := setup(t, collect.Config{Keys: testKeys('a')})
	link, err := c.Link("/products/12793", trending)
	require.NoError(t, err)
	u, err := url.Parse(link)
	require.NoError(t, err)
	q := u.Query()
	alter := func(change func(q url.Values)) string {
		q2 := url.Values{}
		for k, v := range q {
			q2[k] = append([]string(nil), v...)
		}
		change(q2)
		return u.Path + "?" + q2.Encode()
	}
	other, _, _ := setup(t, collect.Config{Keys: testKeys('b')})
	forged, err := other.Link("/products/12793", trending)
	require.NoError(t, err)

	for name, bad := range map[string]string{
		"product changed":     alter(func(q url.Values) { q.Set("p", "99999") }),
		"target changed":      alter(func(q url.Values) { q.Set("to", "/admin") }),
		"target made foreign": alter(func(q url.Values) { q.Set("to", "https://evil.example/") }),
		"position changed":    alter(func(q url.Values) { q.Set("n", "1") }),
		"position padded":     alter(func(q url.Values) { q.Set("n", "03") }),
		"position removed":    alter(func(q url.Values) { q.Del("n") }),
		"label added":         alter(func(q url.Values) { q.Add("l", "Made up") }),
		"labels reordered":    alter(func(q url.Values) { q["l"] = []string{q["l"][1], q["l"][0]} }),
		"api removed":         alter(func(q url.Values) { q.Del("a") }),
		"made external":       alter(func(q url.Values) { q.Set("x", "1") }),
		"product twice":       alter(func(q url.Values) { q.Add("p", "12793") }),
		"no signature":        alter(func(q url.Values) { q.Del("s") }),
		"signature cut":       alter(func(q url.Values) { q.Set("s", q.Get("s")[:10]) }),
		"signature padded":    alter(func(q url.Values) { q.Set("s", q.Get("s")+"==") }),
		"signature zero":      alter(func(q url.Values) { q.Set("s", base64.RawURLEncoding.EncodeToString(make([]byte, 16))) }),
		"another key's":       forged,
		"no parameters":       "/visitrack/click",
		"garbage":             "/visitrack/click?%zz",
	} {
		assert.Equal(t, "/", follow(t, h, bad), name)
	}
	assert.Zero(t, mem.Len(), "no forged or altered link records a click")
}

// Links follow the keys' rotation: signed with the first pair, verified
// with any listed.
func TestLinkKeyRotation(t *testing.T) {
	t.Parallel()
	old, _, _ := setup(t, collect.Config{Keys: testKeys('o')})
	link, err := old.Link("/products/1", tracker.Click{Product: "1"})
	require.NoError(t, err)

	rotated, h, mem := setup(t, collect.Config{Keys: append(testKeys('n'), testKeys('o')...)})
	assert.Equal(t, "/products/1", follow(t, h, link), "a link signed with the older pair still works")
	assert.Equal(t, 1, mem.Len())
	fresh, err := rotated.Link("/products/1", tracker.Click{Product: "1"})
	require.NoError(t, err)
	assert.NotEqual(t, link, fresh, "new links are signed with the newest pair")

	_, h, mem = setup(t, collect.Config{Keys: testKeys('n')})
	assert.Equal(t, "/", follow(t, h, link), "once the older pair is gone, its links no longer verify")
	assert.Zero(t, mem.Len())
}

func TestLinkRefusesWhatItCannotSign(t *testing.T) {
	t.Parallel()
	c, _, _ := setup(t, collect.Config{Keys: testKeys('a')})
	for _, target := range []string{"", "products/1", "https://evil.example/", "//evil.example", "/\\evil.example",
		"\\\\evil.example", "/products/1 2", "/products/\n", "/é", "javascript:alert(1)", "http:/evil", "/%2F%2Fevil.example"} {
		_, err := c.Link(target, tracker.Click{Product: "1"})
		assert.ErrorIs(t, err, collect.ErrTarget, "%q", target)
	}
	_, err := c.Link("/products/1", tracker.Click{})
	assert.ErrorIs(t, err, tracker.ErrNoProduct)
	_, err = c.Link("/products/1", tracker.Click{Product: "1", Labels: []string{"a\x00"}})
	assert.ErrorIs(t, err, tracker.ErrBadText)

	none, h, mem := setup(t, collect.Config{})
	_, err = none.Link("/products/1", tracker.Click{Product: "1"})
	assert.ErrorIs(t, err, collect.ErrNoKeys)
	link, err := c.Link("/products/1", tracker.Click{Product: "1"})
	require.NoError(t, err)
	assert.Equal(t, "/", follow(t, h, link), "a handler without keys verifies nothing")
	assert.Zero(t, mem.Len())
}

func TestLinkDisabledVisitorHeadAndPath(t *testing.T) {
	t.Parallel()
	c, h, mem := setup(t, collect.Config{Keys: testKeys('a'), Path: "/t"})
	link, err := c.Link("/products/1", tracker.Click{Product: "1"})
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(link, "/t/click?"), link)

	assert.Equal(t, "/products/1", follow(t, h, link, "X-Test-Disabled", "1"))
	assert.Zero(t, mem.Len(), "a disabled visitor is redirected, not counted")

	w := serve(h, httptest.NewRequest(http.MethodHead, link, nil))
	assert.Equal(t, http.StatusSeeOther, w.Code)
	assert.Zero(t, mem.Len(), "HEAD records nothing")

	assert.Equal(t, "/products/1", follow(t, h, link, "Sec-Fetch-Site", "cross-site"),
		"a link followed from another site (a webmail) still counts: it is signed")
	assert.Equal(t, 1, mem.Len())

	w = serve(h, httptest.NewRequest(http.MethodPost, link, nil))
	assert.Equal(t, http.StatusMethodNotAllowed, w.Code)

	keys := testKeys('a')
	assert.NotContains(t, link, hex.EncodeToString(keys[0]))
	assert.NotContains(t, link, base64.RawURLEncoding.EncodeToString(keys[0]))
}
