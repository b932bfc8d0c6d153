package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/visitrack/visitrack/tracker"
)

// Namespace is the first part of every metric's name.
const Namespace = "visitrack"

// Queue is what the Collector reads from a queue; *tracker.Queue implements
// it.
type Queue interface {
	Stats() tracker.Stats
	DeliveryStats() tracker.DeliveryStats
}

// StoreStats is what the Collector exports of a store: the memory its writer
// keeps. sqlite.Store.Stats and postgres.Store.Stats give these figures.
type StoreStats struct {
	// MemoryBudget is the budget the store keeps within, in bytes.
	MemoryBudget int64
	// Memory is about what the writer keeps now, in bytes.
	Memory int64
	// Groups is how many groups of linked visitors the writer keeps.
	Groups int
	// RowsRead counts the event rows read back since the store opened to
	// fill groups: it grows fast when the budget is too small. Stores that
	// do not count it (PostgreSQL) leave it 0.
	RowsRead int64
}

// Config configures NewCollector. The zero value collects nothing.
type Config struct {
	// Queue is the queue whose counts are exported. Nil: none.
	Queue Queue
	// Store returns the store's figures; it is called at each scrape. Nil:
	// none. A store's Stats waits for the write in progress, so a scrape may
	// take as long as one batch's write.
	Store func() StoreStats
	// ConstLabels are added to every metric, to tell collectors registered
	// in one registry apart, such as {"sink": "clerk"}. Nil: none.
	ConstLabels prometheus.Labels
}

// Collector is a prometheus.Collector of a queue's and a store's figures,
// read at each scrape. Make one with NewCollector. It is safe for concurrent
// use.
type Collector struct {
	cfg Config

	enqueued, delivered, dropped, failed, pending *prometheus.Desc
	retries, batch, spool, memory                 *prometheus.Desc
	storeMem, storeBudget, groups, rowsRead       *prometheus.Desc
}

var _ prometheus.Collector = (*Collector)(nil)

// NewCollector returns a Collector of what cfg names.
func NewCollector(cfg Config) *Collector {
	desc := func(subsystem, name, help string) *prometheus.Desc {
		return prometheus.NewDesc(prometheus.BuildFQName(Namespace, subsystem, name), help, nil, cfg.ConstLabels)
	}
	return &Collector{
		cfg:         cfg,
		enqueued:    desc("queue", "enqueued_events_total", "Events the queue took from Record."),
		delivered:   desc("queue", "delivered_events_total", "Events a Sink.Write took."),
		dropped:     desc("queue", "dropped_events_total", "Events Record refused: the queue was full, or the spool write failed."),
		failed:      desc("queue", "failed_events_total", "Events the queue gave up on and handed to OnFailure."),
		pending:     desc("queue", "pending_events", "Events held: waiting, being sent, or spooled."),
		retries:     desc("queue", "retries_total", "Sink.Write calls that repeated a failed one."),
		batch:       desc("queue", "batch_duration_seconds", "How long a batch took from the moment a sender took it to its end, retries and waits included."),
		spool:       desc("queue", "spool_bytes", "Encoded size of the events in the queue's spool."),
		memory:      desc("queue", "memory_bytes", "About the memory the events the queue holds take."),
		storeMem:    desc("store", "memory_bytes", "About the memory the store's writer keeps."),
		storeBudget: desc("store", "memory_budget_bytes", "The memory budget the store's writer keeps within."),
		groups:      desc("store", "groups", "Groups of linked visitors the store's writer keeps in memory."),
		rowsRead:    desc("store", "rows_read_total", "Event rows the store read back to fill groups: fast growth means too small a memory budget."),
	}
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	if c.cfg.Queue != nil {
		for _, d := range []*prometheus.Desc{c.enqueued, c.delivered, c.dropped, c.failed, c.pending, c.retries, c.batch, c.spool, c.memory} {
			ch <- d
		}
	}
	if c.cfg.Store != nil {
		for _, d := range []*prometheus.Desc{c.storeMem, c.storeBudget, c.groups, c.rowsRead} {
			ch <- d
		}
	}
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	if q := c.cfg.Queue; q != nil {
		// Stats are taken together, so that the counters agree: enqueued =
		// delivered + dropped + failed + pending.
		s, d := q.Stats(), q.DeliveryStats()
		counter := func(desc *prometheus.Desc, v uint64) {
			ch <- prometheus.MustNewConstMetric(desc, prometheus.CounterValue, float64(v))
		}
		counter(c.enqueued, s.Enqueued)
		counter(c.delivered, s.Delivered)
		counter(c.dropped, s.Dropped)
		counter(c.failed, s.Failed)
		ch <- prometheus.MustNewConstMetric(c.pending, prometheus.GaugeValue, float64(s.Pending))
		counter(c.retries, d.Retries)
		buckets := make(map[float64]uint64, len(d.BatchBuckets))
		for _, b := range d.BatchBuckets {
			buckets[b.UpperBound.Seconds()] = b.Count
		}
		ch <- prometheus.MustNewConstHistogram(c.batch, d.Batches, d.BatchTime.Seconds(), buckets)
		held := c.memory
		if d.Spool {
			held = c.spool
		}
		ch <- prometheus.MustNewConstMetric(held, prometheus.GaugeValue, float64(d.HeldBytes))
	}
	if c.cfg.Store != nil {
		s := c.cfg.Store()
		ch <- prometheus.MustNewConstMetric(c.storeMem, prometheus.GaugeValue, float64(s.Memory))
		ch <- prometheus.MustNewConstMetric(c.storeBudget, prometheus.GaugeValue, float64(s.MemoryBudget))
		ch <- prometheus.MustNewConstMetric(c.groups, prometheus.GaugeValue, float64(s.Groups))
		ch <- prometheus.MustNewConstMetric(c.rowsRead, prometheus.CounterValue, float64(s.RowsRead))
	}
}
