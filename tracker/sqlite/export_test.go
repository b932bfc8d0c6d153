package sqlite

import "time"

// FailWrites makes every write transaction of s fail with err after it has
// done its work, until restore is called: the rollback path, for tests.
func FailWrites(s *Store, err error) (restore func()) {
	s.wmu.Lock()
	s.failWrite = err
	s.wmu.Unlock()
	return func() {
		s.wmu.Lock()
		s.failWrite = nil
		s.wmu.Unlock()
	}
}

// HistoryRows is how many event rows History has read from s since Open.
func HistoryRows(s *Store) int64 { return s.historyRows.Load() }

// ExpireWriterConnections makes the writer's pool replace its connection
// after every use, as database/sql would after a broken one.
func ExpireWriterConnections(s *Store) { s.w.SetConnMaxLifetime(time.Nanosecond) }

// BulkReplaced is how many times the writer's multi-row statements were
// prepared again on a new connection.
func BulkReplaced(s *Store) int {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	return s.st.replaced
}
