package store

import (
	"context"
	"fmt"
	"time"

	"github.com/techmatch/techmatch/internal/domain"
)

// AuditEntry records who did what to which record, and when.
type AuditEntry struct {
	Seq    int64       `json:"seq"`
	At     time.Time   `json:"at"`
	Actor  string      `json:"actor"`
	Action string      `json:"action"`
	Kind   domain.Kind `json:"kind,omitempty"`
	ID     string      `json:"id,omitempty"`
	Detail string      `json:"detail,omitempty"`
}

// defaultAuditLimit bounds AuditLog when the caller asks for no limit.
const defaultAuditLimit = 100

// Audit appends one entry to the audit log. It is separate from record writes on purpose:
// the log says who asked, which the store does not know.
func (s *Store) Audit(ctx context.Context, actor, action string, k domain.Kind, id, detail string) error {
	_, err := s.write.ExecContext(ctx,
		`INSERT INTO audit (at, actor, action, kind, id, detail) VALUES (?, ?, ?, ?, ?, ?)`,
		nanos(now()), actor, action, k, id, detail)
	if err != nil {
		return fmt.Errorf("store: audit %s %s %s %s: %w", actor, action, k, id, err)
	}
	return nil
}

// AuditLog returns the latest limit entries, newest first; a limit ≤ 0 means 100.
func (s *Store) AuditLog(ctx context.Context, limit int) ([]AuditEntry, error) {
	if limit <= 0 {
		limit = defaultAuditLimit
	}
	rows, err := s.read.QueryContext(ctx,
		`SELECT seq, at, actor, action, kind, id, detail FROM audit ORDER BY seq DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("store: audit log: %w", err)
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var (
			e  AuditEntry
			at int64
		)
		if err := rows.Scan(&e.Seq, &at, &e.Actor, &e.Action, &e.Kind, &e.ID, &e.Detail); err != nil {
			return nil, fmt.Errorf("store: audit log: %w", err)
		}
		e.At = fromNanos(at)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: audit log: %w", err)
	}
	return out, nil
}
