package cache_test

import (
	"context"
	"testing"
	"time"

	"github.com/techmatch/techmatch/internal/cache"
	"github.com/techmatch/techmatch/internal/testredis"
)

// benchmarkLoaderHit measures the cached path of a match request: key building plus a hit.
func benchmarkLoaderHit(b *testing.B, c cache.Cache) {
	ctx := context.Background()
	l := cache.NewLoader(c, time.Hour, nil)
	answer := make([]byte, 8<<10) // about a 20-match list as JSON
	compute := func(context.Context) ([]byte, error) { return answer, nil }
	key := cache.Key("match", "demand", "d-1", "3", "default@2", "achievements=120", "20")
	if _, _, err := l.Get(ctx, key, compute); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			k := cache.Key("match", "demand", "d-1", "3", "default@2", "achievements=120", "20")
			if _, status, err := l.Get(ctx, k, compute); err != nil || status != cache.Hit {
				b.Fatalf("Get = %s, %v; want a hit", status, err)
			}
		}
	})
}

func BenchmarkLoaderHitMemory(b *testing.B) {
	benchmarkLoaderHit(b, cache.NewMemory(1000))
}

func BenchmarkLoaderHitRedis(b *testing.B) {
	srv := testredis.Start(b)
	benchmarkLoaderHit(b, openRedis(b, srv.URL()))
}

func BenchmarkKey(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		cache.Key("match", "demand", "d-1", "3", "default@2", "achievements=120", "20")
	}
}
