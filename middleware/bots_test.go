package middleware_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/visitrack/visitrack/consent"
	"github.com/visitrack/visitrack/middleware"
	"github.com/visitrack/visitrack/session"
	"github.com/visitrack/visitrack/tracker"
)

func TestIsBot(t *testing.T) {
	t.Parallel()
	tests := []struct {
		ua  string
		bot bool
	}{
		{"", true},
		{"Mozilla", true}, // too short to be a browser
		{"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", true},
		{"Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)", true},
		{"Mozilla/5.0 (compatible; Yahoo! Slurp; http://help.yahoo.com/help/us/ysearch/slurp)", true},
		{"facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)", true},
		{"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/140.0.0.0 Safari/537.36", true},
		{"curl/8.5.0", true},
		{"Wget/1.21.4", true},
		{"python-requests/2.32.3", true},
		{"Scrapy/2.11 (+https://scrapy.org)", true},
		{"Pingdom.com_bot_version_1.4_(http://www.pingdom.com/)", true},
		{"Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Mobile Safari/537.36 Chrome-Lighthouse", true},
		{"MOZILLA/5.0 (COMPATIBLE; GOOGLEBOT/2.1)", true},
		{browserUA, false},
		{"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15", false},
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36 Edg/140.0.0.0", false},
		{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1", false},
	}
	for _, tt := range tests {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set("User-Agent", tt.ua)
		assert.Equal(t, tt.bot, middleware.IsBot(r), "%q", tt.ua)
	}
}

// The middleware's default matcher must agree with IsBot, however often a
// User-Agent comes back.
func TestDefaultBotMatcherAgreesWithIsBot(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	h := f.m.Handler(echo)
	uas := []string{browserUA, "Googlebot/2.1 (+http://www.google.com/bot.html)", "", "curl/8.5.0",
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15"}
	for round := range 3 {
		for _, ua := range uas {
			r := newRequest("http://shop.example/")
			r.Header.Set("User-Agent", ua)
			v := parseVisit(t, body(t, serve(h, r)))
			assert.Equal(t, middleware.IsBot(r), v.ID == "", "round %d, %q", round, ua)
		}
	}
}

func TestBotsAreDisabled(t *testing.T) {
	t.Parallel()
	isTestBot := func(r *http.Request) bool { return r.Header.Get("X-Test-Bot") != "" }
	tests := []struct {
		name  string
		ua    string
		bot   string // X-Test-Bot
		isBot func(*http.Request) bool
		want  consent.State
	}{
		{name: "Googlebot", ua: "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", want: consent.Disabled},
		{name: "empty User-Agent", ua: "", want: consent.Disabled},
		{name: "curl", ua: "curl/8.5.0", want: consent.Disabled},
		{name: "browser", ua: browserUA, want: consent.Persistent},
		{name: "custom matcher: bot", ua: browserUA, bot: "1", isBot: isTestBot, want: consent.Disabled},
		{name: "custom matcher: Googlebot is no bot", ua: "Googlebot/2.1", isBot: isTestBot, want: consent.Persistent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, func(c *middleware.Config) { c.IsBot = tt.isBot })
			h := f.m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				tracker.From(r.Context()).View("12793")
				echo(w, r)
			}))
			r := newRequest("http://shop.example/")
			r.Header.Set("User-Agent", tt.ua)
			if tt.bot != "" {
				r.Header.Set("X-Test-Bot", tt.bot)
			}
			// Even a bot that chose persistent gets nothing.
			r.AddCookie(&http.Cookie{Name: "vt_consent", Value: "persistent"})
			resp := serve(h, r)
			v := parseVisit(t, body(t, resp))
			assert.Equal(t, tt.want, v.State)
			if tt.want == consent.Disabled {
				assert.Empty(t, v.ID)
				assert.Empty(t, resp.Header.Values("Set-Cookie"))
				assert.Zero(t, f.rec.Len())
			} else {
				assert.True(t, session.ValidID(v.ID))
				assert.Equal(t, 1, f.rec.Len())
			}
		})
	}
}
