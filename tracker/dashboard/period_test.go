package dashboard_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/visitrack/visitrack/tracker/dashboard"
)

// The overview asks the store for the range, the previous period and the
// chart's buckets: these tests read what it asked, through a fake store.
func TestRangesInTheShopsTimeZone(t *testing.T) {
	t.Parallel()
	cph := copenhagen(t)
	at := func(y int, m time.Month, d, hour, min int) time.Time { return time.Date(y, m, d, hour, min, 0, 0, cph) }
	day := func(y int, m time.Month, d int) time.Time { return at(y, m, d, 0, 0) }
	mon := now(t) // Mon 31 Mar 2025 10:30 CEST, the day after the change to summer time
	tests := []struct {
		name       string
		query      string
		now        time.Time
		loc        *time.Location
		from, end  time.Time
		prevFrom   time.Time
		prevEnd    time.Time
		buckets    int
		bucket     func(i int) time.Duration // the length of bucket i, checked for each
		span       string
		wantSeries bool
	}{
		{name: "today, up to now, by hour", query: "range=today", from: day(2025, 3, 31), end: mon,
			prevFrom: day(2025, 3, 30), prevEnd: at(2025, 3, 30, 10, 30), buckets: 11,
			bucket: func(i int) time.Duration {
				if i == 10 {
					return 30 * time.Minute // 10:00 to now
				}
				return time.Hour
			}, span: "Mon 31 Mar 2025, 00:00 – 10:30"},
		{name: "yesterday, 23 hours by hour", query: "range=yesterday", from: day(2025, 3, 30), end: day(2025, 3, 31),
			prevFrom: day(2025, 3, 29), prevEnd: day(2025, 3, 30), buckets: 23,
			bucket: func(int) time.Duration { return time.Hour }, span: "Sun 30 Mar 2025"},
		{name: "last 7 days: whole days before today, one of 23 hours", query: "range=7d", from: day(2025, 3, 24), end: day(2025, 3, 31),
			prevFrom: day(2025, 3, 17), prevEnd: day(2025, 3, 24), buckets: 7,
			bucket: func(i int) time.Duration {
				if i == 6 {
					return 23 * time.Hour // Sunday 30 March
				}
				return 24 * time.Hour
			}, span: "24 Mar – 30 Mar 2025"},
		{name: "last 30 days", query: "range=30d", from: day(2025, 3, 1), end: day(2025, 3, 31),
			prevFrom: day(2025, 1, 30), prevEnd: day(2025, 3, 1), buckets: 30, span: "1 Mar – 30 Mar 2025"},
		{name: "this month, up to now, compared with as many days before", query: "range=month", from: day(2025, 3, 1), end: mon,
			prevFrom: day(2025, 1, 29), prevEnd: at(2025, 2, 28, 10, 30), buckets: 31, span: "1 Mar – 31 Mar 2025, 10:30"},
		{name: "last month", query: "range=last-month", from: day(2025, 2, 1), end: day(2025, 3, 1),
			prevFrom: day(2025, 1, 4), prevEnd: day(2025, 2, 1), buckets: 28, span: "1 Feb – 28 Feb 2025"},
		{name: "the default is the last 30 days", query: "", from: day(2025, 3, 1), end: day(2025, 3, 31),
			prevFrom: day(2025, 1, 30), prevEnd: day(2025, 3, 1), buckets: 30},
		{name: "custom: one day of 25 hours, by hour", query: "from=2025-10-26&to=2025-10-26", now: day(2025, 11, 3),
			from: day(2025, 10, 26), end: day(2025, 10, 27), prevFrom: day(2025, 10, 25), prevEnd: day(2025, 10, 26), buckets: 25,
			bucket: func(int) time.Duration { return time.Hour }, span: "Sun 26 Oct 2025"},
		{name: "custom: three days by day, one of 25 hours", query: "from=2025-10-25&to=2025-10-27", now: day(2025, 11, 3),
			from: day(2025, 10, 25), end: day(2025, 10, 28), prevFrom: day(2025, 10, 22), prevEnd: day(2025, 10, 25), buckets: 3,
			bucket: func(i int) time.Duration {
				if i == 1 {
					return 25 * time.Hour
				}
				return 24 * time.Hour
			}, span: "25 Oct – 27 Oct 2025"},
		{name: "custom: 2 days is still by hour", query: "from=2025-03-01&to=2025-03-02",
			from: day(2025, 3, 1), end: day(2025, 3, 3), prevFrom: day(2025, 2, 27), prevEnd: day(2025, 3, 1), buckets: 48},
		{name: "custom: half a year by week from the first day", query: "from=2024-09-01&to=2025-02-28",
			from: day(2024, 9, 1), end: day(2025, 3, 1), prevFrom: day(2024, 3, 4), prevEnd: day(2024, 9, 1), buckets: 26,
			span: "1 Sep 2024 – 28 Feb 2025"},
		{name: "custom: three years by month", query: "from=2022-04-01&to=2025-03-31",
			from: day(2022, 4, 1), end: mon, prevFrom: day(2019, 4, 1), prevEnd: at(2022, 3, 31, 10, 30), buckets: 36},
		{name: "custom: not begun", query: "from=2025-04-10&to=2025-04-12",
			from: day(2025, 4, 10), end: day(2025, 4, 10), prevFrom: day(2025, 4, 10), prevEnd: day(2025, 4, 10), buckets: 0,
			span: "Thu 10 Apr 2025 (not begun)"},
		{name: "UTC when no Location is given", query: "range=yesterday", loc: time.UTC,
			from: time.Date(2025, 3, 30, 0, 0, 0, 0, time.UTC), end: time.Date(2025, 3, 31, 0, 0, 0, 0, time.UTC),
			prevFrom: time.Date(2025, 3, 29, 0, 0, 0, 0, time.UTC), prevEnd: time.Date(2025, 3, 30, 0, 0, 0, 0, time.UTC), buckets: 24,
			bucket: func(int) time.Duration { return time.Hour }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := &fake{}
			cfg := dashboard.Config{Location: tt.loc}
			if !tt.now.IsZero() {
				cfg.Now = func() time.Time { return tt.now }
			}
			if tt.loc == time.UTC {
				cfg.Location = nil
				cfg.Now = func() time.Time { return mon }
				h, err := dashboard.New(dashboard.Config{Analytics: f, Store: "shop-dk", Now: cfg.Now, Authorize: allowAll})
				require.NoError(t, err)
				getOK(t, h, "/?"+tt.query)
			} else {
				page := getOK(t, newDashboard(t, f, cfg), "/?"+tt.query)
				if tt.span != "" {
					contains(t, page, `<p class="span">`+tt.span)
				}
			}
			var got [][2]string
			for _, r := range f.ranges {
				got = append(got, [2]string{r[0].In(cph).Format(time.RFC3339), r[1].In(cph).Format(time.RFC3339)})
			}
			f3339 := func(t time.Time) string { return t.In(cph).Format(time.RFC3339) }
			assert.ElementsMatch(t, [][2]string{{f3339(tt.from), f3339(tt.end)}, {f3339(tt.prevFrom), f3339(tt.prevEnd)}}, got,
				"the range and the previous period")
			assert.Equal(t, []string{"shop-dk", "shop-dk"}, f.stores)
			if tt.buckets == 0 {
				assert.Empty(t, f.bounds, "no chart for a range not begun")
				return
			}
			require.Len(t, f.bounds, 1)
			b := f.bounds[0]
			require.Len(t, b, tt.buckets+1)
			assert.True(t, b[0].Equal(tt.from), "first bound %v", b[0])
			assert.True(t, b[len(b)-1].Equal(tt.end), "last bound %v", b[len(b)-1])
			for i := range tt.buckets {
				if tt.bucket != nil {
					assert.Equal(t, tt.bucket(i), b[i+1].Sub(b[i]), "bucket %d from %v", i, b[i])
				}
				assert.True(t, b[i].Before(b[i+1]))
			}
		})
	}
}

func TestBadRangesAre400(t *testing.T) {
	t.Parallel()
	h := newDashboard(t, &fake{}, dashboard.Config{})
	for query, why := range map[string]string{
		"range=forever":                   `no range is called &#34;forever&#34;`,
		"from=2025-13-01&to=2025-12-31":   `the first day &#34;2025-13-01&#34; is not a date`,
		"from=2025-03-01":                 `the last day &#34;&#34; is not a date`,
		"from=2025-03-10&to=2025-03-01":   `the last day (2025-03-01) is before the first (2025-03-10)`,
		"from=2020-01-01&to=2025-01-01":   `1828 days is more than the 1098 a range may have`,
		"range=custom&from=x&to=2025-1-1": `the first day &#34;x&#34; is not a date`,
	} {
		for _, path := range []string{"/", "/labels", "/searches", "/summary.csv"} {
			res, page := get(t, h, path+"?"+query)
			assert.Equal(t, http.StatusBadRequest, res.StatusCode, query)
			contains(t, page, why, query)
		}
	}
}

func TestDefaultRange(t *testing.T) {
	t.Parallel()
	f := &fake{}
	_, page := get(t, newDashboard(t, f, dashboard.Config{DefaultRange: "yesterday"}), "/")
	contains(t, page, `<p class="span">Sun 30 Mar 2025, compared with Sat 29 Mar 2025</p>`)
	contains(t, page, `<a href="./?range=yesterday" aria-current="true">Yesterday</a>`)

	_, err := dashboard.New(dashboard.Config{Analytics: f, Store: "shop-dk", DefaultRange: "week"})
	assert.ErrorIs(t, err, dashboard.ErrDefaultRange)
	_, err = dashboard.New(dashboard.Config{Store: "shop-dk"})
	assert.ErrorIs(t, err, dashboard.ErrNoAnalytics)
	_, err = dashboard.New(dashboard.Config{Analytics: f})
	assert.ErrorIs(t, err, dashboard.ErrNoStore)
}
