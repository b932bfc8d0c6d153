package storetest

import (
	"errors"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/visitrack/visitrack/tracker"
)

// Concurrent checks stores that share one database, as the instances of a
// shop would: the events of a random stream, in which every visitor's
// events go through every store, are written by many goroutines at once,
// each batch into a store picked at random and some batches into two stores
// at the same moment. Every answer, read through each store, must then
// equal the reference model's. stores must be empty and share their data;
// Concurrent does not close them.
func Concurrent(t *testing.T, stores []Store, opts ...Option) {
	c := &config{window: 30 * 24 * 60 * 60 * 1e9, linkLimit: 50, events: 3000}
	for _, o := range opts {
		o(c)
	}
	require.NotEmpty(t, stores)
	m := NewModel(c.window, c.linkLimit)
	// Few visitors, so that writers meet on the same groups all the time.
	s := newStream(7, c.events, c.linkLimit, c.window, 12)
	r := rand.New(rand.NewPCG(7, 8))
	evs := slices.Clone(s.events)
	r.Shuffle(len(evs), func(i, j int) { evs[i], evs[j] = evs[j], evs[i] })
	m.Write(evs)

	type job struct {
		batch []tracker.Event
		into  []Store
	}
	jobs := make(chan job)
	var wg sync.WaitGroup
	for range 4 * len(stores) {
		wg.Go(func() {
			for j := range jobs {
				var inner sync.WaitGroup
				for _, st := range j.into {
					inner.Go(func() {
						err := st.Write(t.Context(), j.batch)
						var be *tracker.BatchError
						if err != nil && !errors.As(err, &be) {
							assert.NoError(t, err)
						}
					})
				}
				inner.Wait()
			}
		})
	}
	for len(evs) > 0 {
		n := min(len(evs), 1+r.IntN(30))
		into := []Store{stores[r.IntN(len(stores))]}
		if r.IntN(5) == 0 {
			into = append(into, stores[r.IntN(len(stores))]) // delivered twice, at once
		}
		jobs <- job{batch: evs[:n], into: into}
		evs = evs[n:]
	}
	close(jobs)
	wg.Wait()
	if t.Failed() {
		return
	}
	for _, st := range stores {
		compare(t, st, m, s, r, "after concurrent writes")
	}
}
