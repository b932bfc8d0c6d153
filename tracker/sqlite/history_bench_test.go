package sqlite_test

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/visitrack/visitrack/tracker"
	"github.com/visitrack/visitrack/tracker/sqlite"
)

// heavyVisitor writes n views, one a second from start, for one visitor
// (with an impression and a click every tenth), and returns the visitor.
func heavyVisitor(tb testing.TB, s *sqlite.Store, v string, n int, start time.Time) string {
	tb.Helper()
	var batch []tracker.Event
	for i := range n {
		at := start.Add(time.Duration(i) * time.Second)
		batch = append(batch, tracker.Event{ID: fmt.Sprintf("%s-%07d", v, i), Kind: tracker.KindView, Store: "shop-dk",
			Visitor: v, Time: at, Product: fmt.Sprint(i % 500)})
		if i%10 == 0 {
			batch = append(batch,
				tracker.Event{ID: fmt.Sprintf("%s-%07d-i", v, i), Kind: tracker.KindImpression, Store: "shop-dk", Visitor: v,
					Time: at, API: "recommendations/trending", Labels: []string{"Home"}, Products: []string{"1", "2"}},
				tracker.Event{ID: fmt.Sprintf("%s-%07d-c", v, i), Kind: tracker.KindClick, Store: "shop-dk", Visitor: v,
					Time: at, Product: "1"})
		}
		if len(batch) >= 1000 || i == n-1 {
			require.NoError(tb, s.Write(tb.Context(), batch))
			batch = batch[:0]
		}
	}
	return v
}

// BenchmarkHistory measures History(n=10) for a visitor with 100k events
// next to one with 10, in one store: the cost follows n, not the visitor's
// past.
func BenchmarkHistory(b *testing.B) {
	s, err := sqlite.Open(b.Context(), filepath.Join(b.TempDir(), "history.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	heavy := heavyVisitor(b, s, "cvheavyheavyheavy001", 100_000, benchStart)
	light := heavyVisitor(b, s, "cvlightlightlight001", 10, benchStart)
	for _, bc := range []struct {
		name, visitor string
	}{{"events=100k", heavy}, {"events=10", light}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				h, err := s.History(b.Context(), "shop-dk", bc.visitor, 10)
				if err != nil || len(h) != 10 {
					b.Fatal(len(h), err)
				}
			}
		})
	}
}
