package worklist

import (
	"context"
	"time"

	"github.com/techmatch/techmatch/internal/domain"
)

// Store is what the worklist keeps and reads.
type Store interface {
	Get(ctx context.Context, k domain.Kind, id string) (domain.Record, error)
	GetMany(ctx context.Context, k domain.Kind, ids []string) (map[string]domain.Record, error)
	Profile(ctx context.Context, name string) (*domain.Profile, error)
	OutboxAfter(ctx context.Context, after uint64, limit int) ([]domain.OutboxEntry, error)
	SampleDemandIDs(ctx context.Context, status string, n int) ([]string, error)

	PutAgent(ctx context.Context, a *domain.Agent) (bool, error)
	Agent(ctx context.Context, id string) (*domain.Agent, error)
	Agents(ctx context.Context, offset, limit int) ([]*domain.Agent, int, error)
	DeleteAgent(ctx context.Context, id string) error
	AgentLoads(ctx context.Context) (map[string]int, error)
	DemandAgent(ctx context.Context, demandID string) (string, error)
	AssignDemand(ctx context.Context, demandID, agentID string, announce func([]*domain.MatchEntry) (*domain.Delivery, error)) ([]*domain.MatchEntry, error)
	UnassignedDemands(ctx context.Context) ([]string, error)

	ConsumerPosition(ctx context.Context, name string) (uint64, error)
	SetConsumerPosition(ctx context.Context, name string, pos uint64) error
	PruneApplied(ctx context.Context, upTo uint64, before time.Time) (int64, error)

	Entry(ctx context.Context, id string) (*domain.MatchEntry, error)
	Entries(ctx context.Context, f domain.EntryFilter, offset, limit int) ([]*domain.MatchEntry, int, error)
	SaveMatches(ctx context.Context, b domain.MatchBatch) ([]*domain.MatchEntry, error)
	UpdateEntry(ctx context.Context, id string, change func(*domain.MatchEntry) error) (*domain.MatchEntry, error)
	StatRows(ctx context.Context, from, to time.Time) ([]domain.StatRow, error)

	DueDeliveries(ctx context.Context, t time.Time, limit int) ([]domain.Delivery, error)
	NextDelivery(ctx context.Context) (time.Time, bool, error)
	RecordAttempt(ctx context.Context, id int64, status string, code int, errText string, next time.Time) error
	Deliveries(ctx context.Context, f domain.DeliveryFilter, offset, limit int) ([]domain.Delivery, int, error)
	Redeliver(ctx context.Context, id int64) (*domain.Delivery, error)

	AddTakeup(ctx context.Context, t *domain.Takeup) error
	Takeups(ctx context.Context, demandID string) ([]*domain.Takeup, error)
}

// Notifier is told about writes so they reach the index quickly.
type Notifier interface{ Notify() }

// Service is the worklist's API: agents, entries and their workflow, takeups, deliveries, stats.
type Service struct {
	Store
	reindex Notifier
	alerts  Notifier
	now     func() time.Time
}

// NewService builds the service; reindex is told when a signed deal updates a supply record.
func NewService(st Store, reindex Notifier) *Service {
	return &Service{Store: st, reindex: reindex, now: func() time.Time { return time.Now().UTC() }}
}

// WithAlerts makes the service tell alerts (the webhook deliverer) when a change of its may
// have queued a webhook, so it goes out at once; it returns the service.
func (s *Service) WithAlerts(alerts Notifier) *Service {
	s.alerts = alerts
	return s
}

func (s *Service) alerted() {
	if s.alerts != nil {
		s.alerts.Notify()
	}
}

// Update applies a workflow change made by who. A signed deal adds one to the supply item's
// market.deals, written through the store so the index and the data generation follow.
func (s *Service) Update(ctx context.Context, id string, u domain.EntryUpdate, who string) (*domain.MatchEntry, error) {
	var signed, moved bool
	e, err := s.UpdateEntry(ctx, id, func(e *domain.MatchEntry) error {
		before := e.Status
		if err := Apply(e, u, who, s.now()); err != nil {
			return err
		}
		signed = before != domain.StatusSigned && e.Status == domain.StatusSigned
		moved = before != e.Status
		return nil
	})
	if err != nil {
		return nil, err
	}
	if moved {
		s.alerted() // the store queued matches.status_changed with the change
	}
	// The store counted the deal on the supply item in the same transaction; its write is in
	// the outbox, which the indexer picks up sooner when told.
	if signed && s.reindex != nil {
		s.reindex.Notify()
	}
	return e, nil
}

// TakeUp registers a takeup (揭榜) of challenge demandID by the supply record r names, made by
// who (a principal's name; agentID when an agent made it). See Store.AddTakeup for what is
// refused.
func (s *Service) TakeUp(ctx context.Context, demandID string, r domain.TakeupRequest, who, agentID string) (*domain.Takeup, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	t := &domain.Takeup{DemandID: demandID, SupplyKind: r.SupplyKind, SupplyID: r.SupplyID, Note: r.Note, By: who, AgentID: agentID}
	if err := s.AddTakeup(ctx, t); err != nil {
		return nil, err
	}
	s.alerted()
	return t, nil
}

// Redeliver schedules one more attempt at a delivery now (see Store.Redeliver).
func (s *Service) Redeliver(ctx context.Context, id int64) (*domain.Delivery, error) {
	d, err := s.Store.Redeliver(ctx, id)
	if err != nil {
		return nil, err
	}
	s.alerted()
	return d, nil
}
