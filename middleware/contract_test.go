package middleware_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/visitrack/visitrack/consent"
	"github.com/visitrack/visitrack/middleware"
	"github.com/visitrack/visitrack/tracker"
	"github.com/visitrack/visitrack/tracker/sqlite"
)

// TestDesignContract runs the public API exactly as the design document
// shows it, end to end: SQLite store, queue, middleware on a chi router, a
// labelled call, a click, a sale, views, consent, and the store's answers.
func TestDesignContract(t *testing.T) {
	ctx := context.Background()
	hashKey, blockKey := make([]byte, 64), make([]byte, 32)
	for i := range hashKey {
		hashKey[i] = byte(i)
	}

	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "visitrack.db"))
	require.NoError(t, err)
	defer db.Close()
	q := tracker.NewQueue(db, tracker.QueueConfig{})
	defer q.Close(ctx)

	m, err := middleware.New(middleware.Config{
		Keys:     [][]byte{hashKey, blockKey},
		Store:    "shop-dk",
		Consent:  nil,
		Recorder: q,
	})
	require.NoError(t, err)
	router := chi.NewRouter()
	router.Use(m.Handler)

	var visitor string
	var params map[string]any
	router.Get("/", func(w http.ResponseWriter, r *http.Request) {
		t := tracker.From(r.Context())
		visitor = t.Visitor()
		call, err := t.Call("recommendations/trending", "Homepage - Trending")
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		params = call.Params()
		call.Shown("12793", "8812")
		t.Click(tracker.Click{Product: "12793", API: "recommendations/trending",
			Labels: []string{"Homepage - Trending"}, Position: 3})
		t.Sale(tracker.Sale{ID: "567", Customer: "1234", Email: "a@example.com",
			Products: []tracker.Line{{ID: "12793", Price: 99.95, Quantity: 2}}})
		t.View("12793")
		t.Category("shoes")
		t.Search("red shoes")
		t.Email("a@example.com")
		middleware.SetConsent(w, r, consent.Persistent)
	})
	from := time.Now().Add(-time.Hour)
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0")
	rec := httptest.NewRecorder()
	router.ServeHTTP(rec, req)
	require.Equal(t, http.StatusOK, rec.Code)
	require.NotEmpty(t, visitor)
	assert.Equal(t, map[string]any{"visitor": visitor, "labels": []string{"Homepage - Trending"}}, params)
	require.NoError(t, q.Flush(ctx))
	to := time.Now().Add(time.Hour)

	rep, err := db.Report(ctx, "shop-dk", from, to)
	require.NoError(t, err)
	assert.Equal(t, 1, rep.Orders)
	assert.Equal(t, 1, rep.ImpactedOrders)
	assert.InDelta(t, 199.90, rep.ImpactedRevenue, 1e-9)
	hist, err := db.History(ctx, "shop-dk", visitor, 10)
	require.NoError(t, err)
	assert.NotEmpty(t, hist)
	ids, err := db.Visitors(ctx, "shop-dk", "a@example.com")
	require.NoError(t, err)
	assert.Equal(t, []string{visitor}, ids)
	err = db.Forget(ctx, "shop-dk", "a@example.com")
	require.NoError(t, err)
	ids, err = db.Visitors(ctx, "shop-dk", "a@example.com")
	require.NoError(t, err)
	assert.Empty(t, ids)
	n, err := db.Purge(ctx, to)
	require.NoError(t, err)
	assert.Positive(t, n)
}
