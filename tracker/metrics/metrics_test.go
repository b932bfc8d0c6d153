package metrics_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/visitrack/visitrack/tracker"
	"github.com/visitrack/visitrack/tracker/metrics"
	"github.com/visitrack/visitrack/tracker/sqlite"
)

// fakeQueue gives the Collector exact figures.
type fakeQueue struct {
	stats    tracker.Stats
	delivery tracker.DeliveryStats
}

func (f fakeQueue) Stats() tracker.Stats                 { return f.stats }
func (f fakeQueue) DeliveryStats() tracker.DeliveryStats { return f.delivery }

func TestCollectorExportsQueueAndStore(t *testing.T) {
	t.Parallel()
	q := fakeQueue{
		stats: tracker.Stats{Enqueued: 10, Delivered: 6, Dropped: 1, Failed: 2, Pending: 1},
		delivery: tracker.DeliveryStats{Batches: 3, BatchTime: 1500 * time.Millisecond, Retries: 4, HeldBytes: 321, Spool: true,
			BatchBuckets: []tracker.LatencyBucket{{UpperBound: 100 * time.Millisecond, Count: 1}, {UpperBound: time.Second, Count: 3}}},
	}
	c := metrics.NewCollector(metrics.Config{Queue: q,
		Store: func() metrics.StoreStats {
			return metrics.StoreStats{MemoryBudget: 1000, Memory: 400, Groups: 7, RowsRead: 9}
		},
		ConstLabels: prometheus.Labels{"sink": "local"}})
	want := `
# HELP visitrack_queue_batch_duration_seconds How long a batch took from the moment a sender took it to its end, retries and waits included.
# TYPE visitrack_queue_batch_duration_seconds histogram
visitrack_queue_batch_duration_seconds_bucket{sink="local",le="0.1"} 1
visitrack_queue_batch_duration_seconds_bucket{sink="local",le="1"} 3
visitrack_queue_batch_duration_seconds_bucket{sink="local",le="+Inf"} 3
visitrack_queue_batch_duration_seconds_sum{sink="local"} 1.5
visitrack_queue_batch_duration_seconds_count{sink="local"} 3
# HELP visitrack_queue_delivered_events_total Events a Sink.Write took.
# TYPE visitrack_queue_delivered_events_total counter
visitrack_queue_delivered_events_total{sink="local"} 6
# HELP visitrack_queue_dropped_events_total Events Record refused: the queue was full, or the spool write failed.
# TYPE visitrack_queue_dropped_events_total counter
visitrack_queue_dropped_events_total{sink="local"} 1
# HELP visitrack_queue_enqueued_events_total Events the queue took from Record.
# TYPE visitrack_queue_enqueued_events_total counter
visitrack_queue_enqueued_events_total{sink="local"} 10
# HELP visitrack_queue_failed_events_total Events the queue gave up on and handed to OnFailure.
# TYPE visitrack_queue_failed_events_total counter
visitrack_queue_failed_events_total{sink="local"} 2
# HELP visitrack_queue_pending_events Events held: waiting, being sent, or spooled.
# TYPE visitrack_queue_pending_events gauge
visitrack_queue_pending_events{sink="local"} 1
# HELP visitrack_queue_retries_total Sink.Write calls that repeated a failed one.
# TYPE visitrack_queue_retries_total counter
visitrack_queue_retries_total{sink="local"} 4
# HELP visitrack_queue_spool_bytes Encoded size of the events in the queue's spool.
# TYPE visitrack_queue_spool_bytes gauge
visitrack_queue_spool_bytes{sink="local"} 321
# HELP visitrack_store_groups Groups of linked visitors the store's writer keeps in memory.
# TYPE visitrack_store_groups gauge
visitrack_store_groups{sink="local"} 7
# HELP visitrack_store_memory_budget_bytes The memory budget the store's writer keeps within.
# TYPE visitrack_store_memory_budget_bytes gauge
visitrack_store_memory_budget_bytes{sink="local"} 1000
# HELP visitrack_store_memory_bytes About the memory the store's writer keeps.
# TYPE visitrack_store_memory_bytes gauge
visitrack_store_memory_bytes{sink="local"} 400
# HELP visitrack_store_rows_read_total Event rows the store read back to fill groups: fast growth means too small a memory budget.
# TYPE visitrack_store_rows_read_total counter
visitrack_store_rows_read_total{sink="local"} 9
`
	require.NoError(t, testutil.CollectAndCompare(c, strings.NewReader(want)))
	problems, err := testutil.CollectAndLint(c)
	require.NoError(t, err)
	assert.Empty(t, problems, "client_golang's naming conventions")

	// A registry checks that every metric collected was described.
	reg := prometheus.NewPedanticRegistry()
	require.NoError(t, reg.Register(c))
	_, err = reg.Gather()
	require.NoError(t, err)
}

func TestCollectorZeroConfigCollectsNothing(t *testing.T) {
	t.Parallel()
	assert.Zero(t, testutil.CollectAndCount(metrics.NewCollector(metrics.Config{})))
}

// TestCollectorOnRealQueueAndStore runs events through a Queue with a
// spool into a SQLite store, the Sink measured.
func TestCollectorOnRealQueueAndStore(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dir := t.TempDir()
	db, err := sqlite.Open(ctx, filepath.Join(dir, "visitrack.db"))
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })

	fails := 1
	sink := metrics.InstrumentSink(sinkFunc(func(ctx context.Context, events []tracker.Event) error {
		if fails > 0 { // one sender: no race
			fails--
			return fmt.Errorf("database is busy")
		}
		return db.Write(ctx, events)
	}), nil)
	q, err := tracker.OpenQueue(ctx, sink, tracker.QueueConfig{Spool: filepath.Join(dir, "spool.db"), Senders: 1,
		FlushInterval: time.Hour, InitialBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond,
		Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	c := metrics.NewCollector(metrics.Config{Queue: q, Store: func() metrics.StoreStats {
		s := db.Stats()
		return metrics.StoreStats{MemoryBudget: s.MemoryBudget, Memory: s.Memory, Groups: s.Groups, RowsRead: s.RowsRead}
	}})
	reg := prometheus.NewPedanticRegistry()
	require.NoError(t, reg.Register(c))
	require.NoError(t, reg.Register(sink))

	now := time.Now().UTC()
	// Twenty events held, then sent in one batch by Flush.
	for i := range 20 {
		require.NoError(t, q.Record(ctx, tracker.Event{ID: fmt.Sprintf("e%03d", i), Kind: tracker.KindView, Store: "shop-dk",
			Visitor: "cv0123456789abcdefgh", Time: now, Product: fmt.Sprint(i)}))
	}
	require.NoError(t, q.Flush(ctx))

	assert.Equal(t, 20.0, testutil.ToFloat64(counterOf(c, "visitrack_queue_enqueued_events_total")))
	assert.Equal(t, 20.0, testutil.ToFloat64(counterOf(c, "visitrack_queue_delivered_events_total")))
	assert.Equal(t, 0.0, testutil.ToFloat64(counterOf(c, "visitrack_queue_pending_events")))
	assert.Equal(t, 1.0, testutil.ToFloat64(counterOf(c, "visitrack_queue_retries_total")))
	assert.Equal(t, 0.0, testutil.ToFloat64(counterOf(c, "visitrack_queue_spool_bytes")), "the spool is empty")
	assert.Positive(t, testutil.ToFloat64(counterOf(c, "visitrack_store_memory_budget_bytes")))

	got, err := testutil.GatherAndCount(reg, "visitrack_queue_memory_bytes", "visitrack_queue_spool_bytes")
	require.NoError(t, err)
	assert.Equal(t, 1, got, "a spooled queue reports its spool only")

	mfs, err := reg.Gather()
	require.NoError(t, err)
	counts := map[string]uint64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			if h := m.GetHistogram(); h != nil {
				key := mf.GetName()
				for _, l := range m.GetLabel() {
					key += "/" + l.GetValue()
				}
				counts[key] = h.GetSampleCount()
			}
		}
	}
	assert.Equal(t, map[string]uint64{
		"visitrack_queue_batch_duration_seconds":        1, // one batch, written on the second try
		"visitrack_sink_write_duration_seconds/ok":      1,
		"visitrack_sink_write_duration_seconds/partial": 0,
		"visitrack_sink_write_duration_seconds/error":   1,
	}, counts)
	require.NoError(t, q.Close(ctx))
}

func TestInstrumentSinkCountsByResultAndPassesErrorsThrough(t *testing.T) {
	t.Parallel()
	mem := tracker.NewMemory()
	partial := &tracker.BatchError{Failed: []tracker.EventError{{Index: 0, Err: errors.New("busy")}}}
	results := []error{nil, partial, tracker.Permanent(errors.New("bad")), nil}
	i := 0
	s := metrics.InstrumentSink(sinkFunc(func(ctx context.Context, events []tracker.Event) error {
		err := results[i]
		i++
		if err == nil {
			return mem.Write(ctx, events)
		}
		return err
	}), prometheus.Labels{"sink": "local"})

	ctx := t.Context()
	assert.NoError(t, s.Write(ctx, nil))
	var be *tracker.BatchError
	assert.ErrorAs(t, s.Write(ctx, nil), &be, "a partial failure reaches the Queue as it is")
	assert.True(t, tracker.IsPermanent(s.Write(ctx, nil)))
	assert.NoError(t, s.Write(ctx, nil))

	assert.Equal(t, 3, testutil.CollectAndCount(s, "visitrack_sink_write_duration_seconds"), "one series per result")
	reg := prometheus.NewPedanticRegistry()
	require.NoError(t, reg.Register(s))
	mfs, err := reg.Gather()
	require.NoError(t, err)
	require.Len(t, mfs, 1)
	counts := map[string]uint64{}
	for _, m := range mfs[0].GetMetric() {
		var labels []string
		for _, l := range m.GetLabel() {
			labels = append(labels, l.GetName()+"="+l.GetValue())
		}
		counts[strings.Join(labels, ",")] = m.GetHistogram().GetSampleCount()
	}
	assert.Equal(t, map[string]uint64{"result=ok,sink=local": 2, "result=partial,sink=local": 1, "result=error,sink=local": 1}, counts)
	problems, err := testutil.CollectAndLint(s)
	require.NoError(t, err)
	assert.Empty(t, problems)
}

// counterOf returns a Collector of the one metric of c named name, for
// testutil.ToFloat64.
func counterOf(c prometheus.Collector, name string) prometheus.Collector {
	return filtered{c, name}
}

type filtered struct {
	prometheus.Collector
	name string
}

func (f filtered) Collect(ch chan<- prometheus.Metric) {
	all := make(chan prometheus.Metric)
	go func() { f.Collector.Collect(all); close(all) }()
	for m := range all {
		if strings.Contains(m.Desc().String(), `"`+f.name+`"`) {
			ch <- m
		}
	}
}

type sinkFunc func(ctx context.Context, events []tracker.Event) error

func (f sinkFunc) Write(ctx context.Context, events []tracker.Event) error { return f(ctx, events) }
