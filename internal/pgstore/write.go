package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/techmatch/techmatch/internal/domain"
)

// Put creates or replaces rec, setting its meta (id when empty, rev, created_at, updated_at)
// in place, and writes an outbox row "put" in the same transaction, with the audit entry
// "create" or "replace" when ctx has an actor (WithActor). A demand stored closed has its
// open match-list entries withdrawn in that transaction too.
// rec must already be validated. created reports whether the record did not exist.
func (s *Store) Put(ctx context.Context, rec domain.Record) (created bool, err error) {
	return s.put(ctx, rec, "")
}

// PutAs is Put for an enterprise writing its own demand d: d is filed under enterprise. A new
// demand comes without an id and gets one made by the store; a demand with an id replaces the
// enterprise's own demand of that id, and any other id (another enterprise's, or one not in the
// store) is refused with an error wrapping ErrNotOwner, alike, so that trying ids tells an
// enterprise nothing. The check and the write are one transaction.
func (s *Store) PutAs(ctx context.Context, d *domain.Demand, enterprise string) (created bool, err error) {
	if enterprise == "" {
		return false, domain.Invalid("enterprise", "is empty")
	}
	d.Enterprise = enterprise
	return s.put(ctx, d, enterprise)
}

func (s *Store) put(ctx context.Context, rec domain.Record, owner string) (created bool, err error) {
	saved := *rec.GetMeta()
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		w := s.writer(tx)
		w.owner = owner
		var err error
		created, err = w.put(ctx, rec)
		return err
	})
	if err != nil {
		*rec.GetMeta() = saved
		return false, fmt.Errorf("pgstore: put %s %q: %w", rec.RecordKind(), saved.ID, err)
	}
	return created, nil
}

// PutMany writes recs in one transaction, all or nothing, as Put does for each; their audit
// entries say "import". On failure every record's meta is left as it was passed in.
func (s *Store) PutMany(ctx context.Context, recs []domain.Record) error {
	if len(recs) == 0 {
		return nil
	}
	saved := make([]domain.Meta, len(recs))
	for i, r := range recs {
		saved[i] = *r.GetMeta()
	}
	var failed domain.Record
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		w := s.writer(tx)
		w.via = "import"
		for _, r := range recs {
			// Checked per record so a cancelled import stops promptly instead of finishing the batch.
			if err := ctx.Err(); err != nil {
				failed = r
				return err
			}
			if _, err := w.put(ctx, r); err != nil {
				failed = r
				return err
			}
		}
		return nil
	})
	if err == nil {
		return nil
	}
	for i, r := range recs {
		*r.GetMeta() = saved[i]
	}
	if failed != nil {
		return fmt.Errorf("pgstore: put %d records: %s %q: %w", len(recs), failed.RecordKind(), failed.GetMeta().ID, err)
	}
	return fmt.Errorf("pgstore: put %d records: %w", len(recs), err)
}

const (
	selectCurrent = `SELECT rev, created_at, enterprise, status FROM records WHERE kind = $1 AND id = $2`
	upsertRecord  = `INSERT INTO records (kind, id, rev, status, enterprise, due, created_at, updated_at, seq, body)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
		ON CONFLICT (kind, id) DO UPDATE SET
		  rev = excluded.rev, status = excluded.status, enterprise = excluded.enterprise, due = excluded.due,
		  updated_at = excluded.updated_at, seq = excluded.seq, body = excluded.body`
)

// recordWriter writes records inside one write transaction.
type recordWriter struct {
	tx     pgx.Tx
	at     time.Time
	owner  string // when set, a record with an id must exist and be this enterprise's
	via    string // the audit entries' detail: how the records came
	action string // the audit entries' action when not create or replace
	ann    domain.Announcer
}

// writer starts writing in tx. The time is read once writeLock is held: writes are
// serialised, so updated_at follows seq, across processes as far as their clocks agree.
func (s *Store) writer(tx pgx.Tx) *recordWriter { return &recordWriter{tx: tx, at: now(), ann: s.ann} }

func (w *recordWriter) put(ctx context.Context, rec domain.Record) (created bool, err error) {
	var before string // the stored record's status
	k := rec.RecordKind()
	if _, ok := domain.IDPrefixes[k]; !ok {
		return false, domain.Invalid("kind", "未知类型 %q", k)
	}
	m := rec.GetMeta()
	generated := m.ID == ""
	if generated {
		m.ID = domain.NewID(k)
	}
	for {
		var rev, createdAt int64
		var enterprise string
		err := w.tx.QueryRow(ctx, selectCurrent, k, m.ID).Scan(&rev, &createdAt, &enterprise, &before)
		switch {
		case errors.Is(err, pgx.ErrNoRows) && w.owner != "" && !generated:
			return false, domain.ErrNotOwner
		case errors.Is(err, pgx.ErrNoRows):
			created = true
			m.Rev, m.CreatedAt = 1, w.at
		case err != nil:
			return false, err
		case generated:
			// 80 random bits collide practically never, but a made-up id must not replace a record.
			m.ID = domain.NewID(k)
			continue
		case w.owner != "" && enterprise != w.owner:
			return false, domain.ErrNotOwner
		default:
			m.Rev, m.CreatedAt = rev+1, fromNanos(createdAt)
		}
		break
	}
	m.UpdatedAt = w.at
	body, err := json.Marshal(rec)
	if err != nil {
		return false, fmt.Errorf("encode: %w", err)
	}
	seq, err := appendOutbox(ctx, w.tx, k, m.ID, opPut, w.at)
	if err != nil {
		return false, err
	}
	status, enterprise, due := indexedFields(rec)
	if _, err := w.tx.Exec(ctx, upsertRecord, k, m.ID, m.Rev, status, enterprise, due,
		nanos(m.CreatedAt), nanos(m.UpdatedAt), seq, string(body)); err != nil {
		return false, err
	}
	action := w.action
	switch {
	case action != "":
	case created:
		action = "create"
	default:
		action = "replace"
	}
	if err := audited(ctx, w.tx, w.at, action, k, m.ID, w.via); err != nil {
		return false, err
	}
	switch v := rec.(type) {
	case *domain.Expert:
		if err := writeLinks(ctx, w.tx, v); err != nil {
			return false, err
		}
	case *domain.Demand:
		if v.Status != domain.DemandClosed {
			break
		}
		withdrawn, err := withdrawOpen(ctx, w.tx, m.ID, domain.SystemActor, noteClosed(v), w.at)
		if err != nil {
			return false, err
		}
		if before != domain.DemandClosed {
			if err := announceClosed(ctx, w.tx, w.ann, v, v.ClosedReason, withdrawn, w.at); err != nil {
				return false, err
			}
		}
	}
	return created, nil
}

// indexedFields are the record fields kept in their own columns for filtering; due is a
// demand's due date, which the deadline sweep looks for.
func indexedFields(rec domain.Record) (status, enterprise, due string) {
	switch v := rec.(type) {
	case domain.SupplyRecord:
		return v.Common().Status, "", ""
	case *domain.Demand:
		return v.Status, v.Enterprise, v.DueDate()
	}
	return "", "", ""
}

// Delete removes a record and writes an outbox row "delete", and the audit entry "delete"
// when ctx has an actor; the error wraps domain.ErrNotFound when there was nothing to delete.
// Deleting a demand withdraws its open match-list entries and drops its takeups in the same
// transaction, as storing it closed withdraws them (see Put); the agents holding its entries
// are told, unless it was closed already.
func (s *Store) Delete(ctx context.Context, k domain.Kind, id string) error {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var gone domain.Record // the demand as it was, for its announcement
		if k == domain.Demands {
			var err error
			if gone, err = recordIn(ctx, tx, k, id); err != nil {
				return err
			}
		}
		if err := execOne(ctx, tx, `DELETE FROM records WHERE kind = $1 AND id = $2`, k, id); err != nil {
			return err
		}
		t := now()
		switch k {
		case domain.Experts:
			if err := deleteLinks(ctx, tx, id); err != nil {
				return err
			}
		case domain.Demands:
			withdrawn, err := withdrawOpen(ctx, tx, id, domain.SystemActor, domain.NoteDemandDeleted, t)
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `DELETE FROM takeups WHERE demand_id = $1`, id); err != nil {
				return err
			}
			if d := gone.(*domain.Demand); d.Status != domain.DemandClosed {
				if err := announceClosed(ctx, tx, s.ann, d, domain.ClosedByDeletion, withdrawn, t); err != nil {
					return err
				}
			}
		}
		if _, err := appendOutbox(ctx, tx, k, id, opDelete, t); err != nil {
			return err
		}
		return audited(ctx, tx, t, "delete", k, id, "")
	})
	if err != nil {
		return fmt.Errorf("pgstore: delete %s %s: %w", k, id, err)
	}
	return nil
}

// writeLinks replaces the links of expert e inside tx.
func writeLinks(ctx context.Context, tx pgx.Tx, e *domain.Expert) error {
	if err := deleteLinks(ctx, tx, e.ID); err != nil {
		return err
	}
	for _, l := range []struct {
		kind domain.Kind
		ids  []string
	}{{domain.Achievements, e.AchievementIDs}, {domain.Patents, e.PatentIDs}} {
		if len(l.ids) == 0 {
			continue
		}
		if _, err := tx.Exec(ctx, `INSERT INTO expert_links (kind, target_id, expert_id)
			SELECT $1, t, $3 FROM unnest($2::text[]) AS t ON CONFLICT DO NOTHING`, l.kind, l.ids, e.ID); err != nil {
			return fmt.Errorf("links of expert %s: %w", e.ID, err)
		}
	}
	return nil
}

func deleteLinks(ctx context.Context, tx pgx.Tx, expertID string) error {
	if _, err := tx.Exec(ctx, `DELETE FROM expert_links WHERE expert_id = $1`, expertID); err != nil {
		return fmt.Errorf("links of expert %s: %w", expertID, err)
	}
	return nil
}
