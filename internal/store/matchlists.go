package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/techmatch/techmatch/internal/domain"
)

// schemaMatchLists: agents, match-list entries, per-demand feedback versions, outbox consumer
// positions and webhook deliveries.
const schemaMatchLists = `CREATE TABLE agents (
		id         TEXT    PRIMARY KEY,
		created_at INTEGER NOT NULL,
		body       TEXT    NOT NULL
	);

	CREATE TABLE match_entries (
		id            TEXT    PRIMARY KEY,
		demand_id     TEXT    NOT NULL,
		supply_kind   TEXT    NOT NULL,
		supply_id     TEXT    NOT NULL,
		agent_id      TEXT    NOT NULL DEFAULT '',
		status        TEXT    NOT NULL,
		created_at    INTEGER NOT NULL,
		updated_at    INTEGER NOT NULL,
		demand_region TEXT    NOT NULL DEFAULT '',
		demand_fields TEXT    NOT NULL DEFAULT '[]', -- JSON array, for stats by field
		body          TEXT    NOT NULL,
		UNIQUE (demand_id, supply_kind, supply_id)
	);
	CREATE INDEX match_entries_by_agent ON match_entries (agent_id, status, created_at);
	CREATE INDEX match_entries_by_created ON match_entries (created_at);

	-- version is bumped on every workflow change of a demand's entries; match cache keys carry it.
	CREATE TABLE demand_feedback (
		demand_id TEXT    PRIMARY KEY,
		version   INTEGER NOT NULL
	) WITHOUT ROWID;

	CREATE TABLE consumers (
		name     TEXT    PRIMARY KEY,
		position INTEGER NOT NULL
	) WITHOUT ROWID;

	CREATE TABLE webhook_deliveries (
		id           INTEGER PRIMARY KEY AUTOINCREMENT,
		agent_id     TEXT    NOT NULL,
		url          TEXT    NOT NULL,
		event        TEXT    NOT NULL,
		body         TEXT    NOT NULL,
		status       TEXT    NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
		attempts     INTEGER NOT NULL DEFAULT 0,
		last_code    INTEGER NOT NULL DEFAULT 0,
		last_error   TEXT    NOT NULL DEFAULT '',
		next_at      INTEGER NOT NULL,
		created_at   INTEGER NOT NULL,
		updated_at   INTEGER NOT NULL
	);
	CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_at);
	CREATE INDEX webhook_deliveries_by_agent ON webhook_deliveries (agent_id, id);`

// PutAgent creates or replaces an agent, setting its timestamps in place; the audit entry
// ("create" or "replace") is written in the same transaction when ctx has an actor.
func (s *Store) PutAgent(ctx context.Context, a *domain.Agent) (created bool, err error) {
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		var createdAt int64
		err := tx.QueryRowContext(ctx, `SELECT created_at FROM agents WHERE id = ?`, a.ID).Scan(&createdAt)
		t := now()
		switch {
		case errors.Is(err, sql.ErrNoRows):
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
		if _, err := tx.ExecContext(ctx, `INSERT INTO agents (id, created_at, body) VALUES (?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET body = excluded.body`, a.ID, nanos(a.CreatedAt), string(body)); err != nil {
			return err
		}
		action := "replace"
		if created {
			action = "create"
		}
		return audited(ctx, tx, nil, t, action, domain.AuditAgents, a.ID, "")
	})
	if err != nil {
		return false, fmt.Errorf("store: put agent %s: %w", a.ID, err)
	}
	return created, nil
}

// Agent reads one agent; the error wraps domain.ErrNotFound when there is none.
func (s *Store) Agent(ctx context.Context, id string) (*domain.Agent, error) {
	var body []byte
	err := s.read.QueryRowContext(ctx, `SELECT body FROM agents WHERE id = ?`, id).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("store: agent %s: %w", id, domain.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store: agent %s: %w", id, err)
	}
	var a domain.Agent
	if err := json.Unmarshal(body, &a); err != nil {
		return nil, fmt.Errorf("store: agent %s: %w", id, err)
	}
	return &a, nil
}

// Agents returns a page of agents in id order and the total; limit ≤ 0 returns them all.
func (s *Store) Agents(ctx context.Context, offset, limit int) ([]*domain.Agent, int, error) {
	var total int
	if err := s.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM agents`).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("store: list agents: %w", err)
	}
	if limit <= 0 {
		limit = -1
	}
	bodies, err := queryBodies(ctx, s.read, `SELECT body FROM agents ORDER BY id LIMIT ? OFFSET ?`, limit, max(offset, 0))
	if err != nil {
		return nil, 0, fmt.Errorf("store: list agents: %w", err)
	}
	out := make([]*domain.Agent, 0, len(bodies))
	for _, b := range bodies {
		var a domain.Agent
		if err := json.Unmarshal(b, &a); err != nil {
			return nil, 0, fmt.Errorf("store: list agents: %w", err)
		}
		out = append(out, &a)
	}
	return out, total, nil
}

// DeleteAgent removes an agent; its open entries become unassigned so that they can be
// handed to someone else, while closed ones keep the name of who worked them. The audit
// entry "delete" goes in the same transaction when ctx has an actor.
func (s *Store) DeleteAgent(ctx context.Context, id string) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := execOne(ctx, tx, `DELETE FROM agents WHERE id = ?`, id); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE match_entries SET agent_id = '',
			body = json_set(body, '$.agent_id', '') WHERE agent_id = ? AND status IN ('new', 'contacted', 'negotiating')`, id)
		if err != nil {
			return err
		}
		detail := ""
		if n, err := res.RowsAffected(); err == nil && n > 0 {
			detail = fmt.Sprintf("%d open entries unassigned", n)
		}
		return audited(ctx, tx, nil, now(), "delete", domain.AuditAgents, id, detail)
	})
	if err != nil {
		return fmt.Errorf("store: delete agent %s: %w", id, err)
	}
	return nil
}

// AgentLoads counts, per agent, the distinct demands with at least one open entry.
func (s *Store) AgentLoads(ctx context.Context) (map[string]int, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT agent_id, COUNT(DISTINCT demand_id) FROM match_entries
		WHERE agent_id <> '' AND status IN ('new', 'contacted', 'negotiating') GROUP BY agent_id`)
	if err != nil {
		return nil, fmt.Errorf("store: agent loads: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, fmt.Errorf("store: agent loads: %w", err)
		}
		out[id] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: agent loads: %w", err)
	}
	return out, nil
}

// ConsumerPosition is the last outbox seq the named consumer has processed, 0 before its first run.
func (s *Store) ConsumerPosition(ctx context.Context, name string) (uint64, error) {
	var pos int64
	err := s.read.QueryRowContext(ctx, `SELECT position FROM consumers WHERE name = ?`, name).Scan(&pos)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("store: consumer %s position: %w", name, err)
	}
	return uint64(pos), nil
}

// SetConsumerPosition records how far the named consumer got, and that it was seen now.
func (s *Store) SetConsumerPosition(ctx context.Context, name string, pos uint64) error {
	_, err := s.write.ExecContext(ctx, `INSERT INTO consumers (name, position, seen_at) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET position = excluded.position, seen_at = excluded.seen_at`, name, int64(pos), nanos(now()))
	if err != nil {
		return fmt.Errorf("store: consumer %s position %d: %w", name, pos, classify(err))
	}
	return nil
}

// newEntryID makes a match-list entry id: "mle-" and 80 random bits.
func newEntryID() string {
	var b [10]byte
	_, _ = rand.Read(b[:])
	return "mle-" + hex.EncodeToString(b[:])
}

// Entry reads one match-list entry; the error wraps domain.ErrNotFound when there is none.
func (s *Store) Entry(ctx context.Context, id string) (*domain.MatchEntry, error) {
	e, err := entryBy(ctx, s.read, `SELECT body FROM match_entries WHERE id = ?`, id)
	if err != nil {
		return nil, fmt.Errorf("store: match entry %s: %w", id, err)
	}
	return e, nil
}

func entryBy(ctx context.Context, q interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}, query string, args ...any) (*domain.MatchEntry, error) {
	var body []byte
	err := q.QueryRowContext(ctx, query, args...).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, domain.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	var e domain.MatchEntry
	if err := json.Unmarshal(body, &e); err != nil {
		return nil, err
	}
	return &e, nil
}

// entryWhere is the WHERE clause that selects the entries f selects, and its arguments.
func entryWhere(f domain.EntryFilter) (string, []any) {
	q, args := ` WHERE 1 = 1`, []any{}
	switch {
	case f.Unassigned:
		q += ` AND agent_id = ''`
	case f.AgentID != "":
		q, args = q+` AND agent_id = ?`, append(args, f.AgentID)
	}
	if f.DemandID != "" {
		q, args = q+` AND demand_id = ?`, append(args, f.DemandID)
	}
	if f.Status != "" {
		q, args = q+` AND status = ?`, append(args, f.Status)
	}
	if !f.From.IsZero() {
		q, args = q+` AND created_at >= ?`, append(args, nanos(f.From))
	}
	if !f.To.IsZero() {
		q, args = q+` AND created_at < ?`, append(args, nanos(f.To))
	}
	return q, args
}

// Entries returns a page of matching entries, best score first, and the total; limit ≤ 0 returns all.
func (s *Store) Entries(ctx context.Context, f domain.EntryFilter, offset, limit int) ([]*domain.MatchEntry, int, error) {
	where, args := entryWhere(f)
	tx, err := s.read.BeginTx(ctx, nil)
	if err != nil {
		return nil, 0, fmt.Errorf("store: match entries: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // read-only
	var total int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM match_entries`+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("store: match entries: %w", err)
	}
	if limit <= 0 {
		limit = -1
	}
	bodies, err := queryBodies(ctx, tx, `SELECT body FROM match_entries`+where+
		` ORDER BY json_extract(body, '$.score') DESC, id LIMIT ? OFFSET ?`, append(args, limit, max(offset, 0))...)
	if err != nil {
		return nil, 0, fmt.Errorf("store: match entries: %w", err)
	}
	out := make([]*domain.MatchEntry, 0, len(bodies))
	for _, b := range bodies {
		var e domain.MatchEntry
		if err := json.Unmarshal(b, &e); err != nil {
			return nil, 0, fmt.Errorf("store: match entries: %w", err)
		}
		out = append(out, &e)
	}
	return out, total, nil
}

// StatRows returns the entries created in [from, to) with their demand's region and fields.
func (s *Store) StatRows(ctx context.Context, from, to time.Time) ([]domain.StatRow, error) {
	where, args := entryWhere(domain.EntryFilter{From: from, To: to})
	rows, err := s.read.QueryContext(ctx, `SELECT body, demand_region, demand_fields FROM match_entries`+where, args...)
	if err != nil {
		return nil, fmt.Errorf("store: stat rows: %w", err)
	}
	defer rows.Close()
	var out []domain.StatRow
	for rows.Next() {
		var body, fields []byte
		var r domain.StatRow
		if err := rows.Scan(&body, &r.DemandRegion, &fields); err != nil {
			return nil, fmt.Errorf("store: stat rows: %w", err)
		}
		r.Entry = &domain.MatchEntry{}
		if err := json.Unmarshal(body, r.Entry); err != nil {
			return nil, fmt.Errorf("store: stat rows: %w", err)
		}
		if err := json.Unmarshal(fields, &r.DemandFields); err != nil {
			return nil, fmt.Errorf("store: stat rows: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: stat rows: %w", err)
	}
	return out, nil
}

// UpdateEntry reads an entry, lets change modify it and writes it back, all in one write
// transaction, and bumps its demand's feedback version so cached match lists are not reused.
// A change of status is announced to the agent holding the entry (see domain.Announcer), in the
// same transaction.
// The audit entry ("match:" and the new status, with the entry's reason) is written in the
// same transaction when ctx has an actor.
// An entry that becomes signed adds one to its supply item's market.deals in the same
// transaction, so a crash can neither lose the deal nor count it twice.
func (s *Store) UpdateEntry(ctx context.Context, id string, change func(*domain.MatchEntry) error) (*domain.MatchEntry, error) {
	var e *domain.MatchEntry
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		if e, err = entryBy(ctx, tx, `SELECT body FROM match_entries WHERE id = ?`, id); err != nil {
			return err
		}
		before := e.Status
		if err := change(e); err != nil {
			return err
		}
		if before != domain.StatusSigned && e.Status == domain.StatusSigned {
			if err := s.countDeal(ctx, tx, e.SupplyKind, e.SupplyID); err != nil {
				return err
			}
		}
		e.UpdatedAt = now()
		body, err := json.Marshal(e)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE match_entries SET status = ?, agent_id = ?, updated_at = ?, body = ? WHERE id = ?`,
			e.Status, e.AgentID, nanos(e.UpdatedAt), string(body), id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO demand_feedback (demand_id, version) VALUES (?, 1)
			ON CONFLICT (demand_id) DO UPDATE SET version = version + 1`, e.DemandID); err != nil {
			return err
		}
		if e.Status != before {
			if err := announceMoved(ctx, tx, s.ann, e, e.UpdatedAt); err != nil {
				return err
			}
		}
		return audited(ctx, tx, nil, e.UpdatedAt, "match:"+e.Status, domain.AuditMatches, e.ID, e.Reason)
	})
	if err != nil {
		return nil, fmt.Errorf("store: update match entry %s: %w", id, err)
	}
	return e, nil
}

// DemandAgent is the agent holding a demand's entries, "" when they are unassigned or there are none.
func (s *Store) DemandAgent(ctx context.Context, demandID string) (string, error) {
	var id string
	err := s.read.QueryRowContext(ctx, `SELECT agent_id FROM match_entries WHERE demand_id = ? AND agent_id <> ''
		ORDER BY updated_at DESC LIMIT 1`, demandID).Scan(&id)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("store: agent of demand %s: %w", demandID, err)
	}
	return id, nil
}

// countDeal adds a signed deal to a supply item's market signals inside tx; the write goes
// through the outbox like any other, so the item is re-indexed and its generation bumped.
// A supply item deleted meanwhile has nothing to count.
func (s *Store) countDeal(ctx context.Context, tx *sql.Tx, k domain.Kind, id string) error {
	var body string
	err := tx.QueryRowContext(ctx, `SELECT body FROM records WHERE kind = ? AND id = ?`, k, id).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("count deal on %s %s: %w", k, id, err)
	}
	rec, err := domain.NewRecord(k)
	if err != nil {
		return err
	}
	if err := json.Unmarshal([]byte(body), rec); err != nil {
		return fmt.Errorf("count deal on %s %s: %w", k, id, err)
	}
	sup, ok := rec.(domain.SupplyRecord)
	if !ok {
		return nil
	}
	c := sup.Common()
	if c.Market == nil {
		c.Market = &domain.Market{}
	}
	c.Market.Deals++
	_, err = s.writer(ctx, tx).put(ctx, rec)
	return err
}
