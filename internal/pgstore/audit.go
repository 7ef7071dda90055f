package pgstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/techmatch/techmatch/internal/domain"
)

// audited writes the audit entry of a change made in tx at t, when ctx has an actor
// (domain.WithActor).
func audited(ctx context.Context, tx pgx.Tx, t time.Time, action string, k domain.Kind, id, detail string) error {
	a, ok := domain.ActorOf(ctx)
	if !ok {
		return nil
	}
	if _, err := tx.Exec(ctx, `INSERT INTO audit (at, actor, action, kind, id, detail, request_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, nanos(t), a.Name, action, k, id, detail, a.RequestID); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return nil
}

// errNoActor: Audit was called without an actor in its context.
var errNoActor = errors.New("pgstore: audit without an actor (domain.WithActor)")

// Audit appends an entry that goes with no write of its own, such as the summary of an
// import, whose records each have their entry already. ctx must carry an actor.
func (s *Store) Audit(ctx context.Context, action string, k domain.Kind, id, detail string) error {
	if _, ok := domain.ActorOf(ctx); !ok {
		return errNoActor
	}
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		return audited(ctx, tx, now(), action, k, id, detail)
	})
	if err != nil {
		return fmt.Errorf("pgstore: audit %s %s %s: %w", action, k, id, err)
	}
	return nil
}

// maxAuditPage bounds one page of AuditLog.
const maxAuditPage = 1000

// AuditLog returns the entries f selects, newest first, from offset, at most limit of them
// (1 to 1000; ≤ 0 means 100), and how many f selects in all.
//
// Entries are numbered by an identity column, which orders them as their transactions took
// their numbers, not always as they committed; only writes made at the same moment can swap,
// and nothing reads the log incrementally by number, as the outbox is read.
func (s *Store) AuditLog(ctx context.Context, f domain.AuditFilter, offset, limit int) ([]domain.AuditEntry, int, error) {
	if limit <= 0 {
		limit = 100
	}
	limit = min(limit, maxAuditPage)
	var (
		where []string
		args  []any
	)
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if f.Subject != "" {
		// An actor is "role" or "role:subject"; either form names it.
		p := arg(f.Subject)
		where = append(where, `(actor = `+p+` OR substr(actor, strpos(actor, ':') + 1) = `+p+`)`)
	}
	if f.Kind != "" {
		where = append(where, `kind = `+arg(f.Kind))
	}
	if f.ID != "" {
		where = append(where, `id = `+arg(f.ID))
	}
	if !f.From.IsZero() {
		where = append(where, `at >= `+arg(nanos(f.From)))
	}
	if !f.To.IsZero() {
		where = append(where, `at < `+arg(nanos(f.To)))
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	var (
		total int
		out   []domain.AuditEntry
	)
	err := s.inSnapshot(ctx, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM audit`+cond, args...).Scan(&total); err != nil {
			return err
		}
		page := fmt.Sprintf(` ORDER BY seq DESC LIMIT %s OFFSET %s`, arg(limit), arg(max(offset, 0)))
		rows, err := tx.Query(ctx, `SELECT seq, at, actor, action, kind, id, detail, request_id FROM audit`+cond+page, args...)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (domain.AuditEntry, error) {
			var (
				e  domain.AuditEntry
				at int64
			)
			err := row.Scan(&e.Seq, &at, &e.Actor, &e.Action, &e.Kind, &e.ID, &e.Detail, &e.RequestID)
			e.At = fromNanos(at)
			return e, err
		})
		return err
	})
	if err != nil {
		return nil, 0, fmt.Errorf("pgstore: audit log: %w", err)
	}
	return out, total, nil
}
