package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/techmatch/techmatch/internal/domain"
)

// AssignDemand hands the open entries (new, contacted, negotiating) of a demand to agentID, or
// leaves them unassigned when agentID is "", in one transaction with a history step on each
// moved entry, the audit entry "assign" when ctx has an actor, and the webhook alert announces
// builds (nil: none) for the agent's newly held entries. Signed and rejected entries keep the
// agent who worked them. It returns the entries moved; an unknown agent wraps domain.ErrNotFound.
func (s *Store) AssignDemand(ctx context.Context, demandID, agentID string, announce func(assigned []*domain.MatchEntry) (*domain.Delivery, error)) ([]*domain.MatchEntry, error) {
	var moved []*domain.MatchEntry
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if agentID != "" {
			var one int
			err := tx.QueryRowContext(ctx, `SELECT 1 FROM agents WHERE id = ?`, agentID).Scan(&one)
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("agent %s: %w", agentID, domain.ErrNotFound)
			}
			if err != nil {
				return err
			}
		}
		bodies, err := queryBodies(ctx, tx, `SELECT body FROM match_entries WHERE demand_id = ? AND agent_id <> ?
			AND status IN ('new', 'contacted', 'negotiating') ORDER BY id`, demandID, agentID)
		if err != nil {
			return err
		}
		t := now()
		by := domain.SystemActor
		if a, ok := domain.ActorOf(ctx); ok {
			by = a.Name
		}
		for _, b := range bodies {
			var e domain.MatchEntry
			if err := json.Unmarshal(b, &e); err != nil {
				return err
			}
			note := "unassigned"
			if agentID != "" {
				note = "assigned to " + agentID
			}
			if e.AgentID != "" {
				note += " (from " + e.AgentID + ")"
			}
			e.History = append(e.History, domain.StatusChange{At: t, By: by, From: e.Status, To: e.Status, Note: note})
			e.AgentID, e.UpdatedAt = agentID, t
			body, err := json.Marshal(&e)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE match_entries SET agent_id = ?, updated_at = ?, body = ? WHERE id = ?`,
				agentID, nanos(t), string(body), e.ID); err != nil {
				return err
			}
			moved = append(moved, &e)
		}
		if len(moved) == 0 {
			return nil
		}
		to := agentID
		if to == "" {
			to = "nobody"
		}
		if err := audited(ctx, tx, nil, t, "assign", domain.Demands, demandID, fmt.Sprintf("to %s: %d open entries", to, len(moved))); err != nil {
			return err
		}
		if announce == nil || agentID == "" {
			return nil
		}
		dl, err := announce(moved)
		if err != nil || dl == nil {
			return err
		}
		_, err = insertDelivery(ctx, tx, dl, t)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: assign demand %s to %q: %w", demandID, agentID, err)
	}
	return moved, nil
}

// UnassignedDemands lists the demands with open entries no agent holds, oldest entry first.
func (s *Store) UnassignedDemands(ctx context.Context) ([]string, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT demand_id FROM match_entries WHERE agent_id = ''
		AND status IN ('new', 'contacted', 'negotiating') GROUP BY demand_id ORDER BY MIN(created_at), demand_id`)
	if err != nil {
		return nil, fmt.Errorf("store: unassigned demands: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("store: unassigned demands: %w", err)
		}
		out = append(out, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: unassigned demands: %w", err)
	}
	return out, nil
}
