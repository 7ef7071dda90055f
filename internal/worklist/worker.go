package worklist

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/techmatch/techmatch/internal/domain"
	"github.com/techmatch/techmatch/internal/match"
)

// Matcher ranks supply for demands and demands for supply.
type Matcher interface {
	MatchDemand(ctx context.Context, d *domain.Demand, kinds []domain.Kind, limit int, p *domain.Profile) (*domain.MatchList, error)
	MatchSupply(ctx context.Context, rec domain.SupplyRecord, limit int, p *domain.Profile) (*domain.MatchList, error)
}

// Indexed says how far the search index has applied the outbox.
type Indexed interface{ Position() uint64 }

var _ Matcher = (*match.Service)(nil)

// ConsumerName is the worker's row in the consumers table.
const ConsumerName = "worklist"

// workerBatch is how many outbox rows one step handles when it reverse-matches supply items.
const workerBatch = 200

// catchUpBatch is how many rows a step reads when the worker is further behind than one batch
// (after a bulk import, or at the first start over an imported store). When they hold more new
// supply than there are open demands, the step re-matches the open demands once for all of them
// instead of once per workerBatch rows: 100k imported records against 500 open demands cost 500
// matches instead of 100k reverse matches (~35 CPU-minutes). ~100 bytes a row in memory.
const catchUpBatch = 100_000

// Worker keeps match lists up to date from the store's outbox, off the request path. It only
// reads rows the index has applied, so recall already sees the record, and persists its own
// position, so a restart resumes where it stopped; replaying a row is harmless because
// entries are merged, never duplicated.
type Worker struct {
	st       Store
	index    Indexed
	matcher  Matcher
	alerts   Notifier
	interval time.Duration
	log      *slog.Logger
	wake     chan struct{}

	retention time.Duration // see WithOutboxRetention
	pruned    time.Time     // when Run last pruned the outbox
}

// pruneEvery is how often Run prunes the outbox: the delete walks the applied rows, so it is
// not worth doing on every step.
const pruneEvery = 10 * time.Minute

// NewWorker builds a worker; alerts is told when webhook deliveries were queued.
func NewWorker(st Store, index Indexed, m Matcher, alerts Notifier, interval time.Duration, log *slog.Logger) *Worker {
	if interval <= 0 {
		interval = 200 * time.Millisecond
	}
	if log == nil {
		log = slog.Default()
	}
	return &Worker{st: st, index: index, matcher: m, alerts: alerts, interval: interval, log: log, wake: make(chan struct{}, 1)}
}

// WithOutboxRetention makes Run delete, every few minutes, the outbox rows older than d that
// both the index and the worker have applied (config index.outbox_retention); 0, the
// default, keeps them all. The outbox otherwise grows by one row per write, for ever.
func (w *Worker) WithOutboxRetention(d time.Duration) *Worker {
	w.retention = d
	return w
}

// PruneOutbox deletes the outbox rows older than the retention that the index and every
// consumer (this worker included) have applied, and returns how many it deleted.
func (w *Worker) PruneOutbox(ctx context.Context) (int64, error) {
	if w.retention <= 0 {
		return 0, nil
	}
	// The worker's own position bounds it too, even before its row in the consumers table
	// exists (0: nothing is pruned before the worker's first step).
	pos, err := w.st.ConsumerPosition(ctx, ConsumerName)
	if err != nil {
		return 0, err
	}
	return w.st.PruneApplied(ctx, min(pos, w.index.Position()), time.Now().Add(-w.retention))
}

// Notify asks for a step soon; it never blocks.
func (w *Worker) Notify() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Run steps until the outbox is consumed up to the index, then waits for more, until ctx ends.
func (w *Worker) Run(ctx context.Context) {
	t := time.NewTicker(w.interval)
	defer t.Stop()
	for {
		for ctx.Err() == nil {
			n, err := w.Step(ctx)
			if err != nil {
				if ctx.Err() == nil {
					w.log.Error("worklist: step failed; will retry", "err", err)
				}
				break
			}
			if n == 0 {
				break
			}
		}
		if w.retention > 0 && time.Since(w.pruned) >= pruneEvery && ctx.Err() == nil {
			w.pruned = time.Now()
			if n, err := w.PruneOutbox(ctx); err != nil {
				w.log.Error("worklist: pruning the outbox failed; will retry", "err", err)
			} else if n > 0 {
				w.log.Info("worklist: pruned the outbox", "rows", n)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-w.wake:
		case <-t.C:
		}
	}
}

// Step processes the next batch of indexed outbox rows and returns how many it consumed.
func (w *Worker) Step(ctx context.Context) (int, error) {
	pos, err := w.st.ConsumerPosition(ctx, ConsumerName)
	if err != nil {
		return 0, err
	}
	limit := w.index.Position()
	if pos >= limit {
		return 0, nil
	}
	n := workerBatch
	if limit-pos > workerBatch {
		n = catchUpBatch
	}
	rows, err := w.st.OutboxAfter(ctx, pos, n)
	if err != nil {
		return 0, err
	}
	rows = slices.DeleteFunc(rows, func(r domain.OutboxEntry) bool { return r.Seq > limit })
	if len(rows) == 0 {
		// Rows up to the index position were pruned: nothing left to do below it.
		return 0, w.st.SetConsumerPosition(ctx, ConsumerName, limit)
	}
	p, err := w.profile(ctx)
	if err != nil {
		return 0, err
	}
	demands, rows, err := w.affectedDemands(ctx, rows, p)
	if err != nil {
		return 0, err
	}
	queued := false
	for _, id := range demands {
		q, err := w.refresh(ctx, id, p)
		if err != nil {
			return 0, err
		}
		queued = queued || q
	}
	if queued && w.alerts != nil {
		w.alerts.Notify()
	}
	last := rows[len(rows)-1].Seq
	return len(rows), w.st.SetConsumerPosition(ctx, ConsumerName, last)
}

// profile is the default profile, whose list_threshold decides what is listed.
func (w *Worker) profile(ctx context.Context) (*domain.Profile, error) {
	p, err := w.st.Profile(ctx, "default")
	if domain.ErrorCode(err) == domain.CodeNotFound {
		return match.DefaultProfile(), nil
	}
	return p, err
}

// affectedDemands are the demands written in rows, and the open demands that supply written
// in rows matches (reverse matching), in a stable order, each once. Unless it re-matches every
// open demand, it handles only the first workerBatch rows, which it returns as those consumed.
func (w *Worker) affectedDemands(ctx context.Context, rows []domain.OutboxEntry, p *domain.Profile) ([]string, []domain.OutboxEntry, error) {
	seen := map[string]bool{}
	var out []string
	add := func(id string) {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	// A bulk import brings more new supply than there are open demands: re-matching every open
	// demand once is then cheaper than one reverse match per supply item, and finds the same.
	supply := 0
	for _, r := range rows {
		if r.Op == "put" && r.Kind.IsSupply() {
			supply++
		}
	}
	var open []string
	if supply > 0 {
		var err error
		if open, err = w.st.SampleDemandIDs(ctx, "open", supply+1); err != nil {
			return nil, nil, err
		}
	}
	bulk := len(open) < supply
	if bulk {
		for _, id := range open {
			add(id)
		}
	} else if len(rows) > workerBatch {
		// Reverse matches are per row: small steps keep the persisted position close.
		rows = rows[:workerBatch]
	}
	done := map[string]bool{}
	for _, r := range rows {
		if r.Op != "put" || done[string(r.Kind)+"/"+r.ID] {
			continue
		}
		done[string(r.Kind)+"/"+r.ID] = true
		if r.Kind == domain.Demands {
			add(r.ID)
			continue
		}
		if bulk {
			continue
		}
		rec, err := w.st.Get(ctx, r.Kind, r.ID)
		if domain.ErrorCode(err) == domain.CodeNotFound {
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		sup, ok := rec.(domain.SupplyRecord)
		if !ok || sup.Common().Status == "closed" {
			continue
		}
		list, err := w.matcher.MatchSupply(ctx, sup, match.MaxLimit, p)
		if err != nil {
			return nil, nil, err
		}
		// Every demand the reverse match lists is re-matched, whatever its reverse score: forward
		// matching decides what is listed, and reverse text scores run lower (a supply item's
		// long summary is the query, of which a demand covers little).
		for _, m := range list.Matches {
			add(m.ID)
		}
	}
	return out, rows, nil
}

// refresh re-matches one demand and merges the list into its entries. Scores come from
// forward matching only, so an entry's score is the same whichever side was written.
func (w *Worker) refresh(ctx context.Context, demandID string, p *domain.Profile) (queued bool, err error) {
	rec, err := w.st.Get(ctx, domain.Demands, demandID)
	if domain.ErrorCode(err) == domain.CodeNotFound {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	d := rec.(*domain.Demand)
	if d.Status != "" && d.Status != "open" || d.Lapsed(time.Now()) {
		// A matched or closed demand keeps its list as it is; one past its deadline is closed
		// by the next sweep, which withdraws its open entries: none are added before.
		return false, nil
	}
	list, err := w.matcher.MatchDemand(ctx, d, nil, match.MaxLimit, p)
	if err != nil {
		return false, fmt.Errorf("worklist: match demand %s: %w", d.ID, err)
	}
	var entries []*domain.MatchEntry
	for _, m := range list.Matches {
		if m.Score < p.Params.ListThreshold {
			continue
		}
		entries = append(entries, &domain.MatchEntry{
			DemandTitle: d.Title, SupplyKind: m.Kind, SupplyID: m.ID, SupplyTitle: m.Title,
			Score: m.Score, Components: m.Components, Reasons: m.Reasons,
			Profile: list.Profile.Name, ProfileVersion: list.Profile.Version,
		})
	}
	if len(entries) == 0 {
		return false, nil
	}
	agentID, err := w.st.DemandAgent(ctx, d.ID)
	if err != nil {
		return false, err
	}
	var agent *domain.Agent
	if agentID == "" {
		agents, _, err := w.st.Agents(ctx, 0, 0)
		if err != nil {
			return false, err
		}
		loads, err := w.st.AgentLoads(ctx)
		if err != nil {
			return false, err
		}
		agentID = Pick(agents, loads, d)
		if i := slices.IndexFunc(agents, func(a *domain.Agent) bool { return a.ID == agentID }); i >= 0 {
			agent = agents[i]
		}
	} else if agent, err = w.st.Agent(ctx, agentID); err != nil {
		return false, err
	}
	_, err = w.st.SaveMatches(ctx, domain.MatchBatch{
		Demand: d, Entries: entries, AgentID: agentID,
		Alert: func(agentID string, assigned []*domain.MatchEntry) (*domain.Delivery, error) {
			if agent == nil || agent.WebhookURL == "" {
				return nil, nil
			}
			queued = true
			return assignmentAlert(agent, d, assigned)
		},
	})
	return queued, err
}

// Alert is the JSON body of an assignment webhook.
type Alert struct {
	Event    string       `json:"event"`
	AgentID  string       `json:"agent_id"`
	DemandID string       `json:"demand_id"`
	Demand   string       `json:"demand_title"`
	Entries  []AlertEntry `json:"entries"`
	At       time.Time    `json:"at"`
}

// AlertEntry names one newly assigned entry.
type AlertEntry struct {
	ID         string      `json:"id"`
	SupplyKind domain.Kind `json:"supply_kind"`
	SupplyID   string      `json:"supply_id"`
	Title      string      `json:"title"`
	Score      float64     `json:"score"`
}

// EventAssigned is the event of an assignment webhook.
const EventAssigned = "matches.assigned"

func assignmentAlert(a *domain.Agent, d *domain.Demand, assigned []*domain.MatchEntry) (*domain.Delivery, error) {
	al := Alert{Event: EventAssigned, AgentID: a.ID, DemandID: d.ID, Demand: d.Title, At: time.Now().UTC()}
	for _, e := range assigned {
		al.Entries = append(al.Entries, AlertEntry{ID: e.ID, SupplyKind: e.SupplyKind, SupplyID: e.SupplyID, Title: e.SupplyTitle, Score: e.Score})
	}
	body, err := json.Marshal(al)
	if err != nil {
		return nil, err
	}
	return &domain.Delivery{AgentID: a.ID, URL: a.WebhookURL, Event: EventAssigned, Body: body}, nil
}
