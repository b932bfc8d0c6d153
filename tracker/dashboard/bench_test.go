package dashboard_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/visitrack/visitrack/tracker/dashboard"
	"github.com/visitrack/visitrack/tracker/internal/loadgen"
	"github.com/visitrack/visitrack/tracker/sqlite"
)

// benchStart is where the fixture's events begin, as in the stores'
// benchmarks, so that VISITRACK_FIXTURE can name a file either built.
var benchStart = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

const fixtureEvents = 1_000_000

// fixture is the 1M-event database the benchmarks share, built once per
// test binary; main_test.go's TestMain removes it.
var fixture struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// fixturePath builds a SQLite store of 1M events over 30 days from
// benchStart: 10k visitors, 100 labels, batches of 1,000 (loadgen's mix:
// 35% impressions, 15% clicks, 3% sales, ...). VISITRACK_FIXTURE names a
// file to build it in and keep, or to reuse.
func fixturePath(b *testing.B) string {
	fixture.once.Do(func() {
		if p := os.Getenv("VISITRACK_FIXTURE"); p != "" {
			fixture.path = p
			if _, err := os.Stat(p); err == nil {
				return
			}
		} else {
			fixture.dir, fixture.err = os.MkdirTemp("", "visitrack-dashboard-bench-")
			if fixture.err != nil {
				return
			}
			fixture.path = filepath.Join(fixture.dir, "fixture.db")
		}
		ctx := context.Background()
		s, err := sqlite.Open(ctx, fixture.path)
		if err != nil {
			fixture.err = err
			return
		}
		defer s.Close()
		l := loadgen.New(2, 10000, 100, benchStart, 30*24*time.Hour/fixtureEvents)
		start := time.Now()
		for i := 0; i < fixtureEvents; i += 1000 {
			if fixture.err = s.Write(ctx, l.Batch(1000)); fixture.err != nil {
				return
			}
		}
		b.Logf("fixture: %d events written in %v", fixtureEvents, time.Since(start).Round(time.Millisecond))
	})
	if fixture.err != nil {
		b.Fatal(fixture.err)
	}
	return fixture.path
}

// BenchmarkOverview measures GET of the overview page of the last 30 days
// over the 1M-event fixture, through the handler: the range's figures, the
// previous period's and a chart of 30 days, rendered. The other pages are
// measured alongside, for comparison.
func BenchmarkOverview(b *testing.B) {
	path := fixturePath(b)
	db, err := sqlite.Open(b.Context(), path)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	now := benchStart.Add(30*24*time.Hour + 12*time.Hour)
	h, err := dashboard.New(dashboard.Config{Analytics: db, Store: "shop-dk", Now: func() time.Time { return now },
		Authorize: func(http.ResponseWriter, *http.Request) bool { return true }})
	if err != nil {
		b.Fatal(err)
	}
	for _, page := range []struct{ name, target string }{
		{"overview", "/?range=30d"},
		{"labels", "/labels?range=30d"},
		{"label", "/label?range=30d&name=Label+042"},
		{"searches", "/searches?range=30d"},
	} {
		b.Run(page.name, func(b *testing.B) {
			req := httptest.NewRequest(http.MethodGet, page.target, nil)
			b.ReportAllocs()
			for b.Loop() {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("%s: %d %s", page.target, rec.Code, rec.Body.String())
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/page")
		})
	}
}
