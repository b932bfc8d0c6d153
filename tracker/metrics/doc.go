// Package metrics exports a tracker.Queue's and a store's figures as
// Prometheus metrics, through github.com/prometheus/client_golang. Package
// tracker does not import it: a shop that does not use Prometheus does not
// pull it in.
//
// Two pieces: a Collector reads a Queue's counts and a store's memory at
// each scrape, and InstrumentSink wraps a Sink to measure how long each of
// its Writes takes (the store's write latency, when the Sink is the store).
//
//	db, err := sqlite.Open(ctx, "visitrack.db")
//	sink := metrics.InstrumentSink(db, nil)
//	q := tracker.NewQueue(sink, tracker.QueueConfig{})
//	prometheus.MustRegister(sink, metrics.NewCollector(metrics.Config{
//		Queue: q,
//		Store: func() metrics.StoreStats {
//			s := db.Stats()
//			return metrics.StoreStats{MemoryBudget: s.MemoryBudget, Memory: s.Memory, Groups: s.Groups, RowsRead: s.RowsRead}
//		},
//	}))
//	mux.Handle("GET /metrics", promhttp.Handler())
//
// The metrics, all in the namespace "visitrack":
//
//	visitrack_queue_enqueued_events_total   counter    events Record took (Stats.Enqueued)
//	visitrack_queue_delivered_events_total  counter    events a Sink.Write took
//	visitrack_queue_dropped_events_total    counter    events Record refused (queue full, spool write failed)
//	visitrack_queue_failed_events_total     counter    events the queue gave up on (OnFailure)
//	visitrack_queue_pending_events          gauge      events held: waiting, being sent or spooled
//	visitrack_queue_retries_total           counter    Sink.Writes that repeated a failed one
//	visitrack_queue_batch_duration_seconds  histogram  a batch from its take to its end, retries included
//	visitrack_queue_spool_bytes             gauge      encoded size of the spooled events (queues with a Spool)
//	visitrack_queue_memory_bytes            gauge      about the memory held events take (queues without one)
//	visitrack_sink_write_duration_seconds   histogram  one Sink.Write, by result: "ok", "partial" or "error"
//	visitrack_store_memory_bytes            gauge      what the store's writer keeps in memory
//	visitrack_store_memory_budget_bytes     gauge      the budget it keeps within
//	visitrack_store_groups                  gauge      groups of linked visitors it keeps
//	visitrack_store_rows_read_total         counter    event rows read back to fill groups (SQLite)
//
// Register one Collector and one instrumented Sink per queue; to register
// several in one registry (a queue to the store and one to Clerk), tell
// them apart with ConstLabels, such as {"sink": "clerk"}.
package metrics
