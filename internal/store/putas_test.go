package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/techmatch/techmatch/internal/domain"
)

// PutAs files a demand under the writing enterprise, makes the id of a new one, and replaces
// only the enterprise's own: another enterprise's id and an id not in the store are refused
// alike, so that trying ids tells an enterprise nothing.
func TestPutAsKeepsAnotherEnterprisesDemand(t *testing.T) {
	ctx := context.Background()
	s, _ := openStore(t)
	d := demand("", "open", 1)
	d.Enterprise = "someone else" // the body's claim does not count
	if created, err := s.PutAs(ctx, d, "ent-a"); err != nil || !created || d.ID == "" {
		t.Fatalf("PutAs new = %v, %v, id %q; want created with a made id", created, err, d.ID)
	}
	id := d.ID
	if created, err := s.PutAs(ctx, demand(id, "open", 2), "ent-a"); err != nil || created {
		t.Fatalf("PutAs by the owner = %v, %v; want replaced", created, err)
	}
	for _, tt := range []struct{ id, ent string }{{id, "ent-b"}, {"not-stored", "ent-a"}} {
		other := demand(tt.id, "closed", 3)
		if _, err := s.PutAs(ctx, other, tt.ent); !errors.Is(err, domain.ErrNotOwner) {
			t.Fatalf("PutAs %q by %s: err = %v, want ErrNotOwner", tt.id, tt.ent, err)
		}
		if other.Rev != 0 {
			t.Errorf("a refused PutAs changed the caller's meta: rev %d", other.Rev)
		}
	}
	rec, err := s.Get(ctx, domain.Demands, id)
	if err != nil {
		t.Fatal(err)
	}
	if got := rec.(*domain.Demand); got.Enterprise != "ent-a" || got.Status != "open" || got.Rev != 2 {
		t.Fatalf("stored demand = %s rev %d status %s, want ent-a's rev 2, open", got.Enterprise, got.Rev, got.Status)
	}
	if _, err := s.Get(ctx, domain.Demands, "not-stored"); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("a refused PutAs stored a demand: %v", err)
	}
	if _, err := s.PutAs(ctx, demand("", "open", 1), ""); err == nil {
		t.Fatal("PutAs with no enterprise succeeded")
	}
}

// Another enterprise replacing a demand while its owner does: the owner's writes all land, the
// other's are all refused; the check and the write are one transaction.
func TestPutAsRaceWithTheOwner(t *testing.T) {
	ctx := context.Background()
	s, _ := openStore(t)
	for round := range 20 {
		d := demand("", "open", round)
		if _, err := s.PutAs(ctx, d, "ent-a"); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, ent := range []string{"ent-a", "ent-b"} {
			wg.Go(func() { _, errs[i] = s.PutAs(ctx, demand(d.ID, "open", i), ent) })
		}
		wg.Wait()
		if errs[0] != nil || !errors.Is(errs[1], domain.ErrNotOwner) {
			t.Fatalf("round %d: owner %v, other %v; want nil and ErrNotOwner", round, errs[0], errs[1])
		}
	}
}
