package clerk

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/visitrack/visitrack/tracker"
)

// maxAnswer bounds how much of a log/* answer is read; Clerk's are a few
// bytes.
const maxAnswer = 64 << 10

// Sink forwards events to Clerk's tracking API. It is a tracker.Sink: give
// it a tracker.Queue of its own (see tracker.Fanout), which batches events
// and retries what fails. Make one with NewSink; it is safe for concurrent
// use.
//
// Clerk has no batch endpoint, so a batch goes out as one request per
// event, at most Config.MaxConcurrency at once over at most Config.MaxConns
// connections. A batch's sales go out after its other events have been
// answered, since Clerk credits a sale to the clicks it already has.
// Impressions and searches are not forwarded (Clerk knows what its own
// calls returned and were asked) and count as delivered.
//
// Answers: {"status": "ok"} is delivered. {"status": "error"}, even with
// HTTP 200, and HTTP 400, 401, 403, 404 and 422 are failures retrying will
// not cure: the event's error is marked tracker.Permanent and the Queue
// hands it to OnFailure. HTTP 408, 429 and 5xx, timeouts and network errors
// are retried, after the wait a Retry-After header asks for (seconds or an
// HTTP date). Write returns a *tracker.BatchError listing only the events
// that failed; each event's error is a *Error (errors.As), or the network
// error. A refused key is logged at error level once, since only a change
// of configuration cures it.
//
// Idempotency: the tracker's Sink contract is idempotency by event ID, but
// Clerk's API takes no ID, and an event sent twice may count twice there (a
// sale twice in its revenue, a click twice in its statistics). The Sink
// therefore remembers the IDs Clerk acknowledged (the last
// Config.AckMemory) and skips them when a batch comes again, so that the
// Queue's retry of a partly failed batch re-sends only what failed. What it
// cannot prevent: an event whose request reached Clerk but whose answer was
// lost (a timeout, a dropped connection) is sent again, as is an event
// acknowledged before a restart or longer ago than the memory reaches.
type Sink struct {
	set   settings
	http  *http.Client
	sem   chan struct{}
	acks  *acks
	log   *slog.Logger
	authd atomic.Bool
}

// NewSink returns a Sink forwarding to the API at cfg.URL with cfg.Key. It
// returns ErrNoKey, ErrBadKey or ErrBadURL for a configuration it cannot
// use.
func NewSink(cfg Config) (*Sink, error) {
	set, err := cfg.settings()
	if err != nil {
		return nil, err
	}
	s := &Sink{
		set:  set,
		http: set.httpClient(),
		sem:  make(chan struct{}, set.MaxConcurrency),
		acks: newAcks(set.AckMemory),
		log:  set.Logger,
	}
	return s, nil
}

// Write sends events to Clerk and returns nil once every one was
// acknowledged (or was not to be sent), or a *tracker.BatchError listing
// those that were not; see Sink. It returns when every request has ended,
// soon after ctx does.
func (s *Sink) Write(ctx context.Context, events []tracker.Event) error {
	var (
		mu     sync.Mutex
		failed []tracker.EventError
	)
	fail := func(i int, err error) {
		mu.Lock()
		failed = append(failed, tracker.EventError{Index: i, Err: err})
		mu.Unlock()
	}
	now := s.set.Now()
	// Everything but sales first, then sales: see Sink.
	for _, sales := range [2]bool{false, true} {
		var wg sync.WaitGroup
		for i := range events {
			e := &events[i]
			ep := endpointFor(e.Kind)
			if ep == "" || (e.Kind == tracker.KindSale) != sales || s.acks.has(e.ID) {
				continue
			}
			ev := *e
			if err := ev.Admit(now); err != nil {
				fail(i, err)
				continue
			}
			select {
			case s.sem <- struct{}{}:
			case <-ctx.Done():
				fail(i, fmt.Errorf("clerk: %s not sent: %w", ep, ctx.Err()))
				continue
			}
			wg.Go(func() {
				defer func() { <-s.sem }()
				if err := s.send(ctx, ep, &ev); err != nil {
					fail(i, err)
					return
				}
				s.acks.add(ev.ID)
			})
		}
		wg.Wait()
	}
	if len(failed) == 0 {
		return nil
	}
	slices.SortFunc(failed, func(a, b tracker.EventError) int { return a.Index - b.Index })
	return &tracker.BatchError{Failed: failed}
}

// send makes the request for e and classifies its outcome.
func (s *Sink) send(ctx context.Context, ep string, e *tracker.Event) error {
	// A body of its own: the transport may still read a request's body
	// after the response has come (golang/go#51907), so it is not pooled.
	body := s.set.appendBody(make([]byte, 0, 512), e)
	status, answer, hdr, err := s.post(ctx, ep, body)
	if err != nil {
		s.log.Debug("clerk: request failed", "endpoint", ep, "err", err)
		return fmt.Errorf("clerk: %s: %w", ep, err)
	}
	cerr := check(ep, status, answer, s.set.Key, s.set.PrivateKey, e.Email, e.Customer)
	if cerr == nil {
		return nil
	}
	s.log.Debug("clerk: request refused", "endpoint", ep, "status", cerr.Status, "type", cerr.Type)
	if cerr.authFailed() && s.authd.CompareAndSwap(false, true) {
		s.log.Error("clerk: the API refused the key; events are not forwarded until the configuration is fixed",
			"endpoint", ep, "status", cerr.Status, "type", cerr.Type)
	}
	if !cerr.retryable() {
		return tracker.Permanent(cerr)
	}
	if d, ok := retryAfter(hdr.Get("Retry-After"), s.set.Now()); ok {
		return tracker.RetryAfter(cerr, d)
	}
	return cerr
}

// post sends body to endpoint ep and returns the answer's status, body (at
// most maxAnswer bytes) and header.
func (s *Sink) post(ctx context.Context, ep string, body []byte) (int, []byte, http.Header, error) {
	return post(ctx, s.http, s.set.base+"/"+ep, body, maxAnswer)
}

// post is one JSON POST, shared by Sink and Client.
func post(ctx context.Context, c *http.Client, url string, body []byte, limit int64) (int, []byte, http.Header, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, nil, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "visitrack-clerk/1")
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return 0, nil, nil, err
	}
	if int64(len(answer)) > limit {
		return 0, nil, nil, fmt.Errorf("answer longer than %d bytes", limit)
	}
	return resp.StatusCode, answer, resp.Header, nil
}
