package sqlite

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
