package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/techmatch/techmatch/internal/domain"
)

// schemaKeys: API keys. Only a hash of each key is kept, so a copy of the database
// hands out no working keys; revoked keys stay, for the audit trail.
const schemaKeys = `CREATE TABLE api_keys (
		id         TEXT    PRIMARY KEY,
		hash       BLOB    NOT NULL UNIQUE, -- SHA-256 of the key
		role       TEXT    NOT NULL,
		subject    TEXT    NOT NULL DEFAULT '',
		created_by TEXT    NOT NULL DEFAULT '',
		created_at INTEGER NOT NULL,        -- unix nanoseconds, UTC
		revoked_at INTEGER                  -- NULL while the key works
	);`

// CreateKey stores k with the hash of its secret; k.CreatedAt is set to now. The audit
// entry "create_key" goes in the same transaction when ctx has an actor.
func (s *Store) CreateKey(ctx context.Context, k *domain.APIKey, hash []byte) error {
	k.CreatedAt = now()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO api_keys (id, hash, role, subject, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
			k.ID, hash, k.Role, k.Subject, k.CreatedBy, nanos(k.CreatedAt)); err != nil {
			return err
		}
		return audited(ctx, tx, nil, k.CreatedAt, "create_key", domain.AuditKeys, k.ID, k.Role+":"+k.Subject)
	})
	if err != nil {
		return fmt.Errorf("store: create key %s: %w", k.ID, err)
	}
	return nil
}

// KeyByHash finds the working key with this hash; revoked and unknown keys wrap domain.ErrNotFound.
func (s *Store) KeyByHash(ctx context.Context, hash []byte) (domain.APIKey, error) {
	var k domain.APIKey
	var at int64
	err := s.reads.keyByHash.QueryRowContext(ctx, hash).Scan(&k.ID, &k.Role, &k.Subject, &k.CreatedBy, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return k, fmt.Errorf("store: key by hash: %w", domain.ErrNotFound)
	}
	if err != nil {
		return k, fmt.Errorf("store: key by hash: %w", err)
	}
	k.CreatedAt = fromNanos(at)
	return k, nil
}

// Keys lists every key, revoked ones included, newest first.
func (s *Store) Keys(ctx context.Context) ([]domain.APIKey, error) {
	rows, err := s.read.QueryContext(ctx,
		`SELECT id, role, subject, created_by, created_at, revoked_at FROM api_keys ORDER BY created_at DESC, id`)
	if err != nil {
		return nil, fmt.Errorf("store: list keys: %w", err)
	}
	defer rows.Close()
	keys := []domain.APIKey{}
	for rows.Next() {
		var k domain.APIKey
		var at int64
		var revoked sql.NullInt64
		if err := rows.Scan(&k.ID, &k.Role, &k.Subject, &k.CreatedBy, &at, &revoked); err != nil {
			return nil, fmt.Errorf("store: list keys: %w", err)
		}
		k.CreatedAt = fromNanos(at)
		if revoked.Valid {
			t := fromNanos(revoked.Int64)
			k.RevokedAt = &t
		}
		keys = append(keys, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list keys: %w", err)
	}
	return keys, nil
}

// RevokeKey marks a key revoked; revoking a revoked key again is not an error.
// The error wraps domain.ErrNotFound when there is no such key. The audit entry
// "revoke_key" goes in the same transaction when ctx has an actor.
func (s *Store) RevokeKey(ctx context.Context, id string) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		t := now()
		if err := execOne(ctx, tx, `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?`, nanos(t), id); err != nil {
			return err
		}
		return audited(ctx, tx, nil, t, "revoke_key", domain.AuditKeys, id, "")
	})
	if err != nil {
		return fmt.Errorf("store: revoke key %s: %w", id, err)
	}
	return nil
}
