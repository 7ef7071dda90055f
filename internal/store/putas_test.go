package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/techmatch/techmatch/internal/domain"
	"github.com/techmatch/techmatch/internal/store"
)

// PutAs files a demand under the writing enterprise and never replaces another enterprise's.
func TestPutAsKeepsAnotherEnterprisesDemand(t *testing.T) {
	ctx := context.Background()
	s, _ := openStore(t)
	d := demand("d1", "open", 1)
	d.Enterprise = "someone else" // the body's claim does not count
	if created, err := s.PutAs(ctx, d, "ent-a"); err != nil || !created {
		t.Fatalf("PutAs new = %v, %v; want created", created, err)
	}
	if created, err := s.PutAs(ctx, demand("d1", "open", 2), "ent-a"); err != nil || created {
		t.Fatalf("PutAs by the owner = %v, %v; want replaced", created, err)
	}
	other := demand("d1", "closed", 3)
	_, err := s.PutAs(ctx, other, "ent-b")
	if !errors.Is(err, store.ErrNotOwner) {
		t.Fatalf("PutAs by another enterprise: err = %v, want ErrNotOwner", err)
	}
	if other.Rev != 0 {
		t.Errorf("a refused PutAs changed the caller's meta: rev %d", other.Rev)
	}
	rec, err := s.Get(ctx, domain.Demands, "d1")
	if err != nil {
		t.Fatal(err)
	}
	if got := rec.(*domain.Demand); got.Enterprise != "ent-a" || got.Status != "open" || got.Rev != 2 {
		t.Fatalf("stored demand = %s rev %d status %s, want ent-a's rev 2, open", got.Enterprise, got.Rev, got.Status)
	}
	if _, err := s.PutAs(ctx, demand("d2", "open", 1), ""); err == nil {
		t.Fatal("PutAs with no enterprise succeeded")
	}
}

// Two enterprises creating the same new id at once: one gets it, the other is refused; the
// check and the write are one transaction.
func TestPutAsRaceForANewID(t *testing.T) {
	ctx := context.Background()
	s, _ := openStore(t)
	for round := range 20 {
		id := "race-" + string(rune('a'+round))
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, ent := range []string{"ent-a", "ent-b"} {
			wg.Go(func() { _, errs[i] = s.PutAs(ctx, demand(id, "open", i), ent) })
		}
		wg.Wait()
		refused := 0
		for _, err := range errs {
			switch {
			case errors.Is(err, store.ErrNotOwner):
				refused++
			case err != nil:
				t.Fatal(err)
			}
		}
		if refused != 1 {
			t.Fatalf("round %d: %d of 2 writers refused, want exactly 1 (errors %v)", round, refused, errs)
		}
	}
}
