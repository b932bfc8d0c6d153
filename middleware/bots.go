package middleware

import (
	"hash/maphash"
	"net/http"
	"strings"
	"sync/atomic"
)

// botTokens are User-Agent fragments, in lower case, of crawlers, link
// previewers, monitors, headless browsers and scripted clients.
var botTokens = [...]string{
	"bot", "crawl", "spider", "slurp", "scrapy", "headless", "lighthouse",
	"facebookexternalhit", "preview", "python-", "wget", "curl/", "phantomjs",
	"pingdom", "uptime", "monitor", "archiver", "feedfetcher", "mediapartners",
}

// IsBot is the default bot matcher: it reports requests with no User-Agent,
// or with one that contains a fragment typical of crawlers, link previewers,
// uptime monitors, headless browsers and scripted clients (case-insensitive).
// Bots get consent.Disabled: no ID, no cookie, no events.
func IsBot(r *http.Request) bool { return isBotUA(r.Header.Get("User-Agent")) }

func isBotUA(ua string) bool {
	if len(ua) < 8 {
		return true
	}
	for i := 0; i < len(ua); i++ {
		switch lower(ua[i]) {
		case 'b', 'c', 's', 'h', 'l', 'f', 'p', 'w', 'u', 'm', 'a':
		default:
			continue
		}
		rest := ua[i:]
		for _, tok := range botTokens {
			if len(rest) >= len(tok) && lower(rest[0]) == tok[0] && equalFoldASCII(rest[:len(tok)], tok) {
				return true
			}
		}
	}
	return false
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// equalFoldASCII compares s with the lower-case ASCII t, ignoring case.
func equalFoldASCII(s, t string) bool {
	for i := 0; i < len(t); i++ {
		if lower(s[i]) != t[i] {
			return false
		}
	}
	return true
}

// botCache remembers IsBot's verdict for recently seen User-Agents. A shop's
// traffic comes from a few hundred distinct User-Agents, so nearly every
// request is answered by one hash and one string comparison instead of a
// scan. It is direct-mapped and lock-free: a collision just recomputes.
type botCache struct {
	seed  maphash.Seed
	slots [1024]atomic.Pointer[botVerdict]
}

type botVerdict struct {
	ua  string
	bot bool
}

func newBotCache() *botCache { return &botCache{seed: maphash.MakeSeed()} }

func (c *botCache) isBot(r *http.Request) bool {
	ua := r.Header.Get("User-Agent")
	if len(ua) > 512 {
		return isBotUA(ua)
	}
	slot := &c.slots[maphash.String(c.seed, ua)%uint64(len(c.slots))]
	if v := slot.Load(); v != nil && v.ua == ua {
		return v.bot
	}
	bot := isBotUA(ua)
	slot.Store(&botVerdict{ua: strings.Clone(ua), bot: bot})
	return bot
}
