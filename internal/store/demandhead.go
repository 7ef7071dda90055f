package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/techmatch/techmatch/internal/domain"
)

// selectDemandHead reads the columns the write path keeps beside the body (rev, enterprise)
// and the feedback version in one statement, so that the cached match route makes one read.
const selectDemandHead = `SELECT r.rev, r.enterprise,
		COALESCE((SELECT f.version FROM demand_feedback f WHERE f.demand_id = r.id), 0)
	FROM records r WHERE r.kind = 'demands' AND r.id = ?`

// selectKeyByHash is KeyByHash's query, looked up on every request that carries a key.
const selectKeyByHash = `SELECT id, role, subject, created_by, created_at FROM api_keys WHERE hash = ? AND revoked_at IS NULL`

// DemandHead reads a demand's rev, owner and feedback version; the error wraps
// domain.ErrNotFound when the demand does not exist. It reads the database every time, so it is
// as current as Get, across processes too.
func (s *Store) DemandHead(ctx context.Context, id string) (domain.DemandHead, error) {
	h := domain.DemandHead{ID: id}
	err := s.reads.demandHead.QueryRowContext(ctx, id).Scan(&h.Rev, &h.Enterprise, &h.Feedback)
	if errors.Is(err, sql.ErrNoRows) {
		return h, fmt.Errorf("store: head of demand %s: %w", id, domain.ErrNotFound)
	}
	if err != nil {
		return h, fmt.Errorf("store: head of demand %s: %w", id, err)
	}
	return h, nil
}
