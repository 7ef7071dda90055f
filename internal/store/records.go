package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/techmatch/techmatch/internal/domain"
	"github.com/techmatch/techmatch/internal/store/codec"
)

// Get reads one record; the error wraps domain.ErrNotFound when it does not exist. The record
// is the caller's own: a change to it reaches nothing else.
func (s *Store) Get(ctx context.Context, k domain.Kind, id string) (domain.Record, error) {
	m, err := s.GetMany(ctx, k, []string{id})
	if err != nil {
		return nil, err
	}
	rec, ok := m[id]
	if !ok {
		return nil, fmt.Errorf("store: get %s %s: %w", k, id, domain.ErrNotFound)
	}
	return rec, nil
}

// GetMany reads the records with the given ids; ids that do not exist are absent from the map.
// The ids travel as one JSON array parameter, so there is no limit on how many. Records the
// cache holds are not read again (see recordCache); every record returned is the caller's own.
func (s *Store) GetMany(ctx context.Context, k domain.Kind, ids []string) (map[string]domain.Record, error) {
	if len(ids) == 0 {
		return map[string]domain.Record{}, nil
	}
	out, err := s.getMany(ctx, k, ids)
	if err != nil {
		return nil, fmt.Errorf("store: get %d %s: %w", len(ids), k, classify(err))
	}
	return out, nil
}

func (s *Store) getMany(ctx context.Context, k domain.Kind, ids []string) (map[string]domain.Record, error) {
	// One snapshot for the outbox head and the bodies, so that what is cached is current as
	// of the head it is cached under.
	tx, err := s.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback() //nolint:errcheck // read-only; nothing to undo
	head, err := s.catchUp(ctx, tx)
	if err != nil {
		return nil, err
	}
	out := s.recs.lookup(k, ids)
	var missing []string
	for _, id := range ids {
		if _, ok := out[id]; !ok {
			missing = append(missing, id)
		}
	}
	if len(missing) == 0 {
		return out, nil
	}
	list, err := json.Marshal(missing)
	if err != nil {
		return nil, err
	}
	rows, err := tx.StmtContext(ctx, s.reads.bodies).QueryContext(ctx, k, string(list))
	if err != nil {
		return nil, err
	}
	bodies, err := scanBodies(rows)
	if err != nil {
		return nil, err
	}
	recs, err := codec.DecodeAll(k, bodies)
	if err != nil {
		return nil, err
	}
	if s.recs.bulk(len(recs)) {
		// Nobody else holds these: the caller may have them as they are.
		for _, r := range recs {
			out[r.GetMeta().ID] = r
		}
		return out, nil
	}
	s.recs.add(k, recs, head)
	for _, r := range recs {
		out[r.GetMeta().ID] = codec.Clone(r)
	}
	return out, nil
}

// queryBodies runs a "SELECT body" query and returns the bodies, copied out of the driver.
func queryBodies(ctx context.Context, q querier, query string, args ...any) ([][]byte, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return scanBodies(rows)
}

// scanBodies reads the bodies of a "SELECT body" result and closes it.
func scanBodies(rows *sql.Rows) ([][]byte, error) {
	defer rows.Close()
	var bodies [][]byte
	for rows.Next() {
		var body []byte
		if err := rows.Scan(&body); err != nil {
			return nil, err
		}
		bodies = append(bodies, body)
	}
	return bodies, rows.Err()
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// List returns one page of records, most recently written first, and the total count.
// The order is the order of writes (outbox seq), so it is stable and unaffected by clock steps.
func (s *Store) List(ctx context.Context, k domain.Kind, offset, limit int) (items []domain.Record, total int, err error) {
	offset = max(offset, 0)
	// One read transaction, so the page and the total come from the same snapshot.
	tx, err := s.read.BeginTx(ctx, nil)
	if err != nil {
		return nil, 0, fmt.Errorf("store: list %s: %w", k, classify(err))
	}
	defer tx.Rollback() //nolint:errcheck // read-only; nothing to undo
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM records WHERE kind = ?`, k).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("store: list %s: %w", k, err)
	}
	if limit <= 0 || offset >= total {
		return nil, total, nil
	}
	bodies, err := queryBodies(ctx, tx,
		`SELECT body FROM records WHERE kind = ? ORDER BY seq DESC LIMIT ? OFFSET ?`, k, limit, offset)
	if err != nil {
		return nil, 0, fmt.Errorf("store: list %s: %w", k, err)
	}
	if items, err = codec.DecodeAll(k, bodies); err != nil {
		return nil, 0, fmt.Errorf("store: list %s: %w", k, err)
	}
	return items, total, nil
}

// scanPage is how many records Scan reads per query.
const scanPage = 500

// Scan calls fn for every record of kind k in id order, stopping at fn's first error.
// It reads in pages by id and calls fn between queries, so a slow fn holds no read
// transaction open; a record written during the scan may or may not be seen, which is
// fine for reindexing because the outbox is replayed afterwards.
func (s *Store) Scan(ctx context.Context, k domain.Kind, fn func(domain.Record) error) error {
	after := ""
	for {
		bodies, err := queryBodies(ctx, s.read,
			`SELECT body FROM records WHERE kind = ? AND id > ? ORDER BY id LIMIT ?`, k, after, scanPage)
		if err != nil {
			return fmt.Errorf("store: scan %s: %w", k, classify(err))
		}
		page, err := codec.DecodeAll(k, bodies)
		if err != nil {
			return fmt.Errorf("store: scan %s: %w", k, err)
		}
		for _, r := range page {
			if err := fn(r); err != nil {
				return err
			}
		}
		if len(page) < scanPage {
			return nil
		}
		after = page[len(page)-1].GetMeta().ID
	}
}

// Count returns how many records of kind k there are.
func (s *Store) Count(ctx context.Context, k domain.Kind) (int, error) {
	var n int
	if err := s.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM records WHERE kind = ?`, k).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count %s: %w", k, err)
	}
	return n, nil
}

// SampleDemandIDs returns up to n ids of demands with the given status, the most recently
// written first, so the same store state always gives the same sample.
func (s *Store) SampleDemandIDs(ctx context.Context, status string, n int) ([]string, error) {
	if n <= 0 {
		return nil, nil
	}
	rows, err := s.read.QueryContext(ctx,
		`SELECT id FROM records WHERE kind = ? AND status = ? ORDER BY seq DESC LIMIT ?`, domain.Demands, status, n)
	if err != nil {
		return nil, fmt.Errorf("store: sample %s demands: %w", status, err)
	}
	defer rows.Close()
	ids := make([]string, 0, n)
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("store: sample %s demands: %w", status, err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: sample %s demands: %w", status, err)
	}
	return ids, nil
}
