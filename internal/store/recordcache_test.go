package store_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/techmatch/techmatch/internal/domain"
	"github.com/techmatch/techmatch/internal/store"
)

func titleOf(r domain.Record) string {
	if d, ok := r.(*domain.Demand); ok {
		return d.Title
	}
	return r.(domain.SupplyRecord).Common().Title
}

// TestRecordCacheBound reads more records than the cache holds and gets each one right.
func TestRecordCacheBound(t *testing.T) {
	ctx := context.Background()
	path := t.TempDir() + "/techmatch.db"
	s, err := store.Open(ctx, path, store.WithRecordCache(3))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var ids []string
	for i := range 5 {
		a := achievement(fmt.Sprintf("a%d", i), i)
		if _, err := s.Put(ctx, a); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, a.ID)
	}
	for round := range 2 {
		got, err := s.GetMany(ctx, domain.Achievements, ids)
		if err != nil || len(got) != len(ids) {
			t.Fatalf("round %d: GetMany = %d records, %v", round, len(got), err)
		}
		for i, id := range ids {
			if want := achievement(id, i).Title; titleOf(got[id]) != want {
				t.Fatalf("round %d: %s has title %q, want %q", round, id, titleOf(got[id]), want)
			}
		}
		if n := store.CachedRecords(s); n != 3 {
			t.Fatalf("round %d: the cache holds %d records, want its bound 3", round, n)
		}
	}
}

// TestBulkReadsAreNotCached reads more records at once than the cache takes from one read (the
// indexer's batches): none is cached, each is right, and a change the caller makes to one
// reaches no later read, bulk or not.
func TestBulkReadsAreNotCached(t *testing.T) {
	ctx := context.Background()
	s, _ := openStore(t)
	const n = 600 // more than the default cache's 512 per read
	var recs []domain.Record
	var ids []string
	for i := range n {
		a := achievement(fmt.Sprintf("a%03d", i), i)
		recs, ids = append(recs, a), append(ids, a.ID)
	}
	if err := s.PutMany(ctx, recs); err != nil {
		t.Fatal(err)
	}
	for round := range 2 {
		got, err := s.GetMany(ctx, domain.Achievements, ids)
		if err != nil || len(got) != n {
			t.Fatalf("round %d: GetMany = %d records, %v", round, len(got), err)
		}
		for i, id := range ids {
			if want := achievement(id, i).Title; titleOf(got[id]) != want {
				t.Fatalf("round %d: %s has title %q, want %q", round, id, titleOf(got[id]), want)
			}
			got[id].(*domain.Achievement).Title = "changed by the caller"
		}
		if c := store.CachedRecords(s); c != 0 {
			t.Fatalf("round %d: a bulk read left %d records in the cache", round, c)
		}
	}
	small, err := s.GetMany(ctx, domain.Achievements, ids[:10])
	if err != nil || titleOf(small[ids[0]]) != achievement(ids[0], 0).Title {
		t.Fatalf("a small read after bulk reads: %v, %v", small[ids[0]], err)
	}
	if c := store.CachedRecords(s); c != 10 {
		t.Fatalf("a read of 10 left %d records in the cache, want 10", c)
	}
}
