package collect_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/visitrack/visitrack/consent"
	"github.com/visitrack/visitrack/tracker"
	"github.com/visitrack/visitrack/tracker/collect"
)

const visitor = "d0lq6ur2ek9ks4d5v2u0"

// withTracker stands in for the middleware: it gives each request a
// tracker for visitor recording into rec, or a disabled one when the
// request has the header "X-Test-Disabled".
func withTracker(rec tracker.Recorder, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o := tracker.Options{Store: "shop-dk", Visitor: visitor, Consent: consent.Cookieless, Recorder: rec, Context: r.Context()}
		if r.Header.Get("X-Test-Disabled") != "" {
			o.Consent, o.Visitor = consent.Disabled, ""
		}
		h.ServeHTTP(w, r.WithContext(tracker.NewContext(r.Context(), tracker.New(o))))
	})
}

// testKeys returns a pair of keys like the middleware's: a 64-byte hash key
// and a 32-byte block key, each byte b.
func testKeys(b byte) [][]byte {
	return [][]byte{[]byte(strings.Repeat(string(b), 64)), []byte(strings.Repeat(string(b), 32))}
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// setup returns the handler for cfg, mounted as the package doc shows
// inside a stand-in middleware, and the Memory it records into.
func setup(t testing.TB, cfg collect.Config) (*collect.Handler, http.Handler, *tracker.Memory) {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = quiet()
	}
	h, err := collect.New(cfg)
	require.NoError(t, err)
	mem := tracker.NewMemory()
	mux := http.NewServeMux()
	path := cfg.Path
	if path == "" {
		path = collect.DefaultPath
	}
	mux.Handle(path+"/", http.StripPrefix(path, h))
	return h, withTracker(mem, mux), mem
}

// serve runs req through h and returns the recorder.
func serve(h http.Handler, req *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

// logged serves req with a handler of the default config and returns the
// response and what the handler recorded.
func logged(t testing.TB, req *http.Request) (*httptest.ResponseRecorder, *tracker.Memory) {
	t.Helper()
	_, h, mem := setup(t, collect.Config{})
	return serve(h, req), mem
}

func postJSON(target, body string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, target, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	return r
}
