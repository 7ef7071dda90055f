package store_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"slices"
	"testing"

	"github.com/techmatch/techmatch/internal/domain"
)

func digest(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

func TestKeysLifecycle(t *testing.T) {
	ctx := context.Background()
	s, path := openStore(t)
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

	got, err := s.KeyByHash(ctx, digest("secret-2"))
	if err != nil || got.ID != "key-2" || got.Role != "agent" || got.Subject != "agent-7" {
		t.Fatalf("KeyByHash(secret-2) = %+v, %v", got, err)
	}
	if _, err := s.KeyByHash(ctx, digest("no such key")); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("KeyByHash(unknown) error = %v, want not found", err)
	}

	if err := s.RevokeKey(ctx, "key-1"); err != nil {
		t.Fatalf("RevokeKey: %v", err)
	}
	if err := s.RevokeKey(ctx, "key-1"); err != nil {
		t.Fatalf("RevokeKey twice: %v", err)
	}
	if err := s.RevokeKey(ctx, "key-9"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("RevokeKey(unknown) error = %v, want not found", err)
	}
	if _, err := s.KeyByHash(ctx, digest("secret-1")); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("revoked key still found: %v", err)
	}

	// Revocation and keys survive a reopen.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openAt(t, path)
	list, err := s.Keys(ctx)
	if err != nil || len(list) != 2 {
		t.Fatalf("Keys() = %+v, %v; want 2", list, err)
	}
	revoked := map[string]bool{}
	for _, k := range list {
		revoked[k.ID] = k.RevokedAt != nil
	}
	if !revoked["key-1"] || revoked["key-2"] {
		t.Fatalf("revoked = %v, want key-1 only", revoked)
	}
}

func TestListDemandsOf(t *testing.T) {
	ctx := context.Background()
	s, _ := openStore(t)
	owners := []string{"甲公司", "乙公司", "甲公司", "", "甲公司"}
	for i, owner := range owners {
		d := demand("dem-"+string(rune('a'+i)), "open", i)
		d.Enterprise = owner
		if _, err := s.Put(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		enterprise    string
		offset, limit int
		wantIDs       []string
		wantTotal     int
	}{
		{"甲公司", 0, 10, []string{"dem-e", "dem-c", "dem-a"}, 3},
		{"甲公司", 1, 1, []string{"dem-c"}, 3},
		{"乙公司", 0, 10, []string{"dem-b"}, 1},
		{"丙公司", 0, 10, nil, 0},
		{"", 0, 10, nil, 0}, // a demand without an enterprise belongs to nobody
	}
	for _, tt := range tests {
		items, total, err := s.ListDemandsOf(ctx, tt.enterprise, tt.offset, tt.limit)
		if err != nil {
			t.Fatalf("ListDemandsOf(%q): %v", tt.enterprise, err)
		}
		var ids []string
		for _, r := range items {
			ids = append(ids, r.GetMeta().ID)
		}
		if total != tt.wantTotal || !slices.Equal(ids, tt.wantIDs) {
			t.Errorf("ListDemandsOf(%q, %d, %d) = %v (total %d), want %v (total %d)", tt.enterprise, tt.offset, tt.limit, ids, total, tt.wantIDs, tt.wantTotal)
		}
	}
}
