package store_test

import (
	"context"
	"testing"

	"github.com/techmatch/techmatch/internal/domain"
)

// BenchmarkDemandHead is the store's part of a cached GET /v1/demands/{id}/matches, against
// the Get of the whole demand it replaces.
func BenchmarkDemandHead(b *testing.B) {
	ctx := context.Background()
	s, _ := openStore(b)
	if _, err := s.Put(ctx, demand("dem-1", "open", 1)); err != nil {
		b.Fatal(err)
	}
	b.Run("head", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.DemandHead(ctx, "dem-1"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("get", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.Get(ctx, domain.Demands, "dem-1"); err != nil {
				b.Fatal(err)
			}
		}
	})
}
