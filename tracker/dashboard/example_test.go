package dashboard_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"time"

	"github.com/visitrack/visitrack/consent"
	"github.com/visitrack/visitrack/tracker"
	"github.com/visitrack/visitrack/tracker/dashboard"
	"github.com/visitrack/visitrack/tracker/sqlite"
)

// Example mounts the dashboard under /admin/dashboard/ of a shop's mux,
// behind a password, on the embedded SQLite store.
func Example() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "visitrack-example-")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	db, err := sqlite.Open(ctx, filepath.Join(dir, "visitrack.db"))
	if err != nil {
		panic(err)
	}
	defer db.Close()

	copenhagen, err := time.LoadLocation("Europe/Copenhagen")
	if err != nil {
		panic(err)
	}
	dash, err := dashboard.New(dashboard.Config{
		Analytics: db,
		Store:     "shop-dk",
		Location:  copenhagen,
		Currency:  "DKK",
		// In a real shop: os.Getenv("DASHBOARD_PASSWORD"), over HTTPS.
		Authorize: dashboard.BasicAuth("owner", "correct horse battery staple"),
	})
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/admin/dashboard/", http.StripPrefix("/admin/dashboard", dash))

	// Yesterday, a visitor was shown two products, clicked one and bought it.
	yesterday := time.Now().Add(-24 * time.Hour)
	mem := tracker.NewMemory()
	t := tracker.New(tracker.Options{Store: "shop-dk", Visitor: "cv0123456789abcdefgh", Consent: consent.Cookieless,
		Recorder: mem, Now: func() time.Time { return yesterday }})
	call, _ := t.Call("recommendations/trending", "Homepage - Trending")
	call.Shown("12793", "8812")
	t.Click(tracker.Click{Product: "12793", Position: 1})
	t.Sale(tracker.Sale{ID: "567", Products: []tracker.Line{{ID: "12793", Price: 99.95, Quantity: 2}}})
	if err := db.Write(ctx, mem.Events()); err != nil {
		panic(err)
	}

	srv := httptest.NewServer(mux)
	defer srv.Close()
	res, err := http.Get(srv.URL + "/admin/dashboard/")
	if err != nil {
		panic(err)
	}
	res.Body.Close()
	fmt.Println(res.StatusCode, res.Header.Get("WWW-Authenticate"))

	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/admin/dashboard/labels.csv?range=7d", nil)
	req.SetBasicAuth("owner", "correct horse battery staple")
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	fmt.Println(res.StatusCode)
	fmt.Print(string(body))
	// Output:
	// 401 Basic realm="visitrack dashboard", charset="UTF-8"
	// 200
	// label,calls,impressions,clicks,ctr,orders,revenue,revenue_per_1000_impressions
	// Homepage - Trending,1,2,1,0.5,1,199.90,99950.00
}
