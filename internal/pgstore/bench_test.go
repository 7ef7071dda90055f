package pgstore_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/techmatch/techmatch/internal/domain"
	"github.com/techmatch/techmatch/internal/pgstore"
	"github.com/techmatch/techmatch/internal/testpg"
)

// BenchmarkGetMany reads 200 random records of 20,000, as matching reads one kind's candidates,
// with the record cache off and with every record in it: what the cache saves a repeated read
// (the JSON decoding; the query still runs, returning seqs in place of bodies).
func BenchmarkGetMany(b *testing.B) {
	const (
		stored = 20000
		asked  = 200
	)
	ctx := context.Background()
	url := testpg.New(b)
	writer := open(b, url)
	all := make([]string, stored)
	for start := 0; start < stored; start += 500 {
		var recs []domain.Record
		for i := start; i < start+500; i++ {
			a := achievement(fmt.Sprintf("bench-%07d", i), i)
			a.Summary = strings.Repeat(fmt.Sprintf("第%d项成果：采用共沉淀与固相烧结结合的工艺制备高镍三元正极材料，循环寿命提升30%%。", i), 4)
			a.Keywords, a.Fields, a.Org = []string{"锂电池", "正极材料", "高镍三元"}, []string{"新材料/电池材料"}, "南京大学"
			recs, all[i] = append(recs, a), a.ID
		}
		if err := writer.PutMany(ctx, recs); err != nil {
			b.Fatal(err)
		}
	}
	for _, c := range []struct {
		name  string
		cache int
	}{{"uncached", 0}, {"cached", stored}} {
		b.Run(c.name, func(b *testing.B) {
			s := open(b, url, pgstore.WithRecordCache(c.cache))
			for start := 0; start < stored; start += asked { // fills the cache, reads small enough to be cached
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
