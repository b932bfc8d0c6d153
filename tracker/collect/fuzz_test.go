package collect_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/visitrack/visitrack/tracker"
	"github.com/visitrack/visitrack/tracker/collect"
)

var fuzzEndpoints = []string{"click", "product", "category", "email", "sale"}

// FuzzLog sends arbitrary log requests: a POST with any content type and
// body, or a GET with any query. Whatever arrives, the handler answers in
// Clerk's shape with a 2xx or 4xx status, never a 5xx or a panic, and what
// it records is an event the tracker's rules accept. The seed corpus is in
// testdata/fuzz/FuzzLog.
func FuzzLog(f *testing.F) {
	f.Add(uint8(0), true, "application/json", `{"product": "12793", "labels": ["Home"], "n": 0}`)
	f.Fuzz(func(t *testing.T, endpoint uint8, post bool, contentType, payload string) {
		_, h, mem := setup(t, collect.Config{Sales: true, MaxBodyBytes: 4 << 10})
		path := "/visitrack/log/" + fuzzEndpoints[int(endpoint)%len(fuzzEndpoints)]
		var r *http.Request
		if post {
			r = httptest.NewRequest(http.MethodPost, path, strings.NewReader(payload))
			r.Header.Set("Content-Type", contentType)
		} else {
			r = httptest.NewRequest(http.MethodGet, path, nil)
			r.URL.RawQuery = payload
		}
		w := serve(h, r)
		switch w.Code {
		case 200, 400, 413, 415:
		default:
			t.Fatalf("status %d: %s", w.Code, w.Body)
		}
		var a struct{ Status, Type, Message string }
		if err := json.Unmarshal(w.Body.Bytes(), &a); err != nil {
			t.Fatalf("answer is not JSON: %q", w.Body)
		}
		if (w.Code == 200) != (a.Status == "ok") || (a.Status != "ok" && (a.Status != "error" || a.Type == "" || a.Message == "")) {
			t.Fatalf("status %d with answer %+v", w.Code, a)
		}
		if !utf8.ValidString(a.Message) {
			t.Fatalf("message is not UTF-8: %q", a.Message)
		}
		evs := mem.Events()
		if w.Code != 200 {
			if len(evs) != 0 {
				t.Fatalf("refused with %d but recorded %v", w.Code, evs)
			}
			return
		}
		if len(evs) != 1 {
			t.Fatalf("accepted but recorded %d events", len(evs))
		}
		e := evs[0]
		if err := e.Validate(); err != nil {
			t.Fatalf("recorded an invalid event: %v", err)
		}
		n := e
		n.Labels, n.Products = slices.Clone(e.Labels), slices.Clone(e.Products)
		n.Normalize()
		if !reflect.DeepEqual(n, e) {
			t.Fatalf("recorded an event that is not normalized: %+v, normalized %+v", e, n)
		}
		if e.Visitor != visitor {
			t.Fatalf("recorded visitor %q, not the middleware's", e.Visitor)
		}
		if post && e.Kind == tracker.KindClick {
			checkClickAgainstEncodingJSON(t, payload, e)
		}
	})
}

// checkClickAgainstEncodingJSON checks that a click the handler accepted is
// the one encoding/json reads from the body: the handler's shortcuts for
// plain strings change nothing.
func checkClickAgainstEncodingJSON(t *testing.T, body string, got tracker.Event) {
	var ref struct {
		Product tracker.ProductID `json:"product"`
		API     string            `json:"api"`
		Labels  []string          `json:"labels"`
	}
	if err := json.Unmarshal([]byte(body), &ref); err != nil {
		t.Fatalf("accepted a body encoding/json refuses: %v", err)
	}
	want := tracker.Event{Kind: tracker.KindClick, Product: string(ref.Product), API: ref.API, Labels: ref.Labels}
	want.Normalize()
	if got.Product != want.Product || got.API != want.API || !slices.Equal(got.Labels, want.Labels) {
		t.Fatalf("recorded %q %q %q, encoding/json reads %q %q %q", got.Product, got.API, got.Labels,
			want.Product, want.API, want.Labels)
	}
}

// FuzzFollow follows arbitrary click links. Whatever the query, the answer
// is a 303 to a local path, and a click is recorded only for a link made by
// Link; made-up links go to "/". The seed corpus is in
// testdata/fuzz/FuzzFollow; it holds links signed with testKeys('a').
func FuzzFollow(f *testing.F) {
	f.Add("to=%2Fproducts%2F1&p=1&s=AAAAAAAAAAAAAAAAAAAAAA")
	f.Fuzz(func(t *testing.T, query string) {
		_, h, mem := setup(t, collect.Config{Keys: testKeys('a')})
		r := httptest.NewRequest(http.MethodGet, "/visitrack/click", nil)
		r.URL.RawQuery = query
		w := serve(h, r)
		if w.Code != http.StatusSeeOther {
			t.Fatalf("status %d", w.Code)
		}
		loc := w.Header().Get("Location")
		if !strings.HasPrefix(loc, "/") || strings.HasPrefix(loc, "//") || strings.ContainsAny(loc, "\\ \t\r\n") {
			t.Fatalf("redirect to %q", loc)
		}
		evs := mem.Events()
		switch len(evs) {
		case 0:
			if loc != "/" {
				t.Fatalf("redirected to %q without recording the click", loc)
			}
		case 1:
			// Only a link made by Link records: one of the corpus's,
			// perhaps with parameters added.
			if q, _ := url.ParseQuery(query); loc != q.Get("to") {
				t.Fatalf("recorded a click and redirected to %q, not the link's target", loc)
			}
			if evs[0].Kind != tracker.KindClick || evs[0].Validate() != nil {
				t.Fatalf("recorded %+v", evs[0])
			}
		default:
			t.Fatalf("recorded %d events", len(evs))
		}
	})
}

// TestFollowSeedCorpus checks that each link of FuzzFollow's corpus still
// is what its file's name says: the valid-* ones record a click, the others
// do not. The valid ones were made by Link with testKeys('a').
func TestFollowSeedCorpus(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("testdata/fuzz/FuzzFollow/*")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, file := range files {
		b, err := os.ReadFile(file)
		require.NoError(t, err)
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		require.Len(t, lines, 2, file)
		query, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(lines[1], "string("), ")"))
		require.NoError(t, err, file)
		_, h, mem := setup(t, collect.Config{Keys: testKeys('a')})
		r := httptest.NewRequest(http.MethodGet, "/visitrack/click", nil)
		r.URL.RawQuery = query
		serve(h, r)
		assert.Equal(t, strings.HasPrefix(filepath.Base(file), "valid-"), mem.Len() == 1, file)
	}
}
