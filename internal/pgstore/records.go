package pgstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/techmatch/techmatch/internal/domain"
	"github.com/techmatch/techmatch/internal/store/codec"
)

// queryBodies runs a "SELECT body" query and returns the bodies.
func queryBodies(ctx context.Context, q querier, query string, args ...any) ([][]byte, error) {
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[[]byte])
}

// Get reads one record; the error wraps domain.ErrNotFound when it does not exist.
func (s *Store) Get(ctx context.Context, k domain.Kind, id string) (domain.Record, error) {
	m, err := s.GetMany(ctx, k, []string{id})
	if err != nil {
		return nil, err
	}
	rec, ok := m[id]
	if !ok {
		return nil, fmt.Errorf("pgstore: get %s %s: %w", k, id, domain.ErrNotFound)
	}
	return rec, nil
}

// GetMany reads the records with the given ids; ids that do not exist are absent from the map.
// The ids travel as one array parameter, so there is no limit on how many. Records the cache
// holds come back from the database as their seq alone, and are decoded again only when it has
// moved (recordcache.go).
func (s *Store) GetMany(ctx context.Context, k domain.Kind, ids []string) (map[string]domain.Record, error) {
	out := map[string]domain.Record{}
	if len(ids) == 0 {
		return out, nil
	}
	if err := s.getMany(ctx, k, ids, out); err != nil {
		return nil, fmt.Errorf("pgstore: get %d %s: %w", len(ids), k, err)
	}
	return out, nil
}

// versionedBody is a record's body, nil when the cache's version was asked for, and the seq of
// the write it is of.
type versionedBody struct {
	ID   string
	Seq  int64
	Body []byte
}

// selectVersioned reads the records of kind $1 with the ids $2, the bodies of those in $3 left
// out. One primary-key lookup per id, whatever the planner's statistics say: with "id =
// ANY($2)" and statistics taken before a bulk import (autovacuum analyzes a minute or more
// later), PostgreSQL scanned every record of the kind and filtered by id.
const selectVersioned = `SELECT r.id, r.seq, CASE WHEN r.id = ANY($3) THEN NULL ELSE r.body END
	FROM unnest($2::text[]) AS want(id)
	CROSS JOIN LATERAL (SELECT id, seq, body FROM records WHERE kind = $1 AND id = want.id LIMIT 1) r`

func (s *Store) getMany(ctx context.Context, k domain.Kind, ids []string, out map[string]domain.Record) error {
	held := s.recs.held(k, ids)
	rows, err := s.pool.Query(ctx, selectVersioned, k, ids, held)
	if err != nil {
		return classify(err)
	}
	found, err := pgx.CollectRows(rows, pgx.RowToStructByPos[versionedBody])
	if err != nil {
		return classify(err)
	}
	var fresh []versionedBody
	var stale []string
	for _, r := range found {
		if r.Body != nil {
			fresh = append(fresh, r)
			continue
		}
		if rec, ok := s.recs.get(k, r.ID, r.Seq); ok {
			out[r.ID] = rec
			continue
		}
		stale = append(stale, r.ID) // written since it was cached, or evicted since held was taken
	}
	if len(stale) > 0 {
		rows, err := s.pool.Query(ctx, selectVersioned, k, stale, nil)
		if err != nil {
			return classify(err)
		}
		again, err := pgx.CollectRows(rows, pgx.RowToStructByPos[versionedBody])
		if err != nil {
			return classify(err)
		}
		fresh = append(fresh, again...)
	}
	if len(held) > 0 {
		s.recs.drop(k, gone(held, found))
	}
	bodies := make([][]byte, len(fresh))
	for i, r := range fresh {
		bodies[i] = r.Body
	}
	recs, err := codec.DecodeAll(k, bodies)
	if err != nil {
		return err
	}
	bulk := s.recs.bulk(len(recs))
	for i, r := range recs {
		if bulk {
			// Nobody else holds these: the caller may have them as they are.
			out[r.GetMeta().ID] = r
			continue
		}
		s.recs.add(k, r, fresh[i].Seq)
		out[r.GetMeta().ID] = codec.Clone(r)
	}
	return nil
}

// gone returns those of held that found lacks: records deleted since they were cached.
func gone(held []string, found []versionedBody) []string {
	in := make(map[string]bool, len(found))
	for _, r := range found {
		in[r.ID] = true
	}
	var out []string
	for _, id := range held {
		if !in[id] {
			out = append(out, id)
		}
	}
	return out
}

// List returns one page of records, most recently written first, and the total count.
// The order is the order of writes (outbox seq), so it is stable and unaffected by clock steps.
func (s *Store) List(ctx context.Context, k domain.Kind, offset, limit int) (items []domain.Record, total int, err error) {
	items, total, err = s.page(ctx, k, `kind = $1`, []any{k}, offset, limit)
	if err != nil {
		return nil, 0, fmt.Errorf("pgstore: list %s: %w", k, err)
	}
	return items, total, nil
}

// ListDemandsOf returns one page of the demands of one enterprise, most recently written
// first, and their total: what an enterprise key may list. A demand without an enterprise
// belongs to nobody.
func (s *Store) ListDemandsOf(ctx context.Context, enterprise string, offset, limit int) (items []domain.Record, total int, err error) {
	items, total, err = s.page(ctx, domain.Demands, `kind = $1 AND enterprise = $2 AND enterprise <> ''`,
		[]any{domain.Demands, enterprise}, offset, limit)
	if err != nil {
		return nil, 0, fmt.Errorf("pgstore: list demands of %s: %w", enterprise, err)
	}
	return items, total, nil
}

// page reads the records of kind k that cond selects, newest write first, and their total,
// from one snapshot.
func (s *Store) page(ctx context.Context, k domain.Kind, cond string, args []any, offset, limit int) (items []domain.Record, total int, err error) {
	offset = max(offset, 0)
	var bodies [][]byte
	err = s.inSnapshot(ctx, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM records WHERE `+cond, args...).Scan(&total); err != nil {
			return err
		}
		if limit <= 0 || offset >= total {
			return nil
		}
		n := len(args)
		var err error
		bodies, err = queryBodies(ctx, tx, fmt.Sprintf(`SELECT body FROM records WHERE %s ORDER BY seq DESC LIMIT $%d OFFSET $%d`,
			cond, n+1, n+2), append(args, limit, offset)...)
		return err
	})
	if err != nil || len(bodies) == 0 {
		return nil, total, err
	}
	if items, err = codec.DecodeAll(k, bodies); err != nil {
		return nil, 0, err
	}
	return items, total, nil
}

// scanPage is how many records Scan reads per query.
const scanPage = 500

// Scan calls fn for every record of kind k in id order, stopping at fn's first error.
// It reads in pages by id and calls fn between queries, so a slow fn holds no transaction
// open; a record written during the scan may or may not be seen, which is fine for
// reindexing because the outbox is replayed afterwards.
func (s *Store) Scan(ctx context.Context, k domain.Kind, fn func(domain.Record) error) error {
	after := ""
	for {
		bodies, err := queryBodies(ctx, s.pool,
			`SELECT body FROM records WHERE kind = $1 AND id > $2 ORDER BY id LIMIT $3`, k, after, scanPage)
		if err != nil {
			return fmt.Errorf("pgstore: scan %s: %w", k, classify(err))
		}
		page, err := codec.DecodeAll(k, bodies)
		if err != nil {
			return fmt.Errorf("pgstore: scan %s: %w", k, err)
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
	if err := s.pool.QueryRow(ctx, `SELECT COUNT(*) FROM records WHERE kind = $1`, k).Scan(&n); err != nil {
		return 0, fmt.Errorf("pgstore: count %s: %w", k, classify(err))
	}
	return n, nil
}

// SampleDemandIDs returns up to n ids of demands with the given status, the most recently
// written first, so the same store state always gives the same sample.
func (s *Store) SampleDemandIDs(ctx context.Context, status string, n int) ([]string, error) {
	if n <= 0 {
		return nil, nil
	}
	ids, err := queryStrings(ctx, s.pool,
		`SELECT id FROM records WHERE kind = $1 AND status = $2 ORDER BY seq DESC LIMIT $3`, domain.Demands, status, n)
	if err != nil {
		return nil, fmt.Errorf("pgstore: sample %s demands: %w", status, classify(err))
	}
	return ids, nil
}

func queryStrings(ctx context.Context, q querier, query string, args ...any) ([]string, error) {
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// DemandHead reads a demand's rev, owner and feedback version in one indexed read; the error
// wraps domain.ErrNotFound when the demand does not exist. It reads the database every time,
// so it is as current as Get, across processes too.
func (s *Store) DemandHead(ctx context.Context, id string) (domain.DemandHead, error) {
	h := domain.DemandHead{ID: id}
	err := s.pool.QueryRow(ctx, `SELECT r.rev, r.enterprise,
			COALESCE((SELECT f.version FROM demand_feedback f WHERE f.demand_id = r.ID), 0)
		FROM records r WHERE r.kind = 'demands' AND r.ID = $1`, id).Scan(&h.Rev, &h.Enterprise, &h.Feedback)
	if errors.Is(err, pgx.ErrNoRows) {
		return h, fmt.Errorf("pgstore: head of demand %s: %w", id, domain.ErrNotFound)
	}
	if err != nil {
		return h, fmt.Errorf("pgstore: head of demand %s: %w", id, classify(err))
	}
	return h, nil
}

// ExpertsLinking returns the ids of the experts that link any of the records of kind k with
// the given ids, each once, in id order.
func (s *Store) ExpertsLinking(ctx context.Context, k domain.Kind, ids []string) ([]string, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	out, err := queryStrings(ctx, s.pool, `SELECT DISTINCT expert_id FROM expert_links
		WHERE kind = $1 AND target_id = ANY($2) ORDER BY expert_id`, k, ids)
	if err != nil {
		return nil, fmt.Errorf("pgstore: experts linking %s: %w", k, classify(err))
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}
