package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/techmatch/techmatch/internal/domain"
)

// PutAgent creates or replaces an agent, setting its timestamps in place; the audit entry
// ("create" or "replace") is written in the same transaction when ctx has an actor.
func (s *Store) PutAgent(ctx context.Context, a *domain.Agent) (created bool, err error) {
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		var createdAt int64
		err := tx.QueryRow(ctx, `SELECT created_at FROM agents WHERE id = $1`, a.ID).Scan(&createdAt)
		t := now()
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			created, a.CreatedAt = true, t
		case err != nil:
			return err
		default:
			a.CreatedAt = fromNanos(createdAt)
		}
		a.UpdatedAt = t
		body, err := json.Marshal(a)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO agents (id, created_at, body) VALUES ($1, $2, $3)
			ON CONFLICT (id) DO UPDATE SET body = excluded.body`, a.ID, nanos(a.CreatedAt), string(body)); err != nil {
			return err
		}
		action := "replace"
		if created {
			action = "create"
		}
		return audited(ctx, tx, t, action, domain.AuditAgents, a.ID, "")
	})
	if err != nil {
		return false, fmt.Errorf("pgstore: put agent %s: %w", a.ID, err)
	}
	return created, nil
}

// Agent reads one agent; the error wraps domain.ErrNotFound when there is none.
func (s *Store) Agent(ctx context.Context, id string) (*domain.Agent, error) {
	var body []byte
	err := s.pool.QueryRow(ctx, `SELECT body FROM agents WHERE id = $1`, id).Scan(&body)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("pgstore: agent %s: %w", id, domain.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("pgstore: agent %s: %w", id, classify(err))
	}
	var a domain.Agent
	if err := json.Unmarshal(body, &a); err != nil {
		return nil, fmt.Errorf("pgstore: agent %s: %w", id, err)
	}
	return &a, nil
}

// Agents returns a page of agents in id order and the total; limit ≤ 0 returns them all.
func (s *Store) Agents(ctx context.Context, offset, limit int) ([]*domain.Agent, int, error) {
	var (
		total  int
		bodies [][]byte
	)
	err := s.inSnapshot(ctx, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM agents`).Scan(&total); err != nil {
			return err
		}
		var err error
		bodies, err = queryBodies(ctx, tx, `SELECT body FROM agents ORDER BY id LIMIT $1 OFFSET $2`,
			limitOrAll(limit), max(offset, 0))
		return err
	})
	if err != nil {
		return nil, 0, fmt.Errorf("pgstore: list agents: %w", err)
	}
	out := make([]*domain.Agent, 0, len(bodies))
	for _, b := range bodies {
		var a domain.Agent
		if err := json.Unmarshal(b, &a); err != nil {
			return nil, 0, fmt.Errorf("pgstore: list agents: %w", err)
		}
		out = append(out, &a)
	}
	return out, total, nil
}

// limitOrAll is a LIMIT parameter: NULL, no limit, for limit ≤ 0.
func limitOrAll(limit int) *int {
	if limit <= 0 {
		return nil
	}
	return &limit
}

// DeleteAgent removes an agent; its open entries become unassigned so that they can be
// handed to someone else, while closed ones keep the name of who worked them. The audit
// entry "delete" goes in the same transaction when ctx has an actor.
func (s *Store) DeleteAgent(ctx context.Context, id string) error {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if err := execOne(ctx, tx, `DELETE FROM agents WHERE id = $1`, id); err != nil {
			return err
		}
		entries, err := entriesBy(ctx, tx, `SELECT body FROM match_entries WHERE agent_id = $1 AND status IN `+openStatuses, id)
		if err != nil {
			return err
		}
		for _, e := range entries {
			e.AgentID = ""
			if err := updateEntryRow(ctx, tx, e); err != nil {
				return err
			}
		}
		detail := ""
		if len(entries) > 0 {
			detail = fmt.Sprintf("%d open entries unassigned", len(entries))
		}
		return audited(ctx, tx, now(), "delete", domain.AuditAgents, id, detail)
	})
	if err != nil {
		return fmt.Errorf("pgstore: delete agent %s: %w", id, err)
	}
	return nil
}

// AgentLoads counts, per agent, the distinct demands with at least one open entry.
func (s *Store) AgentLoads(ctx context.Context) (map[string]int, error) {
	rows, err := s.pool.Query(ctx, `SELECT agent_id, COUNT(DISTINCT demand_id) FROM match_entries
		WHERE agent_id <> '' AND status IN `+openStatuses+` GROUP BY agent_id`)
	if err != nil {
		return nil, fmt.Errorf("pgstore: agent loads: %w", classify(err))
	}
	out := map[string]int{}
	var id string
	var n int
	if _, err := pgx.ForEachRow(rows, []any{&id, &n}, func() error { out[id] = n; return nil }); err != nil {
		return nil, fmt.Errorf("pgstore: agent loads: %w", classify(err))
	}
	return out, nil
}

// DemandAgent is the agent holding a demand's entries, "" when they are unassigned or there are none.
func (s *Store) DemandAgent(ctx context.Context, demandID string) (string, error) {
	var id string
	err := s.pool.QueryRow(ctx, `SELECT agent_id FROM match_entries WHERE demand_id = $1 AND agent_id <> ''
		ORDER BY updated_at DESC LIMIT 1`, demandID).Scan(&id)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return "", fmt.Errorf("pgstore: agent of demand %s: %w", demandID, classify(err))
	}
	return id, nil
}
