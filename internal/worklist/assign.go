package worklist

import (
	"context"

	"github.com/techmatch/techmatch/internal/domain"
)

// Assigned says what became of one demand in an assignment.
type Assigned struct {
	DemandID string `json:"demand_id"`
	// Moved is how many open entries changed hands.
	Moved int    `json:"moved"`
	Error string `json:"error,omitempty"`
}

// Assign hands the open entries of each demand to agentID ("" leaves them unassigned), each
// demand in its own transaction, so one that fails (deleted, say) leaves the others done. The
// agent gets one webhook per demand it takes, as for the worker's assignments. Staff decide:
// neither the agent's regions nor its capacity bind them. An unknown agent fails the whole call.
func (s *Service) Assign(ctx context.Context, demandIDs []string, agentID string) ([]Assigned, error) {
	var agent *domain.Agent
	if agentID != "" {
		var err error
		if agent, err = s.Agent(ctx, agentID); err != nil {
			return nil, err
		}
	}
	out := make([]Assigned, 0, len(demandIDs))
	for _, id := range demandIDs {
		n, err := s.assignOne(ctx, id, agent)
		a := Assigned{DemandID: id, Moved: n}
		if err != nil {
			if domain.ErrorCode(err) != domain.CodeNotFound {
				return out, err
			}
			a.Error = "demand not found"
		}
		out = append(out, a)
	}
	return out, nil
}

func (s *Service) assignOne(ctx context.Context, demandID string, agent *domain.Agent) (int, error) {
	rec, err := s.Get(ctx, domain.Demands, demandID)
	if err != nil {
		return 0, err
	}
	d := rec.(*domain.Demand)
	agentID := ""
	var announce func([]*domain.MatchEntry) (*domain.Delivery, error)
	if agent != nil {
		agentID = agent.ID
		if agent.WebhookURL != "" {
			announce = func(assigned []*domain.MatchEntry) (*domain.Delivery, error) {
				return assignmentAlert(agent, d, assigned)
			}
		}
	}
	moved, err := s.AssignDemand(ctx, demandID, agentID, announce)
	if len(moved) > 0 && announce != nil {
		s.alerted()
	}
	return len(moved), err
}

// Adopt gives a new or changed agent the open demands it covers that no agent holds, oldest
// first, up to its capacity, so that they need not wait for their next write.
func (s *Service) Adopt(ctx context.Context, a *domain.Agent) (int, error) {
	ids, err := s.UnassignedDemands(ctx)
	if err != nil || len(ids) == 0 {
		return 0, err
	}
	loads, err := s.AgentLoads(ctx)
	if err != nil {
		return 0, err
	}
	free := a.Capacity - loads[a.ID]
	taken := 0
	for _, id := range ids {
		if free <= 0 {
			break
		}
		rec, err := s.Get(ctx, domain.Demands, id)
		if domain.ErrorCode(err) == domain.CodeNotFound {
			continue
		}
		if err != nil {
			return taken, err
		}
		d := rec.(*domain.Demand)
		if (d.Status != "" && d.Status != domain.DemandOpen) || !a.Covers(d) {
			continue
		}
		if _, err := s.assignOne(ctx, id, a); err != nil {
			return taken, err
		}
		taken++
		free--
	}
	return taken, nil
}
