package store_test

import (
	"context"
	"database/sql"
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/techmatch/techmatch/internal/domain"
)

func profile(name string, text float64, note string) *domain.Profile {
	p := &domain.Profile{
		Name:    name,
		Weights: map[string]float64{"text": text, "field": 1 - text},
		Params:  domain.DefaultParams(),
		Note:    note,
		Author:  "staff-1",
	}
	if err := p.Validate(); err != nil {
		panic(err)
	}
	return p
}

func TestProfileVersions(t *testing.T) {
	ctx := context.Background()
	s, _ := openStore(t)
	start := time.Now().UTC()
	var stored []*domain.Profile
	for i, text := range []float64{0.5, 0.7, 0.9} {
		p := profile("default", text, "step")
		p.Version = 77 // the store assigns versions
		if err := s.PutProfile(ctx, p); err != nil {
			t.Fatal(err)
		}
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

func TestProfilesEmpty(t *testing.T) {
	s, _ := openStore(t)
	if ps, err := s.Profiles(context.Background()); err != nil || len(ps) != 0 {
		t.Fatalf("Profiles of a new store = %v, %v; want none", ps, err)
	}
}

func TestAuditLogNewestFirst(t *testing.T) {
	ctx := context.Background()
	s, _ := openStore(t)
	writes := []struct {
		actor, action string
		kind          domain.Kind
		id, detail    string
	}{
		{"admin", "create", domain.Achievements, "a1", ""},
		{"agent-7", "delete", domain.Demands, "d1", ""},
		{"admin", "import", domain.Patents, "", "accepted 500"},
	}
	for _, w := range writes {
		if err := s.Audit(domain.WithActor(ctx, domain.Actor{Name: w.actor}), w.action, w.kind, w.id, w.detail); err != nil {
			t.Fatal(err)
		}
	}
	log, total, err := s.AuditLog(ctx, domain.AuditFilter{}, 0, 2)
	if err != nil || len(log) != 2 || total != 3 {
		t.Fatalf("AuditLog(0, 2) = %+v (of %d), %v; want 2 entries of 3", log, total, err)
	}
	for i, e := range log {
		w := writes[len(writes)-1-i]
		if e.Actor != w.actor || e.Action != w.action || e.Kind != w.kind || e.ID != w.id || e.Detail != w.detail || e.At.IsZero() {
			t.Errorf("AuditLog[%d] = %+v, want %+v", i, e, w)
		}
	}
	if log[0].Seq <= log[1].Seq {
		t.Errorf("AuditLog not newest first: seq %d then %d", log[0].Seq, log[1].Seq)
	}
}

// TestProfileStoredBeforeAParam checks that a version stored before a param existed reads with
// that param's default, not its zero: a profile of session 1 had no maturity_step, trl_floor_gap
// or min_text, and a zero min_text would let every recalled candidate through.
func TestProfileStoredBeforeAParam(t *testing.T) {
	ctx := context.Background()
	s, path := openStore(t)
	_ = s.Close()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	old := `{"name":"default","version":1,"weights":{"text":0.5,"field":0.5},` +
		`"params":{"recall":150,"list_threshold":0.4,"freshness_half_life_days":365,` +
		`"region_scores":{"city":1,"province":0.7,"partner":0.5,"other":0.2},` +
		`"partner_regions":[["640000","320000"]],"hard_filters":["closed"]},"created_at":"2025-01-01T00:00:00Z"}`
	if _, err := db.Exec(`INSERT INTO profiles (name, version, created_at, body) VALUES ('default', 1, 0, ?)`, old); err != nil {
		t.Fatal(err)
	}
	_ = db.Close()
	s = openAt(t, path)
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
