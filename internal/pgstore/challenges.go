package pgstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/techmatch/techmatch/internal/domain"
)

// CloseLapsed closes every open demand whose due date is before now's date in the platform's
// zone (domain.Demand.Lapsed): each is stored closed with closed_reason "deadline" through a
// normal write, in a transaction of its own, so its outbox row re-indexes it, its open entries
// are withdrawn and announced, and, when ctx has an actor, its audit entry ("close") is written
// with it. A demand changed since the lookup is judged again as it is then. It returns the ids
// it closed, earliest due first.
func (s *Store) CloseLapsed(ctx context.Context, now time.Time) ([]string, error) {
	ids, err := queryStrings(ctx, s.pool, `SELECT id FROM records WHERE kind = 'demands' AND status = 'open' AND due <> '' AND due < $1
		ORDER BY due, id`, domain.Today(now))
	if err != nil {
		return nil, fmt.Errorf("pgstore: lapsed demands: %w", classify(err))
	}
	var closed []string
	for _, id := range ids {
		if err := ctx.Err(); err != nil {
			return closed, err
		}
		done := false
		err := s.inTx(ctx, func(tx pgx.Tx) error {
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
			w := s.writer(tx)
			w.action, w.via = "close", d.DeadlineNote()
			_, err = w.put(ctx, d)
			done = err == nil
			return err
		})
		if err != nil {
			return closed, fmt.Errorf("pgstore: close lapsed demand %s: %w", id, err)
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
	err := s.inTx(ctx, func(tx pgx.Tx) error {
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
		sup, ok := rec.(domain.SupplyRecord)
		if !ok {
			return domain.Invalid("supply_kind", "%s 不是供给记录", t.SupplyKind)
		}
		if why := domain.InactiveReason(rec); why != "" {
			return domain.Errorf(domain.CodeConflict, "%s %s 不能揭榜：它已停用（%s）", t.SupplyKind, t.SupplyID, why)
		}
		// Writers hold writeLock, so no other takeup of the pair can commit between this
		// check and the insert; the unique constraint stands behind it.
		var earlier string
		err = tx.QueryRow(ctx, `SELECT id FROM takeups WHERE demand_id = $1 AND supply_kind = $2 AND supply_id = $3`,
			t.DemandID, t.SupplyKind, t.SupplyID).Scan(&earlier)
		switch {
		case err == nil:
			return domain.Errorf(domain.CodeConflict, "%s %s 已揭过需求 %s 的榜（揭榜记录 %s）", t.SupplyKind, t.SupplyID, t.DemandID, earlier)
		case !errors.Is(err, pgx.ErrNoRows):
			return err
		}
		t.ID, t.CreatedAt = newTakeupID(), at
		t.SupplyTitle, t.SupplyOrg = sup.Common().Title, sup.Common().Org
		body, err := json.Marshal(t)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO takeups (id, demand_id, supply_kind, supply_id, created_at, body)
			VALUES ($1, $2, $3, $4, $5, $6)`, t.ID, t.DemandID, t.SupplyKind, t.SupplyID, nanos(at), string(body)); err != nil {
			return err
		}
		if err := audited(ctx, tx, at, "takeup", domain.Demands, t.DemandID, string(t.SupplyKind)+"/"+t.SupplyID); err != nil {
			return err
		}
		return announceTaken(ctx, tx, s.ann, d, t, at)
	})
	if err != nil {
		return fmt.Errorf("pgstore: take up demand %s: %w", t.DemandID, err)
	}
	return nil
}

// Takeups returns a demand's takeups, oldest first.
func (s *Store) Takeups(ctx context.Context, demandID string) ([]*domain.Takeup, error) {
	bodies, err := queryBodies(ctx, s.pool, `SELECT body FROM takeups WHERE demand_id = $1 ORDER BY created_at, id`, demandID)
	if err != nil {
		return nil, fmt.Errorf("pgstore: takeups of %s: %w", demandID, classify(err))
	}
	out := make([]*domain.Takeup, 0, len(bodies))
	for _, b := range bodies {
		var t domain.Takeup
		if err := json.Unmarshal(b, &t); err != nil {
			return nil, fmt.Errorf("pgstore: takeups of %s: %w", demandID, err)
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
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+deliveryColumns+` FROM webhook_deliveries WHERE id = $1`, id)
		if err != nil {
			return err
		}
		ds, err := collectDeliveries(rows)
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
		if _, err := tx.Exec(ctx, `UPDATE webhook_deliveries SET status = 'pending', next_at = $1, updated_at = $1 WHERE id = $2`,
			nanos(t), id); err != nil {
			return err
		}
		d.Status, d.NextAt, d.UpdatedAt = domain.DeliveryPending, t, t
		out = &d
		return audited(ctx, tx, t, "redeliver", domain.AuditWebhooks, strconv.FormatInt(id, 10), d.Event+" to "+d.AgentID)
	})
	if err != nil {
		return nil, fmt.Errorf("pgstore: redeliver %d: %w", id, err)
	}
	return out, nil
}
