package dashboard

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/visitrack/visitrack/tracker"
)

//go:embed templates/*.html templates/style.css
var files embed.FS

// Handler is the dashboard, an http.Handler to mount under a prefix of the
// shop's own with http.StripPrefix. Make one with New. It is safe for
// concurrent use.
type Handler struct {
	cfg   Config
	pages map[string]*template.Template
	css   template.CSS
	csp   string
	serve http.Handler // the routes, behind cross-origin protection
}

// New returns the dashboard configured by cfg, or an error wrapping
// ErrNoAnalytics, ErrNoStore or ErrDefaultRange.
func New(cfg Config) (*Handler, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	css, err := files.ReadFile("templates/style.css")
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(css)
	h := &Handler{cfg: cfg, css: template.CSS(css), pages: make(map[string]*template.Template),
		// No script at all; the one style sheet is inline, allowed by its
		// hash; the SVG charts are inline too. No page may frame the
		// dashboard, nor a form post elsewhere.
		csp: "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'; " +
			"img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"}
	base, err := template.New("layout.html").ParseFS(files, "templates/layout.html")
	if err != nil {
		return nil, err
	}
	for _, name := range []string{"overview", "labels", "label", "searches", "message"} {
		t, err := template.Must(base.Clone()).ParseFS(files, "templates/"+name+".html")
		if err != nil {
			return nil, err
		}
		h.pages[name] = t
	}
	// Nothing the dashboard serves changes state: every route is a GET. The
	// protection is there so that a route added later that does (a sign-out,
	// a saved preference) is refused from other origins from the start.
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.message(w, r, http.StatusForbidden, "Refused", "This request came from another site, and the dashboard only takes changes from its own pages.")
	}))
	h.serve = cop.Handler(http.HandlerFunc(h.route))
	return h, nil
}

// ServeHTTP checks Config.Authorize, then serves the page asked for.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", h.csp)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("Cache-Control", "private, no-store") // revenue is not for shared caches
	if h.cfg.Authorize == nil {
		h.message(w, r, http.StatusForbidden, "Access is not configured",
			"This dashboard shows a shop's revenue, so it refuses every request until the shop says who may see it. "+
				"Set Authorize in dashboard.Config: dashboard.BasicAuth(user, password) asks for a user name and password, "+
				"or a function of your own can check the shop's sign-in.")
		return
	}
	rw := &watchWriter{ResponseWriter: w}
	if !h.cfg.Authorize(rw, r) {
		if !rw.wrote {
			h.message(w, r, http.StatusForbidden, "Access refused", "You may not see this dashboard.")
		}
		return
	}
	h.serve.ServeHTTP(w, r)
}

// watchWriter tells whether Authorize answered the request itself.
type watchWriter struct {
	http.ResponseWriter
	wrote bool
}

func (w *watchWriter) WriteHeader(code int) {
	w.wrote = true
	w.ResponseWriter.WriteHeader(code)
}

func (w *watchWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

func (w *watchWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// exportName matches an export's path: a table's name and a format.
var exportName = regexp.MustCompile(`^/([a-z-]+)\.(csv|json)$`)

// route serves the page or export of r's path.
func (h *Handler) route(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		h.message(w, r, http.StatusMethodNotAllowed, "Method not allowed", "The dashboard only shows pages: it takes GET requests.")
		return
	}
	switch r.URL.Path {
	case "":
		// Mounted at "/prefix" and asked for "/prefix": the pages' links
		// are relative, so they need the slash.
		target := "./"
		if u, err := url.ParseRequestURI(r.RequestURI); err == nil && strings.HasPrefix(u.Path, "/") &&
			!strings.HasPrefix(u.Path, "//") && !strings.HasPrefix(u.Path, "/\\") {
			target = u.EscapedPath() + "/"
		}
		if r.URL.RawQuery != "" {
			target += "?" + r.URL.RawQuery
		}
		http.Redirect(w, r, target, http.StatusMovedPermanently)
	case "/":
		h.overview(w, r)
	case "/labels":
		h.labels(w, r)
	case "/label":
		h.label(w, r)
	case "/searches":
		h.searches(w, r)
	default:
		if m := exportName.FindStringSubmatch(r.URL.Path); m != nil && exports[m[1]] != nil {
			h.export(w, r, m[1], m[2])
			return
		}
		h.message(w, r, http.StatusNotFound, "Not found", "The dashboard has no such page.")
	}
}

// request is what every page reads from its request.
type request struct {
	r      *http.Request
	q      url.Values
	period period
}

// read parses r's range. It answers r with a 400 page and returns false
// when the range is bad.
func (h *Handler) read(w http.ResponseWriter, r *http.Request) (*request, bool) {
	q := r.URL.Query()
	p, err := parsePeriod(q, h.cfg.DefaultRange, h.cfg.Now(), h.cfg.Location)
	if err != nil {
		h.message(w, r, http.StatusBadRequest, "This range cannot be shown", strings.TrimPrefix(err.Error(), errRange.Error()+": ")+".")
		return nil, false
	}
	return &request{r: r, q: q, period: p}, true
}

// labelParam returns the label a label page or export is about: 400 when
// there is none, or it cannot be a label.
func (h *Handler) labelParam(w http.ResponseWriter, req *request) (string, bool) {
	name := req.q.Get("name")
	if name == "" || len(name) > tracker.MaxLabelBytes || !utf8.ValidString(name) {
		h.message(w, req.r, http.StatusBadRequest, "Which label?", "Choose a label from the table of labels.")
		return "", false
	}
	return name, true
}

// href returns the link to path (relative to the dashboard's root: "./",
// "labels") for the range of p, with extra parameters.
func href(path string, p period, extra ...string) string {
	q := url.Values{}
	if p.Preset == rangeCustom {
		q.Set("from", p.From.In(p.loc).Format(dateLayout))
		q.Set("to", midnight(p.To, -1, p.loc).Format(dateLayout))
	} else {
		q.Set("range", p.Preset)
	}
	for i := 0; i+1 < len(extra); i += 2 {
		if extra[i+1] != "" {
			q.Set(extra[i], extra[i+1])
		}
	}
	return path + "?" + q.Encode()
}

// failed answers r after a store's error: 500, logged, unless the client
// went away.
func (h *Handler) failed(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		return // nobody to answer
	}
	h.cfg.Logger.ErrorContext(r.Context(), "dashboard: store failed", "path", r.URL.Path, "err", err)
	h.message(w, r, http.StatusInternalServerError, "The figures could not be read", "The store did not answer. Try again in a moment; the error is in the server's log.")
}

// message answers r with a page of a heading and a paragraph.
func (h *Handler) message(w http.ResponseWriter, r *http.Request, code int, title, text string) {
	h.render(w, r, code, "message", &layout{Title: title, Content: text})
}

// render executes page with data, and writes it once it is complete, so
// that a failure does not leave half a page.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, code int, page string, data *layout) {
	data.Dash, data.CSS = h.cfg.Title, h.css
	data.Zone = h.cfg.Location.String()
	var buf bytes.Buffer
	if err := h.pages[page].ExecuteTemplate(&buf, "layout", data); err != nil {
		h.cfg.Logger.ErrorContext(r.Context(), "dashboard: page failed", "page", page, "err", err)
		http.Error(w, "500 internal server error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	if r.Method != http.MethodHead {
		w.Write(buf.Bytes())
	}
}

// parallel runs fns at once and returns their errors joined: a page's
// store calls use the read pool's connections side by side.
func parallel(fns ...func() error) error {
	errs := make([]error, len(fns))
	var wg sync.WaitGroup
	for i, f := range fns {
		wg.Go(func() { errs[i] = f() })
	}
	wg.Wait()
	return errors.Join(errs...)
}
