package main

import (
	"context"
	"encoding/csv"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/visitrack/visitrack/tracker"
	"github.com/visitrack/visitrack/tracker/browsertest"
)

// newChrome starts a headless Chromium with a fresh profile for one test
// (browsertest.New) and returns its context, which ends after 60 seconds at
// most. The User-Agent is a normal desktop one: the middleware treats
// "HeadlessChrome" as a bot.
func newChrome(t *testing.T) context.Context {
	t.Helper()
	return browsertest.New(t, chromedp.UserAgent(browserUA), chromedp.WindowSize(1280, 900))
}

// newPage starts a browser of its own (newChrome) on the shop at base.
func newPage(t *testing.T, base string) *page {
	return &page{t: t, ctx: newChrome(t), base: base}
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

// follow clicks sel, which must lead to a new page, and waits for it. As
// a person would, it first scrolls sel to the middle of the window, out
// from under the consent banner at the bottom.
func (p *page) follow(sel string) {
	p.t.Helper()
	p.do(chromedp.WaitVisible(chromedp.CSS(sel)))
	_, err := chromedp.Run(p.ctx, chromedp.Evaluate[bool](
		`(e => (e.scrollIntoView({block: "center"}), true))(document.querySelector(`+jsString(sel)+`))`))
	require.NoError(p.t, err, "scroll to %s", sel)
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

// state returns the consent state /me shows.
func (p *page) state() string {
	p.t.Helper()
	s, err := chromedp.Run(p.ctx, chromedp.Evaluate[string](`document.getElementById("consent-state").dataset.state`))
	require.NoError(p.t, err)
	return s
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
	_, rec, srv := newTestShop(t, nil)
	p := newPage(t, srv.URL)

	p.open("/")
	p.do(chromedp.WaitVisible(chromedp.CSS("#consent-banner")))
	p.screenshot("home.png")
	cookies := p.cookies()
	require.Contains(t, cookies, "vt_s", "a new visitor gets a session cookie")
	assert.NotContains(t, cookies, "vt_id", "and no long-term cookie before consent")

	p.open("/me")
	visitor := p.text("#visitor-id")
	require.Len(t, visitor, 20)
	assert.Equal(t, "cookieless", p.state())

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
	assert.Equal(t, "persistent", p.state())

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
	_, rec, srv := newTestShop(t, nil)
	p := newPage(t, srv.URL)

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
	assert.Equal(t, "disabled", p.state())
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
	_, rec, srv := newTestShop(t, nil)
	p := newPage(t, srv.URL)

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

// The header keeps one row at a laptop's 1280 px, and no page is wider
// than a 390 px phone.
func TestBrowserLayout(t *testing.T) {
	_, _, srv := newTestShop(t, nil)
	p := newPage(t, srv.URL)

	// middle is the vertical middle of sel's box; on one row, the boxes'
	// middles are within a few pixels.
	middle := func(sel string) float64 {
		t.Helper()
		v, err := chromedp.Run(p.ctx, chromedp.Evaluate[float64](
			`(r => (r.top + r.bottom) / 2)(document.querySelector(`+jsString(sel)+`).getBoundingClientRect())`))
		require.NoError(t, err)
		return v
	}
	p.open("/search?q=wool")
	p.screenshot("search.png")
	assert.InDelta(t, middle(".brand"), middle("header form"), 4, "the search box is on the brand's row at 1280 px")
	assert.InDelta(t, middle(".brand"), middle("#basket-link"), 4)

	p.do(chromedp.EmulateViewport(390, 844))
	for _, path := range []string{"/", "/products/12793", "/search?q=wool", "/basket", "/me"} {
		p.open(path)
		wide, err := chromedp.Run(p.ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`))
		require.NoError(t, err)
		assert.False(t, wide, "%s scrolls sideways on a phone", path)
	}
	p.open("/")
	p.screenshot("home-phone.png")
}

// cards reads the dashboard's headline figures: title → value.
const cardsJS = `Object.fromEntries(Array.from(document.querySelectorAll('.card')).map(
	c => [c.querySelector('h3').textContent.trim(), c.querySelector('.value').textContent.trim()]))`

// The owner opens the dashboard, signed in, after shopping in another
// browser: it shows the figures of those events, switches range, opens a
// label's page and downloads a CSV with the same figures.
func TestBrowserDashboard(t *testing.T) {
	_, _, q, srv := sqliteShop(t)

	// A shopper: Trending click, basket, checkout.
	shopper := newPage(t, srv.URL)
	shopper.open("/")
	shopper.follow("#consent-accept")
	shopper.follow("#trending li:nth-child(2) a")
	require.Equal(t, "/products/12794", shopper.path())
	shopper.follow("#add-to-basket")
	shopper.follow("#place-order")
	require.Len(t, shopper.text("#order-id"), 20)
	require.NoError(t, q.Flush(t.Context()))

	// The owner signs in as at the browser's password prompt: Chromium
	// keeps the credentials for the origin once they worked, and sends
	// them with every request after, downloads included.
	owner := newPage(t, srv.URL)
	downloads := t.TempDir()
	owner.do(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, cdpbrowser.SetDownloadBehavior,
			cdpbrowser.SetDownloadBehaviorParams{Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllow, DownloadPath: downloads})
		return err
	}))
	u, err := url.Parse(srv.URL + "/dashboard/?range=today")
	require.NoError(t, err)
	u.User = url.UserPassword(dashboardUser, testPassword)
	resp, err := chromedp.Run(owner.ctx, chromedp.NavigateResponse(u.String()))
	require.NoError(t, err)
	require.Equal(t, int64(http.StatusOK), resp.Status)

	owner.open("/dashboard/?range=today")
	cards, err := chromedp.Run(owner.ctx, chromedp.Evaluate[map[string]string](cardsJS))
	require.NoError(t, err)
	assert.Equal(t, "1", cards["Orders"], "today: the shopper's order; cards %v", cards)
	assert.Equal(t, "1", cards["Impacted orders"], "cards %v", cards)
	assert.Equal(t, "79.00", cards["Revenue"], "cards %v", cards)
	assert.Equal(t, "79.00", cards["Impacted revenue"], "cards %v", cards)
	assert.Equal(t, "1", cards["Visitors"], "the owner is not a visitor; cards %v", cards)

	// Yesterday had nothing.
	owner.follow(`a[href*="range=yesterday"]`)
	cards, err = chromedp.Run(owner.ctx, chromedp.Evaluate[map[string]string](cardsJS))
	require.NoError(t, err)
	assert.Equal(t, "0", cards["Orders"], "yesterday: cards %v", cards)

	// Today's labels, and Trending's own page.
	owner.open("/dashboard/labels?range=today")
	owner.follow(`#labels a[href*="Trending"]`)
	assert.Equal(t, "Label “Homepage - Trending”", owner.text("h1"))
	assert.Contains(t, owner.text("#label-products"), "12794", "the clicked, sold product")

	// The labels' CSV, downloaded by the browser.
	owner.open("/dashboard/labels?range=today")
	owner.do(chromedp.Click(chromedp.CSS(`a[href^="labels.csv"]`)))
	var csvFile string
	require.Eventually(t, func() bool {
		files, _ := filepath.Glob(filepath.Join(downloads, "*.csv"))
		if len(files) == 1 {
			csvFile = files[0]
		}
		return csvFile != ""
	}, 10*time.Second, 50*time.Millisecond, "the CSV is downloaded")
	f, err := os.Open(csvFile)
	require.NoError(t, err)
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(rows), 2, "a header and the labels: %v", rows)
	row := map[string]string{}
	for _, r := range rows[1:] {
		if r[0] == "Homepage - Trending" {
			for i, k := range rows[0] {
				row[k] = r[i]
			}
		}
	}
	assert.Equal(t, "Homepage - Trending", row["label"])
	assert.Equal(t, "1", row["clicks"])
	assert.Equal(t, "1", row["orders"])
	assert.Equal(t, "79.00", row["revenue"])

	// Two months of made-up shopping before today: the last 30 days'
	// figures are those of the events recorded in them.
	_, err = seedDemo(q, "webshop", testCatalog(t), time.Now(), time.UTC, 60, 31, 6)
	require.NoError(t, err)
	tot, err := seedDemo(q, "webshop", testCatalog(t), time.Now(), time.UTC, 30, 1, 7)
	require.NoError(t, err)
	require.NoError(t, q.Flush(t.Context()))
	owner.open("/dashboard/?range=30d")
	cards, err = chromedp.Run(owner.ctx, chromedp.Evaluate[map[string]string](cardsJS))
	require.NoError(t, err)
	assert.Equal(t, strconv.Itoa(tot.Orders), strings.ReplaceAll(cards["Orders"], ",", ""), "cards %v", cards)
	assert.Equal(t, strconv.Itoa(tot.Visitors), strings.ReplaceAll(cards["Visitors"], ",", ""), "cards %v", cards)
	saveScreenshot(t, owner, "dashboard-desktop.png")

	// At a phone's width.
	owner.do(chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	owner.open("/dashboard/?range=30d")
	saveScreenshot(t, owner, "dashboard-phone.png")
}

// saveScreenshot saves a screenshot as p.screenshot does, and also into the
// directory named by VISITRACK_SCREENSHOTS, when set: "make screenshots"
// refreshes the README's pictures that way.
func saveScreenshot(t *testing.T, p *page, name string) {
	t.Helper()
	p.screenshot(name)
	dir := os.Getenv("VISITRACK_SCREENSHOTS")
	if dir == "" {
		return
	}
	png, err := chromedp.Run(p.ctx, chromedp.FullScreenshot(100))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, name), png, 0o644))
}
