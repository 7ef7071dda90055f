package pgstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/techmatch/techmatch/internal/domain"
)

// Outbox operations.
const (
	opPut    = "put"
	opDelete = "delete"
)

// defaultOutboxLimit bounds OutboxAfter when the caller asks for no limit.
const defaultOutboxLimit = 1000

// appendOutbox writes the outbox row of a change made in tx at t and returns its seq.
//
// Consumers read the outbox as "every row with seq > my position", so a row must never become
// visible after a row with a higher seq: a consumer that had read the higher one would skip it
// for good. A BIGSERIAL gives no such promise, because transactions take their seqs in one
// order and commit in another. Here the seq comes from the one row of outbox_head, incremented
// by a transaction that holds writeLock (every write transaction takes it first, see inTx) until
// it ends. PostgreSQL makes a commit visible before it releases the transaction's locks, so
// the next writer takes its seq only after every lower seq is committed and visible (or rolled
// back and handed out to nobody): seq order is commit order, gap-free and never reused.
func appendOutbox(ctx context.Context, tx pgx.Tx, k domain.Kind, id, op string, t time.Time) (int64, error) {
	var seq int64
	err := tx.QueryRow(ctx, `WITH head AS (UPDATE outbox_head SET seq = seq + 1 RETURNING seq)
		INSERT INTO outbox (seq, kind, id, op, at) SELECT seq, $1, $2, $3, $4 FROM head RETURNING seq`,
		k, id, op, nanos(t)).Scan(&seq)
	if err != nil {
		return 0, fmt.Errorf("outbox: %w", err)
	}
	return seq, nil
}

// OutboxAfter returns up to limit entries with Seq > after, in ascending Seq order.
// A limit ≤ 0 means the default of 1000.
func (s *Store) OutboxAfter(ctx context.Context, after uint64, limit int) ([]domain.OutboxEntry, error) {
	if limit <= 0 {
		limit = defaultOutboxLimit
	}
	rows, err := s.pool.Query(ctx,
		`SELECT seq, kind, id, op, at FROM outbox WHERE seq > $1 ORDER BY seq LIMIT $2`, int64(after), limit)
	if err != nil {
		return nil, fmt.Errorf("pgstore: outbox after %d: %w", after, classify(err))
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (domain.OutboxEntry, error) {
		var (
			e   domain.OutboxEntry
			seq int64
			at  int64
		)
		err := row.Scan(&seq, &e.Kind, &e.ID, &e.Op, &at)
		e.Seq, e.At = uint64(seq), fromNanos(at)
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("pgstore: outbox after %d: %w", after, classify(err))
	}
	return out, nil
}

// OutboxHead returns the highest Seq ever committed, 0 when there has been no write. It stays
// put when the outbox is pruned empty.
func (s *Store) OutboxHead(ctx context.Context) (uint64, error) {
	var head int64
	if err := s.pool.QueryRow(ctx, `SELECT seq FROM outbox_head`).Scan(&head); err != nil {
		return 0, fmt.Errorf("pgstore: outbox head: %w", classify(err))
	}
	return uint64(head), nil
}

// PruneApplied deletes the entries written before before that every reader is done with: Seq ≤
// upTo, which the caller takes from the positions it knows (the index's), and ≤ the position of
// every consumer in the consumers table, except replicas' indexes (domain.IndexConsumer) not
// seen since before: a replica away that long rebuilds its index when it comes back, and its
// row is deleted. It returns how many outbox rows it deleted. Pruned sequence numbers are never handed out again (outbox_head only
// grows).
func (s *Store) PruneApplied(ctx context.Context, upTo uint64, before time.Time) (int64, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM outbox
		WHERE seq <= LEAST($1::bigint, COALESCE((SELECT MIN(position) FROM consumers
			WHERE NOT starts_with(name, $3) OR seen_at >= $2), $1::bigint)) AND at < $2`,
		int64(upTo), nanos(before), domain.IndexConsumerPrefix)
	if err != nil {
		return 0, fmt.Errorf("pgstore: prune outbox up to %d: %w", upTo, classify(err))
	}
	// The gone replicas' rows go too: one that comes back reports again.
	if _, err := s.pool.Exec(ctx, `DELETE FROM consumers WHERE starts_with(name, $1) AND seen_at < $2`,
		domain.IndexConsumerPrefix, nanos(before)); err != nil {
		return tag.RowsAffected(), fmt.Errorf("pgstore: forget gone replicas: %w", classify(err))
	}
	return tag.RowsAffected(), nil
}

// ConsumerPosition is the last outbox seq the named consumer has processed, 0 before its first run.
func (s *Store) ConsumerPosition(ctx context.Context, name string) (uint64, error) {
	var pos int64
	err := s.pool.QueryRow(ctx, `SELECT position FROM consumers WHERE name = $1`, name).Scan(&pos)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("pgstore: consumer %s position: %w", name, classify(err))
	}
	return uint64(pos), nil
}

// SetConsumerPosition records how far the named consumer got, and that it was seen now.
func (s *Store) SetConsumerPosition(ctx context.Context, name string, pos uint64) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO consumers (name, position, seen_at) VALUES ($1, $2, $3)
		ON CONFLICT (name) DO UPDATE SET position = excluded.position, seen_at = excluded.seen_at`, name, int64(pos), nanos(now()))
	if err != nil {
		return fmt.Errorf("pgstore: consumer %s position %d: %w", name, pos, classify(err))
	}
	return nil
}
