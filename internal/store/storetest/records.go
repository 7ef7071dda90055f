package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/techmatch/techmatch/internal/domain"
)

func testPutCreateThenReplace(t *testing.T, b Backend) {
	ctx := context.Background()
	s, _ := open(t, b)

	before := time.Now().UTC()
	a := achievement("ach-1", 1)
	created, err := s.Put(ctx, a)
	if err != nil || !created {
		t.Fatalf("first Put: created=%v err=%v, want created", created, err)
	}
	m1 := a.Meta
	if m1.Rev != 1 || !m1.CreatedAt.Equal(m1.UpdatedAt) || m1.CreatedAt.Before(before) || m1.CreatedAt.Location() != time.UTC {
		t.Fatalf("after create meta = %+v, want rev 1, created_at = updated_at ≥ %v, UTC", m1, before)
	}

	r := achievement("ach-1", 2)
	r.CreatedAt = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC) // a caller cannot set server fields
	r.Rev = 41
	created, err = s.Put(ctx, r)
	if err != nil || created {
		t.Fatalf("second Put: created=%v err=%v, want replaced", created, err)
	}
	if r.Rev != 2 || !r.CreatedAt.Equal(m1.CreatedAt) || r.UpdatedAt.Before(m1.UpdatedAt) {
		t.Fatalf("after replace meta = %+v, want rev 2, created_at %v kept, updated_at ≥ %v", r.Meta, m1.CreatedAt, m1.UpdatedAt)
	}

	// What comes back is what was written, to the nanosecond.
	got, err := s.Get(ctx, domain.Achievements, "ach-1")
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if !reflect.DeepEqual(got, r) {
		t.Fatalf("Get = %+v\nwant %+v", got, r)
	}
}

func testPutMakesIDs(t *testing.T, b Backend) {
	ctx := context.Background()
	s, _ := open(t, b)
	tests := []struct {
		rec    domain.Record
		prefix string
	}{
		{achievement("", 1), "ach-"},
		{&domain.Patent{Supply: domain.Supply{Title: "一种电池包"}}, "pat-"},
		{&domain.Expert{Supply: domain.Supply{Title: "李研究员"}}, "exp-"},
		{demand("", "open", 1), "dem-"},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		t.Run(string(tt.rec.RecordKind()), func(t *testing.T) {
			mustValidate(tt.rec)
			created, err := s.Put(ctx, tt.rec)
			if err != nil || !created {
				t.Fatalf("Put: created=%v err=%v", created, err)
			}
			id := tt.rec.GetMeta().ID
			if !strings.HasPrefix(id, tt.prefix) || !domain.ValidID(id) || seen[id] {
				t.Fatalf("made id %q: want a new valid id starting %q", id, tt.prefix)
			}
			seen[id] = true
			if _, err := s.Get(ctx, tt.rec.RecordKind(), id); err != nil {
				t.Fatalf("Get(%s): %v", id, err)
			}
		})
	}
}

func testGetNotFound(t *testing.T, b Backend) {
	ctx := context.Background()
	s, _ := open(t, b)
	must(t, errOf(s.Put(ctx, achievement("shared-id", 1))))
	tests := []struct {
		kind domain.Kind
		id   string
	}{
		{domain.Achievements, "missing"},
		{domain.Patents, "shared-id"}, // ids are per kind
		{domain.Demands, ""},
	}
	for _, tt := range tests {
		_, err := s.Get(ctx, tt.kind, tt.id)
		if !errors.Is(err, domain.ErrNotFound) || domain.ErrorCode(err) != domain.CodeNotFound {
			t.Errorf("Get(%s, %q) error = %v, want one wrapping domain.ErrNotFound", tt.kind, tt.id, err)
		}
	}
}

// errOf drops the first result of a call that returns a value and an error.
func errOf[T any](_ T, err error) error { return err }

func testDelete(t *testing.T, b Backend) {
	ctx := context.Background()
	s, _ := open(t, b)
	must(t, errOf(s.Put(ctx, achievement("a", 1))))
	if err := s.Delete(ctx, domain.Achievements, "a"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := s.Get(ctx, domain.Achievements, "a"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("Get after Delete: err = %v, want not found", err)
	}
	if err := s.Delete(ctx, domain.Achievements, "a"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("second Delete: err = %v, want not found", err)
	}
	ops := []string{}
	for _, e := range outboxAll(t, s) {
		ops = append(ops, e.Op)
	}
	if want := []string{"put", "delete"}; !slices.Equal(ops, want) {
		t.Fatalf("outbox ops = %v, want %v (a failed delete writes nothing)", ops, want)
	}
	// A record created again after a delete starts over.
	a := achievement("a", 2)
	if created, err := s.Put(ctx, a); err != nil || !created || a.Rev != 1 {
		t.Fatalf("Put after Delete: created=%v rev=%d err=%v, want created with rev 1", created, a.Rev, err)
	}
}

func testListPages(t *testing.T, b Backend) {
	ctx := context.Background()
	s, _ := open(t, b)
	const n = 25
	var written []string // in write order
	for i := range n {
		id := fmt.Sprintf("a%02d", i)
		must(t, errOf(s.Put(ctx, achievement(id, i))))
		written = append(written, id)
	}
	// Replacing an old record makes it the newest.
	must(t, errOf(s.Put(ctx, achievement("a03", 99))))
	written = append(slices.DeleteFunc(written, func(id string) bool { return id == "a03" }), "a03")
	newestFirst := slices.Clone(written)
	slices.Reverse(newestFirst)

	tests := []struct {
		offset, limit int
		want          []string
	}{
		{0, 10, newestFirst[:10]},
		{10, 10, newestFirst[10:20]},
		{20, 10, newestFirst[20:]},
		{25, 10, nil},
		{100, 10, nil},
		{-5, 3, newestFirst[:3]},
		{0, 0, nil},
	}
	for _, tt := range tests {
		items, total, err := s.List(ctx, domain.Achievements, tt.offset, tt.limit)
		if err != nil {
			t.Fatalf("List(%d, %d): %v", tt.offset, tt.limit, err)
		}
		var ids []string
		for _, r := range items {
			ids = append(ids, r.GetMeta().ID)
		}
		if total != n || !slices.Equal(ids, tt.want) {
			t.Errorf("List(%d, %d) = %v total %d, want %v total %d", tt.offset, tt.limit, ids, total, tt.want, n)
		}
	}
	if items, total, err := s.List(ctx, domain.Patents, 0, 10); err != nil || total != 0 || len(items) != 0 {
		t.Errorf("List(patents) = %d items, total %d, err %v; want empty", len(items), total, err)
	}
}

// GetMany takes more ids than an engine takes parameters (SQLite: 999 by default), with
// duplicates and ids that do not exist.
func testGetManyManyIDs(t *testing.T, b Backend) {
	ctx := context.Background()
	s, _ := open(t, b)
	const n = 1500
	recs := make([]domain.Record, n)
	for i := range recs {
		recs[i] = achievement(fmt.Sprintf("a%04d", i), i)
	}
	must(t, s.PutMany(ctx, recs))
	var ids []string
	for i := 100; i < 1300; i++ { // 1,200 ids that exist
		ids = append(ids, fmt.Sprintf("a%04d", i))
	}
	ids = append(ids, "a0100", "a0101") // duplicates
	for i := range 50 {
		ids = append(ids, fmt.Sprintf("missing-%d", i))
	}
	got, err := s.GetMany(ctx, domain.Achievements, ids)
	if err != nil {
		t.Fatalf("GetMany: %v", err)
	}
	if len(got) != 1200 {
		t.Fatalf("GetMany returned %d records, want 1200", len(got))
	}
	for i := 100; i < 1300; i++ {
		id := fmt.Sprintf("a%04d", i)
		if !reflect.DeepEqual(got[id], recs[i]) {
			t.Fatalf("GetMany[%s] = %+v, want %+v", id, got[id], recs[i])
		}
	}
	if got, err := s.GetMany(ctx, domain.Patents, ids[:10]); err != nil || len(got) != 0 {
		t.Fatalf("GetMany(patents) = %d, %v; want none", len(got), err)
	}
	if got, err := s.GetMany(ctx, domain.Achievements, nil); err != nil || got == nil || len(got) != 0 {
		t.Fatalf("GetMany(nil) = %v, %v; want an empty map", got, err)
	}
	// A record got is the caller's own: changing it changes nothing stored.
	got["a0100"].(*domain.Achievement).Title = "changed"
	again, err := s.Get(ctx, domain.Achievements, "a0100")
	if err != nil || again.(*domain.Achievement).Title == "changed" {
		t.Fatalf("Get after changing a record got = %+v, %v; want the stored title", again, err)
	}
}

// Scan goes through every record of a kind in bytewise id order, across its pages, and stops
// at fn's first error.
func testScanInIDOrderAcrossPages(t *testing.T, b Backend) {
	ctx := context.Background()
	s, _ := open(t, b)
	const n = 1203 // more than two pages
	var recs []domain.Record
	var want []string
	for i := range n {
		id := fmt.Sprintf("x%05d", (i*7919)%n) // written out of id order
		if i%100 == 0 {
			id = fmt.Sprintf("X-%d_a", i) // upper case and punctuation sort before x bytewise, not by locale
		}
		recs = append(recs, achievement(id, i))
		want = append(want, id)
	}
	must(t, s.PutMany(ctx, recs))
	must(t, errOf(s.Put(ctx, demand("d1", "open", 1))))
	slices.Sort(want)
	var got []string
	err := s.Scan(ctx, domain.Achievements, func(r domain.Record) error {
		if _, ok := r.(*domain.Achievement); !ok {
			return fmt.Errorf("record %T, want *domain.Achievement", r)
		}
		got = append(got, r.GetMeta().ID)
		return nil
	})
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("Scan: %d ids, err %v; want %d ids in id order", len(got), err, len(want))
	}

	stop := errors.New("stop")
	calls := 0
	err = s.Scan(ctx, domain.Achievements, func(domain.Record) error {
		calls++
		if calls == 600 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || calls != 600 {
		t.Fatalf("Scan with failing fn: err %v after %d calls, want fn's error after 600", err, calls)
	}
}

func testCountAndSampleDemandIDs(t *testing.T, b Backend) {
	ctx := context.Background()
	s, _ := open(t, b)
	statuses := []string{"open", "closed", "open", "matched", "open", "open"}
	for i, st := range statuses {
		must(t, errOf(s.Put(ctx, demand(fmt.Sprintf("d%d", i), st, i))))
	}
	// A demand that was open and is now closed must leave the open sample.
	must(t, errOf(s.Put(ctx, demand("d4", "closed", 4))))
	if n, err := s.Count(ctx, domain.Demands); err != nil || n != len(statuses) {
		t.Fatalf("Count(demands) = %d, %v; want %d", n, err, len(statuses))
	}
	tests := []struct {
		status string
		n      int
		want   []string
	}{
		{"open", 2, []string{"d5", "d2"}},
		{"open", 10, []string{"d5", "d2", "d0"}},
		{"closed", 10, []string{"d4", "d1"}},
		{"matched", 0, nil},
		{"nonsense", 5, []string{}},
	}
	for _, tt := range tests {
		got, err := s.SampleDemandIDs(ctx, tt.status, tt.n)
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("SampleDemandIDs(%s, %d) = %v, %v; want %v", tt.status, tt.n, got, err, tt.want)
		}
	}
}

func testListDemandsOf(t *testing.T, b Backend) {
	ctx := context.Background()
	s, _ := open(t, b)
	owners := []string{"甲公司", "乙公司", "甲公司", "", "甲公司"}
	for i, owner := range owners {
		d := demand("dem-"+string(rune('a'+i)), "open", i)
		d.Enterprise = owner
		must(t, errOf(s.Put(ctx, d)))
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
