package clerktest

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"mime"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

// The keys a Server accepts unless Options say otherwise.
const (
	Key        = "clerktestpublickey00000000000000"
	PrivateKey = "clerktestprivatekey0000000000000"
)

// Options configure NewServer. The zero value is what New uses.
type Options struct {
	// Key and PrivateKey are the keys the server accepts; empty means the
	// package's Key and PrivateKey.
	Key, PrivateKey string
	// Catalog is what recommendations and search answer from; nil means
	// Catalog().
	Catalog []Product
	// NumericIDs answers product IDs made of digits as JSON numbers, as
	// Clerk does for a feed that gives them as numbers.
	NumericIDs bool
	// Latency delays every answer, as a distant API does.
	Latency time.Duration
	// TLS serves HTTPS, with HTTP/2 as Clerk's API does, under a
	// certificate of its own: give TLSConfig to clerk.Config.TLSConfig.
	TLS bool
	// InProcess starts no listener: URL is "http://clerktest.invalid" and
	// only Transport reaches the server. Use it inside a testing/synctest
	// bubble, where a goroutine waiting on the network would keep the
	// bubble's clock from moving.
	InProcess bool
}

// Server is a fake Clerk.io API v2, started on a loopback address like an
// httptest.Server. Make one with New or NewServer and Close it.
type Server struct {
	// URL is the API's base URL, to give as clerk.Config.URL.
	URL string

	opts Options
	srv  *httptest.Server
	quit chan struct{}

	mu       sync.Mutex
	received []Request
	failures []*failure
	latency  time.Duration
	opened   int // connections accepted so far
	open     int // connections open now
	maxOpen  int // the most open at once
}

// Request is one request the server received and what it answered.
type Request struct {
	// Endpoint is the path under the base URL, such as "log/click".
	Endpoint string
	// Method is GET or POST.
	Method string
	// Body is the request's arguments: the JSON body, decoded with numbers
	// as json.Number, or the query parameters of a GET (lists and numbers
	// decoded from their JSON, as Clerk takes them).
	Body map[string]any
	// Status is the HTTP status answered, 0 for a dropped connection.
	Status int
	// Accepted reports an answer of {"status": "ok"}: a log/* request
	// Clerk would count.
	Accepted bool
	// Error is Clerk's message when the request was refused.
	Error string
	// Time is when the request arrived.
	Time time.Time
}

// New starts a Server with the default Options.
func New() *Server { return NewServer(Options{}) }

// NewServer starts a Server configured by o.
func NewServer(o Options) *Server {
	if o.Key == "" {
		o.Key = Key
	}
	if o.PrivateKey == "" {
		o.PrivateKey = PrivateKey
	}
	if o.Catalog == nil {
		o.Catalog = Catalog()
	}
	s := &Server{opts: o, quit: make(chan struct{}), latency: o.Latency}
	if o.InProcess {
		s.URL = "http://clerktest.invalid"
		return s
	}
	s.srv = httptest.NewUnstartedServer(s)
	s.srv.Config.ConnState = s.connState
	// Clients that give up (a refused certificate, a timeout) are part of
	// the tests, not news.
	s.srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	if o.TLS {
		s.srv.EnableHTTP2 = true
		s.srv.StartTLS()
	} else {
		s.srv.Start()
	}
	s.URL = s.srv.URL
	return s
}

// TLSConfig returns a client configuration that trusts the server's
// certificate, for clerk.Config.TLSConfig; nil without Options.TLS.
func (s *Server) TLSConfig() *tls.Config {
	if s.srv == nil || s.srv.TLS == nil {
		return nil
	}
	roots := x509.NewCertPool()
	roots.AddCert(s.srv.Certificate())
	return &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
}

// Close makes waiting answers give up, closes the connections and stops
// the server.
func (s *Server) Close() {
	s.mu.Lock()
	select {
	case <-s.quit:
	default:
		close(s.quit)
	}
	s.mu.Unlock()
	if s.srv != nil {
		s.srv.CloseClientConnections()
		s.srv.Close()
	}
}

// Received returns a copy of every request received, in order of arrival.
func (s *Server) Received() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.received...)
}

// Accepted returns the requests to endpoint (every endpoint for "") that
// were answered {"status": "ok"}.
func (s *Server) Accepted(endpoint string) []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Request
	for _, r := range s.received {
		if r.Accepted && (endpoint == "" || r.Endpoint == endpoint) {
			out = append(out, r)
		}
	}
	return out
}

// Reset forgets the requests received.
func (s *Server) Reset() {
	s.mu.Lock()
	s.received = nil
	s.mu.Unlock()
}

// SetLatency changes the delay of every answer.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	s.latency = d
	s.mu.Unlock()
}

// Conns returns how many connections the server accepted so far and the
// most it had open at once.
func (s *Server) Conns() (opened, maxOpen int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.opened, s.maxOpen
}

func (s *Server) connState(_ net.Conn, st http.ConnState) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch st {
	case http.StateNew:
		s.opened++
		s.open++
		s.maxOpen = max(s.maxOpen, s.open)
	case http.StateHijacked, http.StateClosed:
		s.open--
	}
}

// Transport returns a RoundTripper that answers in process, without a
// network, for clerk.Config.Transport: as the server would, except that a
// dropped connection is an error of RoundTrip.
func (s *Server) Transport() http.RoundTripper { return transport{s} }

type transport struct{ s *Server }

// errDropped is what Transport returns for a dropped connection.
var errDropped = errors.New("clerktest: connection closed without an answer")

func (t transport) RoundTrip(req *http.Request) (resp *http.Response, err error) {
	if req.Body != nil {
		defer req.Body.Close()
	}
	r := req.Clone(req.Context())
	r.RequestURI = req.URL.RequestURI()
	r.RemoteAddr = "192.0.2.1:1234"
	if r.Body == nil {
		r.Body = http.NoBody
	}
	rec := httptest.NewRecorder()
	defer func() {
		if p := recover(); p != nil {
			if p != http.ErrAbortHandler {
				panic(p)
			}
			resp, err = nil, errDropped
		}
	}()
	t.s.ServeHTTP(rec, r)
	res := rec.Result()
	res.Request = req
	return res, nil
}

// maxBody bounds a request body.
const maxBody = 1 << 20

// ServeHTTP answers one request as Clerk would: see the package
// documentation.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	req := Request{Method: r.Method, Time: time.Now()}
	req.Endpoint = strings.TrimPrefix(r.URL.Path, "/")
	s.mu.Lock()
	f := s.takeFailure(req.Endpoint)
	latency := s.latency
	s.mu.Unlock()

	var wait time.Duration
	if f != nil {
		wait = f.Delay
	}
	if !s.sleep(r, latency+wait) {
		s.record(req)
		panic(http.ErrAbortHandler)
	}
	if f != nil && f.Drop {
		s.record(req)
		panic(http.ErrAbortHandler)
	}

	status, answer := s.answer(r, &req, f)
	req.Status = status
	if a, ok := answer.(map[string]any); ok {
		req.Accepted = a["status"] == "ok"
		if m, ok := a["message"].(string); ok {
			req.Error = m
		}
	}
	s.record(req)
	if f != nil && f.RetryAfter != "" {
		w.Header().Set("Retry-After", f.RetryAfter)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(answer)
}

// sleep waits d, and reports false when the request ended or the server
// closed first.
func (s *Server) sleep(r *http.Request, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
	case <-s.quit:
	}
	return false
}

func (s *Server) record(req Request) {
	s.mu.Lock()
	s.received = append(s.received, req)
	s.mu.Unlock()
}

// answer decides the status and body of the answer to r.
func (s *Server) answer(r *http.Request, req *Request, f *failure) (int, any) {
	body, status, msg := readArgs(r)
	req.Body = body
	if f != nil && (f.Status != 0 || f.Type != "") {
		status := f.Status
		if status == 0 {
			status = http.StatusOK
		}
		typ, msg := f.Type, f.Message
		if typ == "" {
			typ = defaultType(status)
		}
		if msg == "" {
			msg = "injected failure"
		}
		return status, errorBody(typ, msg)
	}
	sh, ok := shapes[req.Endpoint]
	if !ok {
		return http.StatusNotFound, errorBody("not_found", fmt.Sprintf("no endpoint %q", req.Endpoint))
	}
	if status != 0 {
		return status, errorBody("invalid_argument", msg)
	}
	if status, typ, msg := s.checkKeys(req.Endpoint, body); status != 0 {
		return status, errorBody(typ, msg)
	}
	if msg := sh.check(body); msg != "" {
		return http.StatusBadRequest, errorBody("invalid_argument", msg)
	}
	if sh.answer == nil {
		return http.StatusOK, map[string]any{"status": "ok"}
	}
	return http.StatusOK, sh.answer(s, body)
}

// readArgs returns the request's arguments, or an HTTP status and message
// for a request that has none Clerk would read.
func readArgs(r *http.Request) (map[string]any, int, string) {
	switch r.Method {
	case http.MethodGet:
		return queryArgs(r), 0, ""
	case http.MethodPost:
	default:
		return nil, http.StatusMethodNotAllowed, "use GET or POST"
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return nil, http.StatusUnsupportedMediaType, "the body must be application/json"
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return nil, http.StatusBadRequest, "the body could not be read"
	}
	if len(b) > maxBody {
		return nil, http.StatusRequestEntityTooLarge, "the body is too large"
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var body map[string]any
	if err := dec.Decode(&body); err != nil || body == nil {
		return nil, http.StatusBadRequest, "the body must be a JSON object"
	}
	if dec.More() {
		return nil, http.StatusBadRequest, "the body must be one JSON object"
	}
	return body, 0, ""
}

// queryArgs reads a GET's query parameters: a value that is JSON (a list,
// an object, a number, true or false) is taken decoded, as Clerk takes
// lists; any other value as the string it is.
func queryArgs(r *http.Request) map[string]any {
	out := map[string]any{}
	for k, vs := range r.URL.Query() {
		v := vs[len(vs)-1]
		dec := json.NewDecoder(strings.NewReader(v))
		dec.UseNumber()
		var x any
		if err := dec.Decode(&x); err == nil && !dec.More() {
			if _, isString := x.(string); !isString && x != nil {
				out[k] = x
				continue
			}
		}
		out[k] = v
	}
	return out
}

// checkKeys checks the keys: the public key on every endpoint, the private
// key only where it is needed (log/sale with a time) and right when given.
func (s *Server) checkKeys(endpoint string, body map[string]any) (int, string, string) {
	key, ok := body["key"].(string)
	switch {
	case !ok:
		return http.StatusBadRequest, "invalid_argument", "key is required"
	case key != s.opts.Key:
		// Clerk repeats what it was given; a client must not.
		return http.StatusForbidden, "authentication", fmt.Sprintf("invalid public key %q", key)
	}
	pk, has := body["private_key"]
	if !has {
		if _, timed := body["time"]; timed && endpoint == "log/sale" {
			return http.StatusBadRequest, "invalid_argument", "time requires private_key"
		}
		return 0, "", ""
	}
	if endpoint != "log/sale" {
		return http.StatusBadRequest, "invalid_argument", "private_key is not an argument of " + endpoint
	}
	if pk != s.opts.PrivateKey {
		return http.StatusForbidden, "authentication", "invalid private key"
	}
	return 0, "", ""
}

func errorBody(typ, msg string) map[string]any {
	return map[string]any{"status": "error", "type": typ, "message": msg}
}

func defaultType(status int) string {
	switch {
	case status == http.StatusTooManyRequests:
		return "rate_limited"
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return "authentication"
	case status >= 500:
		return "server_error"
	}
	return "invalid_argument"
}
