package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/rs/xid"

	"github.com/visitrack/visitrack/consent"
	"github.com/visitrack/visitrack/middleware"
	"github.com/visitrack/visitrack/tracker"
	"github.com/visitrack/visitrack/tracker/clerk"
	"github.com/visitrack/visitrack/tracker/collect"
)

// historian answers "You previously visited". A tracker store
// (tracker/sqlite, tracker/postgres) is one; without one the shop hides the
// list.
type historian interface {
	History(ctx context.Context, store, visitor string, limit int) ([]tracker.Activity, error)
}

// list is a labelled, tracked list of products: the API that returned it
// and the label that names where it is shown. Product links from a list
// are signed click links carrying both (tracker/collect), so that a
// crafted link cannot invent labels in the analytics.
type list struct {
	API, Label string
}

// The shop's tracked lists. Their APIs are Clerk's names for them: with a
// Clerk key, the shop asks Clerk for them.
var (
	trendingList = list{API: "recommendations/trending", Label: "Homepage - Trending"}
	similarList  = list{API: "recommendations/substituting", Label: "Product page - Similar products"}
	searchList   = list{API: "search/search", Label: "Search - Results"}
)

// collectPath is where tracker/collect is mounted: browser-side logging
// (/visitrack/log/click, ...), signed click links and collect.js.
const collectPath = "/visitrack"

// defaultClerkTimeout is how long a page waits for Clerk before it shows
// the shop's own list instead.
const defaultClerkTimeout = time.Second

const (
	trendingSize = 8
	similarSize  = 4
	searchLimit  = 12
	historySize  = 6
)

// shopConfig configures newShop.
type shopConfig struct {
	Catalog  *catalog
	Keys     [][]byte
	Store    string           // default "webshop"
	Recorder tracker.Recorder // where events go
	// History answers "You previously visited"; nil hides it.
	History historian
	// Dashboard, if set, is served under /dashboard/ (tracker/dashboard,
	// which checks who may see it), outside visitrack's middleware: the
	// shop's owner is not a visitor.
	Dashboard http.Handler
	// Metrics, if set, is served at /metrics, outside the middleware too.
	Metrics http.Handler
	// Clerk fetches Trending, search results and similar products from
	// Clerk.io; nil means the shop's own lists.
	Clerk *clerk.Client
	// ClerkTimeout is how long a page waits for Clerk; zero means
	// defaultClerkTimeout.
	ClerkTimeout time.Duration
	Logger       *slog.Logger     // nil: slog.Default()
	Now          func() time.Time // nil: time.Now
	// Baskets keeps visitors' baskets; nil keeps them in memory, which
	// suits a single instance.
	Baskets basketStore
}

// shop is the demo web shop: its catalogue, baskets, popularity counter and
// pages, behind visitrack's middleware.
type shop struct {
	catalog      *catalog
	store        string
	mw           *middleware.Middleware
	collect      *collect.Handler
	historian    historian
	dashboard    http.Handler
	metrics      http.Handler
	clerk        *clerk.Client
	clerkTimeout time.Duration
	popular      *popularity
	baskets      basketStore
	pages        map[string]*template.Template
	log          *slog.Logger
	now          func() time.Time
}

func newShop(cfg shopConfig) (*shop, error) {
	if cfg.Catalog == nil {
		return nil, errors.New("webshop: a catalogue is required")
	}
	s := &shop{catalog: cfg.Catalog, store: cfg.Store, historian: cfg.History, dashboard: cfg.Dashboard,
		metrics: cfg.Metrics, clerk: cfg.Clerk,
		clerkTimeout: cfg.ClerkTimeout, popular: newPopularity(cfg.Catalog), baskets: cfg.Baskets, log: cfg.Logger, now: cfg.Now}
	if s.baskets == nil {
		s.baskets = newBaskets()
	}
	if s.store == "" {
		s.store = "webshop"
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.clerkTimeout <= 0 {
		s.clerkTimeout = defaultClerkTimeout
	}
	// The popularity counter that orders Trending counts what is tracked:
	// clicks (also those logged by the browser) and units sold.
	rec := cfg.Recorder
	if rec != nil {
		rec = tracker.Fanout(rec, s.popular)
	}
	var err error
	s.mw, err = middleware.New(middleware.Config{Keys: cfg.Keys, Store: s.store, Recorder: rec,
		Logger: s.log, Now: cfg.Now})
	if err != nil {
		return nil, err
	}
	// Click links are signed with the cookies' keys.
	s.collect, err = collect.New(collect.Config{Keys: cfg.Keys, Path: collectPath, Logger: s.log})
	if err != nil {
		return nil, err
	}
	if s.pages, err = parsePages(); err != nil {
		return nil, err
	}
	return s, nil
}

// routes returns the shop's handler: cross-origin protection for the forms,
// then visitrack's middleware, then the pages.
func (s *shop) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.home)
	mux.HandleFunc("GET /products/{id}", s.productPage)
	mux.HandleFunc("GET /products/{id}/similar.json", s.similarJSON)
	mux.HandleFunc("GET /static/similar.js", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFileFS(w, r, staticFS, "static/similar.js")
	})
	// Inside the middleware, so that the browser's events get the
	// visitor's tracker.
	mux.Handle(collectPath+"/", http.StripPrefix(collectPath, s.collect))
	mux.HandleFunc("GET /categories/{slug}", s.categoryPage)
	mux.HandleFunc("GET /search", s.searchPage)
	mux.HandleFunc("GET /pictures/{file}", s.picture)
	mux.HandleFunc("GET /basket", s.basketPage)
	for path, h := range map[string]http.HandlerFunc{
		"/consent": s.setConsent, "/basket/add": s.addToBasket,
		"/basket/remove": s.removeFromBasket, "/checkout": s.checkout,
	} {
		mux.HandleFunc("POST "+path, h)
		mux.HandleFunc(path, s.postOnly) // any other method: 405
	}
	mux.HandleFunc("GET /me", s.mePage)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.render(w, r, http.StatusNotFound, "notfound", "Not found", nil)
	})
	// Every form posts to this shop. Refusing cross-origin posts keeps
	// another site from recording a consent choice the visitor never made.
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(s.crossOrigin))
	shop := cop.Handler(s.mw.Handler(mux))
	if s.dashboard == nil && s.metrics == nil {
		return shop
	}
	outer := http.NewServeMux()
	outer.Handle("/", shop)
	if s.dashboard != nil {
		outer.Handle("/dashboard/", http.StripPrefix("/dashboard", s.dashboard))
	}
	if s.metrics != nil {
		outer.Handle("GET /metrics", s.metrics)
	}
	return outer
}

// item is a product in a rendered list, with the link to its page and its
// picture.
type item struct {
	product
	URL, Picture string
	Position     int
}

// plainItems links products to their pages without tracking parameters.
func plainItems(ps []product) []item {
	out := make([]item, len(ps))
	for i, p := range ps {
		out[i] = item{product: p, URL: "/products/" + url.PathEscape(p.ID), Picture: pictureURL(p.ID), Position: i + 1}
	}
	return out
}

// trackedItems links products to their pages through signed click links
// that record the list they were shown in and their position.
func (s *shop) trackedItems(l list, ps []product) []item {
	out := plainItems(ps)
	for i := range out {
		link, err := s.collect.Link(out[i].URL, tracker.Click{Product: out[i].ID, API: l.API,
			Labels: []string{l.Label}, Position: i + 1})
		if err != nil {
			s.log.Error("webshop: signing a click link", "err", err)
			continue // a plain link: the click is not tracked, the page works
		}
		out[i].URL = link
	}
	return out
}

// fetch returns the products of list l: from Clerk when the shop has it,
// which records what it showed, or else (and when Clerk fails or is slower
// than clerkTimeout) from local, recorded here; either way as the results
// of a search when args has a "query". Products Clerk names that the
// catalogue does not have are left out.
func (s *shop) fetch(r *http.Request, l list, args map[string]any, local func() []product) []product {
	if s.clerk != nil {
		ctx, cancel := context.WithTimeout(r.Context(), s.clerkTimeout)
		defer cancel()
		res, err := s.clerk.Call(ctx, tracker.From(r.Context()), l.API, args, l.Label)
		if err == nil {
			ps := make([]product, 0, len(res.Products))
			for _, id := range res.Products {
				if p, ok := s.catalog.product(id); ok {
					ps = append(ps, p)
				}
			}
			return ps
		}
		s.log.WarnContext(r.Context(), "webshop: Clerk did not answer, showing the shop's own list", "api", l.API, "err", err)
	}
	ps := local()
	q, _ := args["query"].(string)
	s.show(r, l, q, ps)
	return ps
}

// show labels a call for l and records that it showed ps, as the results
// of a search for query unless that is "". Tracking errors never break the
// page.
func (s *shop) show(r *http.Request, l list, query string, ps []product) {
	if len(ps) == 0 {
		return
	}
	call, err := tracker.From(r.Context()).Call(l.API, l.Label)
	if err != nil {
		s.log.ErrorContext(r.Context(), "webshop: labelling a call", "api", l.API, "err", err)
		return
	}
	if query != "" {
		call = call.ForQuery(query)
	}
	ids := make([]string, len(ps))
	for i, p := range ps {
		ids[i] = p.ID
	}
	s.check(r, "impression", call.Shown(ids...))
}

// check logs a tracking error; the visitor's page goes on regardless.
func (s *shop) check(r *http.Request, what string, err error) {
	if err != nil {
		s.log.WarnContext(r.Context(), "webshop: tracking failed", "event", what, "err", err)
	}
}

// history returns the products the visitor viewed lately, newest first,
// when the shop has analytics.
func (s *shop) history(r *http.Request) []item {
	v := tracker.From(r.Context()).Visitor()
	if s.historian == nil || v == "" {
		return nil
	}
	acts, err := s.historian.History(r.Context(), s.store, v, 50)
	if err != nil {
		s.log.WarnContext(r.Context(), "webshop: reading history", "err", err)
		return nil
	}
	var ps []product
	seen := map[string]bool{}
	for _, a := range acts {
		if a.Kind != tracker.KindView || seen[a.Product] {
			continue
		}
		if p, ok := s.catalog.product(a.Product); ok {
			seen[a.Product] = true
			ps = append(ps, p)
			if len(ps) == historySize {
				break
			}
		}
	}
	return plainItems(ps)
}

func (s *shop) home(w http.ResponseWriter, r *http.Request) {
	trending := s.fetch(r, trendingList, map[string]any{"limit": trendingSize},
		func() []product { return s.popular.top(s.catalog, trendingSize) })
	s.render(w, r, http.StatusOK, "home", "Home", map[string]any{
		"Trending": s.trackedItems(trendingList, trending),
		"History":  s.history(r),
	})
}

// productPage logs a view. Clicks that led here were logged by the click
// link (tracker/collect) before it redirected here, or by the browser.
func (s *shop) productPage(w http.ResponseWriter, r *http.Request) {
	p, ok := s.catalog.product(r.PathValue("id"))
	if !ok {
		s.render(w, r, http.StatusNotFound, "notfound", "Not found", nil)
		return
	}
	s.check(r, "view", tracker.From(r.Context()).View(p.ID))
	s.renderProduct(w, r, http.StatusOK, p, "1", "")
}

// renderProduct shows p's page, its quantity field holding quantity, with
// problem, if any, said above it.
func (s *shop) renderProduct(w http.ResponseWriter, r *http.Request, status int, p product, quantity, problem string) {
	s.render(w, r, status, "product", p.Name, map[string]any{
		"Product":    p,
		"Picture":    pictureURL(p.ID),
		"Quantity":   quantity,
		"Max":        maxQuantity,
		"Problem":    problem,
		"SimilarURL": "/products/" + url.PathEscape(p.ID) + "/similar.json",
	})
}

// similarAnswer is the JSON the product page's script renders "Similar
// products" from; the list's API and labels go with it, for the clicks the
// script logs through tracker/collect.
type similarAnswer struct {
	API      string        `json:"api"`
	Labels   []string      `json:"labels"`
	Products []productJSON `json:"products"`
}

type productJSON struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Category string `json:"category"`
	Price    string `json:"price"` // formatted, as the pages show it
	URL      string `json:"url"`
	Picture  string `json:"picture"`
}

// similarJSON answers the product page's script: the products similar to
// one, recorded as shown by the similar-products call.
func (s *shop) similarJSON(w http.ResponseWriter, r *http.Request) {
	headers(w, "application/json", "no-store", "") // each answer is an impression for this visitor
	p, ok := s.catalog.product(r.PathValue("id"))
	if !ok {
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"error":"no such product"}` + "\n"))
		return
	}
	similar := s.fetch(r, similarList, map[string]any{"products": []string{p.ID}, "limit": similarSize},
		func() []product { return s.catalog.similar(p, similarSize) })
	out := similarAnswer{API: similarList.API, Labels: []string{similarList.Label}, Products: []productJSON{}}
	for _, it := range plainItems(similar) {
		out.Products = append(out.Products, productJSON{ID: it.ID, Name: it.Name, Category: it.Category,
			Price: strconv.FormatFloat(it.Price, 'f', 2, 64), URL: it.URL, Picture: it.Picture})
	}
	_ = json.NewEncoder(w).Encode(out)
}

func (s *shop) categoryPage(w http.ResponseWriter, r *http.Request) {
	cat, ps, ok := s.catalog.category(r.PathValue("slug"))
	if !ok {
		s.render(w, r, http.StatusNotFound, "notfound", "Not found", nil)
		return
	}
	s.check(r, "category", tracker.From(r.Context()).Category(cat.Slug))
	// Category listings are not a tracked call: their links are plain, and
	// the product page logs only a view.
	s.render(w, r, http.StatusOK, "category", cat.Name, map[string]any{
		"Category": cat,
		"Products": plainItems(ps),
	})
}

func (s *shop) searchPage(w http.ResponseWriter, r *http.Request) {
	// The tracker refuses text that is not valid UTF-8 or holds control
	// characters, and cuts long queries at a rune boundary; the page shows,
	// searches for and records what it would keep.
	q := displayQuery(r.URL.Query().Get("q"))
	var results []product
	if q != "" {
		results = s.fetch(r, searchList, map[string]any{"query": q, "limit": searchLimit},
			func() []product { return s.catalog.search(q, searchLimit) })
		// With the number found, so that the dashboard lists the searches
		// that found nothing.
		s.check(r, "search", tracker.From(r.Context()).SearchResults(q, len(results)))
	}
	// The header's search box holds the query: the page needs no other.
	d := s.page(r, "Search", map[string]any{"Query": q, "Results": s.trackedItems(searchList, results)})
	d.Query = q
	s.write(w, r, http.StatusOK, "search", d)
}

// setConsent records the visitor's choice from the banner's form and sends
// the browser back where it was.
func (s *shop) setConsent(w http.ResponseWriter, r *http.Request) {
	if !s.readForm(w, r, "choice") {
		return
	}
	var state consent.State
	switch r.PostFormValue("choice") {
	case "persistent":
		state = consent.Persistent
	case "cookieless":
		state = consent.Cookieless
	case "disabled":
		state = consent.Disabled
	default:
		s.render(w, r, http.StatusBadRequest, "problem", "Choose one of the options", problemPage{
			Message: "That is not one of the choices, so nothing was changed. Please choose one of these:",
			Choices: true,
		})
		return
	}
	t := tracker.From(r.Context())
	before, b := t.Visitor(), s.loadBasket(r)
	if err := middleware.SetConsent(w, r, state); err != nil {
		s.log.ErrorContext(r.Context(), "webshop: recording consent", "err", err)
		http.Error(w, "could not record your choice", http.StatusInternalServerError)
		return
	}
	// The basket follows the visitor: to the server under a new ID, or
	// into the basket cookie when tracking is now disabled.
	if before != "" && before != t.Visitor() {
		if err := s.baskets.put(r.Context(), before, nil); err != nil {
			s.log.Error("webshop: basket", "err", err)
		}
	}
	s.saveBasket(w, r, b)
	http.Redirect(w, r, localPath(r.PostFormValue("return")), http.StatusSeeOther)
}

// localPath returns p if it is a path on this site, and "/" otherwise, so
// that the consent form cannot redirect elsewhere.
func localPath(p string) string {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") {
		return "/"
	}
	u, err := url.Parse(p)
	if err != nil || u.Host != "" || u.Scheme != "" {
		return "/"
	}
	return p
}

// basketLineView is a basket line as the basket page shows it.
type basketLineView struct {
	item
	Quantity int
	Total    float64
}

// basketView prices b from the catalogue, summing in micro-units so that
// totals are exact.
func (s *shop) basketView(b basket) ([]basketLineView, float64) {
	var lines []basketLineView
	var total int64
	for _, l := range b {
		p, ok := s.catalog.product(l.ID)
		if !ok {
			continue
		}
		sum := tracker.Micros(p.Price) * int64(l.Quantity)
		total += sum
		lines = append(lines, basketLineView{item: plainItems([]product{p})[0], Quantity: l.Quantity,
			Total: tracker.FromMicros(sum)})
	}
	return lines, tracker.FromMicros(total)
}

// basketNotes are what the basket page says after an addition that did not
// go as asked, named by the "note" parameter addToBasket redirects with.
var basketNotes = map[string]string{
	"capped": "You can order at most " + strconv.Itoa(maxQuantity) + " of one product, so that line holds " +
		strconv.Itoa(maxQuantity) + " now.",
	"full": "The basket holds at most " + strconv.Itoa(maxLines) + " different products; " +
		"remove one to add another. Nothing was added.",
}

func (s *shop) basketPage(w http.ResponseWriter, r *http.Request) {
	s.renderBasket(w, r, http.StatusOK, "", basketNotes[r.URL.Query().Get("note")])
}

func (s *shop) renderBasket(w http.ResponseWriter, r *http.Request, status int, email, problem string) {
	lines, total := s.basketView(s.loadBasket(r))
	s.render(w, r, status, "basket", "Basket", map[string]any{
		"Lines": lines, "Total": total, "Email": email, "Problem": problem,
	})
}

// addToBasket adds the quantity asked for, from 1 to maxQuantity; anything
// else is refused on the product's page, saying why. When the basket cannot
// take all of it, the basket page says what it did instead.
func (s *shop) addToBasket(w http.ResponseWriter, r *http.Request) {
	if !s.readForm(w, r, "id") {
		return
	}
	p, ok := s.catalog.product(r.PostFormValue("id"))
	if !ok {
		s.render(w, r, http.StatusNotFound, "notfound", "Not found", nil)
		return
	}
	qty := 1
	if text, given := r.PostForm["quantity"]; given {
		n, err := strconv.Atoi(strings.TrimSpace(text[0]))
		if err != nil || n < 1 || n > maxQuantity {
			s.renderProduct(w, r, http.StatusUnprocessableEntity, p, text[0],
				"Please choose a whole number from 1 to "+strconv.Itoa(maxQuantity)+". Nothing was added.")
			return
		}
		qty = n
	}
	b, added := s.loadBasket(r).add(p.ID, qty)
	s.saveBasket(w, r, b)
	switch {
	case added == 0 && b.quantity(p.ID) == 0:
		http.Redirect(w, r, "/basket?note=full", http.StatusSeeOther)
	case added < qty:
		http.Redirect(w, r, "/basket?note=capped", http.StatusSeeOther)
	default:
		http.Redirect(w, r, "/basket", http.StatusSeeOther)
	}
}

func (s *shop) removeFromBasket(w http.ResponseWriter, r *http.Request) {
	if !s.readForm(w, r, "id") {
		return
	}
	s.saveBasket(w, r, s.loadBasket(r).remove(r.PostFormValue("id")))
	http.Redirect(w, r, "/basket", http.StatusSeeOther)
}

// checkout places the order in the basket: it logs the sale, links the
// visitor to the email address when one is given, counts the products as
// popular and empties the basket.
//
// A form it cannot read places nothing: it is refused before the basket is
// looked at.
func (s *shop) checkout(w http.ResponseWriter, r *http.Request) {
	if !s.readForm(w, r, "email") {
		return
	}
	b := s.loadBasket(r)
	if len(b) == 0 {
		http.Redirect(w, r, "/basket", http.StatusSeeOther)
		return
	}
	email := strings.TrimSpace(r.PostFormValue("email"))
	if email != "" {
		e, err := tracker.NormalizeEmail(email)
		if err != nil {
			s.renderBasket(w, r, http.StatusUnprocessableEntity, email, "That email address does not look right.")
			return
		}
		email = e
	}
	lines, total := s.basketView(b)
	sale := tracker.Sale{ID: xid.New().String(), Email: email}
	for _, l := range lines {
		sale.Products = append(sale.Products, tracker.Line{ID: l.ID, Price: l.Price, Quantity: l.Quantity})
	}
	t := tracker.From(r.Context())
	s.check(r, "sale", t.Sale(sale))
	if email != "" {
		s.check(r, "email", t.Email(email))
	}
	s.saveBasket(w, r, nil)
	s.render(w, r, http.StatusOK, "confirmation", "Thank you", map[string]any{
		"Order": sale.ID, "Lines": lines, "Total": total, "Email": email != "",
	})
}

func (s *shop) mePage(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "me", "Your visitor ID", map[string]any{
		"Chosen":  s.chosen(r),
		"History": s.history(r),
	})
}

// chosen reports whether the visitor has recorded a consent choice.
func (s *shop) chosen(r *http.Request) bool {
	return consent.FromCookie(consent.ChoiceCookie)(r) != consent.Unknown
}

// pageData is what every page's layout gets; Content is the page's own.
type pageData struct {
	Title   string
	Path    string // where the consent form returns to
	Query   string // the search box's text
	Visitor string
	Consent string // "disabled", "cookieless" or "persistent"
	// Chosen is whether the visitor has made a consent choice; without
	// one, the page shows the banner.
	Chosen      bool
	BasketCount int
	Categories  []category
	Dashboard   bool
	// Minimal leaves out what depends on the visitor (banner, basket,
	// tracking note), for a request refused before visitrack saw it.
	Minimal bool
	Content any
}

// render shows page in the shop's layout, for the request's visitor.
func (s *shop) render(w http.ResponseWriter, r *http.Request, status int, page, title string, content any) {
	s.write(w, r, status, page, s.page(r, title, content))
}

// page is the layout's data for r's visitor.
func (s *shop) page(r *http.Request, title string, content any) pageData {
	t := tracker.From(r.Context())
	return pageData{
		Title:       title,
		Path:        r.URL.RequestURI(),
		Visitor:     t.Visitor(),
		Consent:     t.Consent().String(),
		Chosen:      s.chosen(r),
		BasketCount: s.loadBasket(r).count(),
		Categories:  s.catalog.categories,
		Dashboard:   s.dashboard != nil,
		Content:     content,
	}
}

// write executes the page into a buffer first, so that a template error
// becomes a clean 500 rather than half a page.
func (s *shop) write(w http.ResponseWriter, r *http.Request, status int, page string, data pageData) {
	var buf bytes.Buffer
	if err := s.pages[page].ExecuteTemplate(&buf, "layout", data); err != nil {
		s.log.ErrorContext(r.Context(), "webshop: rendering", "page", page, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	// Pages show the visitor's own ID and basket: no cache may keep them.
	headers(w, "text/html; charset=utf-8", "no-store",
		"default-src 'none'; script-src 'self'; connect-src 'self'; img-src 'self'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	w.Header().Set("Referrer-Policy", "same-origin")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// headers sets what every answer of the shop says of itself: its content
// type, who may cache it, and its Content-Security-Policy (none when csp
// is "").
func headers(w http.ResponseWriter, contentType, cacheControl, csp string) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Cache-Control", cacheControl)
	if csp != "" {
		h.Set("Content-Security-Policy", csp)
	}
	h.Set("X-Content-Type-Options", "nosniff")
}

// displayQuery is q as the page shows it: valid UTF-8 without control
// characters, cut at a rune boundary to tracker.MaxQueryBytes.
func displayQuery(q string) string {
	q = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, strings.ToValidUTF8(q, ""))
	for len(q) > tracker.MaxQueryBytes {
		_, n := utf8.DecodeLastRuneInString(q)
		q = q[:len(q)-n]
	}
	return strings.TrimSpace(q)
}
