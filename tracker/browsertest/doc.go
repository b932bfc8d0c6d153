// Package browsertest gives tests a real browser: a headless Chromium
// driven through github.com/chromedp/chromedp, the one the dashboard's and
// the example webshop's browser tests use.
//
//	func TestPage(t *testing.T) {
//		ctx := browsertest.New(t, chromedp.WindowSize(1280, 900))
//		require.NoError(t, chromedp.Run(ctx, chromedp.Navigate(srv.URL)))
//		...
//	}
//
// New starts Debian's chromium package (Path, /usr/bin/chromium) headless
// with --no-sandbox, --disable-gpu, --disable-background-networking,
// --disable-component-update, --disable-sync, --no-first-run and
// --no-default-browser-check, and a fresh --user-data-dir in the test's temp
// dir, so that no two tests share a profile. The browser's context ends after
// 60 seconds at most; the test's cleanup closes it and waits for the browser
// process to exit.
//
// It never skips: a machine without /usr/bin/chromium fails the test
// (t.Fatalf) and says how to install it (apt-get install -y chromium, or
// make deps).
package browsertest
