package clerk

import (
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"
)

// Defaults of Config, each taken by the field named after it.
const (
	// DefaultURL is Clerk.io's API v2.
	DefaultURL = "https://api.clerk.io/v2"
	// DefaultTimeout bounds one request to the API, answer included.
	DefaultTimeout = 10 * time.Second
	// DefaultMaxConcurrency is how many requests a Sink or a Client has in
	// flight at once: about 12,800 events a second when Clerk answers in
	// 20 ms. Over HTTPS, where Clerk speaks HTTP/2, they share a few
	// connections (MaxConns bounds them).
	DefaultMaxConcurrency = 256
	// DefaultAckMemory is how many acknowledged event IDs a Sink remembers.
	DefaultAckMemory = 100_000
)

// Config configures NewSink and NewClient. Key is required; every other
// field has a default.
type Config struct {
	// Key is the store's public API key, sent as "key" in every request's
	// body. It never appears in a URL, a log line or an error.
	Key string
	// PrivateKey is the store's private API key; empty means none. It is
	// sent only to the endpoint that needs it, in the body: with it, a
	// Sink sends each sale's own time to log/sale ("time", Unix seconds,
	// which Clerk accepts only with the private key), so that a sale
	// delivered late, after an outage, is dated when it happened rather
	// than when it arrived. A Client never sends it.
	PrivateKey string
	// URL is the API's base URL; empty means DefaultURL. Endpoints such as
	// "log/click" are appended to it. Use clerktest.Server's URL in tests.
	URL string

	// NumericIDs sends product IDs made of digits as JSON numbers (12793)
	// rather than strings ("12793"): set it when the shop's product feed
	// to Clerk gives IDs as numbers, since Clerk matches IDs in the type
	// the feed uses. Other IDs always go out as strings.
	NumericIDs bool

	// Timeout bounds one request, from connecting to reading the answer;
	// zero means DefaultTimeout. A Client's caller may end a call sooner
	// through its context.
	Timeout time.Duration
	// MaxConcurrency bounds the requests a Sink (or a Client) has in flight
	// at once; zero means DefaultMaxConcurrency. A Sink sends a batch as
	// parallel requests up to this bound, which is shared by every Write
	// in flight: at an answer time of L, a Sink forwards at most about
	// MaxConcurrency/L events a second.
	MaxConcurrency int
	// MaxConns bounds the connections to the API's host; zero means
	// MaxConcurrency. Over HTTP/1.1 a request needs a connection of its
	// own; over HTTPS, where Clerk speaks HTTP/2, requests share one, and
	// Go's HTTP/2 client may open a few more than MaxConns while its
	// first connections are being set up (golang/go#27753).
	MaxConns int
	// AckMemory is how many IDs of events Clerk acknowledged a Sink
	// remembers at least (at most twice as many), so that a batch written
	// again after a partial failure re-sends only what failed; zero means
	// DefaultAckMemory, negative none. An ID takes about 35 bytes: at most
	// 7 MiB by default.
	AckMemory int

	// TLSConfig configures TLS for the default Transport: nil means Go's
	// defaults, which trust the system's roots. Set it to trust a proxy's
	// or a test server's certificate (clerktest.Server's TLSConfig).
	TLSConfig *tls.Config
	// Transport makes the requests; nil means an http.Transport bounded
	// by MaxConns, speaking HTTP/1.1 and HTTP/2 (over TLS, as Clerk does).
	// Tests may use clerktest.Server's Transport, which answers in
	// process.
	Transport http.RoundTripper
	// Logger receives warnings about failed requests (by endpoint and
	// HTTP status, never with a key or an event's content) and, once, an
	// error when Clerk refuses the key. Nil means slog.Default().
	Logger *slog.Logger
	// Now returns the current time, which a Retry-After date is measured
	// from; nil means time.Now.
	Now func() time.Time
}

// Configuration errors, returned by NewSink and by a Client's calls; test
// with errors.Is.
var (
	// ErrNoKey: Config.Key is empty.
	ErrNoKey = errors.New("clerk: Config.Key (the public API key) is required")
	// ErrBadKey: a key holds white space or control characters.
	ErrBadKey = errors.New("clerk: a key must not hold spaces or control characters")
	// ErrBadURL: Config.URL is not an absolute http or https URL without
	// query or credentials.
	ErrBadURL = errors.New("clerk: Config.URL must be an absolute http(s) URL without query, fragment or credentials")
)

// settings is a Config with its defaults applied and checked.
type settings struct {
	Config
	base string // URL without its trailing slash
}

func (c Config) settings() (settings, error) {
	if c.Key == "" {
		return settings{}, ErrNoKey
	}
	if badKey(c.Key) || badKey(c.PrivateKey) {
		return settings{}, ErrBadKey
	}
	if c.URL == "" {
		c.URL = DefaultURL
	}
	u, err := url.Parse(c.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return settings{}, ErrBadURL // the URL is not repeated: it might hold a secret
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.MaxConcurrency <= 0 {
		c.MaxConcurrency = DefaultMaxConcurrency
	}
	if c.MaxConns <= 0 {
		c.MaxConns = c.MaxConcurrency
	}
	if c.AckMemory == 0 {
		c.AckMemory = DefaultAckMemory
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return settings{Config: c, base: strings.TrimRight(c.URL, "/")}, nil
}

func badKey(k string) bool {
	return strings.IndexFunc(k, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0
}

// httpClient returns the one client a Sink or Client uses: timeouts on
// every step, connections bounded, redirects not followed (a redirect means
// a wrong URL, and following one could carry the body, key included,
// elsewhere).
func (s settings) httpClient() *http.Client {
	rt := s.Transport
	if rt == nil {
		tr := &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			TLSClientConfig:       s.TLSConfig,
			TLSHandshakeTimeout:   5 * time.Second,
			ResponseHeaderTimeout: s.Timeout,
			IdleConnTimeout:       90 * time.Second,
			MaxConnsPerHost:       s.MaxConns,
			MaxIdleConnsPerHost:   s.MaxConns,
			MaxIdleConns:          s.MaxConns,
			Protocols:             new(http.Protocols),
		}
		tr.Protocols.SetHTTP1(true)
		tr.Protocols.SetHTTP2(true)
		rt = tr
	}
	return &http.Client{
		Transport: rt,
		Timeout:   s.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// endpointOK reports whether e is an API endpoint name such as
// "recommendations/trending": lower-case letters, digits, '_', '-' and
// single slashes between them.
func endpointOK(e string) bool {
	if e == "" || len(e) > 100 || e[0] == '/' || e[len(e)-1] == '/' || strings.Contains(e, "//") {
		return false
	}
	for _, r := range e {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '/') {
			return false
		}
	}
	return true
}
