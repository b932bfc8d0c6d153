package collect

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
)

// DefaultMaxBodyBytes bounds a request's body (or a GET's query): 16 KiB,
// far more than a click, a view or a sale of a few hundred lines takes.
const DefaultMaxBodyBytes = 16 << 10

// DefaultPath is where the handler is mounted unless Config.Path says
// otherwise.
const DefaultPath = "/visitrack"

// Config configures New. The zero value logs clicks, views, category views
// and email links from the browser, accepts no sales and makes no links.
type Config struct {
	// Keys sign click links: the middleware's Keys, pairs of a hash key
	// (at least 32 bytes) and a block key, newest pair first. Links are
	// signed with the first hash key and verified with every one, so that
	// links already out (in emails, in cached pages) keep working while
	// their pair is listed; block keys are not used. Nil means no links:
	// Link returns ErrNoKeys, and a followed link records nothing.
	Keys [][]byte
	// Path is where the handler is mounted (with http.StripPrefix), such
	// as "/visitrack"; links point below it. Empty means DefaultPath.
	Path string
	// Sales accepts log/sale from the browser. Off by default: a sale
	// from the browser is whatever the page's script says it is, so a
	// shop that records sales on its server (at checkout) leaves this off,
	// and a browser's log/sale gets a 403.
	Sales bool
	// MaxBodyBytes bounds a request's body, or a GET's query; longer ones
	// get a 413. Zero means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// CrossOrigin refuses log requests from other origins (with a 403),
	// GETs as well as POSTs since both record. Nil means
	// http.NewCrossOriginProtection(): same origin only. Give one of your
	// own to trust other origins. Followed links are exempt: they are
	// signed, and arrive from emails and other sites by design.
	CrossOrigin *http.CrossOriginProtection
	// Logger receives warnings about events that could not be recorded,
	// never with their content. Nil means slog.Default().
	Logger *slog.Logger
}

// Configuration errors returned by New and Link; test with errors.Is.
var (
	// ErrKeys: a hash key of Config.Keys is shorter than 32 bytes.
	ErrKeys = errors.New("collect: bad keys")
	// ErrNoKeys: Link was called on a handler made without Keys.
	ErrNoKeys = errors.New("collect: links need Config.Keys")
	// ErrPath: Config.Path is not an absolute path without a trailing
	// slash.
	ErrPath = errors.New("collect: Config.Path must be a path such as /visitrack")
	// ErrTarget: a link's target is not a path on this site.
	ErrTarget = errors.New("collect: a link's target must be a local path such as /products/12793")
)

func (c Config) withDefaults() (Config, error) {
	if c.Path == "" {
		c.Path = DefaultPath
	}
	if !strings.HasPrefix(c.Path, "/") || strings.HasSuffix(c.Path, "/") || !localPath(c.Path) {
		return c, ErrPath
	}
	for i := 0; i < len(c.Keys); i += 2 {
		if len(c.Keys[i]) < 32 {
			return c, fmt.Errorf("%w: Keys[%d]: hash key is %d bytes, need at least 32", ErrKeys, i, len(c.Keys[i]))
		}
	}
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if c.CrossOrigin == nil {
		c.CrossOrigin = http.NewCrossOriginProtection()
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c, nil
}
