package store

import (
	"context"
	"fmt"
)

// schemaReplicas (version 7): when each consumer last reported its position, so that outbox
// pruning waits for the replicas' indexes that are alive and not for one that has gone.
const schemaReplicas = `ALTER TABLE consumers ADD COLUMN seen_at INTEGER NOT NULL DEFAULT 0;`

// Exclusive runs fn until ctx ends. Jobs that must run once (the match-list worker, webhook
// delivery, the deadline sweep) run under it; the PostgreSQL store runs them on one replica at
// a time. A SQLite file is served by one process (the data dir's lock), which is that one.
func (s *Store) Exclusive(ctx context.Context, job string, fn func(context.Context)) {
	fn(ctx)
}

// ProfileHead returns the latest version of the named profile, 0 when there is none.
func (s *Store) ProfileHead(ctx context.Context, name string) (int, error) {
	var v int
	err := s.read.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM profiles WHERE name = ?`, name).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("store: profile %s head: %w", name, classify(err))
	}
	return v, nil
}
