package collect_test

import (
	"context"
	"encoding/json"
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

// clerkAnswer is Clerk's answer shape.
type clerkAnswer struct {
	Status  string `json:"status"`
	Type    string `json:"type"`
	Message string `json:"message"`
}

func answerOf(t *testing.T, w *httptest.ResponseRecorder) clerkAnswer {
	t.Helper()
	assert.Equal(t, "application/json", w.Header().Get("Content-Type"))
	var a clerkAnswer
	dec := json.NewDecoder(w.Body)
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(&a), w.Body.String())
	return a
}

func TestLogEachKind(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		req  *http.Request
		want tracker.Event // kind and fields; the header is the tracker's
	}{
		{"click JSON", postJSON("/visitrack/log/click", `{"product": 12793, "api": "recommendations/trending",
			"labels": ["Homepage - Trending"], "n": 2, "external": false, "visitor": "someoneelse", "key": "abc"}`),
			tracker.Event{Kind: tracker.KindClick, Product: "12793", API: "recommendations/trending",
				Labels: []string{"Homepage - Trending"}, Position: 3}},
		{"click without api, labels or n", postJSON("/visitrack/log/click", `{"product": "12793", "external": true}`),
			tracker.Event{Kind: tracker.KindClick, Product: "12793", External: true}},
		{"click GET", httptest.NewRequest(http.MethodGet, "/visitrack/log/click?"+url.Values{"product": {"12793"},
			"labels": {`["Search - Results","Top"]`}, "n": {"0"}, "api": {"search/search"}}.Encode(), nil),
			tracker.Event{Kind: tracker.KindClick, Product: "12793", API: "search/search", Labels: []string{"Search - Results", "Top"}, Position: 1}},
		{"view", postJSON("/visitrack/log/product", `{"product": "12793"}`),
			tracker.Event{Kind: tracker.KindView, Product: "12793"}},
		{"view GET", httptest.NewRequest(http.MethodGet, "/visitrack/log/product?product=12793&visitor=x", nil),
			tracker.Event{Kind: tracker.KindView, Product: "12793"}},
		{"category", postJSON("/visitrack/log/category", `{"category": 42}`),
			tracker.Event{Kind: tracker.KindCategory, Category: "42"}},
		{"email", postJSON("/visitrack/log/email", `{"email": " Ada@Example.com "}`),
			tracker.Event{Kind: tracker.KindEmail, Email: "ada@example.com"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w, mem := logged(t, tt.req)
			require.Equal(t, http.StatusOK, w.Code, w.Body.String())
			assert.Equal(t, clerkAnswer{Status: "ok"}, answerOf(t, w))
			evs := mem.Events()
			require.Len(t, evs, 1)
			e := evs[0]
			assert.Equal(t, visitor, e.Visitor, "the middleware's visitor, never the body's")
			assert.Equal(t, "shop-dk", e.Store)
			e.ID, e.Store, e.Visitor, e.Time = "", "", "", e.Time.Truncate(0)
			tt.want.Time = e.Time
			assert.Equal(t, tt.want, e)
		})
	}
}

func TestLogRefusesBadInputNamingTheField(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		req    *http.Request
		status int
		typ    string
		field  string // the message starts with it
	}{
		{"no product", postJSON("/visitrack/log/click", `{}`), 400, "invalid_argument", "product"},
		{"product of the wrong type", postJSON("/visitrack/log/click", `{"product": true}`), 400, "invalid_argument", "product"},
		{"product a fraction", postJSON("/visitrack/log/product", `{"product": 1.5}`), 400, "invalid_argument", "product"},
		{"product too long", postJSON("/visitrack/log/product", `{"product": "`+strings.Repeat("x", 257)+`"}`), 400, "invalid_argument", "product"},
		{"labels not a list", postJSON("/visitrack/log/click", `{"product": "1", "labels": "Home"}`), 400, "invalid_argument", "labels"},
		{"label with a control character", postJSON("/visitrack/log/click", `{"product": "1", "labels": ["ok", "a\u0007b"]}`), 400, "invalid_argument", "labels[1]"},
		{"too many labels", postJSON("/visitrack/log/click", `{"product": "1", "labels": [`+strings.Repeat(`"l",`, 0)+labelsJSON(21)+`]}`), 400, "invalid_argument", "labels"},
		{"api not a string", postJSON("/visitrack/log/click", `{"product": "1", "api": 7}`), 400, "invalid_argument", "api"},
		{"api too long", postJSON("/visitrack/log/click", `{"product": "1", "api": "`+strings.Repeat("a", 201)+`"}`), 400, "invalid_argument", "api"},
		{"n negative", postJSON("/visitrack/log/click", `{"product": "1", "n": -1}`), 400, "invalid_argument", "n"},
		{"n a fraction", postJSON("/visitrack/log/click", `{"product": "1", "n": 1.5}`), 400, "invalid_argument", "n"},
		{"n a string", postJSON("/visitrack/log/click", `{"product": "1", "n": "2"}`), 400, "invalid_argument", "n"},
		{"external not a bool", postJSON("/visitrack/log/click", `{"product": "1", "external": "yes"}`), 400, "invalid_argument", "external"},
		{"no category", postJSON("/visitrack/log/category", `{"category": ""}`), 400, "invalid_argument", "category"},
		{"bad email", postJSON("/visitrack/log/email", `{"email": "Ada <ada@example.com>"}`), 400, "invalid_argument", "email"},
		{"not an object", postJSON("/visitrack/log/click", `["product"]`), 400, "invalid_argument", "body"},
		{"not JSON", postJSON("/visitrack/log/click", `{"product": `), 400, "invalid_argument", "body"},
		{"two objects", postJSON("/visitrack/log/click", `{"product": "1"} {}`), 400, "invalid_argument", "body"},
		{"GET labels not JSON", httptest.NewRequest(http.MethodGet, "/visitrack/log/click?product=1&labels=Home", nil), 400, "invalid_argument", "labels"},
		{"GET n not a number", httptest.NewRequest(http.MethodGet, "/visitrack/log/click?product=1&n=two", nil), 400, "invalid_argument", "n"},
		{"GET bad escape", httptest.NewRequest(http.MethodGet, "/visitrack/log/click?product=%zz", nil), 400, "invalid_argument", "query"},
		{"GET invalid UTF-8", httptest.NewRequest(http.MethodGet, "/visitrack/log/product?product=%ff", nil), 400, "invalid_argument", "product"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w, mem := logged(t, tt.req)
			assert.Equal(t, tt.status, w.Code, w.Body.String())
			a := answerOf(t, w)
			assert.Equal(t, "error", a.Status)
			assert.Equal(t, tt.typ, a.Type)
			assert.True(t, strings.HasPrefix(a.Message, tt.field+":"), "message %q names %q", a.Message, tt.field)
			assert.Equal(t, 1, strings.Count(a.Message, tt.field+":"), "message %q names %q once", a.Message, tt.field)
			assert.Zero(t, mem.Len())
		})
	}
}

func labelsJSON(n int) string {
	ls := make([]string, n)
	for i := range ls {
		ls[i] = `"label ` + strings.Repeat("x", i) + `"`
	}
	return strings.Join(ls, ",")
}

func TestLogProtocolErrors(t *testing.T) {
	t.Parallel()
	_, h, mem := setup(t, collect.Config{})

	w := serve(h, httptest.NewRequest(http.MethodPut, "/visitrack/log/click", strings.NewReader(`{}`)))
	assert.Equal(t, http.StatusMethodNotAllowed, w.Code)
	assert.Equal(t, "POST, GET", w.Header().Get("Allow"))
	assert.Equal(t, "method_not_allowed", answerOf(t, w).Type)

	w = serve(h, httptest.NewRequest(http.MethodGet, "/visitrack/log/nothing", nil))
	assert.Equal(t, http.StatusNotFound, w.Code)
	assert.Equal(t, "not_found", answerOf(t, w).Type)

	for _, ct := range []string{"text/plain", "application/x-www-form-urlencoded", "", "application/json; charset=latin1"} {
		r := httptest.NewRequest(http.MethodPost, "/visitrack/log/product", strings.NewReader(`{"product":"1"}`))
		r.Header.Set("Content-Type", ct)
		w = serve(h, r)
		assert.Equal(t, http.StatusUnsupportedMediaType, w.Code, ct)
		assert.Equal(t, "unsupported_media_type", answerOf(t, w).Type)
	}
	r := postJSON("/visitrack/log/product", `{"product":"1"}`)
	r.Header.Set("Content-Type", "application/json; charset=UTF-8")
	assert.Equal(t, http.StatusOK, serve(h, r).Code)

	big := `{"product": "1", "api": "` + strings.Repeat("a", collect.DefaultMaxBodyBytes) + `"}`
	w = serve(h, postJSON("/visitrack/log/click", big))
	assert.Equal(t, http.StatusRequestEntityTooLarge, w.Code)
	assert.Equal(t, "payload_too_large", answerOf(t, w).Type)
	r = postJSON("/visitrack/log/click", big)
	r.ContentLength = -1 // chunked: no length announced
	assert.Equal(t, http.StatusRequestEntityTooLarge, serve(h, r).Code)
	w = serve(h, httptest.NewRequest(http.MethodGet, "/visitrack/log/click?api="+strings.Repeat("a", collect.DefaultMaxBodyBytes), nil))
	assert.Equal(t, http.StatusRequestEntityTooLarge, w.Code)

	assert.Equal(t, 1, mem.Len(), "only the one valid request recorded")
}

func TestLogSaleOnlyWhenTheShopOptsIn(t *testing.T) {
	t.Parallel()
	sale := `{"sale": 567, "customer": null, "email": "ada@example.com",
		"products": [{"id": 12793, "price": 99.95, "quantity": 2}, {"id": "SKU-7", "price": 5, "quantity": 1}]}`

	w, mem := logged(t, postJSON("/visitrack/log/sale", sale))
	assert.Equal(t, http.StatusForbidden, w.Code)
	a := answerOf(t, w)
	assert.Equal(t, "error", a.Status)
	assert.Equal(t, "forbidden", a.Type)
	assert.Zero(t, mem.Len())

	_, h, mem := setup(t, collect.Config{Sales: true})
	w = serve(h, postJSON("/visitrack/log/sale", sale))
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	evs := mem.Events()
	require.Len(t, evs, 1)
	assert.Equal(t, "567", evs[0].Sale)
	assert.Empty(t, evs[0].Customer)
	assert.Equal(t, []tracker.Line{{ID: "12793", Price: 99.95, Quantity: 2}, {ID: "SKU-7", Price: 5, Quantity: 1}}, evs[0].Lines)

	for body, field := range map[string]string{
		`{"sale": "1", "products": [{"id": "1", "price": -1, "quantity": 1}]}`:   "products[0].price",
		`{"sale": "1", "products": [{"id": "1", "price": 1, "quantity": 0}]}`:    "products[0].quantity",
		`{"sale": "1", "products": [{"id": "1", "price": 1, "quantity": 1}, 7]}`: "products[1]",
		`{"sale": "1", "products": {}}`:                                          "products",
		`{"sale": "1", "products": []}`:                                          "products",
		`{"products": [{"id": "1", "price": 1, "quantity": 1}]}`:                 "sale",
	} {
		w = serve(h, postJSON("/visitrack/log/sale", body))
		assert.Equal(t, http.StatusBadRequest, w.Code, body)
		assert.True(t, strings.HasPrefix(answerOf(t, w).Message, field+":"), body)
	}
	assert.Equal(t, 1, mem.Len())
}

func TestLogDisabledVisitorIsAnsweredOKAndNothingRecorded(t *testing.T) {
	t.Parallel()
	_, h, mem := setup(t, collect.Config{Sales: true})
	for _, r := range []*http.Request{
		postJSON("/visitrack/log/click", `{"product": "12793", "labels": ["Home"], "n": 0}`),
		postJSON("/visitrack/log/email", `{"email": "ada@example.com"}`),
		postJSON("/visitrack/log/sale", `{"sale": "1", "products": [{"id": "1", "price": 1, "quantity": 1}]}`),
		httptest.NewRequest(http.MethodGet, "/visitrack/log/product?product=1", nil),
	} {
		r.Header.Set("X-Test-Disabled", "1")
		w := serve(h, r)
		assert.Equal(t, http.StatusOK, w.Code, r.URL.Path)
		assert.Equal(t, clerkAnswer{Status: "ok"}, answerOf(t, w))
	}
	assert.Zero(t, mem.Len())
}

func TestLogRefusesCrossOriginWrites(t *testing.T) {
	t.Parallel()
	_, h, mem := setup(t, collect.Config{})
	for _, method := range []string{http.MethodPost, http.MethodGet} {
		for _, tt := range []struct {
			headers map[string]string
			status  int
		}{
			{map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
			{map[string]string{"Sec-Fetch-Site": "same-site"}, http.StatusForbidden},
			{map[string]string{"Origin": "https://evil.example"}, http.StatusForbidden},
			{map[string]string{"Sec-Fetch-Site": "same-origin"}, http.StatusOK},
			{map[string]string{"Origin": "http://example.com"}, http.StatusOK}, // httptest's Host
			{nil, http.StatusOK}, // not a browser
		} {
			var r *http.Request
			if method == http.MethodPost {
				r = postJSON("/visitrack/log/product", `{"product": "1"}`)
			} else {
				r = httptest.NewRequest(http.MethodGet, "/visitrack/log/product?product=1", nil)
			}
			for k, v := range tt.headers {
				r.Header.Set(k, v)
			}
			w := serve(h, r)
			assert.Equal(t, tt.status, w.Code, "%s %v", method, tt.headers)
			if tt.status == http.StatusForbidden {
				assert.Equal(t, "forbidden", answerOf(t, w).Type)
			}
		}
	}
	assert.Equal(t, 6, mem.Len())

	cop := http.NewCrossOriginProtection()
	require.NoError(t, cop.AddTrustedOrigin("https://shop.example"))
	_, h, mem = setup(t, collect.Config{CrossOrigin: cop})
	r := postJSON("/visitrack/log/product", `{"product": "1"}`)
	r.Header.Set("Origin", "https://shop.example")
	r.Header.Set("Sec-Fetch-Site", "cross-site")
	assert.Equal(t, http.StatusOK, serve(h, r).Code, "a trusted origin")
	assert.Equal(t, 1, mem.Len())
}

// fullRecorder refuses every event, as a full queue does.
type fullRecorder struct{}

func (fullRecorder) Record(context.Context, tracker.Event) error { return tracker.ErrQueueFull }

func TestLogRecorderFailureIs503(t *testing.T) {
	t.Parallel()
	h, err := collect.New(collect.Config{Logger: quiet()})
	require.NoError(t, err)
	w := serve(withTracker(fullRecorder{}, http.StripPrefix("/visitrack", h)), postJSON("/visitrack/log/product", `{"product": "1"}`))
	assert.Equal(t, http.StatusServiceUnavailable, w.Code)
	assert.Equal(t, "unavailable", answerOf(t, w).Type)
}

func TestScript(t *testing.T) {
	t.Parallel()
	_, h, _ := setup(t, collect.Config{})
	w := serve(h, httptest.NewRequest(http.MethodGet, "/visitrack/collect.js", nil))
	require.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, "text/javascript; charset=utf-8", w.Header().Get("Content-Type"))
	assert.Contains(t, w.Body.String(), "window.visitrack")
	etag := w.Header().Get("ETag")
	require.NotEmpty(t, etag)
	r := httptest.NewRequest(http.MethodGet, "/visitrack/collect.js", nil)
	r.Header.Set("If-None-Match", etag)
	assert.Equal(t, http.StatusNotModified, serve(h, r).Code)
	assert.Equal(t, http.StatusMethodNotAllowed, serve(h, httptest.NewRequest(http.MethodPost, "/visitrack/collect.js", nil)).Code)
}

func TestNewConfig(t *testing.T) {
	t.Parallel()
	short := []byte("a short hash key, 31 bytes long")
	_, err := collect.New(collect.Config{Keys: [][]byte{short, nil}})
	assert.ErrorIs(t, err, collect.ErrKeys)
	assert.NotContains(t, err.Error(), string(short), "a key never appears in an error")
	for _, p := range []string{"visitrack", "/visitrack/", "//evil", "/a b"} {
		_, err = collect.New(collect.Config{Path: p})
		assert.ErrorIs(t, err, collect.ErrPath, p)
	}
	_, err = collect.New(collect.Config{Path: "/t", Keys: testKeys('k')})
	assert.NoError(t, err)
}

// Strings with JSON escapes decode as strings without: the fast path for
// plain strings and the full decoder agree.
func TestLogJSONEscapes(t *testing.T) {
	t.Parallel()
	_, h, mem := setup(t, collect.Config{})
	for _, body := range []string{
		`{"product": "caf\u00e9 \"7\"", "api": "search\/search", "labels": ["Top \"10\"", "caf\u00e9"]}`,
		`{"product": "café \"7\"", "api": "search/search", "labels": ["Top \"10\"", "café"]}`,
		`{ "labels" : [ "Top \"10\"" , "café" ] , "product":"café \"7\"","api":"search/search"}`,
	} {
		w := serve(h, postJSON("/visitrack/log/click", body))
		require.Equal(t, http.StatusOK, w.Code, body+": "+w.Body.String())
	}
	evs := mem.Events()
	require.Len(t, evs, 3)
	for _, e := range evs {
		assert.Equal(t, `café "7"`, e.Product)
		assert.Equal(t, "search/search", e.API)
		assert.Equal(t, []string{`Top "10"`, "café"}, e.Labels)
	}

	w := serve(h, postJSON("/visitrack/log/click", "{\"product\": \"\xff\"}"))
	assert.Equal(t, http.StatusBadRequest, w.Code, "invalid UTF-8 is refused, not replaced")
	assert.True(t, strings.HasPrefix(answerOf(t, w).Message, "body:"))
	w = serve(h, postJSON("/visitrack/log/click", `{"product": "1", "labels": ["ok", 7]}`))
	assert.Equal(t, http.StatusBadRequest, w.Code)
	assert.True(t, strings.HasPrefix(answerOf(t, w).Message, "labels:"))
	w = serve(h, postJSON("/visitrack/log/product", `{"product": "`+strings.Repeat("x", 300)+`"}`))
	assert.True(t, strings.HasPrefix(answerOf(t, w).Message, "product:"), "a long plain ID is refused as a long escaped one is")
}
