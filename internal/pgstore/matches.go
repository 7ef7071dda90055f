package pgstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/techmatch/techmatch/internal/domain"
)

// openStatuses are the statuses of entries an agent is still working, as an SQL list.
const openStatuses = `('new', 'contacted', 'negotiating')`

// noteClosed is the withdrawal note for a demand stored closed.
func noteClosed(d *domain.Demand) string {
	if d.ClosedReason == domain.ClosedAtDeadline {
		return domain.NoteDemandDeadline
	}
	return domain.NoteDemandClosed
}

// newEntryID makes a match-list entry id: "mle-" and 80 random bits.
func newEntryID() string {
	var b [10]byte
	_, _ = rand.Read(b[:])
	return "mle-" + hex.EncodeToString(b[:])
}

// entriesBy runs a "SELECT body FROM match_entries" query and decodes the entries.
func entriesBy(ctx context.Context, q querier, query string, args ...any) ([]*domain.MatchEntry, error) {
	bodies, err := queryBodies(ctx, q, query, args...)
	if err != nil {
		return nil, err
	}
	out := make([]*domain.MatchEntry, 0, len(bodies))
	for _, b := range bodies {
		var e domain.MatchEntry
		if err := json.Unmarshal(b, &e); err != nil {
			return nil, fmt.Errorf("decode match entry: %w", err)
		}
		out = append(out, &e)
	}
	return out, nil
}

// entryBy reads the one entry query selects; none is domain.ErrNotFound.
func entryBy(ctx context.Context, q querier, query string, args ...any) (*domain.MatchEntry, error) {
	var body []byte
	err := q.QueryRow(ctx, query, args...).Scan(&body)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, domain.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	var e domain.MatchEntry
	if err := json.Unmarshal(body, &e); err != nil {
		return nil, fmt.Errorf("decode match entry: %w", err)
	}
	return &e, nil
}

// updateEntryRow writes back an entry the store holds, with its columns.
func updateEntryRow(ctx context.Context, tx pgx.Tx, e *domain.MatchEntry) error {
	body, err := json.Marshal(e)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `UPDATE match_entries SET status = $1, agent_id = $2, score = $3, updated_at = $4, body = $5 WHERE id = $6`,
		e.Status, e.AgentID, e.Score, nanos(e.UpdatedAt), string(body), e.ID)
	return err
}

// Entry reads one match-list entry; the error wraps domain.ErrNotFound when there is none.
func (s *Store) Entry(ctx context.Context, id string) (*domain.MatchEntry, error) {
	e, err := entryBy(ctx, s.pool, `SELECT body FROM match_entries WHERE id = $1`, id)
	if err != nil {
		return nil, fmt.Errorf("pgstore: match entry %s: %w", id, classify(err))
	}
	return e, nil
}

// entryWhere is the WHERE clause that selects the entries f selects, and its arguments.
func entryWhere(f domain.EntryFilter) (string, []any) {
	q, args := ` WHERE true`, []any{}
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	switch {
	case f.Unassigned:
		q += ` AND agent_id = ''`
	case f.AgentID != "":
		q += ` AND agent_id = ` + arg(f.AgentID)
	}
	if f.DemandID != "" {
		q += ` AND demand_id = ` + arg(f.DemandID)
	}
	if f.Status != "" {
		q += ` AND status = ` + arg(f.Status)
	}
	if !f.From.IsZero() {
		q += ` AND created_at >= ` + arg(nanos(f.From))
	}
	if !f.To.IsZero() {
		q += ` AND created_at < ` + arg(nanos(f.To))
	}
	return q, args
}

// Entries returns a page of matching entries, best score first, and the total; limit ≤ 0 returns all.
func (s *Store) Entries(ctx context.Context, f domain.EntryFilter, offset, limit int) ([]*domain.MatchEntry, int, error) {
	where, args := entryWhere(f)
	var (
		total int
		out   []*domain.MatchEntry
	)
	err := s.inSnapshot(ctx, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM match_entries`+where, args...).Scan(&total); err != nil {
			return err
		}
		n := len(args)
		var err error
		out, err = entriesBy(ctx, tx, fmt.Sprintf(`SELECT body FROM match_entries%s ORDER BY score DESC, id LIMIT $%d OFFSET $%d`,
			where, n+1, n+2), append(args, limitOrAll(limit), max(offset, 0))...)
		return err
	})
	if err != nil {
		return nil, 0, fmt.Errorf("pgstore: match entries: %w", err)
	}
	return out, total, nil
}

// StatRows returns the entries created in [from, to) with their demand's region and fields.
func (s *Store) StatRows(ctx context.Context, from, to time.Time) ([]domain.StatRow, error) {
	where, args := entryWhere(domain.EntryFilter{From: from, To: to})
	rows, err := s.pool.Query(ctx, `SELECT body, demand_region, demand_fields FROM match_entries`+where, args...)
	if err != nil {
		return nil, fmt.Errorf("pgstore: stat rows: %w", classify(err))
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (domain.StatRow, error) {
		var body, fields []byte
		var r domain.StatRow
		if err := row.Scan(&body, &r.DemandRegion, &fields); err != nil {
			return r, err
		}
		r.Entry = &domain.MatchEntry{}
		if err := json.Unmarshal(body, r.Entry); err != nil {
			return r, err
		}
		return r, json.Unmarshal(fields, &r.DemandFields)
	})
	if err != nil {
		return nil, fmt.Errorf("pgstore: stat rows: %w", classify(err))
	}
	if len(out) == 0 {
		return nil, nil
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
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		if e, err = entryBy(ctx, tx, `SELECT body FROM match_entries WHERE id = $1`, id); err != nil {
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
		if err := updateEntryRow(ctx, tx, e); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO demand_feedback (demand_id, version) VALUES ($1, 1)
			ON CONFLICT (demand_id) DO UPDATE SET version = demand_feedback.version + 1`, e.DemandID); err != nil {
			return err
		}
		if e.Status != before {
			if err := announceMoved(ctx, tx, s.ann, e, e.UpdatedAt); err != nil {
				return err
			}
		}
		return audited(ctx, tx, e.UpdatedAt, "match:"+e.Status, domain.AuditMatches, e.ID, e.Reason)
	})
	if err != nil {
		return nil, fmt.Errorf("pgstore: update match entry %s: %w", id, err)
	}
	return e, nil
}

// countDeal adds a signed deal to a supply item's market signals inside tx; the write goes
// through the outbox like any other, so the item is re-indexed and its generation bumped.
// A supply item deleted meanwhile has nothing to count.
func (s *Store) countDeal(ctx context.Context, tx pgx.Tx, k domain.Kind, id string) error {
	var body []byte
	err := tx.QueryRow(ctx, `SELECT body FROM records WHERE kind = $1 AND id = $2`, k, id).Scan(&body)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("count deal on %s %s: %w", k, id, err)
	}
	rec, err := domain.NewRecord(k)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(body, rec); err != nil {
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
	_, err = s.writer(tx).put(ctx, rec)
	return err
}

// SaveMatches merges a demand's match list into the stored entries in one transaction:
// new pairs are inserted with status new, known pairs get the new score and reasons but keep
// their status and history (a withdrawn one becomes new again: the demand is open), and
// unassigned entries take b.AgentID. It returns the entries that got an agent. A demand
// deleted or no longer open by the time of the transaction keeps its entries as they are.
func (s *Store) SaveMatches(ctx context.Context, b domain.MatchBatch) ([]*domain.MatchEntry, error) {
	d := b.Demand
	fields, err := json.Marshal(nonNil(d.Fields))
	if err != nil {
		return nil, fmt.Errorf("pgstore: save matches of %s: %w", d.ID, err)
	}
	var assigned []*domain.MatchEntry
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		assigned = nil
		t := now()
		// The list was computed from a read of the demand; if it has been deleted or is no longer
		// open since, its entries stay as the delete or close left them.
		var status string
		err := tx.QueryRow(ctx, `SELECT status FROM records WHERE kind = $1 AND id = $2`, domain.Demands, d.ID).Scan(&status)
		if errors.Is(err, pgx.ErrNoRows) || err == nil && status != domain.DemandOpen && status != "" {
			return nil
		}
		if err != nil {
			return err
		}
		for _, fresh := range b.Entries {
			e, err := entryBy(ctx, tx, `SELECT body FROM match_entries WHERE demand_id = $1 AND supply_kind = $2 AND supply_id = $3`,
				d.ID, fresh.SupplyKind, fresh.SupplyID)
			switch {
			case errors.Is(err, domain.ErrNotFound):
				e = fresh
				e.ID, e.DemandID, e.Status, e.CreatedAt = newEntryID(), d.ID, domain.StatusNew, t
				e.History = []domain.StatusChange{{At: t, By: domain.SystemActor, To: domain.StatusNew}}
				e.AgentID = ""
			case err != nil:
				return err
			default:
				if e.Status == domain.StatusWithdrawn {
					// The demand is open again: the pair is back on the list, to be assigned afresh.
					e.History = append(e.History, domain.StatusChange{At: t, By: domain.SystemActor, From: e.Status, To: domain.StatusNew, Note: domain.NoteDemandOpen})
					e.Status, e.AgentID = domain.StatusNew, ""
				}
				e.Score, e.Components, e.Reasons = fresh.Score, fresh.Components, fresh.Reasons
				e.Profile, e.ProfileVersion = fresh.Profile, fresh.ProfileVersion
				e.DemandTitle, e.SupplyTitle = fresh.DemandTitle, fresh.SupplyTitle
			}
			if e.AgentID == "" && b.AgentID != "" && domain.Open(e.Status) {
				e.AgentID = b.AgentID
				assigned = append(assigned, e)
			}
			e.UpdatedAt = t
			body, err := json.Marshal(e)
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO match_entries (id, demand_id, supply_kind, supply_id, agent_id,
					status, score, created_at, updated_at, demand_region, demand_fields, body)
					VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
				ON CONFLICT (id) DO UPDATE SET status = excluded.status, agent_id = excluded.agent_id, score = excluded.score,
					updated_at = excluded.updated_at, demand_region = excluded.demand_region,
					demand_fields = excluded.demand_fields, body = excluded.body`,
				e.ID, d.ID, e.SupplyKind, e.SupplyID, e.AgentID, e.Status, e.Score, nanos(e.CreatedAt), nanos(e.UpdatedAt),
				d.Region, string(fields), string(body)); err != nil {
				return err
			}
		}
		if b.AgentID != "" {
			// Entries listed earlier, while no agent covered the demand, go to its agent now.
			more, err := assignRest(ctx, tx, d.ID, b.AgentID, t)
			if err != nil {
				return err
			}
			assigned = append(assigned, more...)
		}
		if len(assigned) == 0 || b.Alert == nil {
			return nil
		}
		dl, err := b.Alert(b.AgentID, assigned)
		if err != nil || dl == nil {
			return err
		}
		_, err = insertDelivery(ctx, tx, dl, t)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("pgstore: save matches of %s: %w", d.ID, err)
	}
	return assigned, nil
}

func assignRest(ctx context.Context, tx pgx.Tx, demandID, agentID string, t time.Time) ([]*domain.MatchEntry, error) {
	entries, err := entriesBy(ctx, tx, `SELECT body FROM match_entries WHERE demand_id = $1 AND agent_id = ''
		AND status IN `+openStatuses, demandID)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		e.AgentID, e.UpdatedAt = agentID, t
		if err := updateEntryRow(ctx, tx, e); err != nil {
			return nil, err
		}
	}
	if len(entries) == 0 {
		return nil, nil
	}
	return entries, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// withdrawOpen withdraws the demand's open entries inside tx, the transaction that deletes or
// closes the demand, so that no agent can go on working a list whose demand is gone, and
// returns them. Signed and rejected entries keep their status: they record what happened.
func withdrawOpen(ctx context.Context, tx pgx.Tx, demandID, by, note string, t time.Time) ([]*domain.MatchEntry, error) {
	entries, err := entriesBy(ctx, tx, `SELECT body FROM match_entries WHERE demand_id = $1 AND status IN `+openStatuses+` ORDER BY id`, demandID)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		e.History = append(e.History, domain.StatusChange{At: t, By: by, From: e.Status, To: domain.StatusWithdrawn, Note: note})
		e.Status, e.UpdatedAt = domain.StatusWithdrawn, t
		if err := updateEntryRow(ctx, tx, e); err != nil {
			return nil, err
		}
	}
	// The demand's feedback version stays: ranking feedback comes from rejections only, and
	// the write that withdraws changes the demand's rev, which match cache keys carry.
	if len(entries) == 0 {
		return nil, nil
	}
	return entries, nil
}
