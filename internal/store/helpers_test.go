package store_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/techmatch/techmatch/internal/domain"
	"github.com/techmatch/techmatch/internal/store"
)

// openStore opens a fresh store in a temporary directory that the test cleans up.
func openStore(tb testing.TB) (*store.Store, string) {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "data", "techmatch.db")
	return openAt(tb, path), path
}

func openAt(tb testing.TB, path string, opts ...store.Option) *store.Store {
	tb.Helper()
	s, err := store.Open(context.Background(), path, opts...)
	if err != nil {
		tb.Fatalf("Open(%s): %v", path, err)
	}
	tb.Cleanup(func() { _ = s.Close() }) // a second Close after a test's own is harmless
	return s
}

func f64(x float64) *float64 { return &x }

// achievement builds a valid, realistic achievement; n varies its text.
func achievement(id string, n int) *domain.Achievement {
	a := &domain.Achievement{Supply: domain.Supply{
		Meta:  domain.Meta{ID: id},
		Title: fmt.Sprintf("高镍三元正极材料低成本制备技术 %d", n),
		Summary: strings.Repeat(fmt.Sprintf("本成果第%d项：采用共沉淀与固相烧结结合的工艺，"+
			"制备高镍三元正极材料，循环寿命提升30%%，适用于动力电池与储能电池。", n), 3),
		Keywords:      []string{"锂电池", "正极材料", "高镍三元"},
		Fields:        []string{"新材料/电池材料"},
		Region:        "320100",
		Org:           "南京大学",
		OrgType:       "university",
		TRL:           6,
		TransferModes: []string{"license", "trial_then_transfer"},
		Price:         &domain.Range{Min: f64(50), Max: f64(80)},
		Market:        &domain.Market{InvestorInterest: 3, Deals: 1},
		Contact:       &domain.Contact{Name: "张老师", Phone: "13812345678", Email: "zhang@nju.edu.cn"},
	}}
	mustValidate(a)
	return a
}

func demand(id, status string, n int) *domain.Demand {
	d := &domain.Demand{
		Meta:        domain.Meta{ID: id},
		Title:       fmt.Sprintf("储能电池热失控预警 %d", n),
		Description: "需要一种低成本的电池热失控早期预警方案，可在产线上批量部署。",
		Keywords:    []string{"热失控", "储能"},
		Region:      "350200",
		Enterprise:  fmt.Sprintf("厦门某储能科技有限公司%d", n%3),
		Budget:      &domain.Range{Max: f64(200)},
		MinTRL:      5,
		Status:      status,
	}
	mustValidate(d)
	return d
}

func mustValidate(r domain.Record) {
	if err := r.Validate(); err != nil {
		panic(err)
	}
}

func outboxAll(tb testing.TB, s *store.Store) []domain.OutboxEntry {
	tb.Helper()
	es, err := s.OutboxAfter(context.Background(), 0, 1<<30)
	if err != nil {
		tb.Fatalf("OutboxAfter: %v", err)
	}
	return es
}
