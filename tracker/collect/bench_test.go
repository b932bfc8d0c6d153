package collect_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/visitrack/visitrack/tracker"
	"github.com/visitrack/visitrack/tracker/collect"
)

// discard is a Sink that keeps nothing.
type discard struct{}

func (discard) Write(context.Context, []tracker.Event) error { return nil }

const clickBody = `{"product": "12793", "api": "recommendations/trending", "labels": ["Homepage - Trending"], "n": 2}`

// bare is the peer: a handler that makes the same tracker call with the
// click known in advance, and answers as collect does.
var bare = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	err := tracker.From(r.Context()).Click(tracker.Click{Product: "12793", API: "recommendations/trending",
		Labels: []string{"Homepage - Trending"}, Position: 3})
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"status":"ok"}`+"\n")
})

// BenchmarkClick compares POST /visitrack/log/click with the bare handler
// making the same tracker call, side by side in one binary: "http" over
// loopback (an HTTP/1.1 client and server with keep-alive, requests in
// parallel), as a browser's request costs; "in-process" calls ServeHTTP
// with a request and a writer reused, which leaves only the handlers' own
// cost. Both record into a Queue in front of a Sink that discards.
func BenchmarkClick(b *testing.B) {
	q := tracker.NewQueue(discard{}, tracker.QueueConfig{Logger: quiet()})
	b.Cleanup(func() { _ = q.Close(context.Background()) })
	h, err := collect.New(collect.Config{Logger: quiet()})
	if err != nil {
		b.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/visitrack/", http.StripPrefix("/visitrack", h))
	mux.Handle("/bare", bare)
	handler := withTracker(q, mux)

	for _, mode := range []string{"http", "in-process"} {
		for _, path := range []string{"/visitrack/log/click", "/bare"} {
			name := mode + "/collect"
			if path == "/bare" {
				name = mode + "/bare"
			}
			b.Run(name, func(b *testing.B) {
				if mode == "http" {
					benchHTTP(b, handler, path)
				} else {
					benchInProcess(b, handler, path)
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
			})
		}
	}
}

func benchHTTP(b *testing.B, handler http.Handler, path string) {
	srv := httptest.NewServer(handler)
	defer srv.Close()
	client := srv.Client()
	client.Transport.(*http.Transport).MaxIdleConnsPerHost = 64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest(http.MethodPost, srv.URL+path, strings.NewReader(clickBody))
			req.Header.Set("Content-Type", "application/json")
			resp, err := client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Fatalf("status %d", resp.StatusCode)
			}
		}
	})
}

func benchInProcess(b *testing.B, handler http.Handler, path string) {
	// The request and the writer are reused, so that what is measured is
	// the handlers (and the tracker and queue behind them), not the
	// benchmark's allocations.
	u, err := url.Parse(path)
	if err != nil {
		b.Fatal(err)
	}
	body := strings.NewReader(clickBody)
	req := &http.Request{Method: http.MethodPost, URL: u, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{"Content-Type": {"application/json"}}, Host: "example.com",
		ContentLength: int64(len(clickBody)), RemoteAddr: "192.0.2.1:1234", RequestURI: path}
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		body.Reset(clickBody)
		req.Body = io.NopCloser(body)
		clear(w.h)
		w.code = 0
		handler.ServeHTTP(w, req)
		if w.code != http.StatusOK {
			b.Fatalf("status %d", w.code)
		}
	}
}

// discardWriter is a ResponseWriter that keeps only the status.
type discardWriter struct {
	h    http.Header
	code int
}

func (w *discardWriter) Header() http.Header { return w.h }
func (w *discardWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
}
func (w *discardWriter) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return len(p), nil
}
