package store_test

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/techmatch/techmatch/internal/domain"
	"github.com/techmatch/techmatch/internal/store"
)

// cslCorpus reads the CSL achievement corpus when TECHMATCH_CSL_DIR names it. It skips the
// test when the variable is unset, except under CI=true where missing data is a failure.
func cslCorpus(tb testing.TB) []*domain.Achievement {
	tb.Helper()
	dir := os.Getenv("TECHMATCH_CSL_DIR")
	if dir == "" {
		if os.Getenv("CI") == "true" {
			tb.Fatal("TECHMATCH_CSL_DIR is not set")
		}
		tb.Skip("TECHMATCH_CSL_DIR is not set")
	}
	f, err := os.Open(filepath.Join(dir, "eval", "corpus.jsonl"))
	if err != nil {
		tb.Fatalf("CSL corpus: %v", err)
	}
	defer f.Close()
	var out []*domain.Achievement
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<20), domain.MaxRecordSize)
	for line := 1; sc.Scan(); line++ {
		r, err := domain.DecodeRecord(domain.Achievements, sc.Bytes())
		if err != nil {
			tb.Fatalf("CSL corpus line %d: %v", line, err)
		}
		out = append(out, r.(*domain.Achievement))
	}
	if err := sc.Err(); err != nil {
		tb.Fatalf("CSL corpus: %v", err)
	}
	return out
}

// TestRealCorpusRoundTrip stores the real CSL abstracts and reads every one back unchanged.
func TestRealCorpusRoundTrip(t *testing.T) {
	corpus := cslCorpus(t)
	ctx := context.Background()
	s, _ := openStore(t)
	recs := make([]domain.Record, len(corpus))
	for i, a := range corpus {
		recs[i] = a
	}
	for start := 0; start < len(recs); start += 500 {
		if err := s.PutMany(ctx, recs[start:min(start+500, len(recs))]); err != nil {
			t.Fatal(err)
		}
	}
	seen := 0
	err := s.Scan(ctx, domain.Achievements, func(r domain.Record) error {
		seen++
		return nil
	})
	if err != nil || seen != len(corpus) {
		t.Fatalf("Scan saw %d records, %v; want %d", seen, err, len(corpus))
	}
	ids := make([]string, len(corpus))
	for i, a := range corpus {
		ids[i] = a.ID
	}
	got, err := s.GetMany(ctx, domain.Achievements, ids)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range corpus {
		if !reflect.DeepEqual(got[a.ID], domain.Record(a)) {
			t.Fatalf("record %s changed in the store:\n got %+v\nwant %+v", a.ID, got[a.ID], a)
		}
	}
}

// benchRecords gives n fresh achievements: the CSL abstracts, cycled, when available,
// otherwise generated text of a similar size (~1.5 KB of JSON each).
func benchRecords(b *testing.B, n, from int) []domain.Record {
	var csl []*domain.Achievement
	if os.Getenv("TECHMATCH_CSL_DIR") != "" {
		csl = cslCorpus(b)
	}
	recs := make([]domain.Record, n)
	for i := range recs {
		id := fmt.Sprintf("bench-%07d", from+i)
		if len(csl) == 0 {
			recs[i] = achievement(id, from+i)
			continue
		}
		a := *csl[(from+i)%len(csl)]
		a.ID, a.Meta = id, domain.Meta{ID: id}
		recs[i] = &a
	}
	return recs
}

// BenchmarkPutMany imports batches of 500 new records into one growing store.
// -benchtime=200x imports 100,000 records.
func BenchmarkPutMany(b *testing.B) {
	const batch = 500
	ctx := context.Background()
	s, _ := openStore(b)
	var batches [][]domain.Record
	for i := range b.N {
		batches = append(batches, benchRecords(b, batch, i*batch))
	}
	b.ResetTimer()
	for i := range b.N {
		if err := s.PutMany(ctx, batches[i]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkGetMany reads 200 random ids, the size of one recall list, from 20,000 records:
// uncached (every body decoded), and through the record cache when it holds them all (each
// record's seq is still read from SQLite; nothing is decoded).
func BenchmarkGetMany(b *testing.B) {
	const (
		stored = 20000
		asked  = 200
	)
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "techmatch.db")
	writer := openAt(b, path)
	recs := benchRecords(b, stored, 0)
	for start := 0; start < stored; start += 500 {
		if err := writer.PutMany(ctx, recs[start:start+500]); err != nil {
			b.Fatal(err)
		}
	}
	all := make([]string, stored)
	for i := range all {
		all[i] = fmt.Sprintf("bench-%07d", i)
	}
	for _, c := range []struct {
		name  string
		cache int
	}{{"uncached", 0}, {"cached", stored}} {
		b.Run(c.name, func(b *testing.B) {
			s, err := store.Open(ctx, path, store.WithRecordCache(c.cache))
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			// Read everything once, in reads small enough to be cached (one read of all 20,000
			// would be a bulk read, which the cache leaves out), so that "cached" hits from the
			// first timed read on.
			for start := 0; start < stored; start += asked {
				if _, err := s.GetMany(ctx, domain.Achievements, all[start:start+asked]); err != nil {
					b.Fatal(err)
				}
			}
			rng := rand.New(rand.NewPCG(1, 2))
			ids := make([]string, asked)
			for b.Loop() {
				for i := range ids {
					ids[i] = all[rng.IntN(stored)]
				}
				got, err := s.GetMany(ctx, domain.Achievements, ids)
				if err != nil || len(got) == 0 {
					b.Fatalf("GetMany: %d records, %v", len(got), err)
				}
			}
		})
	}
}

// BenchmarkPut is the HTTP write path: one record, one transaction, one fsync.
func BenchmarkPut(b *testing.B) {
	ctx := context.Background()
	s, _ := openStore(b)
	recs := benchRecords(b, 1000, 0)
	i := 0
	for b.Loop() {
		// Creates first, then replaces, like a live platform.
		if _, err := s.Put(ctx, recs[i%len(recs)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
