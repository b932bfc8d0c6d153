package dashboard_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/visitrack/visitrack/tracker/dashboard"
	"github.com/visitrack/visitrack/tracker/internal/loadgen"
	"github.com/visitrack/visitrack/tracker/sqlite"
)

// fixture is the stores' benchmark fixture (tracker/internal/loadgen): a
// SQLite store of 1M events over 30 days, 10k visitors, 100 labels; shared
// with tracker/sqlite's benchmarks through VISITRACK_FIXTURE.
var fixture loadgen.Fixture

// BenchmarkOverview measures GET of the overview page of the last 30 days
// over the 1M-event fixture, through the handler: the range's figures, the
// previous period's and a chart of 30 days, rendered. The other pages are
// measured alongside, for comparison.
func BenchmarkOverview(b *testing.B) {
	path := fixture.Path(b, func(ctx context.Context, path string) (loadgen.Sink, error) { return sqlite.Open(ctx, path) })
	db, err := sqlite.Open(b.Context(), path)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	now := loadgen.Start.Add(loadgen.FixtureSpan + 12*time.Hour)
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
