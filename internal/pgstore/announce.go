package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/techmatch/techmatch/internal/domain"
	"github.com/techmatch/techmatch/internal/store/codec"
)

// WithAnnouncer makes the store queue a's deliveries; without it (tools such as reindex, and
// tests) nothing is announced.
func WithAnnouncer(a domain.Announcer) Option {
	return func(s *Store) { s.ann = a }
}

// recordIn reads one record inside tx: what tx sees is what it changes. The error is
// domain.ErrNotFound when there is none.
func recordIn(ctx context.Context, tx pgx.Tx, k domain.Kind, id string) (domain.Record, error) {
	var body []byte
	err := tx.QueryRow(ctx, `SELECT body FROM records WHERE kind = $1 AND id = $2`, k, id).Scan(&body)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, domain.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return codec.Decode(k, body)
}

// agentsWhere reads the agents a query on the agents table selects, in id order.
func agentsWhere(ctx context.Context, tx pgx.Tx, query string, args ...any) ([]*domain.Agent, error) {
	bodies, err := queryBodies(ctx, tx, query, args...)
	if err != nil {
		return nil, err
	}
	out := make([]*domain.Agent, 0, len(bodies))
	for _, b := range bodies {
		var a domain.Agent
		if err := json.Unmarshal(b, &a); err != nil {
			return nil, fmt.Errorf("agent: %w", err)
		}
		out = append(out, &a)
	}
	return out, nil
}

// holders are the agents holding any of a demand's entries, open or not: who works, or
// worked, the demand with its enterprise.
func holders(ctx context.Context, tx pgx.Tx, demandID string) ([]*domain.Agent, error) {
	return agentsWhere(ctx, tx, `SELECT body FROM agents WHERE id IN
		(SELECT agent_id FROM match_entries WHERE demand_id = $1 AND agent_id <> '') ORDER BY id`, demandID)
}

// announce stores, in tx, the delivery build makes for each of agents that has a webhook URL.
func announce(ctx context.Context, tx pgx.Tx, agents []*domain.Agent, t time.Time, build func(*domain.Agent) (*domain.Delivery, error)) error {
	for _, a := range agents {
		if a.WebhookURL == "" {
			continue
		}
		dl, err := build(a)
		if err != nil {
			return fmt.Errorf("announce to %s: %w", a.ID, err)
		}
		if dl == nil {
			continue
		}
		if _, err := insertDelivery(ctx, tx, dl, t); err != nil {
			return err
		}
	}
	return nil
}

// announceClosed tells the agents holding a demand's entries that it closed (reason: its
// closed_reason, or domain.ClosedByDeletion), each with the entries withdrawn from them.
func announceClosed(ctx context.Context, tx pgx.Tx, ann domain.Announcer, d *domain.Demand, reason string, withdrawn []*domain.MatchEntry, t time.Time) error {
	if ann == nil {
		return nil
	}
	agents, err := holders(ctx, tx, d.ID)
	if err != nil {
		return err
	}
	return announce(ctx, tx, agents, t, func(a *domain.Agent) (*domain.Delivery, error) {
		var theirs []*domain.MatchEntry
		for _, e := range withdrawn {
			if e.AgentID == a.ID {
				theirs = append(theirs, e)
			}
		}
		return ann.DemandClosed(a, d, reason, theirs)
	})
}

// announceMoved tells the agent holding an entry that its status changed.
func announceMoved(ctx context.Context, tx pgx.Tx, ann domain.Announcer, e *domain.MatchEntry, t time.Time) error {
	if ann == nil || e.AgentID == "" || len(e.History) == 0 {
		return nil
	}
	agents, err := agentsWhere(ctx, tx, `SELECT body FROM agents WHERE id = $1`, e.AgentID)
	if err != nil {
		return err
	}
	step := e.History[len(e.History)-1]
	return announce(ctx, tx, agents, t, func(a *domain.Agent) (*domain.Delivery, error) { return ann.EntryMoved(a, e, step) })
}

// announceTaken tells of a takeup the agents holding the demand's entries, who work it with
// its enterprise; when no agent holds them, every agent whose regions and fields cover the
// demand, one of whom may take it on.
func announceTaken(ctx context.Context, tx pgx.Tx, ann domain.Announcer, d *domain.Demand, tk *domain.Takeup, t time.Time) error {
	if ann == nil {
		return nil
	}
	agents, err := holders(ctx, tx, d.ID)
	if err != nil {
		return err
	}
	if len(agents) == 0 {
		all, err := agentsWhere(ctx, tx, `SELECT body FROM agents ORDER BY id`)
		if err != nil {
			return err
		}
		for _, a := range all {
			if a.Covers(d) {
				agents = append(agents, a)
			}
		}
	}
	return announce(ctx, tx, agents, t, func(a *domain.Agent) (*domain.Delivery, error) { return ann.ChallengeTaken(a, d, tk) })
}
