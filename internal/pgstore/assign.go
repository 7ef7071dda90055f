package pgstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/techmatch/techmatch/internal/domain"
)

// AssignDemand hands the open entries (new, contacted, negotiating) of a demand to agentID, or
// leaves them unassigned when agentID is "", in one transaction with a history step on each
// moved entry, the audit entry "assign" when ctx has an actor, and the webhook alert announces
// builds (nil: none) for the agent's newly held entries. Signed and rejected entries keep the
// agent who worked them. It returns the entries moved; an unknown agent wraps domain.ErrNotFound.
func (s *Store) AssignDemand(ctx context.Context, demandID, agentID string, announce func(assigned []*domain.MatchEntry) (*domain.Delivery, error)) ([]*domain.MatchEntry, error) {
	var moved []*domain.MatchEntry
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		moved = nil
		if agentID != "" {
			var one int
			err := tx.QueryRow(ctx, `SELECT 1 FROM agents WHERE id = $1`, agentID).Scan(&one)
			if errors.Is(err, pgx.ErrNoRows) {
				return fmt.Errorf("agent %s: %w", agentID, domain.ErrNotFound)
			}
			if err != nil {
				return err
			}
		}
		entries, err := entriesBy(ctx, tx, `SELECT body FROM match_entries WHERE demand_id = $1 AND agent_id <> $2
			AND status IN `+openStatuses+` ORDER BY id`, demandID, agentID)
		if err != nil {
			return err
		}
		t := now()
		by := domain.SystemActor
		if a, ok := domain.ActorOf(ctx); ok {
			by = a.Name
		}
		for _, e := range entries {
			note := "unassigned"
			if agentID != "" {
				note = "assigned to " + agentID
			}
			if e.AgentID != "" {
				note += " (from " + e.AgentID + ")"
			}
			e.History = append(e.History, domain.StatusChange{At: t, By: by, From: e.Status, To: e.Status, Note: note})
			e.AgentID, e.UpdatedAt = agentID, t
			if err := updateEntryRow(ctx, tx, e); err != nil {
				return err
			}
			moved = append(moved, e)
		}
		if len(moved) == 0 {
			return nil
		}
		to := agentID
		if to == "" {
			to = "nobody"
		}
		if err := audited(ctx, tx, t, "assign", domain.Demands, demandID, fmt.Sprintf("to %s: %d open entries", to, len(moved))); err != nil {
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
		return nil, fmt.Errorf("pgstore: assign demand %s to %q: %w", demandID, agentID, err)
	}
	return moved, nil
}

// UnassignedDemands lists the demands with open entries no agent holds, oldest entry first.
func (s *Store) UnassignedDemands(ctx context.Context) ([]string, error) {
	out, err := queryStrings(ctx, s.pool, `SELECT demand_id FROM match_entries WHERE agent_id = ''
		AND status IN `+openStatuses+` GROUP BY demand_id ORDER BY MIN(created_at), demand_id`)
	if err != nil {
		return nil, fmt.Errorf("pgstore: unassigned demands: %w", classify(err))
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}
