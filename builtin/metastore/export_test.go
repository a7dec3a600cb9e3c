package metastore

// BatchQueries returns how many queries s's LookupBatch has run.
func (s *Store) BatchQueries() int64 { return s.batchQueries.Load() }
