package index

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/techmatch/techmatch/internal/domain"
)

// Records reads records by id; the store implements it.
type Records interface {
	GetMany(ctx context.Context, k domain.Kind, ids []string) (map[string]domain.Record, error)
}

// LoadHits reads the records behind hits, with one GetMany a kind, kinds in order. A hit whose
// record is gone (deleted since the index saw it) has none in the map.
func LoadHits(ctx context.Context, rs Records, hits []Hit) (map[DocKey]domain.Record, error) {
	ids := map[domain.Kind][]string{}
	for _, h := range hits {
		ids[h.Kind] = append(ids[h.Kind], h.ID)
	}
	out := make(map[DocKey]domain.Record, len(hits))
	for _, k := range slices.Sorted(maps.Keys(ids)) {
		m, err := rs.GetMany(ctx, k, ids[k])
		if err != nil {
			return nil, fmt.Errorf("index: load %d %s: %w", len(ids[k]), k, err)
		}
		for id, r := range m {
			out[DocKey{Kind: k, ID: id}] = r
		}
	}
	return out, nil
}
