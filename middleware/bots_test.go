package middleware_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/visitrack/visitrack/middleware"
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
