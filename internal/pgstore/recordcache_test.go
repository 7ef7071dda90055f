package pgstore_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/techmatch/techmatch/internal/domain"
	"github.com/techmatch/techmatch/internal/pgstore"
	"github.com/techmatch/techmatch/internal/testpg"
)

// The conformance suite's Reads* tests hold the cache to serving nothing stale, whichever
// replica wrote; these hold it to its bound and to what it takes in.

// TestRecordCacheBound reads more records than the cache holds, twice, and gets each one right
// with the cache full to its bound.
func TestRecordCacheBound(t *testing.T) {
	ctx := context.Background()
	s := open(t, testpg.New(t), pgstore.WithRecordCache(3))
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
			if want := achievement(id, i).Title; got[id].(*domain.Achievement).Title != want {
				t.Fatalf("round %d: %s has title %q, want %q", round, id, got[id].(*domain.Achievement).Title, want)
			}
		}
		if n := pgstore.CachedRecords(s); n != 3 {
			t.Fatalf("round %d: the cache holds %d records, want its bound 3", round, n)
		}
	}
}

// TestRecordCacheTakesMatchingsReadsOnly reads as many records at once as the indexer does, which
// are not cached, then as many as matching does, which are; a deleted record leaves the cache.
func TestRecordCacheTakesMatchingsReadsOnly(t *testing.T) {
	ctx := context.Background()
	s := open(t, testpg.New(t))
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
	got, err := s.GetMany(ctx, domain.Achievements, ids)
	if err != nil || len(got) != n {
		t.Fatalf("GetMany = %d records, %v", len(got), err)
	}
	if c := pgstore.CachedRecords(s); c != 0 {
		t.Fatalf("a bulk read left %d records in the cache", c)
	}
	if got, err = s.GetMany(ctx, domain.Achievements, ids[:200]); err != nil || len(got) != 200 {
		t.Fatalf("GetMany of 200 = %d records, %v", len(got), err)
	}
	if c := pgstore.CachedRecords(s); c != 200 {
		t.Fatalf("a read of 200 left %d records in the cache, want 200", c)
	}
	if err := s.Delete(ctx, domain.Achievements, ids[0]); err != nil {
		t.Fatal(err)
	}
	if got, err = s.GetMany(ctx, domain.Achievements, ids[:200]); err != nil || len(got) != 199 || got[ids[0]] != nil {
		t.Fatalf("GetMany after a delete = %d records, %v", len(got), err)
	}
	if c := pgstore.CachedRecords(s); c != 199 {
		t.Fatalf("after a delete the cache holds %d records, want 199", c)
	}
}
