package pgstore

// CachedRecords is how many decoded records s holds, for the tests of its bound.
func CachedRecords(s *Store) int { return s.recs.len() }
