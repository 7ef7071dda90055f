package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/techmatch/techmatch/internal/domain"
)

// schemaChallenges: a demand's due date in its own column, which the deadline sweep looks up
// (the earlier of deadline and challenge.deadline, filled for the demands already stored);
// closed demands stored before closed_reason say they were closed by hand; takeups (揭榜) of
// challenges.
const schemaChallenges = `ALTER TABLE records ADD COLUMN due TEXT NOT NULL DEFAULT '';
	UPDATE records SET due = CASE
		WHEN coalesce(json_extract(body, '$.challenge.deadline'), '') = '' THEN coalesce(json_extract(body, '$.deadline'), '')
		WHEN coalesce(json_extract(body, '$.deadline'), '') = '' THEN json_extract(body, '$.challenge.deadline')
		ELSE min(json_extract(body, '$.deadline'), json_extract(body, '$.challenge.deadline'))
	END WHERE kind = 'demands';
	UPDATE records SET body = json_set(body, '$.closed_reason', 'manual')
		WHERE kind = 'demands' AND status = 'closed' AND json_extract(body, '$.closed_reason') IS NULL;
	CREATE INDEX records_due ON records (status, due) WHERE kind = 'demands' AND due <> '';

	CREATE TABLE takeups (
		id          TEXT    PRIMARY KEY,
		demand_id   TEXT    NOT NULL,
		supply_kind TEXT    NOT NULL,
		supply_id   TEXT    NOT NULL,
		created_at  INTEGER NOT NULL,
		body        TEXT    NOT NULL,
		UNIQUE (demand_id, supply_kind, supply_id)
	);`

// CloseLapsed closes every open demand whose due date is before now's date in the platform's
// zone (domain.Demand.Lapsed): each is stored closed with closed_reason "deadline" through a
// normal write, in a transaction of its own, so its outbox row re-indexes it, its open entries
// are withdrawn and announced, and, when ctx has an actor, its audit entry ("close") is written
// with it. A demand changed since the lookup is judged again as it is then. It returns the ids
// it closed, earliest due first.
func (s *Store) CloseLapsed(ctx context.Context, now time.Time) ([]string, error) {
	// Literals, not parameters: the planner uses the partial index records_due only for a
	// WHERE it can see implies the index's.
	rows, err := s.read.QueryContext(ctx, `SELECT id FROM records WHERE kind = 'demands' AND status = 'open' AND due <> '' AND due < ?
		ORDER BY due, id`, domain.Today(now))
	if err != nil {
		return nil, fmt.Errorf("store: lapsed demands: %w", classify(err))
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: lapsed demands: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: lapsed demands: %w", err)
	}
	var closed []string
	for _, id := range ids {
		if err := ctx.Err(); err != nil {
			return closed, err
		}
		done := false
		err := s.inTx(ctx, func(tx *sql.Tx) error {
			rec, err := recordIn(ctx, tx, domain.Demands, id)
			if errors.Is(err, domain.ErrNotFound) {
				return nil // deleted since
			}
			if err != nil {
				return err
			}
			d := rec.(*domain.Demand)
			if !d.CloseIfLapsed(now) {
				return nil // reopened with a later date, or closed, since
			}
			w := s.writer(ctx, tx)
			w.action, w.via = "close", d.DeadlineNote()
			_, err = w.put(ctx, d)
			done = err == nil
			return err
		})
		if err != nil {
			return closed, fmt.Errorf("store: close lapsed demand %s: %w", id, err)
		}
		if done {
			closed = append(closed, id)
		}
	}
	return closed, nil
}

// newTakeupID makes a takeup id: "tku-" and 80 random bits.
func newTakeupID() string {
	var b [10]byte
	_, _ = rand.Read(b[:])
	return "tku-" + hex.EncodeToString(b[:])
}

// AddTakeup stores a takeup (揭榜) of challenge t.DemandID by supply t.SupplyKind/t.SupplyID,
// setting its id, the supply's title and org, and its time in place. In one transaction: the
// demand must exist (domain.ErrNotFound otherwise) and be takeable now
// (domain.Demand.CheckTakeable: a conflict otherwise); the supply record must exist (an
// invalid_argument on supply_id otherwise) and be in service (a conflict otherwise); the same
// supply may take a challenge up once (a conflict); the audit entry ("takeup") and the
// announcements to agents (see announceTaken) are written with it.
func (s *Store) AddTakeup(ctx context.Context, t *domain.Takeup) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		at := now()
		rec, err := recordIn(ctx, tx, domain.Demands, t.DemandID)
		if err != nil {
			return err
		}
		d := rec.(*domain.Demand)
		if err := d.CheckTakeable(at); err != nil {
			return err
		}
		rec, err = recordIn(ctx, tx, t.SupplyKind, t.SupplyID)
		if errors.Is(err, domain.ErrNotFound) {
			return domain.Invalid("supply_id", "%s %q 不存在", t.SupplyKind, t.SupplyID)
		}
		if err != nil {
			return err
		}
		sup := rec.(domain.SupplyRecord)
		if why := domain.InactiveReason(rec); why != "" {
			return domain.Errorf(domain.CodeConflict, "%s %s 不能揭榜：它已停用（%s）", t.SupplyKind, t.SupplyID, why)
		}
		var earlier string
		err = tx.QueryRowContext(ctx, `SELECT id FROM takeups WHERE demand_id = ? AND supply_kind = ? AND supply_id = ?`,
			t.DemandID, t.SupplyKind, t.SupplyID).Scan(&earlier)
		switch {
		case err == nil:
			return domain.Errorf(domain.CodeConflict, "%s %s 已揭过需求 %s 的榜（揭榜记录 %s）", t.SupplyKind, t.SupplyID, t.DemandID, earlier)
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		t.ID, t.CreatedAt = newTakeupID(), at
		t.SupplyTitle, t.SupplyOrg = sup.Common().Title, sup.Common().Org
		body, err := json.Marshal(t)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO takeups (id, demand_id, supply_kind, supply_id, created_at, body)
			VALUES (?, ?, ?, ?, ?, ?)`, t.ID, t.DemandID, t.SupplyKind, t.SupplyID, nanos(at), string(body)); err != nil {
			return err
		}
		if err := audited(ctx, tx, nil, at, "takeup", domain.Demands, t.DemandID, string(t.SupplyKind)+"/"+t.SupplyID); err != nil {
			return err
		}
		return announceTaken(ctx, tx, s.ann, d, t, at)
	})
	if err != nil {
		return fmt.Errorf("store: take up demand %s: %w", t.DemandID, err)
	}
	return nil
}

// Takeups returns a demand's takeups, oldest first.
func (s *Store) Takeups(ctx context.Context, demandID string) ([]*domain.Takeup, error) {
	bodies, err := queryBodies(ctx, s.read, `SELECT body FROM takeups WHERE demand_id = ? ORDER BY created_at, id`, demandID)
	if err != nil {
		return nil, fmt.Errorf("store: takeups of %s: %w", demandID, classify(err))
	}
	out := make([]*domain.Takeup, 0, len(bodies))
	for _, b := range bodies {
		var t domain.Takeup
		if err := json.Unmarshal(b, &t); err != nil {
			return nil, fmt.Errorf("store: takeups of %s: %w", demandID, err)
		}
		out = append(out, &t)
	}
	return out, nil
}

// Redeliver schedules one more attempt at a delivery, due now, and writes the audit entry
// ("redeliver") with it when ctx has an actor. A pending delivery is a conflict: it is
// retried already. The attempt counts on top of the earlier ones, so if it fails the
// delivery is failed again.
func (s *Store) Redeliver(ctx context.Context, id int64) (*domain.Delivery, error) {
	var out *domain.Delivery
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+deliveryColumns+` FROM webhook_deliveries WHERE id = ?`, id)
		if err != nil {
			return err
		}
		ds, err := scanDeliveries(rows)
		if err != nil {
			return err
		}
		if len(ds) == 0 {
			return domain.ErrNotFound
		}
		d := ds[0]
		if d.Status == domain.DeliveryPending {
			return domain.Errorf(domain.CodeConflict, "投递 %d 正在等待：下一次尝试在 %s", id, d.NextAt.Format(time.RFC3339))
		}
		t := now()
		if _, err := tx.ExecContext(ctx, `UPDATE webhook_deliveries SET status = 'pending', next_at = ?, updated_at = ? WHERE id = ?`,
			nanos(t), nanos(t), id); err != nil {
			return err
		}
		d.Status, d.NextAt, d.UpdatedAt = domain.DeliveryPending, t, t
		out = &d
		return audited(ctx, tx, nil, t, "redeliver", domain.AuditWebhooks, strconv.FormatInt(id, 10), d.Event+" to "+d.AgentID)
	})
	if err != nil {
		return nil, fmt.Errorf("store: redeliver %d: %w", id, err)
	}
	return out, nil
}
