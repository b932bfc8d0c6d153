package clerk

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Error is an error answer from Clerk: an HTTP status other than 2xx, or a
// body with "status": "error" (which Clerk may send with HTTP 200). Get it
// with errors.As. Its text never holds a key: where Clerk's message repeats
// one, or an email or customer ID of the event sent, it is replaced with
// "[redacted]".
type Error struct {
	// Endpoint is the endpoint called, such as "log/sale".
	Endpoint string
	// Status is the HTTP status code of the answer.
	Status int
	// Type and Message are Clerk's "type" and "message", when the answer
	// had them.
	Type    string
	Message string
}

// Error reads like `clerk: log/sale: HTTP 400: invalid_argument: products
// must be a list`.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("clerk: ")
	b.WriteString(e.Endpoint)
	b.WriteString(": HTTP ")
	b.WriteString(strconv.Itoa(e.Status))
	if e.Type != "" {
		b.WriteString(": ")
		b.WriteString(e.Type)
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	return b.String()
}

// retryable reports whether the same request may succeed later: rate
// limits, server errors and a request timeout are retried; validation and
// authentication errors, and an error body with HTTP 200, are not.
func (e *Error) retryable() bool {
	return e.Status == http.StatusTooManyRequests || e.Status == http.StatusRequestTimeout || e.Status >= 500
}

// authFailed reports whether Clerk refused the key.
func (e *Error) authFailed() bool {
	return e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden
}

// answer is the part of every Clerk response that says how it went.
type answer struct {
	Status  string `json:"status"`
	Type    string `json:"type"`
	Message string `json:"message"`
}

// maxMessage bounds the text kept from Clerk's message.
const maxMessage = 300

// check reads a response's status code and body (already read, bounded)
// and returns nil for {"status": "ok"} with a 2xx status, or the *Error
// Clerk answered. redact holds strings that must not appear in the error.
func check(endpoint string, status int, body []byte, redact ...string) *Error {
	var a answer
	jsonErr := json.Unmarshal(body, &a)
	if status >= 200 && status < 300 && jsonErr == nil && a.Status == "ok" {
		return nil
	}
	e := &Error{Endpoint: endpoint, Status: status, Type: clean(a.Type, 100, redact), Message: clean(a.Message, maxMessage, redact)}
	if status >= 200 && status < 300 && (jsonErr != nil || a.Status != "error") {
		// Not Clerk's answer (a proxy's page, say): not delivered, and
		// worth another try.
		e.Status = http.StatusBadGateway
		e.Type, e.Message = "bad_response", "HTTP "+strconv.Itoa(status)+" without a Clerk status"
	}
	return e
}

// clean bounds Clerk's text and takes out what must not be repeated: keys,
// and personal data of the event sent.
func clean(s string, max int, redact []string) string {
	for _, r := range redact {
		if r != "" {
			s = strings.ReplaceAll(s, r, "[redacted]")
		}
	}
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "?"))
	if len(s) > max {
		s = strings.ToValidUTF8(s[:max], "") + "…"
	}
	return strings.TrimSpace(s)
}

// retryAfter reads a Retry-After header: seconds, or an HTTP date measured
// from now. It returns false for none, or one that does not parse.
func retryAfter(h string, now time.Time) (time.Duration, bool) {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0, false
	}
	if s, err := strconv.ParseInt(h, 10, 64); err == nil {
		if s < 0 {
			return 0, false
		}
		return time.Duration(min(s, int64(24*time.Hour/time.Second))) * time.Second, true
	}
	t, err := http.ParseTime(h)
	if err != nil {
		return 0, false
	}
	return max(t.Sub(now), 0), true
}
