package domain

import (
	"context"
	"time"
)

// Actor is who a write is made for, as the audit log names them, and the request it came in.
type Actor struct {
	Name      string
	RequestID string
}

type actorKey struct{}

// WithActor marks ctx as acting for a: every store write made with the returned context
// writes its audit entry in its own transaction, so the change and its entry commit or fail
// together. Writes without an actor (start-up seeding, the worklist's own assignments) are
// not audited.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorOf is the actor ctx acts for, if it names one.
func ActorOf(ctx context.Context) (Actor, bool) {
	a, ok := ctx.Value(actorKey{}).(Actor)
	return a, ok && a.Name != ""
}

// AuditEntry records who did what to which object, and when. Every write made on someone's
// behalf has one, written in the write's own transaction: there is no record change without
// its entry, and no entry for a change that did not happen.
type AuditEntry struct {
	Seq    int64     `json:"seq"`
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"` // the principal's name, e.g. "admin" or "enterprise:某公司"
	Action string    `json:"action"`
	Kind   Kind      `json:"kind,omitempty"` // a record kind, or agents, matches, keys, profiles
	ID     string    `json:"id,omitempty"`
	Detail string    `json:"detail,omitempty"`
	// RequestID is the X-Request-ID of the HTTP request that made the change, to find its log lines.
	RequestID string `json:"request_id,omitempty"`
}

// AuditFilter selects audit entries; a zero field does not filter.
type AuditFilter struct {
	// Subject is a whole actor name ("agent:agt-1") or its subject alone ("agt-1").
	Subject string
	Kind    Kind
	ID      string
	// From and To bound At: From ≤ At < To.
	From, To time.Time
}

// Kinds of the audit entries of objects that are not records.
const (
	AuditAgents   Kind = "agents"
	AuditMatches  Kind = "matches"
	AuditKeys     Kind = "keys"
	AuditProfiles Kind = "profiles"
	AuditWebhooks Kind = "webhooks" // a delivery's redelivery
)
