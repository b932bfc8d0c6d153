package clerk_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/visitrack/visitrack/tracker"
	"github.com/visitrack/visitrack/tracker/clerk"
	"github.com/visitrack/visitrack/tracker/clerk/clerktest"
)

// everyKind records one event of each kind, in an order where the sale
// comes first.
func everyKind(t testing.TB) []tracker.Event {
	return events(t, func(tr *tracker.Tracker) {
		require.NoError(t, tr.Sale(tracker.Sale{ID: "567", Customer: "cust-4711", Email: "ada@example.com",
			Products: []tracker.Line{{ID: "12793", Price: 99.95, Quantity: 2}, {ID: "SKU-7", Price: 5, Quantity: 1}}}))
		call, err := tr.Call("recommendations/trending", "Homepage - Trending")
		require.NoError(t, err)
		require.NoError(t, call.Shown("12793", "12794"))
		require.NoError(t, tr.Search("red shoes"))
		require.NoError(t, tr.Click(tracker.Click{Product: "12793", API: "recommendations/trending",
			Labels: []string{"Homepage - Trending"}, Position: 3}))
		require.NoError(t, tr.Click(tracker.Click{Product: "007", External: true}))
		require.NoError(t, tr.View("12793"))
		require.NoError(t, tr.Category("shoes"))
		require.NoError(t, tr.Email("Ada@Example.com"))
	})
}

func TestSinkForwardsEachKindAsClerkDocuments(t *testing.T) {
	t.Parallel()
	api := startAPI(t, clerktest.Options{})
	require.NoError(t, newSink(t, api, nil).Write(t.Context(), everyKind(t)))

	got := api.Received()
	require.Len(t, got, 6, "impressions and searches are not forwarded")
	for _, r := range got {
		assert.True(t, r.Accepted, "%s: %s", r.Endpoint, r.Error)
	}
	assert.Equal(t, "log/sale", got[5].Endpoint, "a batch's sales go after its other events")
	byProduct := map[string]map[string]any{}
	for _, r := range got[:5] {
		if r.Endpoint == "log/click" {
			byProduct[r.Body["product"].(string)] = r.Body
		}
	}
	key := clerktest.Key
	assert.Equal(t, map[string]any{"key": key, "visitor": visitor, "product": "12793", "api": "recommendations/trending",
		"labels": []any{"Homepage - Trending"}, "n": json.Number("2")}, byProduct["12793"], "position 3 is n 2")
	assert.Equal(t, map[string]any{"key": key, "visitor": visitor, "product": "007", "external": true}, byProduct["007"],
		"no api, labels or n when unknown")
	assert.Equal(t, map[string]any{"key": key, "visitor": visitor, "product": "12793"}, bodyOf(t, got, "log/product"))
	assert.Equal(t, map[string]any{"key": key, "visitor": visitor, "category": "shoes"}, bodyOf(t, got, "log/category"))
	assert.Equal(t, map[string]any{"key": key, "visitor": visitor, "email": "ada@example.com"}, bodyOf(t, got, "log/email"))
	assert.Equal(t, map[string]any{"key": key, "sale": "567", "customer": "cust-4711", "email": "ada@example.com", "visitor": visitor,
		"products": []any{
			map[string]any{"id": "12793", "price": json.Number("99.95"), "quantity": json.Number("2")},
			map[string]any{"id": "SKU-7", "price": json.Number("5"), "quantity": json.Number("1")},
		}}, bodyOf(t, got, "log/sale"), "no private key, so no time either")
}

func bodyOf(t testing.TB, rs []clerktest.Request, endpoint string) map[string]any {
	t.Helper()
	for _, r := range rs {
		if r.Endpoint == endpoint {
			return r.Body
		}
	}
	t.Fatalf("no request to %s", endpoint)
	return nil
}

func TestSinkNumericIDs(t *testing.T) {
	t.Parallel()
	api := startAPI(t, clerktest.Options{})
	sink := newSink(t, api, func(c *clerk.Config) { c.NumericIDs = true })
	require.NoError(t, sink.Write(t.Context(), everyKind(t)))
	got := api.Received()
	assert.Equal(t, json.Number("12793"), bodyOf(t, got, "log/product")["product"], "digits go out as a number")
	lines := bodyOf(t, got, "log/sale")["products"].([]any)
	assert.Equal(t, json.Number("12793"), lines[0].(map[string]any)["id"])
	assert.Equal(t, "SKU-7", lines[1].(map[string]any)["id"], "other IDs stay strings")
	assert.Equal(t, "567", bodyOf(t, got, "log/sale")["sale"], "only product IDs change type")
	for _, r := range got {
		if r.Endpoint == "log/click" && r.Body["external"] == true {
			assert.Equal(t, "007", r.Body["product"], "a leading zero is not a number's digits")
		}
	}
}

// The private key goes to log/sale only, in the body, with the sale's own
// time; the fake refuses it anywhere else.
func TestSinkPrivateKeyOnlyWithSales(t *testing.T) {
	t.Parallel()
	api := startAPI(t, clerktest.Options{})
	evs := everyKind(t)
	sink := newSink(t, api, func(c *clerk.Config) { c.PrivateKey = clerktest.PrivateKey })
	require.NoError(t, sink.Write(t.Context(), evs))
	for _, r := range api.Received() {
		assert.True(t, r.Accepted, "%s: %s", r.Endpoint, r.Error)
		_, has := r.Body["private_key"]
		assert.Equal(t, r.Endpoint == "log/sale", has, r.Endpoint)
	}
	sale := bodyOf(t, api.Received(), "log/sale")
	assert.Equal(t, json.Number(jsonUnix(evs[0].Time)), sale["time"])
}

func jsonUnix(t time.Time) string {
	b, _ := json.Marshal(t.Unix())
	return string(b)
}

func TestSinkAnswers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		failure   clerktest.Failure
		permanent bool
		status    int
		retry     time.Duration // the wait asked for; 0 when none
	}{
		{"error body with HTTP 200", clerktest.Failure{Type: "invalid_argument", Message: "sale is a duplicate"}, true, 200, 0},
		{"400", clerktest.Failure{Status: 400}, true, 400, 0},
		{"401", clerktest.Failure{Status: 401}, true, 401, 0},
		{"403", clerktest.Failure{Status: 403}, true, 403, 0},
		{"404", clerktest.Failure{Status: 404}, true, 404, 0},
		{"422", clerktest.Failure{Status: 422}, true, 422, 0},
		{"500", clerktest.Failure{Status: 500}, false, 500, 0},
		{"503 with Retry-After seconds", clerktest.Failure{Status: 503, RetryAfter: "7"}, false, 503, 7 * time.Second},
		{"429 with Retry-After seconds", clerktest.Failure{Status: 429, RetryAfter: "2"}, false, 429, 2 * time.Second},
		{"429 with Retry-After date", clerktest.Failure{Status: 429,
			RetryAfter: time.Date(2030, 1, 1, 0, 1, 30, 0, time.UTC).Format(http.TimeFormat)}, false, 429, 90 * time.Second},
		{"429 with a Retry-After that does not parse", clerktest.Failure{Status: 429, RetryAfter: "soon"}, false, 429, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			api := startAPI(t, clerktest.Options{})
			api.Fail(tt.failure)
			sink := newSink(t, api, func(c *clerk.Config) {
				c.Now = func() time.Time { return time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC) }
			})
			be := batchError(t, sink.Write(t.Context(), views(t, 1)))
			require.Len(t, be.Failed, 1)
			err := be.Failed[0].Err
			assert.Equal(t, tt.permanent, tracker.IsPermanent(err))
			var ce *clerk.Error
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, tt.status, ce.Status)
			assert.Equal(t, "log/product", ce.Endpoint)
			assert.NotEmpty(t, ce.Type)
			var hint interface{ RetryAfter() time.Duration }
			if tt.retry == 0 {
				assert.False(t, errors.As(err, &hint), "no wait asked for")
			} else if assert.ErrorAs(t, err, &hint) {
				assert.Equal(t, tt.retry, hint.RetryAfter())
			}
		})
	}
}

func TestSinkRetriesNetworkFailures(t *testing.T) {
	t.Parallel()
	for name, f := range map[string]clerktest.Failure{
		"dropped connection": {Drop: true},
		"timeout":            {Delay: time.Minute},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			api := startAPI(t, clerktest.Options{})
			api.Fail(f)
			sink := newSink(t, api, func(c *clerk.Config) { c.Timeout = 100 * time.Millisecond })
			be := batchError(t, sink.Write(t.Context(), views(t, 2)))
			require.Len(t, be.Failed, 2)
			for _, ef := range be.Failed {
				assert.False(t, tracker.IsPermanent(ef.Err), "retried: %v", ef.Err)
			}
		})
	}
}

// A batch written again after a partial failure re-sends only what failed:
// Clerk counts each event once.
func TestSinkResendsOnlyWhatFailed(t *testing.T) {
	t.Parallel()
	api := startAPI(t, clerktest.Options{})
	sink := newSink(t, api, func(c *clerk.Config) { c.MaxConcurrency = 1 }) // requests in batch order
	batch := views(t, 5)
	api.Fail(clerktest.Failure{Endpoint: "log/product", Status: 503, Times: 2})

	be := batchError(t, sink.Write(t.Context(), batch))
	require.Len(t, be.Failed, 2)
	assert.Equal(t, []int{0, 1}, []int{be.Failed[0].Index, be.Failed[1].Index}, "indices into the batch")
	require.Len(t, api.Accepted("log/product"), 3)

	api.Reset()
	require.NoError(t, sink.Write(t.Context(), batch))
	got := api.Received()
	require.Len(t, got, 2, "only the two that failed are sent again")
	assert.Equal(t, "p0", got[0].Body["product"])
	assert.Equal(t, "p1", got[1].Body["product"])

	api.Reset()
	require.NoError(t, sink.Write(t.Context(), batch), "a batch Clerk has whole")
	assert.Empty(t, api.Received())
}

func TestSinkAckMemoryIsBounded(t *testing.T) {
	t.Parallel()
	api := startAPI(t, clerktest.Options{})
	sink := newSink(t, api, func(c *clerk.Config) { c.AckMemory = 3; c.MaxConcurrency = 1 })
	batch := views(t, 7)
	require.NoError(t, sink.Write(t.Context(), batch))
	api.Reset()
	require.NoError(t, sink.Write(t.Context(), batch[3:]))
	assert.Empty(t, api.Received(), "at least the three newest are remembered")
	require.NoError(t, sink.Write(t.Context(), batch[:3]))
	assert.Len(t, api.Received(), 3, "at most twice AckMemory: the oldest were forgotten")

	none := newSink(t, api, func(c *clerk.Config) { c.AckMemory = -1 })
	require.NoError(t, none.Write(t.Context(), batch))
	api.Reset()
	require.NoError(t, none.Write(t.Context(), batch))
	assert.Len(t, api.Received(), len(batch), "no memory: everything is sent again")
}

// An event that breaks the tracker's rules is failed permanently on its own
// and never sent; the rest of the batch goes.
func TestSinkRefusesInvalidEvents(t *testing.T) {
	t.Parallel()
	api := startAPI(t, clerktest.Options{})
	batch := views(t, 3)
	batch[1].Product = "bad\x00id"
	batch[2].Time = time.Now().Add(time.Hour)
	be := batchError(t, newSink(t, api, nil).Write(t.Context(), batch))
	require.Len(t, be.Failed, 2)
	assert.ErrorIs(t, be.Failed[0].Err, tracker.ErrBadText)
	assert.ErrorIs(t, be.Failed[1].Err, tracker.ErrFuture)
	assert.True(t, tracker.IsPermanent(be.Failed[0].Err))
	assert.Len(t, api.Received(), 1)
}

func TestSinkKeysAndPersonalDataStayOutOfErrorsAndLogs(t *testing.T) {
	t.Parallel()
	api := startAPI(t, clerktest.Options{})
	log, buf := debugLogger()
	const wrongKey = "wrongpublickey00000000000000000"
	const wrongPrivate = "wrongprivatekey0000000000000000"
	sink := newSink(t, api, func(c *clerk.Config) {
		c.Key, c.PrivateKey, c.Logger = wrongKey, wrongPrivate, log
	})
	batch := everyKind(t)
	var errs []string
	for range 3 {
		err := sink.Write(t.Context(), batch)
		require.Error(t, err)
		be := batchError(t, err)
		errs = append(errs, err.Error())
		for _, f := range be.Failed {
			errs = append(errs, f.Err.Error())
			var ce *clerk.Error
			require.ErrorAs(t, f.Err, &ce)
			assert.Equal(t, http.StatusForbidden, ce.Status)
			assert.True(t, tracker.IsPermanent(f.Err))
			assert.Contains(t, ce.Message, "[redacted]", "Clerk repeated the key; the error does not")
		}
	}
	// Clerk echoing an event's personal data in its message.
	api2 := startAPI(t, clerktest.Options{})
	api2.Fail(clerktest.Failure{Endpoint: "log/sale", Status: 400, Message: "customer cust-4711 (ada@example.com) unknown"})
	err := newSink(t, api2, func(c *clerk.Config) { c.Logger = log }).Write(t.Context(), batch)
	require.Error(t, err)
	errs = append(errs, err.Error())
	require.NotEmpty(t, api.Received())
	require.Equal(t, wrongKey, api.Received()[0].Body["key"], "the key did go to Clerk, in the body")

	all := strings.Join(errs, "\n") + "\n" + buf.String()
	for _, secret := range []string{wrongKey, wrongPrivate, "ada@example.com", "cust-4711"} {
		assert.NotContains(t, all, secret)
	}
	assert.Equal(t, 1, strings.Count(buf.String(), "level=ERROR"), "a refused key is logged at error level once:\n%s", buf)
}

func TestSinkBoundsConcurrencyAndConnections(t *testing.T) {
	t.Parallel()
	api := startAPI(t, clerktest.Options{Latency: 20 * time.Millisecond})
	sink := newSink(t, api, func(c *clerk.Config) { c.MaxConcurrency = 4 })
	var wg sync.WaitGroup
	for range 3 { // Writes in flight at once share the bound
		wg.Go(func() { assert.NoError(t, sink.Write(t.Context(), views(t, 20))) })
	}
	wg.Wait()
	assert.Len(t, api.Accepted(""), 60)
	_, maxOpen := api.Conns()
	assert.LessOrEqual(t, maxOpen, 4)
	assert.Positive(t, maxOpen)
}

func TestSinkWriteEndsWithItsContext(t *testing.T) {
	t.Parallel()
	api := startAPI(t, clerktest.Options{})
	api.Fail(clerktest.Failure{Delay: time.Hour})
	sink := newSink(t, api, func(c *clerk.Config) { c.MaxConcurrency = 2; c.Timeout = time.Hour })
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	be := batchError(t, sink.Write(ctx, views(t, 10)))
	assert.Less(t, time.Since(start), 5*time.Second)
	assert.Len(t, be.Failed, 10, "the waiting and the unsent alike, to retry")
	for _, f := range be.Failed {
		assert.ErrorIs(t, f.Err, context.DeadlineExceeded)
		assert.False(t, tracker.IsPermanent(f.Err))
	}
}

func TestNewSinkConfig(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		cfg  clerk.Config
		want error
	}{
		{clerk.Config{}, clerk.ErrNoKey},
		{clerk.Config{Key: "has space"}, clerk.ErrBadKey},
		{clerk.Config{Key: "k", PrivateKey: "line\nbreak"}, clerk.ErrBadKey},
		{clerk.Config{Key: "k", URL: "ftp://api.example"}, clerk.ErrBadURL},
		{clerk.Config{Key: "k", URL: "https://user:secret@api.example/v2"}, clerk.ErrBadURL},
		{clerk.Config{Key: "k", URL: "https://api.example/v2?key=secret"}, clerk.ErrBadURL},
		{clerk.Config{Key: "k", URL: "/v2"}, clerk.ErrBadURL},
	} {
		_, err := clerk.NewSink(tt.cfg)
		assert.ErrorIs(t, err, tt.want)
		if err != nil {
			assert.NotContains(t, err.Error(), "secret")
		}
	}
	_, err := clerk.NewSink(clerk.Config{Key: "k"})
	assert.NoError(t, err, "the URL defaults to Clerk's")
}

// Over HTTPS, as Clerk's API is served, requests in flight share an HTTP/2
// connection. (Before the first connection has said it speaks HTTP/2,
// requests made at once each dial one, up to MaxConns.)
func TestSinkOverHTTPS(t *testing.T) {
	t.Parallel()
	api := startAPI(t, clerktest.Options{TLS: true, Latency: 10 * time.Millisecond})
	sink := newSink(t, api, func(c *clerk.Config) { c.TLSConfig = api.TLSConfig(); c.MaxConcurrency = 32 })
	evs := views(t, 129)
	require.NoError(t, sink.Write(t.Context(), evs[:1]))
	require.NoError(t, sink.Write(t.Context(), evs[1:]))
	assert.Len(t, api.Accepted("log/product"), 129)
	_, maxOpen := api.Conns()
	assert.Equal(t, 1, maxOpen, "32 requests at once on one connection")

	plain := newSink(t, api, nil)
	be := batchError(t, plain.Write(t.Context(), views(t, 1)))
	assert.ErrorContains(t, be.Failed[0].Err, "certificate", "an untrusted certificate is refused")
}
