package store

// CachedRecords is how many decoded records s holds, for the tests of its bound.
func CachedRecords(s *Store) int {
	s.recs.mu.Lock()
	defer s.recs.mu.Unlock()
	return s.recs.order.Len()
}

// ExecWrite runs q on s's one write connection, for tests that set its per-connection pragmas.
func ExecWrite(s *Store, q string) error {
	_, err := s.write.Exec(q)
	return err
}
