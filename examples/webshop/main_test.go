package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/visitrack/visitrack/examples/internal/keys"
	"github.com/visitrack/visitrack/session"
	"github.com/visitrack/visitrack/tracker"
	"github.com/visitrack/visitrack/tracker/sqlite"
)

const browserUA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36"

var (
	trendingLabels = []string{"Homepage - Trending"}
	visitorIDRe    = regexp.MustCompile(`id="visitor-id">([0-9a-v]{20})<`)
	orderIDRe      = regexp.MustCompile(`id="order-id">([0-9a-v]{20})<`)
)

func testCatalog(t testing.TB) *catalog {
	t.Helper()
	c, err := loadCatalog("testdata/catalog.json")
	require.NoError(t, err)
	return c
}

// newTestShop serves a shop recording into a Memory on an httptest.Server.
func newTestShop(t testing.TB, h historian) (*shop, *tracker.Memory, *httptest.Server) {
	t.Helper()
	rec := tracker.NewMemory()
	sh, err := newShop(shopConfig{Catalog: testCatalog(t), Keys: keys.Generate(), Recorder: rec, History: h,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err)
	srv := httptest.NewServer(sh.routes())
	t.Cleanup(srv.Close)
	return sh, rec, srv
}

// newShopper serves a shop as newTestShop does, with no history, and
// returns it, what it records and a browser on it.
func newShopper(t *testing.T) (*shop, *tracker.Memory, *browser) {
	t.Helper()
	sh, rec, srv := newTestShop(t, nil)
	return sh, rec, newBrowser(t, srv, browserUA)
}

// browser is an HTTP client with a cookie jar that does not follow
// redirects, so that tests see every response's cookies.
type browser struct {
	t   *testing.T
	srv *httptest.Server
	c   *http.Client
	ua  string
}

func newBrowser(t *testing.T, srv *httptest.Server, ua string) *browser {
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &browser{t: t, srv: srv, ua: ua, c: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// do sends a request with body of type ct (none when ct is "") and returns
// the response and its body.
func (b *browser) do(method, path, ct, body string) (*http.Response, string) {
	b.t.Helper()
	req, err := http.NewRequestWithContext(b.t.Context(), method, b.srv.URL+path, strings.NewReader(body))
	require.NoError(b.t, err)
	req.Header.Set("User-Agent", b.ua)
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	return send(b.t, b.c, req)
}

// send sends req with c and reads the whole answer.
func send(t testing.TB, c *http.Client, req *http.Request) (*http.Response, string) {
	t.Helper()
	resp, err := c.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	page, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(page)
}

func (b *browser) get(path string) (*http.Response, string) {
	return b.do(http.MethodGet, path, "", "")
}

func (b *browser) post(path string, form url.Values) (*http.Response, string) {
	return b.do(http.MethodPost, path, "application/x-www-form-urlencoded", form.Encode())
}

// postRaw posts body with content type ct, as a client that is not the
// shop's own form might.
func (b *browser) postRaw(path, ct, body string) (*http.Response, string) {
	b.t.Helper()
	return b.do(http.MethodPost, path, ct, body)
}

// cookies returns the names and values the jar would send.
func (b *browser) cookies() map[string]string {
	u, err := url.Parse(b.srv.URL)
	require.NoError(b.t, err)
	out := map[string]string{}
	for _, c := range b.c.Jar.Cookies(u) {
		out[c.Name] = c.Value
	}
	return out
}

// visitor reads the visitor ID shown on /me, or "" when it shows none.
func (b *browser) visitor() string {
	b.t.Helper()
	resp, page := b.get("/me")
	require.Equal(b.t, http.StatusOK, resp.StatusCode)
	if m := visitorIDRe.FindStringSubmatch(page); m != nil {
		return m[1]
	}
	require.Contains(b.t, page, `id="no-visitor"`)
	return ""
}

func setCookies(resp *http.Response) map[string]*http.Cookie {
	out := map[string]*http.Cookie{}
	for _, c := range resp.Cookies() {
		out[c.Name] = c
	}
	return out
}

func ofKind(events []tracker.Event, k tracker.Kind) []tracker.Event {
	var out []tracker.Event
	for _, e := range events {
		if e.Kind == k {
			out = append(out, e)
		}
	}
	return out
}

// linkTo returns the href of the page's link to product, as the browser
// reads it.
func linkTo(t testing.TB, page, product string) string {
	t.Helper()
	m := regexp.MustCompile(`href="([^"]*)" data-product="` + regexp.QuoteMeta(product) + `"`).FindStringSubmatch(page)
	require.NotNil(t, m, "no link to %s", product)
	return html.UnescapeString(m[1])
}

// follow follows a signed click link and returns where it redirects to.
func (b *browser) follow(link string) string {
	b.t.Helper()
	resp, _ := b.get(link)
	require.Equal(b.t, http.StatusSeeOther, resp.StatusCode, link)
	return resp.Header.Get("Location")
}

func ids(ps []product) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.ID
	}
	return out
}

func TestHomeRecordsLabelledTrendingImpression(t *testing.T) {
	t.Parallel()
	sh, rec, b := newShopper(t)

	resp, page := b.get("/")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, page, `id="consent-banner"`, "the banner shows until the visitor chooses")
	link := linkTo(t, page, "12793")
	assert.True(t, strings.HasPrefix(link, "/visitrack/click?"), "trending links are signed click links: %s", link)
	q, err := url.ParseQuery(strings.TrimPrefix(link, "/visitrack/click?"))
	require.NoError(t, err)
	assert.Equal(t, url.Values{"to": {"/products/12793"}, "p": {"12793"}, "a": {"recommendations/trending"},
		"l": {"Homepage - Trending"}, "n": {"1"}, "s": q["s"]}, q, "they carry their list and position")
	assert.NotContains(t, page, "You previously visited", "no history without analytics")
	cookies := setCookies(resp)
	require.Contains(t, cookies, "vt_s")
	assert.NotContains(t, cookies, "vt_id", "no long-term cookie before consent")

	events := rec.Events()
	require.Len(t, events, 1)
	e := events[0]
	assert.Equal(t, tracker.KindImpression, e.Kind)
	assert.Equal(t, "webshop", e.Store)
	assert.Equal(t, "recommendations/trending", e.API)
	assert.Equal(t, trendingLabels, e.Labels)
	assert.Equal(t, ids(sh.catalog.products[:trendingSize]), e.Products, "catalogue order while nothing is popular")
	assert.True(t, session.ValidID(e.Visitor))
	assert.Equal(t, e.Visitor, b.visitor(), "/me shows the ID the events carry")
}

func TestProductPageLogsClickFromTrackedListAndView(t *testing.T) {
	t.Parallel()
	_, rec, b := newShopper(t)
	b.get("/")

	_, home := b.get("/")
	link := linkTo(t, home, "12794")
	assert.Equal(t, "/products/12794", b.follow(link), "the click is logged once, then the plain page loads")
	resp, page := b.get("/products/12794")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, page, "City Sneaker")
	assert.Contains(t, page, `data-src="/products/12794/similar.json"`, "similar products are rendered in the browser")
	resp, body := b.get("/products/12794/similar.json")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	var similarList similarAnswer
	require.NoError(t, json.Unmarshal([]byte(body), &similarList))
	assert.Equal(t, "recommendations/substituting", similarList.API)
	assert.Equal(t, []string{"Product page - Similar products"}, similarList.Labels)
	require.NotEmpty(t, similarList.Products)
	assert.Equal(t, "/products/"+similarList.Products[0].ID, similarList.Products[0].URL)

	events := rec.Events()
	require.Len(t, events, 5, "two impressions of Trending, click, view, similar-products impression")
	click, view := events[2], events[3]
	assert.Equal(t, tracker.KindClick, click.Kind)
	assert.Equal(t, "12794", click.Product)
	assert.Equal(t, "recommendations/trending", click.API)
	assert.Equal(t, trendingLabels, click.Labels)
	assert.Equal(t, 2, click.Position)
	assert.Equal(t, tracker.KindView, view.Kind)
	assert.Equal(t, "12794", view.Product)
	assert.Equal(t, events[0].Visitor, click.Visitor)
	assert.Equal(t, events[0].Visitor, view.Visitor)
	similar := events[4]
	assert.Equal(t, tracker.KindImpression, similar.Kind)
	assert.Equal(t, []string{"Product page - Similar products"}, similar.Labels)
	assert.NotContains(t, similar.Products, "12794", "a product is not similar to itself")
	var shown []string
	for _, p := range similarList.Products {
		shown = append(shown, p.ID)
	}
	assert.Equal(t, shown, similar.Products, "the impression is what the JSON listed")

	// A category page is not a tracked call: its links are plain and the
	// product page logs only a view.
	rec.Reset()
	resp, page = b.get("/categories/bags")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, page, `href="/products/14020"`)
	resp, _ = b.get("/products/14020")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	// A link whose list was changed, or a crafted one, logs no click and
	// leads home; the old unsigned parameters are only a product page.
	u, err := url.Parse(link)
	require.NoError(t, err)
	q := u.Query()
	q.Set("l", "Made up")
	assert.Equal(t, "/", b.follow(u.Path+"?"+q.Encode()))
	resp, _ = b.get("/products/14021?from=recommendations%2Ftrending&label=Homepage+-+Trending&pos=1")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	events = rec.Events()
	require.NotEmpty(t, events)
	assert.Equal(t, tracker.KindCategory, events[0].Kind)
	assert.Equal(t, "bags", events[0].Category)
	assert.Empty(t, ofKind(events, tracker.KindClick))
	views := ofKind(events, tracker.KindView)
	require.Len(t, views, 2)
	assert.Equal(t, "14020", views[0].Product)
	assert.Equal(t, "14021", views[1].Product)

	resp, _ = b.get("/products/99999")
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
}

func TestSearchIsALabelledCall(t *testing.T) {
	t.Parallel()
	_, rec, b := newShopper(t)

	resp, page := b.get("/search?q=Wool")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, page, "Merino Beanie")
	link := linkTo(t, page, "15100")
	assert.Contains(t, link, "a=search%2Fsearch")
	assert.Contains(t, link, "to=%2Fproducts%2F15100")
	// The call's impression as the results of the search, then the search
	// with the number it found: what the dashboard's search insights count.
	events := rec.Events()
	require.Len(t, events, 2)
	assert.Equal(t, tracker.KindImpression, events[0].Kind)
	assert.Equal(t, "search/search", events[0].API)
	assert.Equal(t, []string{"Search - Results"}, events[0].Labels)
	assert.Equal(t, []string{"12811", "15100"}, events[0].Products)
	assert.Equal(t, "Wool", events[0].Query)
	assert.Equal(t, tracker.KindSearch, events[1].Kind)
	assert.Equal(t, "Wool", events[1].Query)
	require.NotNil(t, events[1].Results)
	assert.Equal(t, 2, *events[1].Results)

	resp, _ = b.get("/search?q=")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	resp, _ = b.get("/search?q=zebra")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	events = rec.Events()[2:]
	require.Len(t, events, 1, "an empty query records nothing, a query without results only the search")
	assert.Equal(t, tracker.KindSearch, events[0].Kind)
	require.NotNil(t, events[0].Results)
	assert.Zero(t, *events[0].Results)

	// A query the tracker could not keep is searched for, shown and
	// recorded as it would keep it.
	resp, _ = b.get("/search?q=" + url.QueryEscape("wo\x00ol\xff"))
	require.Equal(t, http.StatusOK, resp.StatusCode)
	resp, _ = b.get("/search?q=" + url.QueryEscape(strings.Repeat("é", 600)))
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var searches []tracker.Event
	for _, e := range rec.Events()[3:] {
		if e.Kind == tracker.KindSearch {
			searches = append(searches, e)
		}
	}
	require.Len(t, searches, 2, "both searches recorded")
	assert.Equal(t, "wool", strings.ToLower(searches[0].Query))
	assert.Equal(t, strings.Repeat("é", tracker.MaxQueryBytes/2), searches[1].Query)
}

func TestConsentAcceptKeepsTheIDInTheLongTermCookie(t *testing.T) {
	t.Parallel()
	_, rec, b := newShopper(t)
	before := b.visitor()
	require.NotEmpty(t, before)

	resp, _ := b.post("/consent", url.Values{"choice": {"persistent"}, "return": {"/products/12793"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	assert.Equal(t, "/products/12793", resp.Header.Get("Location"))
	set := setCookies(resp)
	require.Contains(t, set, "vt_id")
	assert.Positive(t, set["vt_id"].MaxAge, "a long-term cookie")
	assert.True(t, set["vt_id"].HttpOnly)
	require.Contains(t, set, "vt_consent")
	assert.Equal(t, "persistent", set["vt_consent"].Value)
	require.Contains(t, set, "vt_s")
	assert.Negative(t, set["vt_s"].MaxAge, "the session cookie is no longer needed")

	assert.Equal(t, before, b.visitor(), "consenting keeps the same visitor ID")
	resp, page := b.get("/")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.NotContains(t, page, `id="consent-banner"`)
	assert.Contains(t, page, `id="tracking-note">You accepted`)
	assert.NotContains(t, b.cookies(), "vt_s")
	events := rec.Events()
	assert.Equal(t, before, events[len(events)-1].Visitor)
}

func TestConsentCookielessOnly(t *testing.T) {
	t.Parallel()
	_, _, b := newShopper(t)
	before := b.visitor()

	resp, _ := b.post("/consent", url.Values{"choice": {"cookieless"}, "return": {"/"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	assert.Equal(t, "cookieless", setCookies(resp)["vt_consent"].Value)
	assert.NotContains(t, b.cookies(), "vt_id")
	assert.Equal(t, before, b.visitor())
	_, page := b.get("/")
	assert.NotContains(t, page, `id="consent-banner"`)
}

func TestConsentRefuseDeletesCookiesAndStopsEvents(t *testing.T) {
	t.Parallel()
	_, rec, b := newShopper(t)
	b.get("/")
	resp, _ := b.post("/consent", url.Values{"choice": {"persistent"}, "return": {"/"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Contains(t, b.cookies(), "vt_id")
	resp, _ = b.post("/basket/add", url.Values{"id": {"13001"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)

	resp, _ = b.post("/consent", url.Values{"choice": {"disabled"}, "return": {"/basket"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	set := setCookies(resp)
	require.Contains(t, set, "vt_id")
	assert.Negative(t, set["vt_id"].MaxAge, "the long-term cookie is deleted")
	assert.Equal(t, "disabled", set["vt_consent"].Value)
	assert.NotContains(t, b.cookies(), "vt_id")
	assert.NotContains(t, b.cookies(), "vt_s")
	assert.Equal(t, "13001:1", b.cookies()[basketCookie], "the basket moves to the shop's own cookie")

	n := rec.Len()
	assert.Empty(t, b.visitor(), "/me shows no ID")
	_, page := b.get("/")
	assert.NotContains(t, page, `id="consent-banner"`)
	assert.Equal(t, "/products/12793", b.follow(linkTo(t, page, "12793")), "the link still leads to the product")
	b.get("/products/12793")
	b.get("/products/12793/similar.json")
	b.do(http.MethodPost, "/visitrack/log/click", "", "")
	b.get("/visitrack/log/click?product=12793")
	b.get("/categories/shoes")
	b.get("/search?q=shoe")
	resp, page = b.get("/basket")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, page, "Rain Shell", "the basket still works without tracking")
	resp, page = b.post("/checkout", url.Values{"email": {"ada@example.com"}})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Regexp(t, orderIDRe, page)
	assert.Equal(t, n, rec.Len(), "nothing is recorded after a refusal")
	for _, c := range b.cookies() {
		assert.NotContains(t, c, "ada", "no personal data in cookies")
	}
	assert.NotContains(t, b.cookies(), basketCookie, "checkout empties the basket cookie")
}

func TestConsentFormIsChecked(t *testing.T) {
	t.Parallel()
	_, _, b := newShopper(t)

	resp, page := b.post("/consent", url.Values{"choice": {"everything"}})
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.NotContains(t, setCookies(resp), "vt_consent")
	assert.Contains(t, page, "Choose one of the options")
	assert.Contains(t, page, `id="consent-accept"`, "the page offers the real choices")
	assert.NotContains(t, page, "There is nothing here", "not the 404 page")

	resp, page = b.get("/consent")
	assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
	assert.Equal(t, http.MethodPost, resp.Header.Get("Allow"))
	assert.Contains(t, page, "there is no page to show")
	for _, ret := range []string{"//evil.example/", "https://evil.example/", `/\evil.example`, ""} {
		resp, _ = b.post("/consent", url.Values{"choice": {"cookieless"}, "return": {ret}})
		assert.Equal(t, "/", resp.Header.Get("Location"), "return %q", ret)
	}

	// A form on another site cannot record a choice for the visitor.
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, b.srv.URL+"/consent",
		strings.NewReader("choice=persistent"))
	require.NoError(t, err)
	req.Header.Set("User-Agent", browserUA)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err = b.srv.Client().Do(req)
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	assert.Empty(t, resp.Cookies())
	assert.Contains(t, string(body), "sent from another website")
	assert.NotContains(t, string(body), "consent-banner", "the refusal page offers no form")
}

func TestBasketAndCheckoutLogSaleAndEmail(t *testing.T) {
	t.Parallel()
	_, rec, b := newShopper(t)
	visitor := b.visitor()

	resp, _ := b.post("/checkout", url.Values{"email": {""}})
	assert.Equal(t, http.StatusSeeOther, resp.StatusCode, "an empty basket cannot be checked out")
	resp, _ = b.post("/basket/add", url.Values{"id": {"12793"}, "quantity": {"2"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	assert.Equal(t, "/basket", resp.Header.Get("Location"))
	b.post("/basket/add", url.Values{"id": {"15100"}})
	b.post("/basket/add", url.Values{"id": {"13002"}, "quantity": {"4"}})
	b.post("/basket/remove", url.Values{"id": {"13002"}})
	resp, _ = b.post("/basket/add", url.Values{"id": {"nope"}})
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	assert.NotContains(t, b.cookies(), basketCookie, "a tracked visitor's basket stays on the server")

	resp, page := b.get("/basket")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, page, `id="basket-total">€221.90<`, "2 × 99.95 + 22.00")
	assert.Contains(t, page, "Basket (3)")

	resp, page = b.post("/checkout", url.Values{"email": {"not an address"}})
	assert.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	assert.Contains(t, page, "does not look right")
	assert.Empty(t, ofKind(rec.Events(), tracker.KindSale))

	resp, page = b.post("/checkout", url.Values{"email": {"Ada@Example.com"}})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	m := orderIDRe.FindStringSubmatch(page)
	require.NotNil(t, m, "the confirmation shows the order ID")
	assert.Contains(t, page, "€221.90 in all")

	sales := ofKind(rec.Events(), tracker.KindSale)
	require.Len(t, sales, 1)
	sale := sales[0]
	assert.Equal(t, m[1], sale.Sale)
	assert.Equal(t, visitor, sale.Visitor)
	assert.Equal(t, "ada@example.com", sale.Email)
	assert.Equal(t, []tracker.Line{{ID: "12793", Price: 99.95, Quantity: 2}, {ID: "15100", Price: 22, Quantity: 1}}, sale.Lines)
	emails := ofKind(rec.Events(), tracker.KindEmail)
	require.Len(t, emails, 1)
	assert.Equal(t, "ada@example.com", emails[0].Email)
	assert.Equal(t, visitor, emails[0].Visitor)

	_, page = b.get("/basket")
	assert.Contains(t, page, "Your basket is empty")

	// What sold is trending now.
	rec.Reset()
	b.get("/")
	imps := ofKind(rec.Events(), tracker.KindImpression)
	require.Len(t, imps, 1)
	assert.Equal(t, []string{"12793", "15100"}, imps[0].Products[:2])
}

func TestMeShowsVisitorAndConsent(t *testing.T) {
	t.Parallel()
	_, _, b := newShopper(t)
	resp, page := b.get("/me")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	m := visitorIDRe.FindStringSubmatch(page)
	require.NotNil(t, m)
	assert.True(t, session.ValidID(m[1]))
	assert.Contains(t, page, `id="consent-state" data-state="cookieless">Your anonymous visitor ID lasts for this visit only.`)
	assert.Contains(t, page, "You have not chosen yet")
	assert.NotContains(t, page, `aria-pressed`, "no choice is marked before one is made")
	assert.Equal(t, m[1], b.visitor(), "the ID is kept between requests")

	b.post("/consent", url.Values{"choice": {"persistent"}, "return": {"/me"}})
	_, page = b.get("/me")
	assert.Contains(t, page, `data-state="persistent"`)
	assert.Regexp(t, `value="persistent" id="consent-accept"\s+class="primary current" aria-pressed="true">✓ Accept<`, page)
	assert.Equal(t, 1, strings.Count(page, "aria-pressed"), "one choice is marked")
	assert.Contains(t, page, "Change your choice")
	assert.Contains(t, page, "You accepted: your anonymous visitor ID is remembered across visits.", "the footer says it in words")
	assert.NotContains(t, page, "Consent state")
}

func TestBotsGetNoCookieAndNoEvents(t *testing.T) {
	t.Parallel()
	_, rec, srv := newTestShop(t, nil)
	b := newBrowser(t, srv, "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)")
	for _, path := range []string{"/", "/products/12793?from=recommendations%2Ftrending&label=Homepage+-+Trending&pos=1",
		"/products/12793", "/categories/shoes", "/search?q=shoe", "/me"} {
		resp, _ := b.get(path)
		assert.Less(t, resp.StatusCode, 400, path)
		assert.Empty(t, resp.Cookies(), path)
	}
	assert.Empty(t, b.visitor())
	assert.Zero(t, rec.Len())
}

// fakeHistory answers History with fixed activity.
type fakeHistory struct {
	history []tracker.Activity
	visitor string
}

func (f *fakeHistory) History(_ context.Context, store, visitor string, limit int) ([]tracker.Activity, error) {
	if store != "webshop" || limit < 1 {
		return nil, errors.New("bad history arguments")
	}
	f.visitor = visitor
	return f.history, nil
}

func TestHistoryShowsViewedProductsNewestFirst(t *testing.T) {
	t.Parallel()
	h := &fakeHistory{history: []tracker.Activity{
		{Kind: tracker.KindView, Product: "13001"},
		{Kind: tracker.KindSearch, Query: "wool"},
		{Kind: tracker.KindView, Product: "12793"},
		{Kind: tracker.KindView, Product: "13001"},
		{Kind: tracker.KindView, Product: "gone"},
	}}
	_, _, srv := newTestShop(t, h)
	b := newBrowser(t, srv, browserUA)

	_, page := b.get("/")
	require.Contains(t, page, "You previously visited")
	hist := page[strings.Index(page, "You previously visited"):]
	assert.Less(t, strings.Index(hist, "Rain Shell"), strings.Index(hist, "Trail Runner 2"), "newest first")
	assert.Equal(t, 1, strings.Count(hist, "Rain Shell"), "each product once")
	assert.Equal(t, b.visitor(), h.visitor)

	_, _, plain := newTestShop(t, nil)
	resp, _ := newBrowser(t, plain, browserUA).get("/dashboard/")
	assert.Equal(t, http.StatusNotFound, resp.StatusCode, "no dashboard unless the shop mounts one")
}

// lockedBuffer is a log's output, read while the log may still write.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestRunServesUntilCancelled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	addrs := make(chan net.Addr, 1)
	done := make(chan error, 1)
	data := filepath.Join(t.TempDir(), "shop.db")
	cfg := config{Addr: "127.0.0.1:0", Catalog: "testdata/catalog.json", Store: "webshop", Data: data,
		onListen: func(a net.Addr) { addrs <- a }}
	var logs lockedBuffer
	go func() { done <- run(ctx, cfg, slog.New(slog.NewJSONHandler(&logs, nil))) }()
	var addr net.Addr
	select {
	case addr = <-addrs:
	case err := <-done:
		t.Fatalf("run returned before listening: %v", err)
	}
	base := "http://" + addr.String()
	get := func(path, password string) (int, string) {
		t.Helper()
		return getAs(t, base+path, password)
	}
	status, _ := get("/", "")
	assert.Equal(t, http.StatusOK, status)

	// Without VISITRACK_DASHBOARD_PASSWORD, the dashboard's password is
	// made up and logged at start.
	var password string
	for line := range strings.Lines(logs.String()) {
		var rec struct{ Msg, User, Password string }
		require.NoError(t, json.Unmarshal([]byte(line), &rec))
		if rec.Password != "" {
			assert.Equal(t, dashboardUser, rec.User)
			password = rec.Password
		}
	}
	require.GreaterOrEqual(t, len(password), 20, "a password is logged")
	status, _ = get("/dashboard/", "")
	assert.Equal(t, http.StatusUnauthorized, status)
	status, _ = get("/dashboard/", "guess")
	assert.Equal(t, http.StatusUnauthorized, status)
	status, page := get("/dashboard/?range=today", password)
	assert.Equal(t, http.StatusOK, status)
	assert.Contains(t, page, "Headline figures")

	// /metrics counts the home page's impression.
	status, page = get("/metrics", "")
	assert.Equal(t, http.StatusOK, status)
	assert.Contains(t, page, `visitrack_queue_enqueued_events_total{sink="store"} 1`)
	assert.Contains(t, page, `visitrack_store_memory_budget_bytes{sink="store"}`)
	cancel()
	assert.NoError(t, <-done, "a cancelled context shuts the server down cleanly")

	// The home page's impression was drained into the SQLite file on the
	// way out: the report over today counts the Trending call.
	db, err := sqlite.Open(context.Background(), data)
	require.NoError(t, err)
	defer db.Close()
	rep, err := db.Report(context.Background(), "webshop", time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	require.NoError(t, err)
	require.NotEmpty(t, rep.Labels)
	assert.Equal(t, "Homepage - Trending", rep.Labels[0].Label)
	assert.Equal(t, 1, rep.Labels[0].Calls)
}

func TestParseConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want config
	}{
		{"defaults", nil, nil, config{Addr: "localhost:8080", Catalog: "testdata/catalog.json", Store: "webshop"}},
		{"PORT", nil, map[string]string{"PORT": "9000"}, config{Addr: "localhost:9000", Catalog: "testdata/catalog.json", Store: "webshop"}},
		{"ADDR wins over PORT", nil, map[string]string{"PORT": "9000", "ADDR": "127.0.0.1:7000"},
			config{Addr: "127.0.0.1:7000", Catalog: "testdata/catalog.json", Store: "webshop"}},
		{"flags win", []string{"-addr", ":1", "-catalog", "c.json", "-store", "dk"},
			map[string]string{"ADDR": "x:2", "VISITRACK_CATALOG": "e.json", "VISITRACK_STORE": "se"},
			config{Addr: ":1", Catalog: "c.json", Store: "dk"}},
		{"env", nil, map[string]string{"VISITRACK_CATALOG": "e.json", "VISITRACK_STORE": "se"},
			config{Addr: "localhost:8080", Catalog: "e.json", Store: "se"}},
		{"Clerk from the environment", nil, map[string]string{"VISITRACK_CLERK_KEY": "pub", "VISITRACK_CLERK_URL": "http://127.0.0.1:9/v2",
			"VISITRACK_CLERK_PRIVATE_KEY": "priv"},
			config{Addr: "localhost:8080", Catalog: "testdata/catalog.json", Store: "webshop", ClerkKey: "pub",
				ClerkURL: "http://127.0.0.1:9/v2", ClerkPrivateKey: "priv"}},
		{"Clerk flags win", []string{"-clerk-key", "flag", "-clerk-url", "http://127.0.0.1:8/v2"},
			map[string]string{"VISITRACK_CLERK_KEY": "pub", "VISITRACK_CLERK_URL": "http://127.0.0.1:9/v2"},
			config{Addr: "localhost:8080", Catalog: "testdata/catalog.json", Store: "webshop", ClerkKey: "flag",
				ClerkURL: "http://127.0.0.1:8/v2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := parseConfig(tt.args, func(k string) string { return tt.env[k] }, io.Discard)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
	_, err := parseConfig([]string{"extra"}, func(string) string { return "" }, io.Discard)
	assert.Error(t, err)

	var help strings.Builder
	_, err = parseConfig([]string{"-h"}, func(k string) string { return "secret-" + k }, &help)
	assert.ErrorIs(t, err, flag.ErrHelp)
	assert.Contains(t, help.String(), "-clerk-key")
	assert.NotContains(t, help.String(), "secret-VISITRACK_CLERK_KEY", "keys are never printed")
	assert.NotContains(t, help.String(), "secret-VISITRACK_CLERK_PRIVATE_KEY")
}

func TestCatalog(t *testing.T) {
	t.Parallel()
	c := testCatalog(t)
	assert.Len(t, c.products, 24)
	assert.Equal(t, []category{{"Shoes", "shoes"}, {"Jackets", "jackets"}, {"Bags", "bags"}, {"Accessories", "accessories"}}, c.categories)

	numeric, err := parseCatalog(strings.NewReader(`[{"id":12793,"name":"A","category":"Running Shoes","price":1}]`))
	require.NoError(t, err)
	p, ok := numeric.product("12793")
	require.True(t, ok, "a numeric id is the same product as its digits")
	assert.Equal(t, "running-shoes", p.Slug())

	for _, bad := range []string{`[]`, `{}`, `[{"id":"1","name":"A","category":"C","price":-1}]`,
		`[{"id":"1","name":"A","category":"C"},{"id":1,"name":"B","category":"C"}]`,
		`[{"id":"","name":"A","category":"C"}]`, `[{"id":"1","name":"","category":"C"}]`} {
		_, err := parseCatalog(strings.NewReader(bad))
		assert.ErrorIs(t, err, errBadCatalog, bad)
	}
	_, err = loadCatalog("testdata/missing.json")
	assert.Error(t, err)
}

func TestBasketCookieIgnoresGarbage(t *testing.T) {
	t.Parallel()
	c := testCatalog(t)
	b := decodeBasket("x|12793:abc|12793:2|99999:1|15100:0|15100:500|:|", c)
	assert.Equal(t, basket{{ID: "12793", Quantity: 2}, {ID: "15100", Quantity: maxQuantity}}, b)
	assert.Equal(t, "12793:2|15100:99", b.encode())
}

// Clicks logged from the browser may name any product ID; Trending's
// counter counts the catalogue's products only, so it cannot grow without
// bound.
func TestPopularityCountsTheCatalogueOnly(t *testing.T) {
	t.Parallel()
	sh, rec, b := newShopper(t)
	for i := range 300 {
		resp, _ := b.get("/visitrack/log/click?product=" + url.QueryEscape(fmt.Sprintf("made-up-%d", i)))
		require.Equal(t, http.StatusOK, resp.StatusCode)
	}
	resp, _ := b.get("/visitrack/log/click?product=13001")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, 301, rec.Len(), "every click is tracked")
	sh.popular.mu.Lock()
	defer sh.popular.mu.Unlock()
	assert.Equal(t, map[string]int{"13001": 1}, sh.popular.score)
}
