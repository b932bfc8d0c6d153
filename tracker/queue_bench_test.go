package tracker_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/posthog/posthog-go"

	"github.com/visitrack/visitrack/consent"
	"github.com/visitrack/visitrack/tracker"
)

// nopSink takes every batch at once.
type nopSink struct{}

func (nopSink) Write(context.Context, []tracker.Event) error { return nil }

func benchTracker(q *tracker.Queue) *tracker.Tracker {
	return tracker.New(tracker.Options{Store: "shop-dk", Visitor: "cv0p5ab8ch2g00b2h3s0",
		Consent: consent.Persistent, Recorder: q})
}

// BenchmarkClickIntoQueue is a tracker event on the handler path: Click on a
// request's Tracker, into a Queue whose sink takes everything.
func BenchmarkClickIntoQueue(b *testing.B) {
	for _, bc := range []struct {
		name  string
		click tracker.Click
	}{
		{"backtracked", tracker.Click{Product: "12793", Position: 3}},
		{"labelled", tracker.Click{Product: "12793", API: "recommendations/trending",
			Labels: []string{"Homepage - Trending"}, Position: 3}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			q := tracker.NewQueue(nopSink{}, tracker.QueueConfig{Logger: quiet})
			t := benchTracker(q)
			b.ReportAllocs()
			for b.Loop() {
				// On one core the senders may fall behind: a full queue
				// drops clicks by design, counted in "dropped" below.
				if err := t.Click(bc.click); err != nil && !errors.Is(err, tracker.ErrQueueFull) {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			if err := q.Close(context.Background()); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(q.Stats().Dropped), "dropped")
		})
	}
}

// okTransport answers every request with 200 without touching the network.
type okTransport struct{ requests atomic.Int64 }

func (t *okTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	t.requests.Add(1)
	if r.Body != nil {
		io.Copy(io.Discard, r.Body)
		r.Body.Close()
	}
	return &http.Response{StatusCode: 200, Status: "200 OK", Header: http.Header{},
		Body: io.NopCloser(strings.NewReader("{}")), Request: r}, nil
}

type quietPosthog struct{}

func (quietPosthog) Logf(string, ...any)   {}
func (quietPosthog) Debugf(string, ...any) {}
func (quietPosthog) Warnf(string, ...any)  {}
func (quietPosthog) Errorf(string, ...any) {}

// BenchmarkPosthogEnqueue is the peer: posthog-go's Enqueue of a comparable
// capture event (a click with its product, API, label and position), its
// batches sent to a transport that answers 200 without a network.
func BenchmarkPosthogEnqueue(b *testing.B) {
	tr := &okTransport{}
	c, err := posthog.NewWithConfig("phc_bench", posthog.Config{Endpoint: "http://127.0.0.1:1",
		Transport: tr, Logger: quietPosthog{}})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		err := c.Enqueue(posthog.Capture{DistinctId: "cv0p5ab8ch2g00b2h3s0", Event: "click",
			Properties: posthog.NewProperties().Set("product", "12793").
				Set("api", "recommendations/trending").Set("labels", []string{"Homepage - Trending"}).
				Set("position", 3)})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	c.Close()
}

// BenchmarkQueueThroughput records events into a Queue with a sink that takes
// everything, and reports delivered events per second, end to end. The
// events are sales, which wait for room rather than being dropped, so that
// the figure is what the queue sustains, not how fast Record can refuse.
func BenchmarkQueueThroughput(b *testing.B) {
	for _, producers := range []int{1, 4} {
		b.Run("producers="+strconv.Itoa(producers), func(b *testing.B) {
			q := tracker.NewQueue(nopSink{}, tracker.QueueConfig{Logger: quiet})
			s := recordSales(b, q, producers)
			b.ReportMetric(float64(s.Dropped), "dropped")
		})
	}
}

// BenchmarkQueueSpool records sales into a spooled Queue whose sink takes
// everything, from one producer and from many at once (each Record waits for
// the sync of its group of writes), and reports delivered events per second,
// end to end. Its figures are the disk's: they vary with its sync latency.
func BenchmarkQueueSpool(b *testing.B) {
	for _, producers := range []int{1, 16} {
		b.Run("producers="+strconv.Itoa(producers), func(b *testing.B) {
			q, err := tracker.OpenQueue(context.Background(), nopSink{}, tracker.QueueConfig{Logger: quiet,
				Spool: filepath.Join(b.TempDir(), "spool.db")})
			if err != nil {
				b.Fatal(err)
			}
			recordSales(b, q, producers)
		})
	}
}

// recordSales records a sale into q over and over, from producers at once,
// closes q, reports the events it delivered per second, end to end, and
// returns its stats.
func recordSales(b *testing.B, q *tracker.Queue, producers int) tracker.Stats {
	b.Helper()
	ctx := context.Background()
	e := event(1, tracker.KindSale)
	b.ReportAllocs()
	start := time.Now()
	if producers == 1 {
		for b.Loop() {
			if err := q.Record(ctx, e); err != nil {
				b.Fatal(err, q.Stats())
			}
		}
	} else {
		b.SetParallelism(max(1, producers/runtime.GOMAXPROCS(0)))
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := q.Record(ctx, e); err != nil {
					b.Error(err)
				}
			}
		})
	}
	if err := q.Close(ctx); err != nil {
		b.Fatal(err)
	}
	s := q.Stats()
	b.ReportMetric(float64(s.Delivered)/time.Since(start).Seconds(), "events/s")
	return s
}

// BenchmarkQueueOutage measures the peak heap while the sink is down for 60 s
// at 20 000 events/s, with the default bounds: 1.2 million events recorded
// through Trackers into a Queue whose sink fails every Write. Time is
// compressed (the events arrive as fast as Record takes them): what the
// queue holds depends on how many events came during the outage, not on
// when; retries only wait. Set VISITRACK_OUTAGE_REALTIME=1 to pace the
// events at 20 000/s instead, for 60 s. Run with -benchtime=1x.
func BenchmarkQueueOutage(b *testing.B) {
	const rate, outage = 20_000, 60 * time.Second
	realtime := os.Getenv("VISITRACK_OUTAGE_REALTIME") != ""
	for b.Loop() {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		base := ms.HeapAlloc
		q := tracker.NewQueue(downSink(), tracker.QueueConfig{Logger: quiet})
		trackers := make([]*tracker.Tracker, 100)
		for i := range trackers {
			trackers[i] = benchTracker(q)
		}
		click := tracker.Click{Product: "12793", API: "recommendations/trending",
			Labels: []string{"Homepage - Trending"}, Position: 3}
		var peak uint64
		start := time.Now()
		total := rate * int(outage/time.Second)
		for i := range total {
			t := trackers[i%len(trackers)]
			switch i % 20 {
			case 0:
				call, _ := t.Call("recommendations/trending", "Homepage - Trending")
				call.Shown("12793", "8812", "4410", "99812")
			case 1:
				t.View("12793")
			default:
				t.Click(click)
			}
			if i%10_000 == 0 {
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapAlloc-base)
				if realtime {
					time.Sleep(time.Until(start.Add(time.Duration(i) * time.Second / rate)))
				}
			}
		}
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.HeapAlloc-base)
		s := q.Stats()
		ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
		q.Close(ctx)
		cancel()
		b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
		b.ReportMetric(float64(s.Pending), "held")
		b.ReportMetric(float64(s.Dropped), "dropped")
	}
}
