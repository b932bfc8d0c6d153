package clerktest_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/visitrack/visitrack/tracker/clerk/clerktest"
)

const key = `"key":"` + clerktest.Key + `"`

type answer struct {
	Status  string `json:"status"`
	Type    string `json:"type"`
	Message string `json:"message"`
	Result  []any  `json:"result"`
	Count   int    `json:"count"`
}

func post(t *testing.T, c *http.Client, base, endpoint, body string) (int, answer, http.Header) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, base+"/"+endpoint, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	return do(t, c, req)
}

func do(t *testing.T, c *http.Client, req *http.Request) (int, answer, http.Header) {
	t.Helper()
	resp, err := c.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var a answer
	require.NoError(t, json.Unmarshal(b, &a), string(b))
	return resp.StatusCode, a, resp.Header
}

// Every request is checked against the documented shapes.
func TestShapes(t *testing.T) {
	t.Parallel()
	api := clerktest.New()
	defer api.Close()
	tests := []struct {
		endpoint, body string
		status         int
		message        string // part of Clerk's message when refused
	}{
		{"log/click", `{` + key + `,"visitor":"abc123","product":"12793","api":"recommendations/trending","labels":["Home"],"n":0,"external":false}`, 200, ""},
		{"log/click", `{` + key + `,"visitor":"abc123","product":12793}`, 200, ""},
		{"log/click", `{` + key + `,"product":"12793"}`, 400, "visitor: required"},
		{"log/click", `{` + key + `,"visitor":"abc-123","product":"1"}`, 400, "visitor: must be an alphanumeric"},
		{"log/click", `{` + key + `,"visitor":"abc","product":12.5}`, 400, "product: must be"},
		{"log/click", `{` + key + `,"visitor":"abc","product":"1","labels":"Home"}`, 400, "labels: must be a non-empty list"},
		{"log/click", `{` + key + `,"visitor":"abc","product":"1","labels":[]}`, 400, "labels"},
		{"log/click", `{` + key + `,"visitor":"abc","product":"1","n":-1}`, 400, "n: must be a non-negative integer"},
		{"log/click", `{` + key + `,"visitor":"abc","product":"1","position":1}`, 400, "position: not an argument"},
		{"log/click", `{"visitor":"abc","product":"1"}`, 400, "key is required"},
		{"log/click", `{"key":"nope","visitor":"abc","product":"1"}`, 403, `invalid public key "nope"`},
		{"log/click", `{` + key + `,"private_key":"` + clerktest.PrivateKey + `","visitor":"abc","product":"1"}`, 400, "private_key is not an argument"},
		{"log/product", `{` + key + `,"visitor":"abc","product":"1"}`, 200, ""},
		{"log/category", `{` + key + `,"visitor":"abc","category":""}`, 400, "category"},
		{"log/email", `{` + key + `,"visitor":"abc","email":"ada@example.com"}`, 200, ""},
		{"log/email", `{` + key + `,"visitor":"abc","email":"ada"}`, 400, "email: must be an email address"},
		{"log/sale", `{` + key + `,"sale":567,"products":[{"id":1,"price":9.5,"quantity":2}],"customer":null,"visitor":null}`, 200, ""},
		{"log/sale", `{` + key + `,"sale":567,"products":[{"id":1,"price":9.5,"quantity":2}],"visitor":null}`, 200, ""},
		{"log/sale", `{` + key + `,"sale":"567","products":[{"id":"1","price":9.5}]}`, 400, "[0].quantity"},
		{"log/sale", `{` + key + `,"sale":"567","products":[{"id":"1","price":-1,"quantity":1}]}`, 400, "[0].price"},
		{"log/sale", `{` + key + `,"sale":"567","products":[{"id":"1","price":1,"quantity":1,"name":"x"}]}`, 400, "[0].name"},
		{"log/sale", `{` + key + `,"sale":"567","products":[{"id":"1","price":1,"quantity":1}],"time":1700000000}`, 400, "time requires private_key"},
		{"log/sale", `{` + key + `,"private_key":"` + clerktest.PrivateKey + `","sale":"567","products":[{"id":"1","price":1,"quantity":1}],"time":1700000000}`, 200, ""},
		{"log/sale", `{` + key + `,"private_key":"nope","sale":"567","products":[{"id":"1","price":1,"quantity":1}]}`, 403, "invalid private key"},
		{"recommendations/trending", `{` + key + `,"visitor":null,"labels":["Home"]}`, 200, ""},
		{"recommendations/trending", `{` + key + `,"visitor":"abc"}`, 400, "labels: required"},
		{"search/search", `{` + key + `,"visitor":"abc","labels":["S"]}`, 400, "query: required"},
		{"log/nothing", `{` + key + `}`, 404, "no endpoint"},
		{"log/click", `[1]`, 400, "JSON object"},
		{"log/click", `{` + key + `,"visitor":"abc","product":"1"} {}`, 400, "one JSON object"},
	}
	for _, tt := range tests {
		status, a, _ := post(t, http.DefaultClient, api.URL, tt.endpoint, tt.body)
		assert.Equal(t, tt.status, status, "%s %s: %s", tt.endpoint, tt.body, a.Message)
		if tt.status == 200 {
			assert.Equal(t, "ok", a.Status)
		} else {
			assert.Equal(t, "error", a.Status)
			assert.NotEmpty(t, a.Type)
			assert.Contains(t, a.Message, tt.message, "%s %s", tt.endpoint, tt.body)
		}
	}
	got := api.Received()
	require.Len(t, got, len(tests))
	for i, r := range got {
		assert.Equal(t, tests[i].status == 200, r.Accepted, "%d", i)
	}
	assert.Len(t, api.Accepted("log/click"), 2)
}

func TestMethodsAndContentTypes(t *testing.T) {
	t.Parallel()
	api := clerktest.New()
	defer api.Close()
	q := url.Values{"key": {clerktest.Key}, "visitor": {"abc"}, "product": {"12793"}, "labels": {`["Home","Top"]`}, "n": {"2"}}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, api.URL+"/log/click?"+q.Encode(), nil)
	require.NoError(t, err)
	status, a, _ := do(t, http.DefaultClient, req)
	assert.Equal(t, 200, status, a.Message)
	got := api.Received()[0].Body
	assert.Equal(t, []any{"Home", "Top"}, got["labels"], "lists come JSON-encoded in a query")
	assert.Equal(t, json.Number("2"), got["n"])

	req, err = http.NewRequestWithContext(t.Context(), http.MethodPost, api.URL+"/log/click", strings.NewReader(q.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	status, _, _ = do(t, http.DefaultClient, req)
	assert.Equal(t, http.StatusUnsupportedMediaType, status)

	req, err = http.NewRequestWithContext(t.Context(), http.MethodPut, api.URL+"/log/click", nil)
	require.NoError(t, err)
	status, _, _ = do(t, http.DefaultClient, req)
	assert.Equal(t, http.StatusMethodNotAllowed, status)
}

func TestRecommendationsAndSearch(t *testing.T) {
	t.Parallel()
	api := clerktest.NewServer(clerktest.Options{NumericIDs: true})
	defer api.Close()
	_, a, _ := post(t, http.DefaultClient, api.URL, "recommendations/trending", `{`+key+`,"visitor":"abc","labels":["H"],"limit":2,"offset":1}`)
	assert.Equal(t, []any{13001.0, 12794.0}, a.Result, "by popularity, paged; numbers as the feed gives them")
	assert.Equal(t, 8, a.Count)
	_, a, _ = post(t, http.DefaultClient, api.URL, "recommendations/substituting", `{`+key+`,"visitor":"abc","labels":["P"],"products":["13001"]}`)
	assert.Equal(t, []any{13002.0}, a.Result, "the same category, without the product asked about")
	_, a, _ = post(t, http.DefaultClient, api.URL, "recommendations/complementary", `{`+key+`,"visitor":"abc","labels":["P"],"products":[99]}`)
	assert.Empty(t, a.Result, "an unknown product has no relations")
	_, a, _ = post(t, http.DefaultClient, api.URL, "search/predictive", `{`+key+`,"visitor":null,"labels":["S"],"query":"WARM"}`)
	assert.Equal(t, []any{12795.0, 13002.0}, a.Result)
}

func TestFailures(t *testing.T) {
	t.Parallel()
	api := clerktest.New()
	defer api.Close()
	click := `{` + key + `,"visitor":"abc","product":"1"}`

	api.Fail(clerktest.Failure{Endpoint: "log/", Status: 429, RetryAfter: "3", Times: 1})
	status, a, h := post(t, http.DefaultClient, api.URL, "log/click", click)
	assert.Equal(t, 429, status)
	assert.Equal(t, "3", h.Get("Retry-After"))
	assert.Equal(t, "rate_limited", a.Type)
	status, _, _ = post(t, http.DefaultClient, api.URL, "log/click", click)
	assert.Equal(t, 200, status, "Times: 1")

	stop := api.Fail(clerktest.Failure{Endpoint: "log/sale", Type: "invalid_argument", Message: "no"})
	status, a, _ = post(t, http.DefaultClient, api.URL, "log/click", click)
	assert.Equal(t, 200, status, "another endpoint")
	status, a, _ = post(t, http.DefaultClient, api.URL, "log/sale", `{}`)
	assert.Equal(t, 200, status, "an error body with HTTP 200")
	assert.Equal(t, answer{Status: "error", Type: "invalid_argument", Message: "no"}, a)
	stop()

	api.Fail(clerktest.Failure{Drop: true, Times: 1})
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, api.URL+"/log/click", strings.NewReader(click))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	_, err = http.DefaultClient.Do(req)
	assert.Error(t, err, "the connection is dropped")

	api.Fail(clerktest.Failure{Delay: 100 * time.Millisecond, Times: 1})
	start := time.Now()
	status, _, _ = post(t, http.DefaultClient, api.URL, "log/click", click)
	assert.Equal(t, 200, status, "slow, then normal")
	assert.GreaterOrEqual(t, time.Since(start), 100*time.Millisecond)

	api.Fail(clerktest.Failure{Delay: time.Hour})
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	req, err = http.NewRequestWithContext(ctx, http.MethodPost, api.URL+"/log/click", strings.NewReader(click))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	_, err = http.DefaultClient.Do(req)
	assert.ErrorIs(t, err, context.DeadlineExceeded, "a hang")
	api.Heal()
	status, _, _ = post(t, http.DefaultClient, api.URL, "log/click", click)
	assert.Equal(t, 200, status)
	opened, maxOpen := api.Conns()
	assert.Positive(t, opened)
	assert.Positive(t, maxOpen)
}

func TestTransportAnswersInProcess(t *testing.T) {
	t.Parallel()
	api := clerktest.NewServer(clerktest.Options{InProcess: true})
	defer api.Close()
	c := &http.Client{Transport: api.Transport()}
	status, a, _ := post(t, c, api.URL, "log/click", `{`+key+`,"visitor":"abc","product":"1"}`)
	assert.Equal(t, 200, status)
	assert.Equal(t, "ok", a.Status)
	api.Fail(clerktest.Failure{Drop: true})
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, api.URL+"/log/click", strings.NewReader(`{}`))
	require.NoError(t, err)
	_, err = c.Do(req)
	assert.Error(t, err)
	assert.Len(t, api.Received(), 2)
}
