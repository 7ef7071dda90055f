package store_test

import (
	"context"
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
		if err := s.Audit(ctx, w.actor, w.action, w.kind, w.id, w.detail); err != nil {
			t.Fatal(err)
		}
	}
	log, err := s.AuditLog(ctx, 2)
	if err != nil || len(log) != 2 {
		t.Fatalf("AuditLog(2) = %+v, %v; want 2 entries", log, err)
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
