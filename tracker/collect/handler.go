package collect

import (
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/visitrack/visitrack/tracker"
)

// Handler is the http.Handler New returns: browser-side logging under
// log/, signed click links under click, and the script collect.js. Mount
// it inside the middleware, under Config.Path:
//
//	mux.Handle("/visitrack/", http.StripPrefix("/visitrack", h))
//
// Routes, relative to where it is mounted:
//
//	POST or GET /log/click     product, api, labels, n (0-indexed position), external
//	POST or GET /log/product   product
//	POST or GET /log/category  category
//	POST or GET /log/email     email
//	POST or GET /log/sale      sale, products [{id, price, quantity}], customer, email (Config.Sales only)
//	GET         /click?...     a link made by Link
//	GET         /collect.js    the script
//
// A POST's body is a JSON object; a GET's arguments are query parameters,
// where lists (labels, products) are JSON-encoded, as Clerk takes them.
// Product, sale and customer IDs may be strings or integers. Other
// arguments, "key" and "visitor" among them, are ignored: the visitor is
// the one the middleware gave the request.
//
// Answers are Clerk's JSON shapes: {"status": "ok"}, or
// {"status": "error", "type", "message"} with 400 for bad input (the
// message names the field, such as "labels[2]"), 403 for a cross-origin
// request or a sale not accepted, 404, 405, 413 for a body over
// Config.MaxBodyBytes, 415 for a POST that is not application/json, and
// 503 when the event could not be recorded. A visitor whose tracking is
// disabled gets {"status": "ok"} for a valid request and nothing is
// recorded.
type Handler struct {
	cfg       Config
	keys      [][]byte         // link keys derived from cfg.Keys, newest first
	validator *tracker.Tracker // a disabled tracker: checks Link's clicks
	log       *slog.Logger
	bodies    sync.Pool // *[]byte: request bodies, read and done with in one request
	// The answers' header values, made once to save allocations; net/http
	// never writes to them.
	jsonType, noStore, noSniff []string
}

// New returns a Handler configured by cfg. It returns an error wrapping
// ErrKeys for a hash key shorter than 32 bytes, and ErrPath for a bad
// Config.Path.
func New(cfg Config) (*Handler, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	h := &Handler{cfg: cfg, validator: tracker.New(tracker.Options{}), log: cfg.Logger,
		jsonType: []string{"application/json"}, noStore: []string{"no-store"}, noSniff: []string{"nosniff"}}
	h.bodies.New = func() any { b := make([]byte, 0, 1024); return &b }
	for i := 0; i < len(cfg.Keys); i += 2 {
		h.keys = append(h.keys, linkKey(cfg.Keys[i]))
	}
	return h, nil
}

// logKind returns the kind of event a log/ endpoint records.
func logKind(endpoint string) (tracker.Kind, bool) {
	switch endpoint {
	case "click":
		return tracker.KindClick, true
	case "product":
		return tracker.KindView, true
	case "category":
		return tracker.KindCategory, true
	case "email":
		return tracker.KindEmail, true
	case "sale":
		return tracker.KindSale, true
	}
	return 0, false
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	switch {
	case strings.HasPrefix(p, "/log/"):
		kind, ok := logKind(p[len("/log/"):])
		if !ok {
			h.fail(w, http.StatusNotFound, "not_found", "no such endpoint")
			return
		}
		h.logEvent(w, r, kind)
	case p == "/click":
		if !allow(w, r, http.MethodGet, http.MethodHead) {
			h.fail(w, http.StatusMethodNotAllowed, "method_not_allowed", "use GET")
			return
		}
		h.follow(w, r)
	case p == "/collect.js":
		if !allow(w, r, http.MethodGet, http.MethodHead) {
			h.fail(w, http.StatusMethodNotAllowed, "method_not_allowed", "use GET")
			return
		}
		serveScript(w, r)
	default:
		h.fail(w, http.StatusNotFound, "not_found", "no such endpoint")
	}
}

// allow reports whether r's method is one of methods, and sets Allow when
// it is not.
func allow(w http.ResponseWriter, r *http.Request, methods ...string) bool {
	for _, m := range methods {
		if r.Method == m {
			return true
		}
	}
	w.Header().Set("Allow", strings.Join(methods, ", "))
	return false
}

// logEvent answers a request to log/<kind>.
func (h *Handler) logEvent(w http.ResponseWriter, r *http.Request, kind tracker.Kind) {
	if !allow(w, r, http.MethodPost, http.MethodGet) {
		h.fail(w, http.StatusMethodNotAllowed, "method_not_allowed", "use POST with a JSON body, or GET")
		return
	}
	if kind == tracker.KindSale && !h.cfg.Sales {
		h.fail(w, http.StatusForbidden, "forbidden", "sales are not accepted from the browser")
		return
	}
	if err := h.crossOrigin(r); err != nil {
		h.fail(w, http.StatusForbidden, "forbidden", "cross-origin request refused")
		return
	}
	bp := h.bodies.Get().(*[]byte)
	defer func() {
		if cap(*bp) <= 64<<10 {
			h.bodies.Put(bp)
		}
	}()
	src, status, err := h.source(r, bp)
	if err != nil {
		h.fail(w, status, errorType(status), err.Error())
		return
	}
	req, err := parseLog(kind, src)
	if err != nil {
		h.fail(w, http.StatusBadRequest, "invalid_argument", err.Error())
		return
	}
	if err := req.record(tracker.From(r.Context())); err != nil {
		var fe *tracker.FieldError
		if errors.As(err, &fe) {
			h.fail(w, http.StatusBadRequest, "invalid_argument", fieldMessage(fe))
			return
		}
		h.log.WarnContext(r.Context(), "collect: event not recorded", "kind", kind, "err", err)
		h.fail(w, http.StatusServiceUnavailable, "unavailable", "the event could not be recorded now")
		return
	}
	h.ok(w)
}

// crossOrigin checks a log request with Config.CrossOrigin. A GET records
// too, so it is checked as a POST would be.
func (h *Handler) crossOrigin(r *http.Request) error {
	if r.Method == http.MethodPost {
		return h.cfg.CrossOrigin.Check(r)
	}
	if r.Header.Get("Sec-Fetch-Site") == "" && r.Header.Get("Origin") == "" {
		return nil // not a browser's cross-origin request; Check would allow it
	}
	post := *r
	post.Method = http.MethodPost
	return h.cfg.CrossOrigin.Check(&post)
}

// source returns r's arguments: its JSON body, read into *buf, or its query
// for a GET. On error it returns the status to answer with.
func (h *Handler) source(r *http.Request, buf *[]byte) (source, int, error) {
	limit := h.cfg.MaxBodyBytes
	tooLong := func(field string) error {
		return &argError{field, "longer than " + strconv.FormatInt(limit, 10) + " bytes"}
	}
	if r.Method == http.MethodGet {
		if int64(len(r.URL.RawQuery)) > limit {
			return nil, http.StatusRequestEntityTooLarge, tooLong("query")
		}
		q, err := parseQuery(r.URL.RawQuery)
		if err != nil {
			return nil, http.StatusBadRequest, err
		}
		return q, 0, nil
	}
	if !isJSON(r.Header.Get("Content-Type")) {
		return nil, http.StatusUnsupportedMediaType, &argError{"Content-Type", "must be application/json"}
	}
	if r.ContentLength > limit {
		return nil, http.StatusRequestEntityTooLarge, tooLong("body")
	}
	b, err := readAtMost(r.Body, limit, (*buf)[:0])
	*buf = b
	switch {
	case err != nil:
		return nil, http.StatusBadRequest, &argError{"body", "could not be read"}
	case int64(len(b)) > limit:
		return nil, http.StatusRequestEntityTooLarge, tooLong("body")
	}
	a, err := parseJSON(b)
	if err != nil {
		return nil, http.StatusBadRequest, err
	}
	return a, 0, nil
}

// readAtMost appends r's content to b, up to limit+1 bytes: more than
// limit means too long.
func readAtMost(r io.Reader, limit int64, b []byte) ([]byte, error) {
	lr := io.LimitReader(r, limit+1)
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := lr.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
}

// isJSON reports whether a Content-Type is application/json, in UTF-8 if a
// charset is given.
func isJSON(ct string) bool {
	if ct == "application/json" {
		return true
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/json" {
		return false
	}
	cs, ok := params["charset"]
	return !ok || strings.EqualFold(cs, "utf-8")
}

// fieldMessage is a tracker's refusal as Clerk's message: the field first,
// then what the tracker says of it.
func fieldMessage(fe *tracker.FieldError) string {
	msg := strings.TrimPrefix(fe.Error(), "tracker: ")
	if _, rest, ok := strings.Cut(msg, fe.Field+": "); ok {
		return fe.Field + ": " + rest
	}
	return fe.Field + ": " + msg
}

func errorType(status int) string {
	switch status {
	case http.StatusRequestEntityTooLarge:
		return "payload_too_large"
	case http.StatusUnsupportedMediaType:
		return "unsupported_media_type"
	}
	return "invalid_argument"
}

// Answers are written without an encoder: their text is known, or a
// message quoted below.
const okBody = `{"status":"ok"}` + "\n"

func (h *Handler) jsonHeaders(w http.ResponseWriter) {
	hdr := w.Header()
	hdr["Content-Type"] = h.jsonType
	hdr["Cache-Control"] = h.noStore
	hdr["X-Content-Type-Options"] = h.noSniff
}

func (h *Handler) ok(w http.ResponseWriter) {
	h.jsonHeaders(w)
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, okBody)
}

func (h *Handler) fail(w http.ResponseWriter, status int, typ, msg string) {
	h.jsonHeaders(w)
	w.WriteHeader(status)
	b := make([]byte, 0, 64+len(msg))
	b = append(b, `{"status":"error","type":`...)
	b = strconv.AppendQuoteToASCII(b, typ)
	b = append(b, `,"message":`...)
	b = appendJSONString(b, msg)
	b = append(b, "}\n"...)
	_, _ = w.Write(b)
}

// appendJSONString appends s as a JSON string, escaping what JSON needs
// and every non-ASCII rune, so that no invalid UTF-8 goes out.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b = append(b, '\\', byte(r))
		case r >= 0x20 && r < 0x7f:
			b = append(b, byte(r))
		case r > 0xffff:
			r -= 0x10000
			hi, lo := 0xd800+(r>>10), 0xdc00+(r&0x3ff)
			b = append(b, '\\', 'u', hex[hi>>12&0xf], hex[hi>>8&0xf], hex[hi>>4&0xf], hex[hi&0xf])
			b = append(b, '\\', 'u', hex[lo>>12&0xf], hex[lo>>8&0xf], hex[lo>>4&0xf], hex[lo&0xf])
		default:
			b = append(b, '\\', 'u', hex[r>>12&0xf], hex[r>>8&0xf], hex[r>>4&0xf], hex[r&0xf])
		}
	}
	return append(b, '"')
}
