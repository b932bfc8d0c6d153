package tracker

import "time"

// backoff returns the longest wait before retrying a batch whose attempt-th
// Write failed (attempt counts from 1): initial·2^(attempt-1), at most max.
// The Queue waits a random time between 0 and it (full jitter), so that
// senders retrying together do not strike the sink together again.
func backoff(attempt int, initial, max time.Duration) time.Duration {
	if attempt < 1 {
		attempt = 1
	}
	// Past 62 doublings (or once a shift overflows) the ceiling is max.
	if attempt > 62 {
		return max
	}
	d := initial << (attempt - 1)
	if d <= 0 || d>>(attempt-1) != initial || d > max {
		return max
	}
	return d
}
