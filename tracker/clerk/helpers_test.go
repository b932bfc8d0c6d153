package clerk_test

import (
	"bytes"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/visitrack/visitrack/consent"
	"github.com/visitrack/visitrack/tracker"
	"github.com/visitrack/visitrack/tracker/clerk"
	"github.com/visitrack/visitrack/tracker/clerk/clerktest"
)

const visitor = "d0lq6ur2ek9ks4d5v2u0"

// recording returns a tracker for visitor that records into a Memory.
func recording() (*tracker.Tracker, *tracker.Memory) {
	mem := tracker.NewMemory()
	return tracker.New(tracker.Options{Store: "shop-dk", Visitor: visitor, Consent: consent.Cookieless, Recorder: mem}), mem
}

// events returns the events that record makes a tracker record.
func events(t testing.TB, record func(tr *tracker.Tracker)) []tracker.Event {
	t.Helper()
	tr, mem := recording()
	record(tr)
	return mem.Events()
}

// views returns n product views of products p0, p1, ...
func views(t testing.TB, n int) []tracker.Event {
	return events(t, func(tr *tracker.Tracker) {
		for i := range n {
			require.NoError(t, tr.View("p"+strconv.Itoa(i)))
		}
	})
}

// quiet is a logger that discards.
func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// logBuffer collects log lines, safe for concurrent use.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// debugLogger logs everything, at every level, into a logBuffer.
func debugLogger() (*slog.Logger, *logBuffer) {
	buf := new(logBuffer)
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})), buf
}

// config returns a quiet Config for api, adjusted by each non-nil change in
// turn.
func config(api *clerktest.Server, changes ...func(*clerk.Config)) clerk.Config {
	cfg := clerk.Config{Key: clerktest.Key, URL: api.URL, Logger: quiet()}
	for _, change := range changes {
		if change != nil {
			change(&cfg)
		}
	}
	return cfg
}

// newSink returns a Sink to api with a 5-second timeout; change adjusts its
// config.
func newSink(t testing.TB, api *clerktest.Server, change func(*clerk.Config)) *clerk.Sink {
	t.Helper()
	s, err := clerk.NewSink(config(api, func(c *clerk.Config) { c.Timeout = 5 * time.Second }, change))
	require.NoError(t, err)
	return s
}

// newClient returns a Client of api; change adjusts its config.
func newClient(api *clerktest.Server, change func(*clerk.Config)) *clerk.Client {
	return clerk.NewClient(config(api, change))
}

// startAPI starts a fake Clerk closed at the end of the test.
func startAPI(t testing.TB, o clerktest.Options) *clerktest.Server {
	t.Helper()
	api := clerktest.NewServer(o)
	t.Cleanup(api.Close)
	return api
}

// batchError returns err as a *tracker.BatchError, failing the test if it
// is not one.
func batchError(t testing.TB, err error) *tracker.BatchError {
	t.Helper()
	var be *tracker.BatchError
	require.ErrorAs(t, err, &be)
	return be
}
