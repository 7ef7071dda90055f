package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/techmatch/techmatch/internal/domain"
)

// schemaLinks: which expert links which achievement or patent, kept beside the expert's body
// so that a change to a linked record can find the experts whose searchable text holds its
// title (ExpertsLinking). Existing experts' links are filled from their bodies.
const schemaLinks = `CREATE TABLE expert_links (
		kind      TEXT NOT NULL, -- achievements | patents
		target_id TEXT NOT NULL,
		expert_id TEXT NOT NULL,
		PRIMARY KEY (kind, target_id, expert_id)
	) WITHOUT ROWID;
	CREATE INDEX expert_links_by_expert ON expert_links (expert_id);
	INSERT OR IGNORE INTO expert_links (kind, target_id, expert_id)
		SELECT 'achievements', j.value, r.id FROM records r, json_each(r.body, '$.achievement_ids') j
		WHERE r.kind = 'experts'
		UNION ALL
		SELECT 'patents', j.value, r.id FROM records r, json_each(r.body, '$.patent_ids') j
		WHERE r.kind = 'experts';`

// writeLinks replaces the links of expert e inside tx.
func writeLinks(ctx context.Context, tx *sql.Tx, e *domain.Expert) error {
	if err := deleteLinks(ctx, tx, e.ID); err != nil {
		return err
	}
	for _, l := range []struct {
		kind domain.Kind
		ids  []string
	}{{domain.Achievements, e.AchievementIDs}, {domain.Patents, e.PatentIDs}} {
		for _, id := range l.ids {
			if _, err := tx.ExecContext(ctx,
				`INSERT OR IGNORE INTO expert_links (kind, target_id, expert_id) VALUES (?, ?, ?)`, l.kind, id, e.ID); err != nil {
				return fmt.Errorf("links of expert %s: %w", e.ID, err)
			}
		}
	}
	return nil
}

func deleteLinks(ctx context.Context, tx *sql.Tx, expertID string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM expert_links WHERE expert_id = ?`, expertID); err != nil {
		return fmt.Errorf("links of expert %s: %w", expertID, err)
	}
	return nil
}

// ExpertsLinking returns the ids of the experts that link any of the records of kind k with
// the given ids, each once, in id order.
func (s *Store) ExpertsLinking(ctx context.Context, k domain.Kind, ids []string) ([]string, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	list, err := json.Marshal(ids)
	if err != nil {
		return nil, fmt.Errorf("store: experts linking %s: %w", k, err)
	}
	rows, err := s.read.QueryContext(ctx, `SELECT DISTINCT expert_id FROM expert_links
		WHERE kind = ? AND target_id IN (SELECT value FROM json_each(?)) ORDER BY expert_id`, k, string(list))
	if err != nil {
		return nil, fmt.Errorf("store: experts linking %s: %w", k, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("store: experts linking %s: %w", k, err)
		}
		out = append(out, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: experts linking %s: %w", k, err)
	}
	return out, nil
}
