package metrics_test

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/visitrack/visitrack/tracker"
	"github.com/visitrack/visitrack/tracker/metrics"
)

// Example serves a queue's metrics on /metrics. With the SQLite store as
// the sink, Store would report its memory: see the package documentation.
func Example() {
	ctx := context.Background()
	sink := metrics.InstrumentSink(tracker.NewMemory(), nil) // the store, measured
	q := tracker.NewQueue(sink, tracker.QueueConfig{})
	defer q.Close(ctx)

	reg := prometheus.NewRegistry()
	reg.MustRegister(sink, metrics.NewCollector(metrics.Config{Queue: q}))
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))

	for i := range 3 {
		q.Record(ctx, tracker.Event{ID: fmt.Sprint(i), Kind: tracker.KindView, Store: "shop-dk",
			Visitor: "cv0123456789abcdefgh", Time: time.Now(), Product: "12793"})
	}
	q.Flush(ctx)

	srv := httptest.NewServer(mux)
	defer srv.Close()
	res, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		panic(err)
	}
	defer res.Body.Close()
	lines := bufio.NewScanner(res.Body)
	for lines.Scan() {
		l := lines.Text()
		if strings.HasPrefix(l, "visitrack_queue_") && !strings.Contains(l, "_bucket") && !strings.Contains(l, "_sum ") ||
			strings.HasPrefix(l, `visitrack_sink_write_duration_seconds_count{result="ok"}`) {
			fmt.Println(l)
		}
	}
	// Output:
	// visitrack_queue_batch_duration_seconds_count 1
	// visitrack_queue_delivered_events_total 3
	// visitrack_queue_dropped_events_total 0
	// visitrack_queue_enqueued_events_total 3
	// visitrack_queue_failed_events_total 0
	// visitrack_queue_memory_bytes 0
	// visitrack_queue_pending_events 0
	// visitrack_queue_retries_total 0
	// visitrack_sink_write_duration_seconds_count{result="ok"} 1
}
