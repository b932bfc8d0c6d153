package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/visitrack/visitrack/tracker"
)

// chromiumPath is where Debian's chromium package installs the browser.
const chromiumPath = "/usr/bin/chromium"

// newChrome starts a headless Chromium with a fresh profile for one test and
// returns its context, which ends after 60 seconds at most. The User-Agent is
// a normal desktop one: the middleware treats "HeadlessChrome" as a bot.
func newChrome(t *testing.T) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Fatalf("the browser test needs %s (%v); install Debian's chromium: apt-get install -y chromium", chromiumPath, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.UserAgent(browserUA),
		chromedp.WindowSize(1280, 900),
	)
	t.Cleanup(cancelAlloc) // waits for the browser process to exit
	bctx, cancelBrowser := chromedp.NewContext(allocCtx)
	t.Cleanup(cancelBrowser)
	return bctx
}

// page drives one browser tab against the shop at base.
type page struct {
	t    *testing.T
	ctx  context.Context
	base string
}

func (p *page) do(steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	require.NoError(p.t, chromedp.Do(p.ctx, steps...))
}

// open loads path and waits for the page.
func (p *page) open(path string) {
	p.t.Helper()
	resp, err := chromedp.Run(p.ctx, chromedp.NavigateResponse(p.base+path))
	require.NoError(p.t, err)
	require.Less(p.t, resp.Status, int64(400), "GET %s", path)
}

// follow clicks sel, which must lead to a new page, and waits for it.
func (p *page) follow(sel string) {
	p.t.Helper()
	resp, err := chromedp.RunResponse(p.ctx, chromedp.Click(chromedp.CSS(sel)))
	require.NoError(p.t, err, "click %s", sel)
	require.Less(p.t, resp.Status, int64(400), "click %s", sel)
}

func (p *page) text(sel string) string {
	p.t.Helper()
	s, err := chromedp.Run(p.ctx, chromedp.Text(chromedp.CSS(sel)))
	require.NoError(p.t, err, "text of %s", sel)
	return strings.TrimSpace(s)
}

func (p *page) path() string {
	p.t.Helper()
	loc, err := chromedp.Run(p.ctx, chromedp.Location())
	require.NoError(p.t, err)
	return strings.TrimPrefix(loc, p.base)
}

// present reports whether an element matches sel now, without waiting.
func (p *page) present(sel string) bool {
	p.t.Helper()
	ok, err := chromedp.Run(p.ctx, chromedp.Evaluate[bool](`document.querySelector(`+jsString(sel)+`) !== null`))
	require.NoError(p.t, err)
	return ok
}

// cookies returns the browser's cookies for the shop, by name.
func (p *page) cookies() map[string]string {
	p.t.Helper()
	out, err := chromedp.Run(p.ctx, func(ctx context.Context, t *chromedp.Target) (map[string]string, error) {
		res, err := cdp.Call(ctx, t, network.GetCookies, network.GetCookiesParams{URLs: []string{p.base + "/"}})
		if err != nil {
			return nil, err
		}
		m := map[string]string{}
		for _, c := range res.Cookies {
			m[c.Name] = c.Value
		}
		return m, nil
	})
	require.NoError(p.t, err)
	return out
}

// screenshot saves the whole page as a PNG in the test's artifact directory,
// kept by "go test -artifacts" for a person to look at.
func (p *page) screenshot(name string) {
	p.t.Helper()
	png, err := chromedp.Run(p.ctx, chromedp.FullScreenshot(100)) // 100: PNG rather than JPEG
	require.NoError(p.t, err)
	file := filepath.Join(p.t.ArtifactDir(), name)
	require.NoError(p.t, os.WriteFile(file, png, 0o600))
	p.t.Logf("screenshot: %s", file)
}

func jsString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

func TestBrowserAcceptBasketAndCheckout(t *testing.T) {
	ctx := newChrome(t)
	_, rec, srv := newTestShop(t, nil)
	p := &page{t: t, ctx: ctx, base: srv.URL}

	p.open("/")
	p.do(chromedp.WaitVisible(chromedp.CSS("#consent-banner")))
	p.screenshot("home.png")
	cookies := p.cookies()
	require.Contains(t, cookies, "vt_s", "a new visitor gets a session cookie")
	assert.NotContains(t, cookies, "vt_id", "and no long-term cookie before consent")

	p.open("/me")
	visitor := p.text("#visitor-id")
	require.Len(t, visitor, 20)
	assert.Equal(t, "cookieless", p.text("#consent-state"))

	p.open("/")
	first := p.text("#trending li:first-child a")
	p.follow("#trending li:first-child a")
	assert.Equal(t, "/products/12793", p.path(), "the click is logged and the plain product page loads")
	assert.Equal(t, first, p.text("#product-name"))

	p.follow("#consent-accept")
	assert.Equal(t, "/products/12793", p.path(), "the banner sends the visitor back")
	assert.False(t, p.present("#consent-banner"), "the banner is gone once the visitor chose")
	cookies = p.cookies()
	assert.Equal(t, "persistent", cookies["vt_consent"])
	require.Contains(t, cookies, "vt_id")
	assert.NotContains(t, cookies, "vt_s")

	p.follow("#add-to-basket")
	assert.Equal(t, "/basket", p.path())
	assert.Equal(t, "€99.95", p.text("#basket-total"))
	p.do(chromedp.SendKeys(chromedp.CSS("#checkout-email"), "ada@example.com"))
	p.follow("#place-order")
	order := p.text("#order-id")
	require.Len(t, order, 20)

	p.screenshot("confirmation.png")

	p.open("/me")
	assert.Equal(t, visitor, p.text("#visitor-id"), "accepting kept the visitor's ID")
	assert.Equal(t, "persistent", p.text("#consent-state"))

	var kinds []tracker.Kind
	var sawClick, sawView, sawSale, sawEmail, sawImpression bool
	for _, e := range rec.Events() {
		require.Equal(t, visitor, e.Visitor, "every event belongs to the one visitor")
		kinds = append(kinds, e.Kind)
		switch e.Kind {
		case tracker.KindImpression:
			if e.API == "recommendations/trending" {
				sawImpression = true
				assert.Equal(t, []string{"Homepage - Trending"}, e.Labels)
				assert.Equal(t, "12793", e.Products[0])
			}
		case tracker.KindClick:
			sawClick = true
			assert.Equal(t, "12793", e.Product)
			assert.Equal(t, "recommendations/trending", e.API)
			assert.Equal(t, []string{"Homepage - Trending"}, e.Labels)
			assert.Equal(t, 1, e.Position)
		case tracker.KindView:
			sawView = sawView || e.Product == "12793"
		case tracker.KindSale:
			sawSale = true
			assert.Equal(t, order, e.Sale)
			assert.Equal(t, []tracker.Line{{ID: "12793", Price: 99.95, Quantity: 1}}, e.Lines)
			assert.Equal(t, "ada@example.com", e.Email)
		case tracker.KindEmail:
			sawEmail = true
			assert.Equal(t, "ada@example.com", e.Email)
		}
	}
	assert.True(t, sawImpression && sawClick && sawView && sawSale && sawEmail,
		"impression, click, view, sale and email recorded; got %v", kinds)
}

func TestBrowserRefuse(t *testing.T) {
	ctx := newChrome(t)
	_, rec, srv := newTestShop(t, nil)
	p := &page{t: t, ctx: ctx, base: srv.URL}

	p.open("/")
	p.do(chromedp.WaitVisible(chromedp.CSS("#consent-banner")))
	require.Contains(t, p.cookies(), "vt_s")
	p.follow("#consent-refuse")
	assert.Equal(t, "/", p.path())
	assert.False(t, p.present("#consent-banner"))
	cookies := p.cookies()
	assert.Equal(t, "disabled", cookies["vt_consent"], "the choice is remembered")
	assert.NotContains(t, cookies, "vt_s", "the session cookie is deleted")
	assert.NotContains(t, cookies, "vt_id")

	n := rec.Len()
	p.open("/me")
	assert.True(t, p.present("#no-visitor"), "/me shows no visitor ID")
	assert.False(t, p.present("#visitor-id"))
	assert.Equal(t, "disabled", p.text("#consent-state"))
	p.open("/")
	p.follow("#trending li:nth-child(2) a")
	assert.Equal(t, "/products/12794", p.path())
	p.follow("#add-to-basket")
	assert.Equal(t, "€79.00", p.text("#basket-total"), "the basket works without tracking")
	p.follow("#place-order")
	assert.Len(t, p.text("#order-id"), 20)
	assert.Equal(t, n, rec.Len(), "no events after the refusal")
	cookies = p.cookies()
	assert.NotContains(t, cookies, "vt_s")
	assert.NotContains(t, cookies, "vt_id")
}

// The product page's "Similar products" list is rendered in the browser
// from JSON, and a click on it is logged by the page's script through
// tracker/collect (POST /visitrack/log/click) with the visitor the
// middleware gave the page, before the browser follows the link.
func TestBrowserSimilarListRenderedFromJSON(t *testing.T) {
	ctx := newChrome(t)
	_, rec, srv := newTestShop(t, nil)
	p := &page{t: t, ctx: ctx, base: srv.URL}

	p.open("/me")
	visitor := p.text("#visitor-id")
	p.open("/products/12793")
	p.do(chromedp.WaitVisible(chromedp.CSS(`#similar[data-rendered="true"] li:nth-child(2) a`)))
	p.screenshot("similar.png")
	second := p.text("#similar li:nth-child(2) a")
	var imps []tracker.Event
	for _, e := range ofKind(rec.Events(), tracker.KindImpression) {
		if e.API == "recommendations/substituting" {
			imps = append(imps, e)
		}
	}
	require.Len(t, imps, 1, "the JSON's products were recorded as shown")
	require.GreaterOrEqual(t, len(imps[0].Products), 2)
	target := imps[0].Products[1]

	rec.Reset()
	p.follow("#similar li:nth-child(2) a")
	assert.Equal(t, "/products/"+target, p.path(), "the browser follows the link once the click is logged")
	assert.Equal(t, second, p.text("#product-name"))

	clicks := ofKind(rec.Events(), tracker.KindClick)
	require.Len(t, clicks, 1, "the script logged the click")
	c := clicks[0]
	assert.Equal(t, visitor, c.Visitor, "the middleware's visitor")
	assert.Equal(t, target, c.Product)
	assert.Equal(t, "recommendations/substituting", c.API)
	assert.Equal(t, []string{"Product page - Similar products"}, c.Labels)
	assert.Equal(t, 2, c.Position, "n 1 from the browser is the second position")
	views := ofKind(rec.Events(), tracker.KindView)
	require.NotEmpty(t, views)
	assert.Equal(t, target, views[0].Product)
}
