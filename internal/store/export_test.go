package store

// CachedRecords is how many decoded records s holds, for the tests of its bound.
func CachedRecords(s *Store) int {
	s.recs.mu.Lock()
	defer s.recs.mu.Unlock()
	return s.recs.order.Len()
}
