package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/visitrack/visitrack/tracker/internal/loadgen"
	"github.com/visitrack/visitrack/tracker/sqlite"
)

var benchStart = loadgen.Start

// BenchmarkWrite measures sustained ingest: batches of 1,000 mixed events
// into a growing database.
func BenchmarkWrite(b *testing.B) {
	s, _ := openTemp(b, sqlite.Config{})
	const batch = 1000
	l := loadgen.New(1, 10000, 100, benchStart, 2600*time.Millisecond)
	writeBatches(b, s, l, batch)
}

// writeBatches writes batches of l's events into s for b.N iterations,
// timing only the writes, and reports events/s.
func writeBatches(b *testing.B, s *sqlite.Store, l *loadgen.Load, batch int) {
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	var elapsed time.Duration
	for b.Loop() {
		b.StopTimer()
		evs := l.Batch(batch)
		b.StartTimer()
		t := time.Now()
		if err := s.Write(ctx, evs); err != nil {
			b.Fatal(err)
		}
		elapsed += time.Since(t)
	}
	b.ReportMetric(float64(b.N*batch)/elapsed.Seconds(), "events/s")
}

// BenchmarkWriteFull measures sustained ingest into a database that already
// holds the 1M-event fixture: batches of 1,000 mixed events from the same
// visitors, continuing where the fixture ends.
func BenchmarkWriteFull(b *testing.B) {
	src := fixturePath(b)
	path := filepath.Join(b.TempDir(), "full.db")
	if err := copyFile(path, src); err != nil {
		b.Fatal(err)
	}
	s := openAt(b, path, sqlite.Config{})
	writeBatches(b, s, loadgen.FixtureLoad(true), 1000)
}

func copyFile(dst, src string) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, data, 0o600)
}

// fixture is the 1M-event database the benchmarks share (loadgen's:
// 30 days, 10k visitors, 100 labels); main_test.go's TestMain removes it.
var fixture loadgen.Fixture

func fixturePath(b *testing.B) string {
	return fixture.Path(b, func(ctx context.Context, path string) (loadgen.Sink, error) { return sqlite.Open(ctx, path) })
}

// BenchmarkReport measures Report over the whole fixture: 1M events, 10k
// visitors, 100 labels, 30 days, with range ends that cut hours.
func BenchmarkReport(b *testing.B) {
	s := openAt(b, fixturePath(b), sqlite.Config{})
	ctx := context.Background()
	from := benchStart.Add(17 * time.Minute)
	to := benchStart.Add(30*24*time.Hour - 23*time.Minute)
	b.ReportAllocs()
	for b.Loop() {
		rep, err := s.Report(ctx, "shop-dk", from, to)
		if err != nil {
			b.Fatal(err)
		}
		if len(rep.Labels) != 100 || rep.Orders == 0 || rep.ImpactedOrders == 0 {
			b.Fatalf("unexpected report: %d labels, %d orders, %d impacted", len(rep.Labels), rep.Orders, rep.ImpactedOrders)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/report")
}

// BenchmarkHistory measures History(n=10) for a visitor with 100k events
// next to one with 10, in one store: the cost follows n, not the visitor's
// past.
func BenchmarkHistory(b *testing.B) {
	s, _ := openTemp(b, sqlite.Config{})
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

// BenchmarkWritePaired compares two store files the way separate runs on a
// noisy machine cannot: it opens a copy of each (VISITRACK_PAIR_A and
// VISITRACK_PAIR_B, e.g. the fixture and a copy with an index dropped) and
// writes each batch of one stream to both, alternating which goes first, so
// that both see the same minutes of the machine. It reports each side's
// events/s and B's time over A's. The store opened second comes out a few
// percent ahead by itself: run it both ways round.
func BenchmarkWritePaired(b *testing.B) {
	src := [2]string{os.Getenv("VISITRACK_PAIR_A"), os.Getenv("VISITRACK_PAIR_B")}
	if src[0] == "" || src[1] == "" {
		b.Skip("set VISITRACK_PAIR_A and VISITRACK_PAIR_B to the two files to compare")
	}
	var stores [2]*sqlite.Store
	for i := range stores {
		path := filepath.Join(b.TempDir(), "pair.db")
		if err := copyFile(path, src[i]); err != nil {
			b.Fatal(err)
		}
		stores[i] = openAt(b, path, sqlite.Config{})
	}
	l := loadgen.FixtureLoad(true)
	ctx := context.Background()
	var spent [2]time.Duration
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		evs := l.Batch(1000)
		for k := range 2 {
			side := (i + k) % 2
			batch := slices.Clone(evs)
			t := time.Now()
			if err := stores[side].Write(ctx, batch); err != nil {
				b.Fatal(err)
			}
			spent[side] += time.Since(t)
		}
		i++
	}
	b.ReportMetric(float64(i*1000)/spent[0].Seconds(), "A-events/s")
	b.ReportMetric(float64(i*1000)/spent[1].Seconds(), "B-events/s")
	b.ReportMetric(float64(spent[1])/float64(spent[0]), "B/A-time")
}
