package postgres_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/visitrack/visitrack/tracker"
	"github.com/visitrack/visitrack/tracker/internal/loadgen"
	"github.com/visitrack/visitrack/tracker/postgres"
	"github.com/visitrack/visitrack/tracker/postgres/pgtest"
	"github.com/visitrack/visitrack/tracker/sqlite"
)

// The benchmarks here measure the PostgreSQL store next to the SQLite
// store, in one binary: the same stream (tracker/internal/loadgen: 10k
// visitors, 100 labels, batches of 1,000 mixed events), the same
// operations. PostgreSQL is the test cluster of pgtest unless
// VISITRACK_POSTGRES_DSN names another (the throwaway cluster runs without
// fsync, in memory when /dev/shm allows).

var benchStart = loadgen.Start

const batchSize = 1000

// opened is a store under benchmark and how to write to it from several
// goroutines: each writer gets a store of its own (PostgreSQL: as many
// instances would) or shares the one (SQLite: one writer per file).
type opened struct {
	writers []tracker.Store
	close   func()
}

func openStore(b *testing.B, kind string, writers int) opened {
	b.Helper()
	ctx := b.Context()
	switch kind {
	case "sqlite":
		s, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "bench.db"))
		if err != nil {
			b.Fatal(err)
		}
		ws := make([]tracker.Store, writers)
		for i := range ws {
			ws[i] = s
		}
		return opened{ws, func() { s.Close() }}
	default:
		dsn := pgtest.DSN(b)
		var ws []tracker.Store
		for range writers {
			s, err := postgres.Open(ctx, dsn)
			if err != nil {
				b.Fatal(err)
			}
			ws = append(ws, s)
		}
		return opened{ws, func() {
			for _, w := range ws {
				w.Close()
			}
		}}
	}
}

// BenchmarkIngest writes batches of 1,000 events with 1 and with 4
// writers at once, each writer its own visitors (as a load balancer with
// sticky sessions would send them), into a fresh database.
func BenchmarkIngest(b *testing.B) {
	for _, kind := range []string{"sqlite", "postgres"} {
		for _, writers := range []int{1, 4} {
			b.Run(fmt.Sprintf("%s/writers=%d", kind, writers), func(b *testing.B) {
				st := openStore(b, kind, writers)
				defer st.close()
				loads := make([]*loadgen.Load, writers)
				for i := range loads {
					loads[i] = loadgen.New(uint64(1+i), 10000/writers, 100, benchStart, 2600*time.Millisecond)
				}
				b.ReportAllocs()
				var elapsed time.Duration
				for b.Loop() {
					b.StopTimer()
					batches := make([][]tracker.Event, writers)
					for i, l := range loads {
						batches[i] = l.Batch(batchSize)
					}
					b.StartTimer()
					start := time.Now()
					var wg sync.WaitGroup
					for i, w := range st.writers {
						wg.Go(func() {
							if err := w.Write(context.Background(), batches[i]); err != nil {
								b.Error(err)
							}
						})
					}
					wg.Wait()
					elapsed += time.Since(start)
				}
				b.ReportMetric(float64(b.N*batchSize*writers)/elapsed.Seconds(), "events/s")
			})
		}
	}
}

// fixtures are the 1M-event databases of BenchmarkReport, built once per
// binary: 10k visitors, 100 labels, 30 days.
var fixtures = struct {
	sync.Mutex
	m map[string]opened
}{m: make(map[string]opened)}

const fixtureEvents = 1_000_000

func fixture(b *testing.B, kind string) tracker.Store {
	fixtures.Lock()
	defer fixtures.Unlock()
	if st, ok := fixtures.m[kind]; ok {
		return st.writers[0]
	}
	st := openStore(b, kind, 4)
	step := 30 * 24 * time.Hour / fixtureEvents * 4
	start := time.Now()
	var wg sync.WaitGroup
	for i, w := range st.writers {
		wg.Go(func() {
			l := loadgen.New(uint64(100+i), 2500, 100, benchStart, step)
			for range fixtureEvents / 4 / batchSize {
				if err := w.Write(context.Background(), l.Batch(batchSize)); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.Logf("%s fixture: %d events in %v", kind, fixtureEvents, time.Since(start).Round(time.Millisecond))
	fixtures.m[kind] = st
	return st.writers[0]
}

// BenchmarkReads measures reads of the 1M-event fixture (built once, with
// 4 writers): Report over 30 days with range ends that cut hours; what a
// dashboard's overview page asks over 30 days: the range's overview, the
// previous period's for comparison, and a series of 30 days; and its
// drill-downs over 30 days: a label's products and positions, searches.
func BenchmarkReads(b *testing.B) {
	for _, kind := range []string{"sqlite", "postgres"} {
		s := fixture(b, kind)
		b.Run("Report/"+kind, func(b *testing.B) {
			from := benchStart.Add(17 * time.Minute)
			to := benchStart.Add(30*24*time.Hour - 23*time.Minute)
			b.ReportAllocs()
			var rep tracker.Report
			for b.Loop() {
				var err error
				if rep, err = s.Report(b.Context(), "shop-dk", from, to); err != nil {
					b.Fatal(err)
				}
			}
			if len(rep.Labels) != 100 || rep.Orders == 0 || rep.ImpactedOrders == 0 {
				b.Fatalf("unexpected report: %d labels, %d orders, %d impacted", len(rep.Labels), rep.Orders, rep.ImpactedOrders)
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/report")
		})
		b.Run("Overview/"+kind, func(b *testing.B) {
			a := s.(tracker.Analytics)
			from, to := benchStart, benchStart.Add(30*24*time.Hour)
			bounds := make([]time.Time, 31)
			for i := range bounds {
				bounds[i] = from.Add(time.Duration(i) * 24 * time.Hour)
			}
			b.ReportAllocs()
			for b.Loop() {
				o, err := a.Overview(b.Context(), "shop-dk", from, to)
				if err != nil || o.Visitors == 0 {
					b.Fatal(o.Visitors, err)
				}
				if _, err := a.Overview(b.Context(), "shop-dk", from.Add(-30*24*time.Hour), from); err != nil {
					b.Fatal(err)
				}
				if _, err := a.Series(b.Context(), "shop-dk", bounds); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/overview")
		})
		// The drill-downs of a dashboard's label page and search page.
		from, to := benchStart, benchStart.Add(30*24*time.Hour)
		b.Run("Label/"+kind, func(b *testing.B) {
			a := s.(tracker.Analytics)
			b.ReportAllocs()
			for b.Loop() {
				p, err := a.LabelProducts(b.Context(), "shop-dk", "Label 042", from, to, 20)
				if err != nil || len(p) == 0 {
					b.Fatal(len(p), err)
				}
				if _, err := a.Positions(b.Context(), "shop-dk", "Label 042", from, to); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/label")
		})
		b.Run("Searches/"+kind, func(b *testing.B) {
			a := s.(tracker.Analytics)
			b.ReportAllocs()
			for b.Loop() {
				st, err := a.Searches(b.Context(), "shop-dk", from, to, 20)
				if err != nil || len(st) == 0 {
					b.Fatal(len(st), err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/searches")
		})
	}
}

// BenchmarkHistory measures History(n=10) for a visitor with 100k events
// and one with 10.
func BenchmarkHistory(b *testing.B) {
	for _, kind := range []string{"sqlite", "postgres"} {
		st := openStore(b, kind, 1)
		s := st.writers[0]
		heavy, light := "cvheavyheavyheavy001", "cvlightlightlight001"
		write := func(v string, n int) {
			var batch []tracker.Event
			for i := range n {
				batch = append(batch, tracker.Event{ID: fmt.Sprintf("%s-%07d", v, i), Kind: tracker.KindView, Store: "shop-dk",
					Visitor: v, Time: benchStart.Add(time.Duration(i) * time.Second), Product: fmt.Sprint(i % 500)})
				if len(batch) == batchSize || i == n-1 {
					if err := s.Write(b.Context(), batch); err != nil {
						b.Fatal(err)
					}
					batch = batch[:0]
				}
			}
		}
		write(heavy, 100_000)
		write(light, 10)
		for _, v := range []struct{ name, id string }{{"events=100k", heavy}, {"events=10", light}} {
			b.Run(kind+"/"+v.name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					h, err := s.History(b.Context(), "shop-dk", v.id, 10)
					if err != nil || len(h) != 10 {
						b.Fatal(len(h), err)
					}
				}
			})
		}
		st.close()
	}
}
