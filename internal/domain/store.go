package domain

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"time"
)

// The types below are what a store shares with its callers: the API, the worklist and the
// indexer see these, never a store's own, so a second store (PostgreSQL) serves them alike.

// DemandHead is what a cached match answer for a stored demand is keyed and guarded by: the
// demand's rev, its owner (who may see it) and its feedback version. Reading it costs one indexed
// row and no JSON, where Get decodes the whole body.
type DemandHead struct {
	ID         string
	Rev        int64
	Enterprise string
	Feedback   int64 // workflow changes to the demand's match entries; 0 when none
}

// OutboxEntry says that a record was written ("put") or deleted ("delete").
// It names the record only: a consumer reads the record's current state, which makes
// replaying entries idempotent.
type OutboxEntry struct {
	Seq  uint64
	Kind Kind
	ID   string
	Op   string
	At   time.Time
}

// IndexConsumerPrefix starts the consumer name under which a replica's search index reports its
// outbox position (IndexConsumer). Each replica keeps its own index, so each has its row; the
// outbox is pruned only below the slowest of them that has reported within the retention.
const IndexConsumerPrefix = "index:"

// IndexConsumer is the consumer name of replica's index.
func IndexConsumer(replica string) string { return IndexConsumerPrefix + replica }

// Delivery is one webhook call to make or made: the payload, and how the attempts went.
type Delivery struct {
	ID        int64           `json:"id"`
	AgentID   string          `json:"agent_id"`
	URL       string          `json:"url"`
	Event     string          `json:"event"`
	Body      json.RawMessage `json:"body"`
	Status    string          `json:"status"` // pending, delivered, failed
	Attempts  int             `json:"attempts"`
	LastCode  int             `json:"last_code,omitempty"`
	LastError string          `json:"last_error,omitempty"`
	NextAt    time.Time       `json:"next_at"`
	CreatedAt time.Time       `json:"created_at"`
	UpdatedAt time.Time       `json:"updated_at"`
}

// Delivery statuses.
const (
	DeliveryPending   = "pending"
	DeliveryDelivered = "delivered"
	DeliveryFailed    = "failed"
)

// MatchBatch is one demand's fresh match list, to be merged into the stored entries.
type MatchBatch struct {
	Demand *Demand
	// Entries are the pairs above the list threshold, as scored now; only score, components,
	// reasons, profile and titles are taken from them for pairs already listed.
	Entries []*MatchEntry
	// AgentID takes the demand's entries when none of them has an agent yet; "" leaves them unassigned.
	AgentID string
	// Alert builds the webhook for entries that got an agent in this batch; nil or a nil
	// answer means none. It runs inside the transaction, so the alert is stored exactly once.
	Alert func(agentID string, assigned []*MatchEntry) (*Delivery, error)
}

// EntryFilter selects entries: by agent, demand, status and creation window; zero values match all.
type EntryFilter struct {
	AgentID  string
	DemandID string
	// Unassigned keeps only entries no agent holds (AgentID is then ignored).
	Unassigned bool
	Status     string
	From, To   time.Time // created_at in [From, To)
}

// StatRow is what stats need of one entry.
type StatRow struct {
	Entry        *MatchEntry
	DemandRegion string
	DemandFields []string
}

// APIKey is a stored API key without its secret.
type APIKey struct {
	ID        string     `json:"id"`
	Role      string     `json:"role"`
	Subject   string     `json:"subject"`
	CreatedBy string     `json:"created_by"`
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

// ErrNotOwner: PutAs was given a demand id that the enterprise has not filed, whether another
// enterprise filed it or no demand has it.
var ErrNotOwner = errors.New("the enterprise has no demand with this id")

// DeliveryFilter selects deliveries: by agent and status; zero values match all.
type DeliveryFilter struct {
	AgentID string
	Status  string
}

// DeliveryStatuses are the statuses of a delivery.
var DeliveryStatuses = []string{DeliveryPending, DeliveryDelivered, DeliveryFailed}

// IDPrefixes start the ids a store makes, so an id says its kind at a glance.
var IDPrefixes = map[Kind]string{Achievements: "ach-", Patents: "pat-", Experts: "exp-", Demands: "dem-"}

// NewID makes a store's id for a record of kind k: the kind's prefix and 80 random bits in
// hex, which ValidID accepts.
func NewID(k Kind) string {
	var b [10]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return IDPrefixes[k] + hex.EncodeToString(b[:])
}

// SystemActor is who the history of an entry names for the changes no person made.
const SystemActor = "system"

// Notes of the history steps a store writes when a demand's fate moves its entries.
const (
	NoteDemandDeleted  = "需求已删除，推荐撤回"
	NoteDemandClosed   = "需求已关闭，推荐撤回"
	NoteDemandDeadline = "需求已截止，推荐撤回"
	NoteDemandOpen     = "需求重新开放，推荐恢复"
)

// Announcer builds the webhook deliveries that tell agents of changes: an entry moved, a
// demand closed or deleted, a challenge taken up. A store decides who is told and stores each
// delivery in the transaction of the change it announces, so that a change is never announced
// without happening nor happens unannounced; the announcer decides what the call says. It is
// called only for agents with a webhook URL; a nil delivery queues nothing.
type Announcer interface {
	EntryMoved(a *Agent, e *MatchEntry, step StatusChange) (*Delivery, error)
	DemandClosed(a *Agent, d *Demand, reason string, withdrawn []*MatchEntry) (*Delivery, error)
	ChallengeTaken(a *Agent, d *Demand, t *Takeup) (*Delivery, error)
}
