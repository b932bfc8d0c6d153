// Package loadgen generates the stream of events the stores' benchmarks
// and tests write: visitors who see labelled calls, click what they were
// shown (mostly without labels, so that the store backtracks), view
// products and categories, search, leave their email and buy.
package loadgen

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/visitrack/visitrack/tracker"
)

// Load is one stream of events for one store. It is not safe for
// concurrent use.
type Load struct {
	r        *rand.Rand
	Visitors []string
	labels   []string
	shown    [][]string // per visitor, the products last shown
	emailOf  []string
	Seq      int // events made so far; their IDs and sale IDs count from it
	t        time.Time
	step     time.Duration
}

// New returns a stream from seed of events of the given number of visitors
// and labels in store "shop-dk", the first at start + step, each step after
// the one before. Streams with different seeds have different visitors.
func New(seed uint64, visitors, labels int, start time.Time, step time.Duration) *Load {
	l := &Load{r: rand.New(rand.NewPCG(seed, 7)), t: start, step: step}
	for i := range visitors {
		l.Visitors = append(l.Visitors, fmt.Sprintf("cv%08dbench%05d", seed, i))
		l.emailOf = append(l.emailOf, fmt.Sprintf("u%d-%d@example.com", seed, i))
	}
	for i := range labels {
		l.labels = append(l.labels, fmt.Sprintf("Label %03d", i))
	}
	l.shown = make([][]string, visitors)
	return l
}

func (l *Load) product() string { return fmt.Sprintf("%d", l.r.IntN(5000)) }

func (l *Load) query() string { return fmt.Sprintf("query %d", l.r.IntN(2000)) }

// Next returns the next event: 35% impressions (a fifth of them showing a
// search's results), 15% clicks, 25% product views, 10% category views,
// 10% searches, 2% email links, 3% sales.
func (l *Load) Next() tracker.Event {
	l.Seq++
	l.t = l.t.Add(l.step)
	v := l.r.IntN(len(l.Visitors))
	e := tracker.Event{ID: fmt.Sprintf("ev%012d", l.Seq), Store: "shop-dk", Visitor: l.Visitors[v], Time: l.t}
	switch k := l.r.IntN(100); {
	case k < 35:
		e.Kind = tracker.KindImpression
		e.API = "recommendations/trending"
		e.Labels = []string{l.labels[l.r.IntN(len(l.labels))]}
		if l.r.IntN(4) == 0 {
			if extra := l.labels[l.r.IntN(len(l.labels))]; extra != e.Labels[0] {
				e.Labels = append(e.Labels, extra)
			}
		}
		if l.r.IntN(5) == 0 {
			e.API, e.Query = "search/search", l.query()
		}
		e.Products = []string{l.product(), l.product(), l.product(), l.product()}
		l.shown[v] = e.Products
	case k < 50:
		e.Kind = tracker.KindClick
		if s := l.shown[v]; len(s) > 0 && l.r.IntN(10) < 8 {
			e.Product = s[l.r.IntN(len(s))]
		} else {
			e.Product = l.product()
		}
		if l.r.IntN(5) == 0 {
			e.API, e.Labels = "search/predictive", []string{l.labels[l.r.IntN(len(l.labels))]}
		}
	case k < 75:
		e.Kind, e.Product = tracker.KindView, l.product()
	case k < 85:
		e.Kind, e.Category = tracker.KindCategory, fmt.Sprintf("cat-%d", l.r.IntN(200))
	case k < 95:
		e.Kind, e.Query = tracker.KindSearch, l.query()
	case k < 97:
		e.Kind, e.Email = tracker.KindEmail, l.emailOf[v]
	default:
		e.Kind, e.Sale = tracker.KindSale, fmt.Sprintf("o%d", l.Seq)
		if l.r.IntN(2) == 0 {
			e.Email = l.emailOf[v]
		}
		if l.r.IntN(3) == 0 {
			e.Customer = fmt.Sprintf("c%d", v)
		}
		n := 1 + l.r.IntN(3)
		for range n {
			p := l.product()
			if s := l.shown[v]; len(s) > 0 && l.r.IntN(2) == 0 {
				p = s[l.r.IntN(len(s))]
			}
			e.Lines = append(e.Lines, tracker.Line{ID: p, Price: float64(l.r.IntN(20000)) / 100, Quantity: 1 + l.r.IntN(2)})
		}
	}
	return e
}

// Batch returns the next n events.
func (l *Load) Batch(n int) []tracker.Event {
	evs := make([]tracker.Event, n)
	for i := range evs {
		evs[i] = l.Next()
	}
	return evs
}
