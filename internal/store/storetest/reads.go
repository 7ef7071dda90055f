package storetest

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/techmatch/techmatch/internal/domain"
)

// Reads and writes: a store that caches decoded records (both do) must serve no stale one and
// let no caller change another's.

// getBoth reads id through Get and through GetMany, failing unless both find it.
func getBoth(t *testing.T, s Store, k domain.Kind, id string) (one, many domain.Record) {
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

// testReadsSeeEveryWrite reads records into the cache, changes them every way the store can,
// and reads again: no read may serve the cached version of a record that has changed.
func testReadsSeeEveryWrite(t *testing.T, b Backend) {
	ctx := context.Background()
	cases := []struct {
		name   string
		change func(t *testing.T, s, other Store) (wantTitle string, gone bool)
	}{
		{"replaced", func(t *testing.T, s, _ Store) (string, bool) {
			a := achievement("a1", 2)
			if _, err := s.Put(ctx, a); err != nil {
				t.Fatal(err)
			}
			return a.Title, false
		}},
		{"replaced by another process", func(t *testing.T, _, other Store) (string, bool) {
			a := achievement("a1", 3)
			if _, err := other.Put(ctx, a); err != nil {
				t.Fatal(err)
			}
			return a.Title, false
		}},
		{"deleted", func(t *testing.T, s, _ Store) (string, bool) {
			if err := s.Delete(ctx, domain.Achievements, "a1"); err != nil {
				t.Fatal(err)
			}
			return "", true
		}},
		// Deleted and created again, the record is back at rev 1 with other content: a cache
		// validated by rev would serve the old one.
		{"deleted and created again", func(t *testing.T, s, _ Store) (string, bool) {
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
		{"replaced, its outbox row pruned", func(t *testing.T, s, _ Store) (string, bool) {
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
			s, where := open(t, b)
			other := b.Open(t, where)
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

// testCallersCannotChangeWhatTheyRead changes records returned by reads the way callers do (masking
// contacts in place) and more, and reads them again unchanged.
func testCallersCannotChangeWhatTheyRead(t *testing.T, b Backend) {
	ctx := context.Background()
	s, _ := open(t, b)
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

// testReadsShareNothing reads a record of each kind with every field set, twice from the cache,
// and checks that the two share no slice or pointer: a field added to a record type but not to
// codec.Clone fails here.
func testReadsShareNothing(t *testing.T, b Backend) {
	ctx := context.Background()
	s, _ := open(t, b)
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

// testReadsAfterAWriteSeeIt writes new versions of a record while other goroutines read it and
// other records: a read that starts after a write has returned must see that write, whatever
// the concurrent reads put in the cache meanwhile.
func testReadsAfterAWriteSeeIt(t *testing.T, b Backend) {
	ctx := context.Background()
	s, _ := open(t, b)
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

func titleOf(r domain.Record) string {
	if d, ok := r.(*domain.Demand); ok {
		return d.Title
	}
	return r.(domain.SupplyRecord).Common().Title
}
