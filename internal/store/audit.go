package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/techmatch/techmatch/internal/domain"
)

// schemaAuditTrail: the request of each audit entry, and the indexes that answer a record's
// history and an actor's doings without reading the whole log.
const schemaAuditTrail = `ALTER TABLE audit ADD COLUMN request_id TEXT NOT NULL DEFAULT '';
	UPDATE audit SET kind = 'profiles' WHERE action = 'profile' AND kind = '';
	CREATE INDEX audit_by_object ON audit (kind, id, seq);
	CREATE INDEX audit_by_actor ON audit (actor, seq);
	CREATE INDEX audit_by_time ON audit (at);`

const insertAudit = `INSERT INTO audit (at, actor, action, kind, id, detail, request_id) VALUES (?, ?, ?, ?, ?, ?, ?)`

// audited writes the audit entry of a change made in tx at t, when ctx has an actor
// (domain.WithActor).
// st, when not nil, is insertAudit prepared for tx.
func audited(ctx context.Context, tx *sql.Tx, st *sql.Stmt, t time.Time, action string, k domain.Kind, id, detail string) error {
	a, ok := domain.ActorOf(ctx)
	if !ok {
		return nil
	}
	var err error
	if st != nil {
		_, err = st.ExecContext(ctx, nanos(t), a.Name, action, k, id, detail, a.RequestID)
	} else {
		_, err = tx.ExecContext(ctx, insertAudit, nanos(t), a.Name, action, k, id, detail, a.RequestID)
	}
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return nil
}

// errNoActor: Audit was called without an actor in its context.
var errNoActor = errors.New("store: audit without an actor (domain.WithActor)")

// Audit appends an entry that goes with no write of its own, such as the summary of an
// import, whose records each have their entry already. ctx must carry an actor.
func (s *Store) Audit(ctx context.Context, action string, k domain.Kind, id, detail string) error {
	if _, ok := domain.ActorOf(ctx); !ok {
		return errNoActor
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		return audited(ctx, tx, nil, now(), action, k, id, detail)
	})
	if err != nil {
		return fmt.Errorf("store: audit %s %s %s: %w", action, k, id, err)
	}
	return nil
}

// maxAuditPage bounds one page of AuditLog.
const maxAuditPage = 1000

// AuditLog returns the entries f selects, newest first, from offset, at most limit of them
// (1 to 1000; ≤ 0 means 100), and how many f selects in all.
func (s *Store) AuditLog(ctx context.Context, f domain.AuditFilter, offset, limit int) ([]domain.AuditEntry, int, error) {
	if limit <= 0 {
		limit = 100
	}
	limit = min(limit, maxAuditPage)
	var (
		where []string
		args  []any
	)
	if f.Subject != "" {
		// An actor is "role" or "role:subject"; either form names it.
		where = append(where, `(actor = ? OR substr(actor, instr(actor, ':') + 1) = ?)`)
		args = append(args, f.Subject, f.Subject)
	}
	if f.Kind != "" {
		where, args = append(where, `kind = ?`), append(args, f.Kind)
	}
	if f.ID != "" {
		where, args = append(where, `id = ?`), append(args, f.ID)
	}
	if !f.From.IsZero() {
		where, args = append(where, `at >= ?`), append(args, nanos(f.From))
	}
	if !f.To.IsZero() {
		where, args = append(where, `at < ?`), append(args, nanos(f.To))
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	var total int
	if err := s.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit`+cond, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("store: audit log: %w", err)
	}
	rows, err := s.read.QueryContext(ctx, `SELECT seq, at, actor, action, kind, id, detail, request_id FROM audit`+cond+
		` ORDER BY seq DESC LIMIT ? OFFSET ?`, append(args, limit, max(offset, 0))...)
	if err != nil {
		return nil, 0, fmt.Errorf("store: audit log: %w", err)
	}
	defer rows.Close()
	out := []domain.AuditEntry{}
	for rows.Next() {
		var (
			e  domain.AuditEntry
			at int64
		)
		if err := rows.Scan(&e.Seq, &at, &e.Actor, &e.Action, &e.Kind, &e.ID, &e.Detail, &e.RequestID); err != nil {
			return nil, 0, fmt.Errorf("store: audit log: %w", err)
		}
		e.At = fromNanos(at)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("store: audit log: %w", err)
	}
	return out, total, nil
}
