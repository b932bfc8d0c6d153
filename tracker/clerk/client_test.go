package clerk_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/visitrack/visitrack/tracker"
	"github.com/visitrack/visitrack/tracker/clerk"
	"github.com/visitrack/visitrack/tracker/clerk/clerktest"
)

func TestClientCallSendsVisitorAndLabelsAndRecordsWhatWasShown(t *testing.T) {
	t.Parallel()
	api := startAPI(t, clerktest.Options{})
	tr, mem := recording()
	args := map[string]any{"limit": 3}
	res, err := newClient(api, nil).Call(t.Context(), tr, "recommendations/trending", args, "Homepage - Trending")
	require.NoError(t, err)
	assert.Equal(t, []string{"12793", "13001", "12794"}, res.Products, "the most popular first")
	assert.Equal(t, 8, res.Count)
	assert.Contains(t, string(res.Body), `"result"`)
	assert.Equal(t, map[string]any{"limit": 3}, args, "the caller's args are left as they were")

	got := api.Received()
	require.Len(t, got, 1)
	assert.True(t, got[0].Accepted, got[0].Error)
	assert.Equal(t, map[string]any{"key": clerktest.Key, "limit": json.Number("3"), "visitor": visitor,
		"labels": []any{"Homepage - Trending"}}, got[0].Body)

	evs := mem.Events()
	require.Len(t, evs, 1)
	assert.Equal(t, tracker.KindImpression, evs[0].Kind)
	assert.Equal(t, "recommendations/trending", evs[0].API)
	assert.Equal(t, []string{"Homepage - Trending"}, evs[0].Labels)
	assert.Equal(t, res.Products, evs[0].Products)
	assert.Empty(t, evs[0].Query, "not a search")
}

// A search's impression records its query, so that the dashboard's search
// insights count what the search showed.
func TestClientCallRecordsTheSearchQuery(t *testing.T) {
	t.Parallel()
	api := startAPI(t, clerktest.Options{})
	tr, mem := recording()
	_, err := newClient(api, nil).Call(t.Context(), tr, "search/search", map[string]any{"query": " wool ", "limit": 5}, "Search - Results")
	require.NoError(t, err)
	evs := mem.Events()
	require.Len(t, evs, 1)
	assert.Equal(t, "wool", evs[0].Query)
}

func TestClientCallDisabledSendsNullVisitor(t *testing.T) {
	t.Parallel()
	api := startAPI(t, clerktest.Options{})
	res, err := newClient(api, nil).Call(t.Context(), tracker.From(context.Background()), "search/search",
		map[string]any{"query": "wool", "limit": 5}, "Search - Results")
	require.NoError(t, err)
	assert.Equal(t, []string{"12795", "15100"}, res.Products)
	got := api.Received()
	require.Len(t, got, 1)
	v, ok := got[0].Body["visitor"]
	assert.True(t, ok, "the visitor is sent")
	assert.Nil(t, v, "as null")
}

func TestClientCallNumericIDsAndCallerArgs(t *testing.T) {
	t.Parallel()
	api := startAPI(t, clerktest.Options{NumericIDs: true})
	tr, mem := recording()
	res, err := newClient(api, nil).Call(t.Context(), tr, "recommendations/substituting",
		map[string]any{"products": []int{12793}, "visitor": "spoofed", "key": "other", "labels": []string{"x"}},
		"Product page - Similar")
	require.NoError(t, err)
	assert.Equal(t, []string{"12794", "12795"}, res.Products, "IDs answered as numbers come back as their digits")
	body := api.Received()[0].Body
	assert.Equal(t, visitor, body["visitor"], "the tracker's visitor, key and labels win over the args'")
	assert.Equal(t, clerktest.Key, body["key"])
	assert.Equal(t, []any{"Product page - Similar"}, body["labels"])
	assert.Equal(t, []string{"12794", "12795"}, mem.Events()[0].Products)
}

func TestClientCallErrors(t *testing.T) {
	t.Parallel()
	api := startAPI(t, clerktest.Options{})
	tr, mem := recording()
	cl := newClient(api, nil)

	_, err := cl.Call(t.Context(), tr, "recommendations/trending", nil)
	assert.ErrorIs(t, err, tracker.ErrNoLabels)
	_, err = cl.Call(t.Context(), tr, "../admin", nil, "L")
	assert.ErrorIs(t, err, clerk.ErrBadEndpoint)
	_, err = cl.Call(t.Context(), tr, "search/search", map[string]any{"f": func() {}}, "L")
	assert.ErrorContains(t, err, "args")
	assert.Empty(t, api.Received(), "nothing is sent for the caller's mistakes")

	api.Fail(clerktest.Failure{Type: "invalid_argument", Message: "limit too high", Times: 1})
	_, err = cl.Call(t.Context(), tr, "recommendations/trending", nil, "L")
	var ce *clerk.Error
	require.ErrorAs(t, err, &ce, "an error body with HTTP 200")
	assert.Equal(t, clerk.Error{Endpoint: "recommendations/trending", Status: 200, Type: "invalid_argument",
		Message: "limit too high"}, *ce)

	_, err = cl.Call(t.Context(), tr, "search/search", map[string]any{"limit": 3}, "L")
	require.ErrorAs(t, err, &ce, "the fake checks the shape: a search needs a query")
	assert.Equal(t, http.StatusBadRequest, ce.Status)
	assert.Contains(t, ce.Message, "query")

	_, err = cl.Call(t.Context(), tr, "recommendations/nothing", nil, "L")
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, http.StatusNotFound, ce.Status)

	api.Fail(clerktest.Failure{Status: 500, Times: 1})
	_, err = cl.Call(t.Context(), tr, "recommendations/trending", nil, "L")
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, 500, ce.Status)
	assert.Equal(t, "server_error", ce.Type)
	assert.Zero(t, mem.Len(), "nothing is recorded as shown when the call failed")

	log, buf := debugLogger()
	const wrong = "wrongpublickey00000000000000000"
	_, err = newClient(api, func(c *clerk.Config) { c.Key, c.Logger = wrong, log }).Call(t.Context(), tr,
		"recommendations/trending", nil, "L")
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, http.StatusForbidden, ce.Status)
	assert.NotContains(t, err.Error(), wrong)
	assert.NotContains(t, buf.String(), wrong)
	assert.Contains(t, buf.String(), "level=ERROR")

	_, err = clerk.NewClient(clerk.Config{}).Call(t.Context(), tr, "recommendations/trending", nil, "L")
	assert.ErrorIs(t, err, clerk.ErrNoKey, "a client without a key says so on every call")
}

func TestClientCallHonoursDeadline(t *testing.T) {
	t.Parallel()
	api := startAPI(t, clerktest.Options{})
	api.Fail(clerktest.Failure{Delay: time.Hour})
	tr, mem := recording()
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := newClient(api, nil).Call(ctx, tr, "recommendations/trending", nil, "L")
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 5*time.Second)
	assert.Zero(t, mem.Len())
	assert.False(t, strings.Contains(err.Error(), clerktest.Key))
}
