package pgstore

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/techmatch/techmatch/internal/domain"
)

func insertDelivery(ctx context.Context, tx pgx.Tx, d *domain.Delivery, t time.Time) (int64, error) {
	var id int64
	err := tx.QueryRow(ctx, `INSERT INTO webhook_deliveries (agent_id, url, event, body, status, next_at, created_at, updated_at)
		VALUES ($1, $2, $3, $4, 'pending', $5, $5, $5) RETURNING id`, d.AgentID, d.URL, d.Event, string(d.Body), nanos(t)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("insert delivery: %w", err)
	}
	return id, nil
}

const deliveryColumns = `id, agent_id, url, event, body, status, attempts, last_code, last_error, next_at, created_at, updated_at`

func collectDeliveries(rows pgx.Rows) ([]domain.Delivery, error) {
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (domain.Delivery, error) {
		var d domain.Delivery
		var body []byte
		var next, created, updated int64
		err := row.Scan(&d.ID, &d.AgentID, &d.URL, &d.Event, &body, &d.Status, &d.Attempts, &d.LastCode,
			&d.LastError, &next, &created, &updated)
		d.Body = json.RawMessage(body)
		d.NextAt, d.CreatedAt, d.UpdatedAt = fromNanos(next), fromNanos(created), fromNanos(updated)
		return d, err
	})
}

// DueDeliveries returns up to limit pending deliveries whose next attempt is due at t, oldest first.
func (s *Store) DueDeliveries(ctx context.Context, t time.Time, limit int) ([]domain.Delivery, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+deliveryColumns+` FROM webhook_deliveries
		WHERE status = 'pending' AND next_at <= $1 ORDER BY next_at, id LIMIT $2`, nanos(t), sqliteLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("pgstore: due deliveries: %w", classify(err))
	}
	out, err := collectDeliveries(rows)
	if err != nil {
		return nil, fmt.Errorf("pgstore: due deliveries: %w", classify(err))
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// sqliteLimit is a LIMIT parameter as SQLite reads one: a negative limit is none, 0 is 0.
func sqliteLimit(limit int) *int {
	if limit < 0 {
		return nil
	}
	return &limit
}

// NextDelivery is when the earliest pending delivery is due; ok is false when none is pending.
func (s *Store) NextDelivery(ctx context.Context) (at time.Time, ok bool, err error) {
	var next *int64
	if err := s.pool.QueryRow(ctx, `SELECT MIN(next_at) FROM webhook_deliveries WHERE status = 'pending'`).Scan(&next); err != nil {
		return time.Time{}, false, fmt.Errorf("pgstore: next delivery: %w", classify(err))
	}
	if next == nil {
		return time.Time{}, false, nil
	}
	return fromNanos(*next), true, nil
}

// RecordAttempt stores the outcome of one delivery attempt: status, the answer's code or the
// error, and when to try next.
func (s *Store) RecordAttempt(ctx context.Context, id int64, status string, code int, errText string, next time.Time) error {
	t := now()
	_, err := s.pool.Exec(ctx, `UPDATE webhook_deliveries SET status = $1, attempts = attempts + 1,
		last_code = $2, last_error = $3, next_at = $4, updated_at = $5 WHERE id = $6`, status, code, errText, nanos(next), nanos(t), id)
	if err != nil {
		return fmt.Errorf("pgstore: record delivery %d attempt: %w", id, classify(err))
	}
	return nil
}

// Deliveries returns a page of the delivery log that f selects, newest first, and its total.
func (s *Store) Deliveries(ctx context.Context, f domain.DeliveryFilter, offset, limit int) ([]domain.Delivery, int, error) {
	where, args := ` WHERE true`, []any{}
	if f.AgentID != "" {
		args = append(args, f.AgentID)
		where += fmt.Sprintf(` AND agent_id = $%d`, len(args))
	}
	if f.Status != "" {
		args = append(args, f.Status)
		where += fmt.Sprintf(` AND status = $%d`, len(args))
	}
	var (
		total int
		out   []domain.Delivery
	)
	err := s.inSnapshot(ctx, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM webhook_deliveries`+where, args...).Scan(&total); err != nil {
			return err
		}
		n := len(args)
		rows, err := tx.Query(ctx, fmt.Sprintf(`SELECT %s FROM webhook_deliveries%s ORDER BY id DESC LIMIT $%d OFFSET $%d`,
			deliveryColumns, where, n+1, n+2), append(args, sqliteLimit(limit), max(offset, 0))...)
		if err != nil {
			return err
		}
		out, err = collectDeliveries(rows)
		return err
	})
	if err != nil {
		return nil, 0, fmt.Errorf("pgstore: deliveries: %w", err)
	}
	return out, total, nil
}
