package store

import (
	"context"
	"fmt"
	"time"

	"github.com/techmatch/techmatch/internal/domain"
)

// Outbox operations.
const (
	opPut    = "put"
	opDelete = "delete"
)

const insertOutbox = `INSERT INTO outbox (kind, id, op, at) VALUES (?, ?, ?, ?)`

// defaultOutboxLimit bounds OutboxAfter when the caller asks for no limit.
const defaultOutboxLimit = 1000

// OutboxAfter returns up to limit entries with Seq > after, in ascending Seq order.
// A limit ≤ 0 means the default of 1000.
func (s *Store) OutboxAfter(ctx context.Context, after uint64, limit int) ([]domain.OutboxEntry, error) {
	if limit <= 0 {
		limit = defaultOutboxLimit
	}
	rows, err := s.read.QueryContext(ctx,
		`SELECT seq, kind, id, op, at FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?`, int64(after), limit)
	if err != nil {
		return nil, fmt.Errorf("store: outbox after %d: %w", after, err)
	}
	defer rows.Close()
	var out []domain.OutboxEntry
	for rows.Next() {
		var (
			e  domain.OutboxEntry
			at int64
		)
		if err := rows.Scan(&e.Seq, &e.Kind, &e.ID, &e.Op, &at); err != nil {
			return nil, fmt.Errorf("store: outbox after %d: %w", after, err)
		}
		e.At = fromNanos(at)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: outbox after %d: %w", after, err)
	}
	return out, nil
}

// OutboxHead returns the highest Seq ever handed out, 0 when there has been no write.
// It reads sqlite_sequence so that the head stays put after the outbox is pruned empty.
func (s *Store) OutboxHead(ctx context.Context) (uint64, error) {
	var head int64
	err := s.read.QueryRowContext(ctx,
		`SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'outbox'), 0)`).Scan(&head)
	if err != nil {
		return 0, fmt.Errorf("store: outbox head: %w", err)
	}
	return uint64(head), nil
}

// PruneApplied deletes the entries written before before that every reader is done with: Seq ≤
// upTo, which the caller takes from the positions it knows (the index's), and ≤ the position of
// every consumer in the consumers table, except replicas' indexes (domain.IndexConsumer) not
// seen since before: a replica away that long rebuilds its index when it comes back, and its
// row is deleted. It returns how many outbox rows it deleted. AUTOINCREMENT guarantees pruned sequence numbers are never handed out
// again.
func (s *Store) PruneApplied(ctx context.Context, upTo uint64, before time.Time) (int64, error) {
	res, err := s.write.ExecContext(ctx, `DELETE FROM outbox
		WHERE seq <= MIN(?1, COALESCE((SELECT MIN(position) FROM consumers
			WHERE substr(name, 1, ?3) <> ?4 OR seen_at >= ?2), ?1)) AND at < ?2`,
		int64(upTo), nanos(before), len(domain.IndexConsumerPrefix), domain.IndexConsumerPrefix)
	if err != nil {
		return 0, fmt.Errorf("store: prune outbox up to %d: %w", upTo, classify(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("store: prune outbox up to %d: %w", upTo, err)
	}
	// The gone replicas' rows go too: one that comes back reports again.
	if _, err := s.write.ExecContext(ctx, `DELETE FROM consumers WHERE substr(name, 1, ?) = ? AND seen_at < ?`,
		len(domain.IndexConsumerPrefix), domain.IndexConsumerPrefix, nanos(before)); err != nil {
		return n, fmt.Errorf("store: forget gone replicas: %w", classify(err))
	}
	return n, nil
}
