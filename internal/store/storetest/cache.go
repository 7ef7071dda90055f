package storetest

import (
	"context"
	"fmt"
	"testing"

	"github.com/techmatch/techmatch/internal/domain"
)

// The record cache's bound and what it takes in; the Reads* tests (reads.go) hold it to serving
// nothing stale.

// testRecordCacheBound reads more records than the cache holds, twice, and gets each one right
// with the cache full to its bound.
func testRecordCacheBound(t *testing.T, b Backend) {
	ctx := context.Background()
	s, cached := b.OpenCaching(t, b.New(t), 3)
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
		if n := cached(); n != 3 {
			t.Fatalf("round %d: the cache holds %d records, want its bound 3", round, n)
		}
	}
}

// testBulkReadsAreNotCached reads more records at once than the cache takes from one read (the
// indexer's batches): none is cached, each is right, and a change the caller makes to one
// reaches no later read. A read of as many as matching makes is cached; a deleted record leaves
// the cache.
func testBulkReadsAreNotCached(t *testing.T, b Backend) {
	ctx := context.Background()
	s, cached := b.OpenCaching(t, b.New(t), 0)
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
		if c := cached(); c != 0 {
			t.Fatalf("round %d: a bulk read left %d records in the cache", round, c)
		}
	}
	got, err := s.GetMany(ctx, domain.Achievements, ids[:200])
	if err != nil || len(got) != 200 || titleOf(got[ids[0]]) != achievement(ids[0], 0).Title {
		t.Fatalf("a read of 200 after bulk reads: %d records, %v", len(got), err)
	}
	if c := cached(); c != 200 {
		t.Fatalf("a read of 200 left %d records in the cache, want 200", c)
	}
	if err := s.Delete(ctx, domain.Achievements, ids[0]); err != nil {
		t.Fatal(err)
	}
	if got, err = s.GetMany(ctx, domain.Achievements, ids[:200]); err != nil || len(got) != 199 || got[ids[0]] != nil {
		t.Fatalf("GetMany after a delete = %d records, %v", len(got), err)
	}
	if c := cached(); c != 199 {
		t.Fatalf("after a delete the cache holds %d records, want 199", c)
	}
}
