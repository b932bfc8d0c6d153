package dashboard_test

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/visitrack/visitrack/tracker/browsertest"
	"github.com/visitrack/visitrack/tracker/dashboard"
)

// overflowJS lists the elements that stick out of the viewport on the
// right, but for those inside a table's scrolling container; it ends with
// the page's own width beyond the viewport's.
const overflowJS = `(() => {
	const vw = document.documentElement.clientWidth;
	const out = [];
	for (const el of document.querySelectorAll('body *')) {
		const r = el.getBoundingClientRect();
		if (r.width === 0 || r.right <= vw + 0.5) continue;
		if (el.parentElement && el.parentElement.closest('.scroll')) continue;
		out.push(el.tagName.toLowerCase() + (el.className && typeof el.className === 'string' ? '.' + el.className : '') + ' ' + Math.round(r.right));
	}
	out.push('page ' + (document.documentElement.scrollWidth - vw));
	return out;
})()`

// chartsJS describes the charts as drawn: their size, their bars, and
// the colour the style sheet gave the bars (which it does only if the
// Content-Security-Policy let the inline style sheet in).
const chartsJS = `Array.from(document.querySelectorAll('svg.chart')).map(svg => {
	const r = svg.getBoundingClientRect();
	const bars = svg.querySelectorAll('rect.bar');
	return {width: r.width, height: r.height, bars: bars.length,
		fill: bars.length ? getComputedStyle(bars[0]).fill : '',
		title: svg.querySelector('title').textContent};
})`

type drawnChart struct {
	Width, Height float64
	Bars          int
	Fill, Title   string
}

// TestBrowserPhone loads the overview and a label's page in Chromium at
// the width of a phone, signed in with Basic authentication: nothing but
// the tables' containers is wider than the screen, and the charts are
// drawn, styled, at the screen's width.
func TestBrowserPhone(t *testing.T) {
	t.Parallel()
	s := newFilledShop(t)
	h := newDashboard(t, s.db, dashboard.Config{Currency: "DKK", Authorize: dashboard.BasicAuth("owner", "pw")})
	mux := http.NewServeMux()
	mux.Handle("/admin/dashboard/", http.StripPrefix("/admin/dashboard", h))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	ctx := browsertest.New(t)
	auth := "Basic " + base64.StdEncoding.EncodeToString([]byte("owner:pw"))
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			if _, err := cdp.Call(ctx, t, network.Enable, network.EnableParams{}); err != nil {
				return err
			}
			_, err := cdp.Call(ctx, t, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: network.Headers{"Authorization": auth}})
			return err
		}),
		chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile),
	))

	for _, page := range []struct {
		name, path string
		charts     int
	}{
		{"overview", "/admin/dashboard/?range=yesterday", 3},
		{"labels", "/admin/dashboard/labels?range=7d", 0},
		{"label", "/admin/dashboard/label?range=yesterday&name=" + urlEscape("Homepage - Trending"), 4},
		{"searches", "/admin/dashboard/searches?range=yesterday", 0},
	} {
		resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(srv.URL+page.path))
		require.NoError(t, err, page.path)
		require.Equal(t, int64(http.StatusOK), resp.Status, page.path)

		width, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`document.documentElement.clientWidth`))
		require.NoError(t, err)
		assert.Equal(t, 390.0, width, "the phone's viewport")
		over, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](overflowJS))
		require.NoError(t, err)
		assert.Equal(t, []string{"page 0"}, over, "%s: elements wider than the phone", page.path)

		charts, err := chromedp.Run(ctx, chromedp.Evaluate[[]drawnChart](chartsJS))
		require.NoError(t, err)
		require.Len(t, charts, page.charts, page.path)
		for _, c := range charts {
			assert.InDelta(t, 345, c.Width, 25, "%s: %q spans the phone's width", page.path, c.Title)
			assert.Greater(t, c.Height, 150.0, c.Title)
			assert.Positive(t, c.Bars, c.Title)
			assert.Equal(t, "rgb(47, 95, 167)", c.Fill, "%s: %q is styled", page.path, c.Title)
		}
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		require.NoError(t, err)
		// Kept by "go test -artifacts", for a person to look at.
		file := filepath.Join(t.ArtifactDir(), "phone-"+page.name+".png")
		require.NoError(t, os.WriteFile(file, png, 0o600))
	}

	// The hourly chart of the 23-hour day has 23 bars.
	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(srv.URL+"/admin/dashboard/?range=yesterday"))
	require.NoError(t, err)
	require.Equal(t, int64(http.StatusOK), resp.Status)
	charts, err := chromedp.Run(ctx, chromedp.Evaluate[[]drawnChart](chartsJS))
	require.NoError(t, err)
	require.NotEmpty(t, charts)
	assert.Equal(t, 23, charts[0].Bars)
	assert.Equal(t, "Orders per hour", charts[0].Title)

	// A table wider than the phone scrolls inside its container.
	scroll, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`(() => {
		const s = document.querySelector('.scroll:has(#labels)');
		return [s.scrollWidth, s.clientWidth, getComputedStyle(s).overflowX === 'auto' ? 1 : 0];
	})()`))
	require.NoError(t, err)
	assert.Greater(t, scroll[0], scroll[1], "the table of labels is wider than the phone")
	assert.Equal(t, 1.0, scroll[2])
}
