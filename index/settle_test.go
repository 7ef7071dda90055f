package index_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/techmatch/techmatch/index"
	"github.com/techmatch/techmatch/internal/domain"
)

func TestWaitSettled(t *testing.T) {
	ix, _, err := index.Open(filepath.Join(t.TempDir(), "index"), segmenter(t))
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	ctx := context.Background()
	for b := range 20 { // many small segments, for the merger to merge
		var recs []domain.Record
		for i := range 50 {
			a := &domain.Achievement{}
			a.ID, a.Title, a.Status = fmt.Sprintf("a%d-%d", b, i), fmt.Sprintf("锂离子电池负极材料 %d", i), "active"
			recs = append(recs, a)
		}
		if err := ix.Apply(ctx, index.Docs(recs), nil, uint64(b+1)); err != nil {
			t.Fatal(err)
		}
	}
	waited, ok, err := ix.WaitSettled(ctx, time.Minute)
	if err != nil || !ok {
		t.Fatalf("WaitSettled: settled %v after %s, err %v", ok, waited, err)
	}

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	a := &domain.Achievement{}
	a.ID, a.Title, a.Status = "late", "钠离子电池", "active"
	if err := ix.Apply(ctx, index.Docs([]domain.Record{a}), nil, 21); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ix.WaitSettled(cancelled, time.Minute); err == nil {
		t.Error("WaitSettled with a cancelled context: no error")
	}
	if _, ok, err := ix.WaitSettled(ctx, time.Nanosecond); ok || err != nil {
		t.Errorf("WaitSettled past its limit: settled %v, err %v; want false, nil", ok, err)
	}
}
