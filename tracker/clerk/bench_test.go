package clerk_test

import (
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/visitrack/visitrack/tracker"
	"github.com/visitrack/visitrack/tracker/clerk"
	"github.com/visitrack/visitrack/tracker/clerk/clerktest"
)

// BenchmarkSink forwards product views to the fake Clerk answering every
// request after 20 ms, the fake in the same process: "write" gives the Sink
// batches of 512 (the Queue's default batch), "queue" records into a Queue
// (two senders) in front of it. "http1" is plain HTTP/1.1, where a request
// in flight holds a connection of its own (MaxConns = MaxConcurrency);
// "h2" is HTTPS with HTTP/2, as Clerk's API speaks it, where requests share
// at most MaxConns = 4 connections. It reports events/s, the most
// connections the server saw open at once, and the heap in use at the end.
// With MaxConcurrency c, the bound is c/20ms events/s: 1,600 at 32, 6,400
// at 128, 12,800 at the default 256; past a few thousand requests a second,
// the CPU the client and the fake share is what limits.
func BenchmarkSink(b *testing.B) {
	for _, tt := range []struct {
		proto       string
		concurrency int
		conns       int
	}{
		{"http1", 32, 0},
		{"http1", clerk.DefaultMaxConcurrency, 0},
		{"h2", clerk.DefaultMaxConcurrency, 4},
	} {
		name := tt.proto + "/concurrency=" + strconv.Itoa(tt.concurrency)
		b.Run("write/"+name, func(b *testing.B) { benchSink(b, tt.proto == "h2", tt.concurrency, tt.conns, false) })
		b.Run("queue/"+name, func(b *testing.B) { benchSink(b, tt.proto == "h2", tt.concurrency, tt.conns, true) })
	}
}

func benchSink(b *testing.B, h2 bool, concurrency, conns int, queued bool) {
	api := clerktest.NewServer(clerktest.Options{Latency: 20 * time.Millisecond, TLS: h2})
	defer api.Close()
	sink, err := clerk.NewSink(config(api, func(c *clerk.Config) {
		c.MaxConcurrency, c.MaxConns, c.TLSConfig = concurrency, conns, api.TLSConfig()
	}))
	require.NoError(b, err)
	evs := views(b, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	if queued {
		q := tracker.NewQueue(sink, tracker.QueueConfig{Logger: quiet()})
		for i := range evs {
			if err := q.Record(b.Context(), evs[i]); err != nil {
				b.Fatal(err)
			}
		}
		require.NoError(b, q.Close(b.Context()))
	} else {
		for i := 0; i < len(evs); i += tracker.DefaultBatchSize {
			if err := sink.Write(b.Context(), evs[i:min(i+tracker.DefaultBatchSize, len(evs))]); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.StopTimer()
	if n := len(api.Accepted("log/product")); n != b.N {
		b.Fatalf("%d of %d events accepted", n, b.N)
	}
	_, maxOpen := api.Conns()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(maxOpen), "conns")
	b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-MiB")
}
