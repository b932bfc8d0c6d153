package clerktest

import (
	"strings"
	"time"
)

// Failure is a failure to inject with Server.Fail: the requests it matches
// get it instead of their normal answer.
type Failure struct {
	// Endpoint limits the failure to requests to this endpoint ("log/sale");
	// one ending in "/" ("log/") to the endpoints under it; empty to
	// every request.
	Endpoint string
	// Status is the HTTP status to answer with, with an error body
	// ({"status": "error", ...}). Zero with Type set answers the error body
	// with HTTP 200, as Clerk may.
	Status int
	// Type and Message are the error body's; empty means a type that fits
	// Status ("server_error", "rate_limited", ...) and "injected failure".
	Type, Message string
	// RetryAfter is sent as the Retry-After header: seconds ("2") or an
	// HTTP date.
	RetryAfter string
	// Delay holds the answer back this long, or until the request or the
	// server ends. Alone, it makes a slow answer that is otherwise
	// normal; a Delay longer than the client waits makes Clerk hang.
	Delay time.Duration
	// Drop closes the connection without an answer (after Delay).
	Drop bool
	// Times is how many requests the failure applies to; zero means every
	// matching request until Heal or the function Fail returned is
	// called.
	Times int
}

// failure is an injected Failure and how many more requests it applies to.
type failure struct {
	Failure
	left int // < 0: no limit
}

// Fail injects f. Failures apply in the order injected: a request gets the
// first that matches it. The returned function removes f.
func (s *Server) Fail(f Failure) (stop func()) {
	ff := &failure{Failure: f, left: f.Times}
	if f.Times <= 0 {
		ff.left = -1
	}
	s.mu.Lock()
	s.failures = append(s.failures, ff)
	s.mu.Unlock()
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		for i, x := range s.failures {
			if x == ff {
				s.failures = append(s.failures[:i:i], s.failures[i+1:]...)
				return
			}
		}
	}
}

// Heal removes every injected failure.
func (s *Server) Heal() {
	s.mu.Lock()
	s.failures = nil
	s.mu.Unlock()
}

// takeFailure returns the failure for a request to endpoint, counting it,
// or nil. s.mu is held.
func (s *Server) takeFailure(endpoint string) *failure {
	for i, f := range s.failures {
		if !f.matches(endpoint) {
			continue
		}
		if f.left > 0 {
			f.left--
			if f.left == 0 {
				s.failures = append(s.failures[:i:i], s.failures[i+1:]...)
			}
		}
		return f
	}
	return nil
}

func (f *failure) matches(endpoint string) bool {
	switch {
	case f.Endpoint == "":
		return true
	case strings.HasSuffix(f.Endpoint, "/"):
		return strings.HasPrefix(endpoint, f.Endpoint)
	}
	return endpoint == f.Endpoint
}
