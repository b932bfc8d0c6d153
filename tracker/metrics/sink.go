package metrics

import (
	"context"
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/visitrack/visitrack/tracker"
)

// Sink is a tracker.Sink that measures how long each Write of the Sink it
// wraps takes, and a prometheus.Collector of the measures
// (visitrack_sink_write_duration_seconds, by result). Make one with
// InstrumentSink; register it as any Collector. It is safe for concurrent
// use if the wrapped Sink is.
type Sink struct {
	next     tracker.Sink
	duration *prometheus.HistogramVec
}

var (
	_ tracker.Sink         = (*Sink)(nil)
	_ prometheus.Collector = (*Sink)(nil)
)

// Results of a Write, the values of the label "result".
const (
	resultOK      = "ok"      // every event stored
	resultPartial = "partial" // a *tracker.BatchError: some stored
	resultError   = "error"   // none stored
)

// InstrumentSink returns sink measured: give the result to the Queue in
// place of sink, and register it. constLabels are added to the metric
// (nil: none), to tell apart sinks registered together, such as
// {"sink": "clerk"}.
func InstrumentSink(sink tracker.Sink, constLabels prometheus.Labels) *Sink {
	h := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace:   Namespace,
		Subsystem:   "sink",
		Name:        "write_duration_seconds",
		Help:        "How long one Sink.Write took, by result: ok (every event stored), partial (some), error (none).",
		ConstLabels: constLabels,
		Buckets:     prometheus.DefBuckets,
	}, []string{"result"})
	// The three results appear at once, at zero, rather than on the first
	// failure.
	for _, r := range []string{resultOK, resultPartial, resultError} {
		h.WithLabelValues(r)
	}
	return &Sink{next: sink, duration: h}
}

// Write writes events to the wrapped Sink and measures how long it took.
// It returns the wrapped Sink's error as it is, so that the Queue still
// sees a *tracker.BatchError or a permanent error.
func (s *Sink) Write(ctx context.Context, events []tracker.Event) error {
	start := time.Now()
	err := s.next.Write(ctx, events)
	result := resultOK
	var partial *tracker.BatchError
	switch {
	case errors.As(err, &partial):
		result = resultPartial
	case err != nil:
		result = resultError
	}
	s.duration.WithLabelValues(result).Observe(time.Since(start).Seconds())
	return err
}

// Unwrap returns the wrapped Sink.
func (s *Sink) Unwrap() tracker.Sink { return s.next }

// Describe implements prometheus.Collector.
func (s *Sink) Describe(ch chan<- *prometheus.Desc) { s.duration.Describe(ch) }

// Collect implements prometheus.Collector.
func (s *Sink) Collect(ch chan<- prometheus.Metric) { s.duration.Collect(ch) }
