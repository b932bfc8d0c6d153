package clerk_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/visitrack/visitrack/consent"
	"github.com/visitrack/visitrack/tracker"
	"github.com/visitrack/visitrack/tracker/clerk"
	"github.com/visitrack/visitrack/tracker/clerk/clerktest"
)

// failures collects what a Queue hands to OnFailure.
type failures struct {
	mu     sync.Mutex
	events []tracker.Event
	errs   []error
}

func (f *failures) record(events []tracker.Event, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.events = append(f.events, events...)
	f.errs = append(f.errs, err)
}

func (f *failures) get() ([]tracker.Event, []error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]tracker.Event(nil), f.events...), append([]error(nil), f.errs...)
}

// A 30-second outage, in a synctest bubble so that it takes no real time:
// the Queue retries (honouring Retry-After) and, once Clerk is back,
// every event recorded before, during and after the outage reaches Clerk
// exactly once. Nothing is dropped or handed to OnFailure.
func TestOutageOfThirtySecondsLosesNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		api := clerktest.NewServer(clerktest.Options{InProcess: true, Latency: 20 * time.Millisecond})
		defer api.Close()
		sink, err := clerk.NewSink(config(api, func(c *clerk.Config) { c.Transport = api.Transport() }))
		require.NoError(t, err)
		var failed failures
		q := tracker.NewQueue(sink, tracker.QueueConfig{Logger: quiet(), OnFailure: failed.record})
		tr := tracker.New(tracker.Options{Store: "shop-dk", Visitor: visitor, Consent: consent.Cookieless, Recorder: q})
		n := 0
		record := func(d time.Duration) {
			for end := time.Now().Add(d); time.Now().Before(end); n++ {
				require.NoError(t, tr.View("p"+strconv.Itoa(n)))
				time.Sleep(50 * time.Millisecond)
			}
		}

		record(2 * time.Second)
		stop := api.Fail(clerktest.Failure{Status: http.StatusServiceUnavailable, RetryAfter: "3", Times: 40})
		api.Fail(clerktest.Failure{Status: http.StatusInternalServerError}) // after those 40: 500s, no hint
		outage := time.Now()
		record(30 * time.Second)
		stop()
		api.Heal()
		t.Logf("outage of %v; %d views recorded", time.Since(outage), n)
		record(2 * time.Second)
		require.NoError(t, q.Close(context.Background()))

		refused := 0
		seen := map[string]int{}
		for _, r := range api.Received() {
			if r.Accepted {
				seen[r.Body["product"].(string)]++
			} else {
				refused++
			}
		}
		assert.Positive(t, refused, "the outage refused requests")
		assert.Len(t, seen, n, "every view reached Clerk")
		for p, c := range seen {
			assert.Equal(t, 1, c, "%s reached Clerk once", p)
		}
		st := q.Stats()
		assert.Equal(t, uint64(n), st.Delivered)
		assert.Zero(t, st.Dropped+st.Failed)
		evs, _ := failed.get()
		assert.Empty(t, evs)
	})
}

// A validation error is permanent: the event goes to OnFailure with
// Clerk's error, and the rest of its batch is delivered.
func TestPermanentErrorReachesOnFailure(t *testing.T) {
	t.Parallel()
	api := startAPI(t, clerktest.Options{})
	api.Fail(clerktest.Failure{Endpoint: "log/sale", Status: http.StatusUnprocessableEntity, Type: "invalid_argument",
		Message: "products: unknown product"})
	var failed failures
	q := tracker.NewQueue(newSink(t, api, nil), tracker.QueueConfig{Logger: quiet(), OnFailure: failed.record,
		FlushInterval: time.Millisecond})
	tr := tracker.New(tracker.Options{Store: "shop-dk", Visitor: visitor, Consent: consent.Cookieless, Recorder: q})
	require.NoError(t, tr.Click(tracker.Click{Product: "12793"}))
	require.NoError(t, tr.Sale(tracker.Sale{ID: "567", Products: []tracker.Line{{ID: "12793", Price: 10, Quantity: 1}}}))
	require.NoError(t, tr.View("12793"))
	if err := q.Close(t.Context()); err != nil {
		var und *tracker.UndeliveredError
		require.ErrorAs(t, err, &und, "Close reports the sale it gave up on, nothing else")
		assert.Equal(t, 1, und.Events)
	}

	evs, errs := failed.get()
	require.Len(t, evs, 1)
	assert.Equal(t, "567", evs[0].Sale)
	var ce *clerk.Error
	require.ErrorAs(t, errs[0], &ce)
	assert.Equal(t, http.StatusUnprocessableEntity, ce.Status)
	assert.Equal(t, "invalid_argument", ce.Type)
	assert.Equal(t, "products: unknown product", ce.Message)
	assert.Len(t, api.Accepted("log/click"), 1)
	assert.Len(t, api.Accepted("log/product"), 1)
	assert.Len(t, api.Received(), 3, "the sale was not retried")
	st := q.Stats()
	assert.Equal(t, uint64(2), st.Delivered)
	assert.Equal(t, uint64(1), st.Failed)
}

// While Clerk hangs, a shop that fetches results with a deadline and
// forwards events through a Queue keeps answering: pages fall back to
// their own lists, events reach the local store at once, and Clerk's
// queue holds its copies until Clerk answers again.
func TestShopKeepsServingWhileClerkHangs(t *testing.T) {
	t.Parallel()
	api := startAPI(t, clerktest.Options{})
	api.Fail(clerktest.Failure{Delay: time.Hour})
	cfg := config(api)
	sink, err := clerk.NewSink(cfg)
	require.NoError(t, err)
	client := clerk.NewClient(cfg)
	remote := tracker.NewQueue(sink, tracker.QueueConfig{Logger: quiet(), FlushInterval: time.Millisecond})
	local := tracker.NewMemory()
	rec := tracker.Fanout(local, remote)

	shop := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tr := tracker.New(tracker.Options{Store: "shop-dk", Visitor: r.URL.Query().Get("v"), Consent: consent.Cookieless,
			Recorder: rec, Context: r.Context()})
		ctx, cancel := context.WithTimeout(r.Context(), 150*time.Millisecond)
		defer cancel()
		list := "clerk"
		if _, err := client.Call(ctx, tr, "recommendations/trending", map[string]any{"limit": 4}, "Homepage - Trending"); err != nil {
			list = "fallback"
		}
		_ = tr.View("12793")
		_, _ = w.Write([]byte(list))
	})
	srv := httptest.NewServer(shop)
	defer srv.Close()

	start := time.Now()
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			resp, err := http.Get(srv.URL + "/?v=visitor" + strconv.Itoa(i))
			if assert.NoError(t, err) {
				assert.Equal(t, http.StatusOK, resp.StatusCode)
				_ = resp.Body.Close()
			}
		})
	}
	wg.Wait()
	assert.Less(t, time.Since(start), 5*time.Second, "every page answered within its own deadline")
	assert.Equal(t, 20, local.Len(), "the local store got every view at once")
	assert.Empty(t, api.Accepted(""), "Clerk took nothing yet")

	api.Heal()
	api.Close() // the hung answers end
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	err = remote.Close(ctx)
	var und *tracker.UndeliveredError
	assert.True(t, err == nil || errors.As(err, &und), "%v", err)
}
