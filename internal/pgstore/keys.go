package pgstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/techmatch/techmatch/internal/domain"
)

// CreateKey stores k with the hash of its secret; k.CreatedAt is set to now. The audit
// entry "create_key" goes in the same transaction when ctx has an actor.
func (s *Store) CreateKey(ctx context.Context, k *domain.APIKey, hash []byte) error {
	k.CreatedAt = now()
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx,
			`INSERT INTO api_keys (id, hash, role, subject, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
			k.ID, hash, k.Role, k.Subject, k.CreatedBy, nanos(k.CreatedAt)); err != nil {
			return err
		}
		return audited(ctx, tx, k.CreatedAt, "create_key", domain.AuditKeys, k.ID, k.Role+":"+k.Subject)
	})
	if err != nil {
		return fmt.Errorf("pgstore: create key %s: %w", k.ID, err)
	}
	return nil
}

// KeyByHash finds the working key with this hash; revoked and unknown keys wrap domain.ErrNotFound.
func (s *Store) KeyByHash(ctx context.Context, hash []byte) (domain.APIKey, error) {
	var k domain.APIKey
	var at int64
	err := s.pool.QueryRow(ctx, `SELECT id, role, subject, created_by, created_at FROM api_keys
		WHERE hash = $1 AND revoked_at IS NULL`, hash).Scan(&k.ID, &k.Role, &k.Subject, &k.CreatedBy, &at)
	if errors.Is(err, pgx.ErrNoRows) {
		return k, fmt.Errorf("pgstore: key by hash: %w", domain.ErrNotFound)
	}
	if err != nil {
		return k, fmt.Errorf("pgstore: key by hash: %w", classify(err))
	}
	k.CreatedAt = fromNanos(at)
	return k, nil
}

// Keys lists every key, revoked ones included, newest first.
func (s *Store) Keys(ctx context.Context) ([]domain.APIKey, error) {
	rows, err := s.pool.Query(ctx,
		`SELECT id, role, subject, created_by, created_at, revoked_at FROM api_keys ORDER BY created_at DESC, id`)
	if err != nil {
		return nil, fmt.Errorf("pgstore: list keys: %w", classify(err))
	}
	keys, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (domain.APIKey, error) {
		var k domain.APIKey
		var at int64
		var revoked *int64
		if err := row.Scan(&k.ID, &k.Role, &k.Subject, &k.CreatedBy, &at, &revoked); err != nil {
			return k, err
		}
		k.CreatedAt = fromNanos(at)
		if revoked != nil {
			t := fromNanos(*revoked)
			k.RevokedAt = &t
		}
		return k, nil
	})
	if err != nil {
		return nil, fmt.Errorf("pgstore: list keys: %w", classify(err))
	}
	return keys, nil
}

// RevokeKey marks a key revoked; revoking a revoked key again is not an error.
// The error wraps domain.ErrNotFound when there is no such key. The audit entry
// "revoke_key" goes in the same transaction when ctx has an actor.
func (s *Store) RevokeKey(ctx context.Context, id string) error {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		t := now()
		if err := execOne(ctx, tx, `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2`, nanos(t), id); err != nil {
			return err
		}
		return audited(ctx, tx, t, "revoke_key", domain.AuditKeys, id, "")
	})
	if err != nil {
		return fmt.Errorf("pgstore: revoke key %s: %w", id, err)
	}
	return nil
}
