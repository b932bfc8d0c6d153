package dashboard

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/visitrack/visitrack/tracker"
)

// DefaultRows bounds the rows of the product and search tables unless
// Config.Rows says otherwise.
const DefaultRows = 100

// Config configures New. Analytics and Store are required; every other
// field has a default, given with it. The zero value of Authorize refuses
// every request: a dashboard shows revenue, so it is closed until the shop
// says who may see it.
type Config struct {
	// Analytics answers every figure: a *sqlite.Store or *postgres.Store,
	// or any other tracker.Analytics. Required.
	Analytics tracker.Analytics
	// Store is the store whose figures are shown, the middleware's
	// Config.Store, such as "shop-dk". Required.
	Store string
	// Authorize decides, before anything else, whether r may use the
	// dashboard, and returns true to let it. Returning false, it may
	// answer r itself: a 401 challenge (as BasicAuth does), a redirect to
	// the shop's sign-in page; if it wrote nothing, the dashboard answers
	// 403 Forbidden. Nil refuses every request with a 403 page that says
	// how to give access.
	Authorize func(w http.ResponseWriter, r *http.Request) bool
	// Location is the shop's time zone: where its days begin, for the
	// ranges, the previous periods and the charts' buckets. Nil means UTC.
	Location *time.Location
	// Title heads every page. Empty means "visitrack · " and Store.
	Title string
	// Currency is shown beside amounts on the pages, such as "DKK", and
	// given as "currency" in JSON exports; amounts are never converted.
	// Empty shows none.
	Currency string
	// DefaultRange is the range shown when a URL names none: "today",
	// "yesterday", "7d", "30d", "month" or "last-month". Empty means "30d".
	DefaultRange string
	// Rows bounds the rows of a label's products and of each search table,
	// on the page and in its export. Zero means DefaultRows (100).
	Rows int
	// Now is the clock the ranges are read from. Nil means time.Now.
	Now func() time.Time
	// Logger receives the errors stores return, with the page asked for;
	// never figures or visitor data. Nil means slog.Default().
	Logger *slog.Logger
}

// Configuration errors returned by New; test with errors.Is.
var (
	// ErrNoAnalytics: Config.Analytics is nil.
	ErrNoAnalytics = errors.New("dashboard: Config.Analytics is required")
	// ErrNoStore: Config.Store is empty.
	ErrNoStore = errors.New("dashboard: Config.Store is required")
	// ErrDefaultRange: Config.DefaultRange names no preset.
	ErrDefaultRange = errors.New("dashboard: Config.DefaultRange must be a preset")
)

func (c Config) withDefaults() (Config, error) {
	if c.Analytics == nil {
		return c, ErrNoAnalytics
	}
	if c.Store == "" {
		return c, ErrNoStore
	}
	if c.Location == nil {
		c.Location = time.UTC
	}
	if c.Title == "" {
		c.Title = "visitrack · " + c.Store
	}
	if c.DefaultRange == "" {
		c.DefaultRange = range30d
	}
	if !isPreset(c.DefaultRange) {
		return c, fmt.Errorf("%w: %q (want one of today, yesterday, 7d, 30d, month, last-month)", ErrDefaultRange, c.DefaultRange)
	}
	if c.Rows <= 0 {
		c.Rows = DefaultRows
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c, nil
}
