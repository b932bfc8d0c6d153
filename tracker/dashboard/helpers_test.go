package dashboard_test

import (
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/visitrack/visitrack/consent"
	"github.com/visitrack/visitrack/tracker"
	"github.com/visitrack/visitrack/tracker/dashboard"
	"github.com/visitrack/visitrack/tracker/sqlite"
)

// copenhagen is the shop's time zone in most tests: it changes to daylight
// saving time on 2025-03-30 (a 23-hour day) and back on 2025-10-26.
func copenhagen(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Copenhagen")
	require.NoError(t, err)
	return loc
}

// now is the dashboards' clock in the tests: Monday 31 March 2025, 10:30
// in Copenhagen, the day after the change to summer time.
func now(t testing.TB) time.Time {
	return time.Date(2025, 3, 31, 10, 30, 0, 0, copenhagen(t))
}

func allowAll(http.ResponseWriter, *http.Request) bool { return true }

// newDashboard returns the dashboard over a, in Copenhagen at now, open to
// every request unless cfg says otherwise.
func newDashboard(t testing.TB, a tracker.Analytics, cfg dashboard.Config) *dashboard.Handler {
	t.Helper()
	cfg.Analytics = a
	if cfg.Store == "" {
		cfg.Store = "shop-dk"
	}
	if cfg.Location == nil {
		cfg.Location = copenhagen(t)
	}
	if cfg.Now == nil {
		n := now(t)
		cfg.Now = func() time.Time { return n }
	}
	if cfg.Authorize == nil {
		cfg.Authorize = allowAll
	}
	h, err := dashboard.New(cfg)
	require.NoError(t, err)
	return h
}

// get serves a GET of target and returns the response and its body.
func get(t testing.TB, h http.Handler, target string) (*http.Response, string) {
	t.Helper()
	return do(t, h, httptest.NewRequest(http.MethodGet, target, nil))
}

// getOK serves a GET of target, requires a 200 and returns the body.
func getOK(t testing.TB, h http.Handler, target string) string {
	t.Helper()
	res, body := get(t, h, target)
	require.Equal(t, http.StatusOK, res.StatusCode, body)
	return body
}

func do(t testing.TB, h http.Handler, r *http.Request) (*http.Response, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	res := rec.Result()
	body, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res, string(body)
}

// card returns the text of the headline card titled title: its value, its
// change and the rest, tags removed, spaces collapsed.
func card(t testing.TB, page, title string) string {
	t.Helper()
	m := regexp.MustCompile(`(?s)<li class="card"><h3>` + regexp.QuoteMeta(title) + `</h3>(.*?)</li>`).FindStringSubmatch(page)
	require.NotNil(t, m, "no card %q", title)
	return text(m[1])
}

// text removes the tags of an HTML fragment and collapses its spaces.
func text(fragment string) string {
	s := regexp.MustCompile(`<[^>]*>`).ReplaceAllString(fragment, " ")
	return strings.Join(strings.Fields(html.UnescapeString(s)), " ")
}

// shop is a real SQLite store holding the events of a few visitors, written
// through Trackers as a shop's handlers write them.
type shop struct {
	db    *sqlite.Store
	loc   *time.Location
	mem   *tracker.Memory
	clock time.Time
	mu    sync.Mutex
}

func newShop(t testing.TB) *shop {
	t.Helper()
	db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "visitrack.db"))
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	return &shop{db: db, loc: copenhagen(t), mem: tracker.NewMemory()}
}

// at returns a tracker of visitor whose events are stamped at the given
// local time of day of date.
func (s *shop) at(visitor string, y int, m time.Month, d, hour, min int) *tracker.Tracker {
	at := time.Date(y, m, d, hour, min, 0, 0, s.loc)
	return tracker.New(tracker.Options{Store: "shop-dk", Visitor: visitor, Consent: consent.Cookieless,
		Recorder: s.mem, Now: func() time.Time { return at }})
}

// write stores what the trackers recorded.
func (s *shop) write(t testing.TB) {
	t.Helper()
	require.NoError(t, s.db.Write(t.Context(), s.mem.Events()))
	s.mem.Reset()
}

const (
	visitorA = "cv00000000000000000a"
	visitorB = "cv00000000000000000b"
	visitorC = "cv00000000000000000c"
	visitorD = "cv00000000000000000d"
)

// Labels and queries a hostile or careless shop may send.
const (
	hostileLabel = `<script>alert("label")</script>`
	formulaLabel = `=HYPERLINK("http://evil.example","x")`
	formulaQuery = "+1+2"
)

// newFilledShop returns a shop with the events of Sunday 30 March 2025, the
// 23-hour day, and of the day before:
//
//   - 29 Mar 10:00, visitor A buys p1 for 10.00: not impacted.
//   - 30 Mar 09:00, A is shown p1, p2, p3 under "Homepage - Trending",
//     clicks p2 at position 2 at 09:05 (backtracked) and buys two at 100.00
//     at 09:10: order o1, impacted, 200.00.
//   - 30 Mar 12:00, B buys p9 for 50.50: order o2, not impacted.
//   - 30 Mar 14:00, C searches "red shoes" (no results) and "blue shoes"
//     (5 results), is shown p5 and p6 for it under "Search", clicks p5.
//   - 30 Mar 15:00, D is shown p7 under two hostile labels, and searches
//     for a formula.
func newFilledShop(t testing.TB) *shop {
	t.Helper()
	s := newShop(t)
	must := func(err error) { t.Helper(); require.NoError(t, err) }
	must(s.at(visitorA, 2025, 3, 29, 10, 0).Sale(tracker.Sale{ID: "o0", Products: []tracker.Line{{ID: "p1", Price: 10, Quantity: 1}}}))

	call, err := s.at(visitorA, 2025, 3, 30, 9, 0).Call("recommendations/trending", "Homepage - Trending")
	must(err)
	must(call.Shown("p1", "p2", "p3"))
	must(s.at(visitorA, 2025, 3, 30, 9, 5).Click(tracker.Click{Product: "p2", Position: 2}))
	must(s.at(visitorA, 2025, 3, 30, 9, 10).Sale(tracker.Sale{ID: "o1", Products: []tracker.Line{{ID: "p2", Price: 100, Quantity: 2}}}))

	must(s.at(visitorB, 2025, 3, 30, 12, 0).Sale(tracker.Sale{ID: "o2", Products: []tracker.Line{{ID: "p9", Price: 50.5, Quantity: 1}}}))

	c := s.at(visitorC, 2025, 3, 30, 14, 0)
	must(c.SearchResults("red shoes", 0))
	must(c.SearchResults("blue shoes", 5))
	call, err = c.Call("search/search", "Search")
	must(err)
	must(call.ForQuery("blue shoes").Shown("p5", "p6"))
	must(s.at(visitorC, 2025, 3, 30, 14, 1).Click(tracker.Click{Product: "p5", Position: 1}))

	d := s.at(visitorD, 2025, 3, 30, 15, 0)
	call, err = d.Call("recommendations/similar", hostileLabel, formulaLabel)
	must(err)
	must(call.Shown("p7"))
	must(d.Search(formulaQuery))
	s.write(t)
	return s
}

// contains checks that page has sub, without printing the whole page when
// it has not.
func contains(t testing.TB, page, sub string, msg ...any) bool {
	t.Helper()
	return assert.True(t, strings.Contains(page, sub), "the page lacks %q %s", sub, fmt.Sprint(msg...))
}

func notContains(t testing.TB, page, sub string, msg ...any) bool {
	t.Helper()
	return assert.False(t, strings.Contains(page, sub), "the page has %q %s", sub, fmt.Sprint(msg...))
}
