package worklist

import (
	"encoding/json"
	"time"

	"github.com/techmatch/techmatch/internal/domain"
)

// Webhook events besides EventAssigned. Who is told of what (README, "Webhooks"):
//   - matches.status_changed: the agent holding the entry, whoever moved it (the agent, staff);
//     withdrawals are told as demand.closed instead;
//   - demand.closed: the agents holding any of the demand's entries, when it is closed by its
//     enterprise or staff (reason manual), at its deadline (deadline) or deleted (deleted),
//     each with the entries withdrawn from it;
//   - challenge.taken: the agents holding the demand's entries, or while none does, every
//     agent whose regions and fields cover the demand.
const (
	EventStatusChanged  = "matches.status_changed"
	EventDemandClosed   = "demand.closed"
	EventChallengeTaken = "challenge.taken"
)

// StatusChangedAlert is the body of matches.status_changed.
type StatusChangedAlert struct {
	Event      string     `json:"event"`
	AgentID    string     `json:"agent_id"`
	DemandID   string     `json:"demand_id"`
	Demand     string     `json:"demand_title"`
	Entry      AlertEntry `json:"entry"`
	From       string     `json:"from"`
	To         string     `json:"to"`
	Reason     string     `json:"reason,omitempty"`
	Note       string     `json:"note,omitempty"`
	DealAmount *float64   `json:"deal_amount,omitempty"`
	By         string     `json:"by"`
	At         time.Time  `json:"at"`
}

// DemandClosedAlert is the body of demand.closed.
type DemandClosedAlert struct {
	Event    string `json:"event"`
	AgentID  string `json:"agent_id"`
	DemandID string `json:"demand_id"`
	Demand   string `json:"demand_title"`
	// Reason is manual, deadline or deleted.
	Reason string `json:"reason"`
	// DueDate is the date that closed it, with reason deadline.
	DueDate   string       `json:"due_date,omitempty"`
	Withdrawn []AlertEntry `json:"withdrawn"`
	At        time.Time    `json:"at"`
}

// ChallengeTakenAlert is the body of challenge.taken.
type ChallengeTakenAlert struct {
	Event    string        `json:"event"`
	AgentID  string        `json:"agent_id"`
	DemandID string        `json:"demand_id"`
	Demand   string        `json:"demand_title"`
	Bounty   *float64      `json:"bounty,omitempty"`
	DueDate  string        `json:"due_date,omitempty"`
	Takeup   domain.Takeup `json:"takeup"`
	At       time.Time     `json:"at"`
}

// Announcements builds the bodies of the webhooks the store queues for changes it makes (it
// implements the store's Announcer; serve wires it).
type Announcements struct{}

func alertEntry(e *domain.MatchEntry) AlertEntry {
	return AlertEntry{ID: e.ID, SupplyKind: e.SupplyKind, SupplyID: e.SupplyID, Title: e.SupplyTitle, Score: e.Score}
}

func delivery(a *domain.Agent, event string, body any) (*domain.Delivery, error) {
	data, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	return &domain.Delivery{AgentID: a.ID, URL: a.WebhookURL, Event: event, Body: data}, nil
}

// EntryMoved is matches.status_changed.
func (Announcements) EntryMoved(a *domain.Agent, e *domain.MatchEntry, step domain.StatusChange) (*domain.Delivery, error) {
	at := step.At
	if at.IsZero() {
		at = time.Now().UTC()
	}
	return delivery(a, EventStatusChanged, StatusChangedAlert{
		Event: EventStatusChanged, AgentID: a.ID, DemandID: e.DemandID, Demand: e.DemandTitle, Entry: alertEntry(e),
		From: step.From, To: step.To, Reason: step.Reason, Note: step.Note, DealAmount: step.DealAmount, By: step.By, At: at,
	})
}

// DemandClosed is demand.closed.
func (Announcements) DemandClosed(a *domain.Agent, d *domain.Demand, reason string, withdrawn []*domain.MatchEntry) (*domain.Delivery, error) {
	al := DemandClosedAlert{Event: EventDemandClosed, AgentID: a.ID, DemandID: d.ID, Demand: d.Title, Reason: reason,
		Withdrawn: []AlertEntry{}, At: time.Now().UTC()}
	if reason == domain.ClosedAtDeadline {
		al.DueDate = d.DueDate()
	}
	for _, e := range withdrawn {
		al.Withdrawn = append(al.Withdrawn, alertEntry(e))
	}
	return delivery(a, EventDemandClosed, al)
}

// ChallengeTaken is challenge.taken.
func (Announcements) ChallengeTaken(a *domain.Agent, d *domain.Demand, t *domain.Takeup) (*domain.Delivery, error) {
	al := ChallengeTakenAlert{Event: EventChallengeTaken, AgentID: a.ID, DemandID: d.ID, Demand: d.Title,
		DueDate: d.DueDate(), Takeup: *t, At: t.CreatedAt}
	if d.Challenge != nil {
		al.Bounty = d.Challenge.Bounty
	}
	return delivery(a, EventChallengeTaken, al)
}
