package store

import (
	"context"
	"fmt"

	"github.com/techmatch/techmatch/internal/domain"
	"github.com/techmatch/techmatch/internal/store/codec"
)

// ListDemandsOf returns one page of the demands of one enterprise, most recently written
// first, and their total: what an enterprise key may list. The literal enterprise <> ”
// lets SQLite use the partial index records_by_enterprise.
func (s *Store) ListDemandsOf(ctx context.Context, enterprise string, offset, limit int) (items []domain.Record, total int, err error) {
	offset = max(offset, 0)
	tx, err := s.read.BeginTx(ctx, nil)
	if err != nil {
		return nil, 0, fmt.Errorf("store: list demands of %s: %w", enterprise, err)
	}
	defer tx.Rollback() //nolint:errcheck // read-only; nothing to undo
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM records WHERE kind = ? AND enterprise = ? AND enterprise <> ''`,
		domain.Demands, enterprise).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("store: list demands of %s: %w", enterprise, err)
	}
	if limit <= 0 || offset >= total {
		return nil, total, nil
	}
	bodies, err := queryBodies(ctx, tx, `SELECT body FROM records WHERE kind = ? AND enterprise = ? AND enterprise <> ''
		ORDER BY seq DESC LIMIT ? OFFSET ?`, domain.Demands, enterprise, limit, offset)
	if err != nil {
		return nil, 0, fmt.Errorf("store: list demands of %s: %w", enterprise, err)
	}
	if items, err = codec.DecodeAll(domain.Demands, bodies); err != nil {
		return nil, 0, fmt.Errorf("store: list demands of %s: %w", enterprise, err)
	}
	return items, total, nil
}
