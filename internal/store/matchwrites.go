package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/techmatch/techmatch/internal/domain"
)

// SaveMatches merges a demand's match list into the stored entries in one transaction:
// new pairs are inserted with status new, known pairs get the new score and reasons but keep
// their status and history (a withdrawn one becomes new again: the demand is open), and
// unassigned entries take b.AgentID. It returns the entries that got an agent. A demand
// deleted or no longer open by the time of the transaction keeps its entries as they are.
func (s *Store) SaveMatches(ctx context.Context, b domain.MatchBatch) ([]*domain.MatchEntry, error) {
	d := b.Demand
	fields, err := json.Marshal(nonNil(d.Fields))
	if err != nil {
		return nil, fmt.Errorf("store: save matches of %s: %w", d.ID, err)
	}
	var assigned []*domain.MatchEntry
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		assigned = nil
		t := now()
		// The list was computed from a read of the demand; if it has been deleted or is no longer
		// open since, its entries stay as the delete or close left them.
		var status string
		err := tx.QueryRowContext(ctx, `SELECT status FROM records WHERE kind = ? AND id = ?`, domain.Demands, d.ID).Scan(&status)
		if errors.Is(err, sql.ErrNoRows) || err == nil && status != domain.DemandOpen && status != "" {
			return nil
		}
		if err != nil {
			return err
		}
		for _, fresh := range b.Entries {
			e, err := entryBy(ctx, tx, `SELECT body FROM match_entries WHERE demand_id = ? AND supply_kind = ? AND supply_id = ?`,
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
			if _, err := tx.ExecContext(ctx, `INSERT INTO match_entries (id, demand_id, supply_kind, supply_id, agent_id,
					status, created_at, updated_at, demand_region, demand_fields, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT (id) DO UPDATE SET status = excluded.status, agent_id = excluded.agent_id, updated_at = excluded.updated_at,
					demand_region = excluded.demand_region, demand_fields = excluded.demand_fields, body = excluded.body`,
				e.ID, d.ID, e.SupplyKind, e.SupplyID, e.AgentID, e.Status, nanos(e.CreatedAt), nanos(e.UpdatedAt),
				d.Region, string(fields), string(body)); err != nil {
				return err
			}
		}
		if b.AgentID != "" {
			// Entries listed earlier, while no agent covered the demand, go to its agent now.
			more, err := s.assignRest(ctx, tx, d.ID, b.AgentID, t)
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
		return nil, fmt.Errorf("store: save matches of %s: %w", d.ID, err)
	}
	return assigned, nil
}

func (s *Store) assignRest(ctx context.Context, tx *sql.Tx, demandID, agentID string, t time.Time) ([]*domain.MatchEntry, error) {
	bodies, err := queryBodies(ctx, tx, `SELECT body FROM match_entries WHERE demand_id = ? AND agent_id = ''
		AND status IN ('new', 'contacted', 'negotiating')`, demandID)
	if err != nil {
		return nil, err
	}
	var out []*domain.MatchEntry
	for _, b := range bodies {
		var e domain.MatchEntry
		if err := json.Unmarshal(b, &e); err != nil {
			return nil, err
		}
		e.AgentID, e.UpdatedAt = agentID, t
		body, err := json.Marshal(&e)
		if err != nil {
			return nil, err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE match_entries SET agent_id = ?, updated_at = ?, body = ? WHERE id = ?`,
			agentID, nanos(t), string(body), e.ID); err != nil {
			return nil, err
		}
		out = append(out, &e)
	}
	return out, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func insertDelivery(ctx context.Context, tx *sql.Tx, d *domain.Delivery, t time.Time) (int64, error) {
	res, err := tx.ExecContext(ctx, `INSERT INTO webhook_deliveries (agent_id, url, event, body, status, next_at, created_at, updated_at)
		VALUES (?, ?, ?, ?, 'pending', ?, ?, ?)`, d.AgentID, d.URL, d.Event, string(d.Body), nanos(t), nanos(t), nanos(t))
	if err != nil {
		return 0, fmt.Errorf("insert delivery: %w", err)
	}
	return res.LastInsertId()
}

const deliveryColumns = `id, agent_id, url, event, body, status, attempts, last_code, last_error, next_at, created_at, updated_at`

func scanDeliveries(rows *sql.Rows) ([]domain.Delivery, error) {
	defer rows.Close()
	var out []domain.Delivery
	for rows.Next() {
		var d domain.Delivery
		var body string
		var next, created, updated int64
		if err := rows.Scan(&d.ID, &d.AgentID, &d.URL, &d.Event, &body, &d.Status, &d.Attempts, &d.LastCode,
			&d.LastError, &next, &created, &updated); err != nil {
			return nil, err
		}
		d.Body = json.RawMessage(body)
		d.NextAt, d.CreatedAt, d.UpdatedAt = fromNanos(next), fromNanos(created), fromNanos(updated)
		out = append(out, d)
	}
	return out, rows.Err()
}

// DueDeliveries returns up to limit pending deliveries whose next attempt is due at t, oldest first.
func (s *Store) DueDeliveries(ctx context.Context, t time.Time, limit int) ([]domain.Delivery, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+deliveryColumns+` FROM webhook_deliveries
		WHERE status = 'pending' AND next_at <= ? ORDER BY next_at, id LIMIT ?`, nanos(t), limit)
	if err != nil {
		return nil, fmt.Errorf("store: due deliveries: %w", err)
	}
	out, err := scanDeliveries(rows)
	if err != nil {
		return nil, fmt.Errorf("store: due deliveries: %w", err)
	}
	return out, nil
}

// NextDelivery is when the earliest pending delivery is due; ok is false when none is pending.
func (s *Store) NextDelivery(ctx context.Context) (at time.Time, ok bool, err error) {
	var next sql.NullInt64
	if err := s.read.QueryRowContext(ctx, `SELECT MIN(next_at) FROM webhook_deliveries WHERE status = 'pending'`).Scan(&next); err != nil {
		return time.Time{}, false, fmt.Errorf("store: next delivery: %w", err)
	}
	if !next.Valid {
		return time.Time{}, false, nil
	}
	return fromNanos(next.Int64), true, nil
}

// RecordAttempt stores the outcome of one delivery attempt: status, the answer's code or the
// error, and when to try next.
func (s *Store) RecordAttempt(ctx context.Context, id int64, status string, code int, errText string, next time.Time) error {
	t := now()
	_, err := s.write.ExecContext(ctx, `UPDATE webhook_deliveries SET status = ?, attempts = attempts + 1,
		last_code = ?, last_error = ?, next_at = ?, updated_at = ? WHERE id = ?`, status, code, errText, nanos(next), nanos(t), id)
	if err != nil {
		return fmt.Errorf("store: record delivery %d attempt: %w", id, classify(err))
	}
	return nil
}

// Deliveries returns a page of the delivery log that f selects, newest first, and its total.
func (s *Store) Deliveries(ctx context.Context, f domain.DeliveryFilter, offset, limit int) ([]domain.Delivery, int, error) {
	where, args := ` WHERE 1 = 1`, []any{}
	if f.AgentID != "" {
		where, args = where+` AND agent_id = ?`, append(args, f.AgentID)
	}
	if f.Status != "" {
		where, args = where+` AND status = ?`, append(args, f.Status)
	}
	var total int
	if err := s.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM webhook_deliveries`+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("store: deliveries: %w", err)
	}
	rows, err := s.read.QueryContext(ctx, `SELECT `+deliveryColumns+` FROM webhook_deliveries`+where+
		` ORDER BY id DESC LIMIT ? OFFSET ?`, append(args, limit, max(offset, 0))...)
	if err != nil {
		return nil, 0, fmt.Errorf("store: deliveries: %w", err)
	}
	out, err := scanDeliveries(rows)
	if err != nil {
		return nil, 0, fmt.Errorf("store: deliveries: %w", err)
	}
	if out == nil {
		out = []domain.Delivery{}
	}
	return out, total, nil
}

// noteClosed is the withdrawal note for a demand stored closed.
func noteClosed(d *domain.Demand) string {
	if d.ClosedReason == domain.ClosedAtDeadline {
		return domain.NoteDemandDeadline
	}
	return domain.NoteDemandClosed
}

// withdrawOpen withdraws the demand's open entries inside tx, the transaction that deletes or
// closes the demand, so that no agent can go on working a list whose demand is gone, and
// returns them. Signed and rejected entries keep their status: they record what happened.
func withdrawOpen(ctx context.Context, tx *sql.Tx, demandID, by, note string, t time.Time) ([]*domain.MatchEntry, error) {
	bodies, err := queryBodies(ctx, tx, `SELECT body FROM match_entries WHERE demand_id = ?
		AND status IN ('new', 'contacted', 'negotiating')`, demandID)
	if err != nil {
		return nil, err
	}
	var out []*domain.MatchEntry
	for _, b := range bodies {
		var e domain.MatchEntry
		if err := json.Unmarshal(b, &e); err != nil {
			return nil, err
		}
		e.History = append(e.History, domain.StatusChange{At: t, By: by, From: e.Status, To: domain.StatusWithdrawn, Note: note})
		e.Status, e.UpdatedAt = domain.StatusWithdrawn, t
		body, err := json.Marshal(&e)
		if err != nil {
			return nil, err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE match_entries SET status = ?, updated_at = ?, body = ? WHERE id = ?`,
			e.Status, nanos(t), string(body), e.ID); err != nil {
			return nil, err
		}
		out = append(out, &e)
	}
	// The demand's feedback version stays: ranking feedback comes from rejections only, and
	// the write that withdraws changes the demand's rev, which match cache keys carry.
	return out, nil
}
