package store_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/techmatch/techmatch/internal/domain"
	"github.com/techmatch/techmatch/internal/store"
)

// getBoth reads id through Get and through GetMany, failing unless both find it.
func getBoth(t *testing.T, s *store.Store, k domain.Kind, id string) (one, many domain.Record) {
	t.Helper()
	ctx := context.Background()
	one, err := s.Get(ctx, k, id)
	if err != nil {
		t.Fatalf("Get %s %s: %v", k, id, err)
	}
	m, err := s.GetMany(ctx, k, []string{id})
	if err != nil || m[id] == nil {
		t.Fatalf("GetMany %s %s: %v, %v", k, id, m, err)
	}
	return one, m[id]
}

func titleOf(r domain.Record) string {
	if d, ok := r.(*domain.Demand); ok {
		return d.Title
	}
	return r.(domain.SupplyRecord).Common().Title
}

// TestReadsSeeEveryWrite reads records into the cache, changes them every way the store can,
// and reads again: no read may serve the cached version of a record that has changed.
func TestReadsSeeEveryWrite(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name   string
		change func(t *testing.T, s, other *store.Store) (wantTitle string, gone bool)
	}{
		{"replaced", func(t *testing.T, s, _ *store.Store) (string, bool) {
			a := achievement("a1", 2)
			if _, err := s.Put(ctx, a); err != nil {
				t.Fatal(err)
			}
			return a.Title, false
		}},
		{"replaced by another process", func(t *testing.T, _, other *store.Store) (string, bool) {
			a := achievement("a1", 3)
			if _, err := other.Put(ctx, a); err != nil {
				t.Fatal(err)
			}
			return a.Title, false
		}},
		{"deleted", func(t *testing.T, s, _ *store.Store) (string, bool) {
			if err := s.Delete(ctx, domain.Achievements, "a1"); err != nil {
				t.Fatal(err)
			}
			return "", true
		}},
		// Deleted and created again, the record is back at rev 1 with other content: a cache
		// validated by rev would serve the old one.
		{"deleted and created again", func(t *testing.T, s, _ *store.Store) (string, bool) {
			if err := s.Delete(ctx, domain.Achievements, "a1"); err != nil {
				t.Fatal(err)
			}
			a := achievement("a1", 4)
			if _, err := s.Put(ctx, a); err != nil {
				t.Fatal(err)
			}
			if a.Rev != 1 {
				t.Fatalf("re-created record has rev %d, want 1", a.Rev)
			}
			return a.Title, false
		}},
		// The outbox, the cache's change log, pruned past the write: the cache cannot tell what
		// changed and must drop everything.
		{"replaced, its outbox row pruned", func(t *testing.T, s, _ *store.Store) (string, bool) {
			a := achievement("a1", 5)
			if _, err := s.Put(ctx, a); err != nil {
				t.Fatal(err)
			}
			head, err := s.OutboxHead(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.PruneApplied(ctx, head, time.Now().Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
			return a.Title, false
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, path := openStore(t)
			other := openAt(t, path)
			if _, err := s.Put(ctx, achievement("a1", 1)); err != nil {
				t.Fatal(err)
			}
			getBoth(t, s, domain.Achievements, "a1") // fills the cache
			getBoth(t, s, domain.Achievements, "a1") // served from it
			want, gone := c.change(t, s, other)
			if gone {
				if _, err := s.Get(ctx, domain.Achievements, "a1"); err == nil {
					t.Fatal("Get found a deleted record")
				}
				m, err := s.GetMany(ctx, domain.Achievements, []string{"a1"})
				if err != nil || len(m) != 0 {
					t.Fatalf("GetMany of a deleted record = %v, %v; want nothing", m, err)
				}
				return
			}
			for i := range 2 { // the first read refills the cache, the second is served from it
				one, many := getBoth(t, s, domain.Achievements, "a1")
				if titleOf(one) != want || titleOf(many) != want {
					t.Fatalf("read %d: Get %q, GetMany %q; want %q", i, titleOf(one), titleOf(many), want)
				}
			}
		})
	}
}

// TestCallersCannotChangeTheCache changes records returned by reads the way callers do (masking
// contacts in place) and more, and reads them again unchanged.
func TestCallersCannotChangeTheCache(t *testing.T) {
	ctx := context.Background()
	s, _ := openStore(t)
	a := achievement("a1", 1)
	if _, err := s.Put(ctx, a); err != nil {
		t.Fatal(err)
	}
	for range 2 { // a miss, then a hit
		one, many := getBoth(t, s, domain.Achievements, "a1")
		for _, r := range []domain.Record{one, many} {
			domain.MaskContact(r)
			sup := r.(domain.SupplyRecord).Common()
			sup.Keywords[0] = "changed"
			*sup.Price.Min = -1
			sup.Market.Deals = 99
			sup.Title = "changed"
		}
	}
	one, many := getBoth(t, s, domain.Achievements, "a1")
	for _, r := range []domain.Record{one, many} {
		if !reflect.DeepEqual(r, domain.Record(a)) {
			t.Fatalf("a read after callers changed earlier reads:\n got %+v\nwant %+v", r, a)
		}
	}
}

// TestReadsShareNothing reads a record of each kind with every field set, twice from the cache,
// and checks that the two share no slice or pointer: a field added to a record type but not to
// the store's clone fails here.
func TestReadsShareNothing(t *testing.T) {
	ctx := context.Background()
	s, _ := openStore(t)
	for _, k := range []domain.Kind{domain.Achievements, domain.Patents, domain.Experts, domain.Demands} {
		rec, err := domain.NewRecord(k)
		if err != nil {
			t.Fatal(err)
		}
		fill(reflect.ValueOf(rec).Elem())
		rec.GetMeta().ID = "full-" + string(k)
		if _, err := s.Put(ctx, rec); err != nil {
			t.Fatal(err)
		}
		getBoth(t, s, k, rec.GetMeta().ID)
		one, many := getBoth(t, s, k, rec.GetMeta().ID)
		if !reflect.DeepEqual(one, many) || !reflect.DeepEqual(one, rec) {
			t.Fatalf("%s: reads differ from what was stored:\n%+v\n%+v\n%+v", k, one, many, rec)
		}
		if path := shared(reflect.ValueOf(one), reflect.ValueOf(many), string(k)); path != "" {
			t.Errorf("two reads of one %s share %s", k, path)
		}
	}
}

// fill sets every exported field of v to a non-zero value, slices to one element.
func fill(v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		v.SetString("x")
	case reflect.Int, reflect.Int64:
		v.SetInt(1)
	case reflect.Float64:
		v.SetFloat(1)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem())
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		fill(v.Index(0))
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			return
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i))
			}
		}
	}
}

// shared names the first slice or pointer that a and b have in common, or "".
func shared(a, b reflect.Value, path string) string {
	switch a.Kind() {
	case reflect.Interface:
		return shared(a.Elem(), b.Elem(), path)
	case reflect.Pointer:
		if a.IsNil() || b.IsNil() {
			return ""
		}
		if a.Pointer() == b.Pointer() {
			return path
		}
		return shared(a.Elem(), b.Elem(), path)
	case reflect.Slice:
		if a.Len() > 0 && b.Len() > 0 && a.Pointer() == b.Pointer() {
			return path
		}
		for i := range min(a.Len(), b.Len()) {
			if p := shared(a.Index(i), b.Index(i), fmt.Sprintf("%s[%d]", path, i)); p != "" {
				return p
			}
		}
	case reflect.Struct:
		for i := range a.NumField() {
			if !a.Type().Field(i).IsExported() {
				continue
			}
			if p := shared(a.Field(i), b.Field(i), path+"."+a.Type().Field(i).Name); p != "" {
				return p
			}
		}
	}
	return ""
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

// TestReadsAfterAWriteSeeIt writes new versions of a record while other goroutines read it and
// other records: a read that starts after a write has returned must see that write, whatever
// the concurrent reads put in the cache meanwhile.
func TestReadsAfterAWriteSeeIt(t *testing.T) {
	ctx := context.Background()
	s, _ := openStore(t)
	ids := []string{"a0", "a1", "a2", "a3"}
	for i, id := range ids {
		if _, err := s.Put(ctx, achievement(id, i)); err != nil {
			t.Fatal(err)
		}
	}
	stop := make(chan struct{})
	errs := make(chan error, 4)
	for range 3 {
		go func() {
			for {
				select {
				case <-stop:
					errs <- nil
					return
				default:
				}
				if _, err := s.GetMany(ctx, domain.Achievements, ids); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	for v := 10; v < 60; v++ {
		a := achievement("a1", v)
		if _, err := s.Put(ctx, a); err != nil {
			t.Fatal(err)
		}
		one, many := getBoth(t, s, domain.Achievements, "a1")
		if titleOf(one) != a.Title || titleOf(many) != a.Title {
			t.Fatalf("after writing version %d: Get %q, GetMany %q", v, titleOf(one), titleOf(many))
		}
	}
	close(stop)
	for range 3 {
		if err := <-errs; err != nil {
			t.Fatal(err)
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
