package storetest

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/techmatch/techmatch/internal/domain"
)

func testProfileVersions(t *testing.T, b Backend) {
	ctx := context.Background()
	s, _ := open(t, b)
	start := time.Now().UTC()
	var stored []*domain.Profile
	for i, text := range []float64{0.5, 0.7, 0.9} {
		p := profile("default", text, "step")
		p.Version = 77 // the store assigns versions
		must(t, s.PutProfile(ctx, p))
		if p.Version != i+1 || p.CreatedAt.Before(start) {
			t.Fatalf("PutProfile #%d: version %d created %v; want version %d, created ≥ %v", i, p.Version, p.CreatedAt, i+1, start)
		}
		stored = append(stored, p)
	}
	alt := profile("alt", 1, "")
	if err := s.PutProfile(ctx, alt); err != nil || alt.Version != 1 {
		t.Fatalf("PutProfile(alt): version %d, %v", alt.Version, err)
	}

	if got, err := s.Profile(ctx, "default"); err != nil || !reflect.DeepEqual(got, stored[2]) {
		t.Errorf("Profile(default) = %+v, %v; want %+v", got, err, stored[2])
	}
	if got, err := s.ProfileVersion(ctx, "default", 2); err != nil || !reflect.DeepEqual(got, stored[1]) {
		t.Errorf("ProfileVersion(default, 2) = %+v, %v; want %+v", got, err, stored[1])
	}
	vs, err := s.ProfileVersions(ctx, "default")
	if err != nil {
		t.Fatal(err)
	}
	var versions []int
	for _, p := range vs {
		versions = append(versions, p.Version)
	}
	if !slices.Equal(versions, []int{3, 2, 1}) {
		t.Errorf("ProfileVersions(default) = %v, want [3 2 1]", versions)
	}
	all, err := s.Profiles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var refs []domain.ProfileRef
	for _, p := range all {
		refs = append(refs, p.Ref())
	}
	if want := []domain.ProfileRef{{Name: "alt", Version: 1}, {Name: "default", Version: 3}}; !slices.Equal(refs, want) {
		t.Errorf("Profiles = %v, want %v", refs, want)
	}

	notFound := []struct {
		name string
		call func() error
	}{
		{"Profile", func() error { _, err := s.Profile(ctx, "missing"); return err }},
		{"ProfileVersion", func() error { _, err := s.ProfileVersion(ctx, "default", 4); return err }},
		{"ProfileVersions", func() error { _, err := s.ProfileVersions(ctx, "missing"); return err }},
	}
	for _, tt := range notFound {
		if err := tt.call(); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("%s: err = %v, want domain.ErrNotFound", tt.name, err)
		}
	}
}

func testProfilesEmpty(t *testing.T, b Backend) {
	s, _ := open(t, b)
	if ps, err := s.Profiles(context.Background()); err != nil || len(ps) != 0 {
		t.Fatalf("Profiles of a new store = %v, %v; want none", ps, err)
	}
}

// A version stored before a param existed reads with that param's default, not its zero: a
// profile of session 1 had no maturity_step, trl_floor_gap or min_text, and a zero min_text
// would let every recalled candidate through.
func testProfileStoredBeforeAParam(t *testing.T, b Backend) {
	ctx := context.Background()
	where := b.New(t)
	_ = b.Open(t, where).Close() // the schema
	b.Exec(t, where, `INSERT INTO profiles (name, version, created_at, body) VALUES ('default', 1, 0, '`+
		`{"name":"default","version":1,"weights":{"text":0.5,"field":0.5},`+
		`"params":{"recall":150,"list_threshold":0.4,"freshness_half_life_days":365,`+
		`"region_scores":{"city":1,"province":0.7,"partner":0.5,"other":0.2},`+
		`"partner_regions":[["640000","320000"]],"hard_filters":["closed"]},"created_at":"2025-01-01T00:00:00Z"}')`)
	s := b.Open(t, where)
	def := domain.DefaultParams()
	for name, get := range map[string]func() (*domain.Profile, error){
		"Profile":        func() (*domain.Profile, error) { return s.Profile(ctx, "default") },
		"ProfileVersion": func() (*domain.Profile, error) { return s.ProfileVersion(ctx, "default", 1) },
		"ProfileVersions": func() (*domain.Profile, error) {
			vs, err := s.ProfileVersions(ctx, "default")
			if err != nil {
				return nil, err
			}
			return vs[0], nil
		},
		"Profiles": func() (*domain.Profile, error) {
			ps, err := s.Profiles(ctx)
			if err != nil || len(ps) != 1 {
				return nil, errors.Join(err, errors.New("want one profile"))
			}
			return ps[0], nil
		},
	} {
		p, err := get()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		q := p.Params
		if q.MinText != def.MinText || q.MaturityStep != def.MaturityStep || q.TRLFloorGap != def.TRLFloorGap {
			t.Errorf("%s: min_text %v, maturity_step %v, trl_floor_gap %v; want the defaults %v, %v, %v",
				name, q.MinText, q.MaturityStep, q.TRLFloorGap, def.MinText, def.MaturityStep, def.TRLFloorGap)
		}
		if q.Recall != 150 || q.ListThreshold != 0.4 || !slices.Equal(q.HardFilters, []string{"closed"}) ||
			len(q.PartnerRegions) != 1 || !slices.Equal(q.PartnerRegions[0], []string{"640000", "320000"}) {
			t.Errorf("%s: the stored params were not kept: %+v", name, q)
		}
		if err := p.Validate(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func testKeysLifecycle(t *testing.T, b Backend) {
	ctx := context.Background()
	s, where := open(t, b)
	keys := []struct {
		key  domain.APIKey
		hash []byte
	}{
		{domain.APIKey{ID: "key-1", Role: "enterprise", Subject: "南京锂电科技", CreatedBy: "admin"}, digest("secret-1")},
		{domain.APIKey{ID: "key-2", Role: "agent", Subject: "agent-7", CreatedBy: "admin"}, digest("secret-2")},
	}
	for i := range keys {
		if err := s.CreateKey(ctx, &keys[i].key, keys[i].hash); err != nil {
			t.Fatalf("CreateKey(%s): %v", keys[i].key.ID, err)
		}
	}
	if err := s.CreateKey(ctx, &domain.APIKey{ID: "key-3", Role: "admin"}, digest("secret-1")); err == nil {
		t.Fatal("a second key with the same digest was stored")
	}
	if err := s.CreateKey(ctx, &domain.APIKey{ID: "key-1", Role: "admin"}, digest("secret-3")); err == nil {
		t.Fatal("a second key with the same id was stored")
	}

	got, err := s.KeyByHash(ctx, digest("secret-2"))
	if err != nil || got.ID != "key-2" || got.Role != "agent" || got.Subject != "agent-7" || got.CreatedBy != "admin" ||
		!got.CreatedAt.Equal(keys[1].key.CreatedAt) {
		t.Fatalf("KeyByHash(secret-2) = %+v, %v; want %+v", got, err, keys[1].key)
	}
	if _, err := s.KeyByHash(ctx, digest("no such key")); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("KeyByHash(unknown) error = %v, want not found", err)
	}

	must(t, s.RevokeKey(ctx, "key-1"))
	if err := s.RevokeKey(ctx, "key-1"); err != nil {
		t.Fatalf("RevokeKey twice: %v", err)
	}
	if err := s.RevokeKey(ctx, "key-9"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("RevokeKey(unknown) error = %v, want not found", err)
	}
	if _, err := s.KeyByHash(ctx, digest("secret-1")); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("revoked key still found: %v", err)
	}

	// Revocation and keys survive a reopen; the list is newest first.
	must(t, s.Close())
	s = b.Open(t, where)
	list, err := s.Keys(ctx)
	if err != nil || len(list) != 2 || list[0].ID != "key-2" {
		t.Fatalf("Keys() = %+v, %v; want key-2 and key-1", list, err)
	}
	for _, k := range list {
		if revoked := k.RevokedAt != nil; revoked != (k.ID == "key-1") {
			t.Errorf("%s revoked at %v; want key-1 only revoked", k.ID, k.RevokedAt)
		}
	}
}

// PutAs files a demand under the writing enterprise, makes the id of a new one, and replaces
// only the enterprise's own: another enterprise's id and an id not in the store are refused
// alike, so that trying ids tells an enterprise nothing.
func testPutAsKeepsAnotherEnterprisesDemand(t *testing.T, b Backend) {
	ctx := context.Background()
	s, _ := open(t, b)
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
	if len(outboxAll(t, s)) != 2 {
		t.Error("a refused PutAs wrote an outbox row")
	}
	if _, err := s.PutAs(ctx, demand("", "open", 1), ""); err == nil {
		t.Fatal("PutAs with no enterprise succeeded")
	}
}

// Another enterprise replacing a demand while its owner does, from another process: the
// owner's writes all land, the other's are all refused; the check and the write are one
// transaction.
func testPutAsRaceWithTheOwner(t *testing.T, b Backend) {
	ctx := context.Background()
	s, where := open(t, b)
	stores := []Store{s, b.Open(t, where)}
	for round := range 20 {
		d := demand("", "open", round)
		must(t, errOf(s.PutAs(ctx, d, "ent-a")))
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, ent := range []string{"ent-a", "ent-b"} {
			wg.Go(func() { _, errs[i] = stores[i].PutAs(ctx, demand(d.ID, "open", i), ent) })
		}
		wg.Wait()
		if errs[0] != nil || !errors.Is(errs[1], domain.ErrNotOwner) {
			t.Fatalf("round %d: owner %v, other %v; want nil and ErrNotOwner", round, errs[0], errs[1])
		}
	}
}
