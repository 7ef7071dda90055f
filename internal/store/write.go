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
// store) is refused with an error wrapping ErrNotOwner. Refusing both alike is what keeps an
// enterprise from learning, by trying ids, which ones other enterprises use. The check and the
// write are one transaction.
func (s *Store) PutAs(ctx context.Context, d *domain.Demand, enterprise string) (created bool, err error) {
	if enterprise == "" {
		return false, domain.Invalid("enterprise", "is empty")
	}
	d.Enterprise = enterprise
	return s.put(ctx, d, enterprise)
}

func (s *Store) put(ctx context.Context, rec domain.Record, owner string) (created bool, err error) {
	saved := *rec.GetMeta()
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		w := s.writer(ctx, tx)
		w.owner = owner
		var err error
		created, err = w.put(ctx, rec)
		return err
	})
	if err != nil {
		*rec.GetMeta() = saved
		return false, fmt.Errorf("store: put %s %q: %w", rec.RecordKind(), saved.ID, err)
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
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		w := s.writer(ctx, tx)
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
		return fmt.Errorf("store: put %d records: %s %q: %w", len(recs), failed.RecordKind(), failed.GetMeta().ID, err)
	}
	return fmt.Errorf("store: put %d records: %w", len(recs), err)
}

// Statements of every record write. They are prepared once on the single write connection
// and bound to each transaction with Tx.StmtContext, which reuses them on that connection:
// preparing them per transaction cost more than the writes of a single Put.
const (
	selectCurrent = `SELECT rev, created_at, enterprise, status FROM records WHERE kind = ? AND id = ?`
	upsertRecord  = `INSERT INTO records (kind, id, rev, status, enterprise, due, created_at, updated_at, seq, body)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (kind, id) DO UPDATE SET
		  rev = excluded.rev, status = excluded.status, enterprise = excluded.enterprise, due = excluded.due,
		  updated_at = excluded.updated_at, seq = excluded.seq, body = excluded.body`
)

type writeStmts struct {
	current, upsert, outbox, audit *sql.Stmt
}

func (ws *writeStmts) specs() []stmtSpec {
	return []stmtSpec{{&ws.current, selectCurrent}, {&ws.upsert, upsertRecord}, {&ws.outbox, insertOutbox}, {&ws.audit, insertAudit}}
}

// recordWriter writes records inside one transaction.
type recordWriter struct {
	tx                      *sql.Tx
	at                      time.Time
	current, upsert, ob, au *sql.Stmt
	owner                   string // when set, a record with an id must exist and be this enterprise's
	via                     string // the audit entries' detail: how the records came
	action                  string // the audit entries' action when not create or replace
	ann                     domain.Announcer
}

func (s *Store) writer(ctx context.Context, tx *sql.Tx) *recordWriter {
	// The time is read inside the transaction: writes are serialised, so updated_at follows seq.
	return &recordWriter{
		tx:      tx,
		at:      now(),
		current: tx.StmtContext(ctx, s.stmts.current),
		upsert:  tx.StmtContext(ctx, s.stmts.upsert),
		ob:      tx.StmtContext(ctx, s.stmts.outbox),
		au:      tx.StmtContext(ctx, s.stmts.audit),
		ann:     s.ann,
	}
}

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
		err := w.current.QueryRowContext(ctx, k, m.ID).Scan(&rev, &createdAt, &enterprise, &before)
		switch {
		case errors.Is(err, sql.ErrNoRows) && w.owner != "" && !generated:
			return false, domain.ErrNotOwner
		case errors.Is(err, sql.ErrNoRows):
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
	seq, err := w.outbox(ctx, k, m.ID, opPut)
	if err != nil {
		return false, err
	}
	status, enterprise, due := indexedFields(rec)
	if _, err := w.upsert.ExecContext(ctx, k, m.ID, m.Rev, status, enterprise, due,
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
	if err := audited(ctx, w.tx, w.au, w.at, action, k, m.ID, w.via); err != nil {
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

func (w *recordWriter) outbox(ctx context.Context, k domain.Kind, id, op string) (int64, error) {
	res, err := w.ob.ExecContext(ctx, k, id, op, nanos(w.at))
	if err != nil {
		return 0, fmt.Errorf("outbox: %w", err)
	}
	return res.LastInsertId()
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
// when ctx has an actor; the error wraps
// domain.ErrNotFound when there was nothing to delete. Deleting a demand withdraws its open
// match-list entries in the same transaction, as does storing it closed (see Put).
func (s *Store) Delete(ctx context.Context, k domain.Kind, id string) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var gone domain.Record // the demand as it was, for its announcement
		if k == domain.Demands {
			var err error
			if gone, err = recordIn(ctx, tx, k, id); err != nil {
				return err
			}
		}
		if err := execOne(ctx, tx, `DELETE FROM records WHERE kind = ? AND id = ?`, k, id); err != nil {
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
			if _, err := tx.ExecContext(ctx, `DELETE FROM takeups WHERE demand_id = ?`, id); err != nil {
				return err
			}
			if d := gone.(*domain.Demand); d.Status != domain.DemandClosed {
				if err := announceClosed(ctx, tx, s.ann, d, domain.ClosedByDeletion, withdrawn, t); err != nil {
					return err
				}
			}
		}
		if _, err := tx.ExecContext(ctx, insertOutbox, k, id, opDelete, nanos(t)); err != nil {
			return err
		}
		return audited(ctx, tx, nil, t, "delete", k, id, "")
	})
	if err != nil {
		return fmt.Errorf("store: delete %s %s: %w", k, id, err)
	}
	return nil
}
