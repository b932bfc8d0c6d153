package sqlite

import "time"

// WithVixFlushAt sets how many pending vix entries make a run (tests use
// small runs to exercise them).
func WithVixFlushAt(n int) Option {
	return func(o *options) {
		if n > 0 {
			o.flushAt = n
		}
	}
}

// FailWrites makes every write transaction of s fail after its work, with
// err, until the returned func is called.
func (s *Store) FailWrites(err error) (restore func()) {
	s.wmu.Lock()
	s.failWrite = func() error { return err }
	s.wmu.Unlock()
	return func() {
		s.wmu.Lock()
		s.failWrite = nil
		s.wmu.Unlock()
	}
}

// WithMemHorizon sets how far back from the newest event the writer's
// index reaches.
func WithMemHorizon(d time.Duration) Option {
	return func(o *options) { o.horizon = d }
}

// MemEntries is how many entries the writer's index holds.
func (s *Store) MemEntries() int {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.mem == nil {
		return -1
	}
	return s.mem.n
}
