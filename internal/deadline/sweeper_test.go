package deadline_test

import (
	"context"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/techmatch/techmatch/internal/deadline"
	"github.com/techmatch/techmatch/internal/domain"
	"github.com/techmatch/techmatch/internal/store"
)

type counter struct{ n atomic.Int64 }

func (c *counter) Notify() { c.n.Add(1) }

// TestSweepClosesAsTheSystemAndTellsWhoIndexes: a sweep closes a lapsed demand in the real
// store under the system actor and wakes the indexer and the deliverer; Run sweeps at once and
// stops with its context.
func TestSweepClosesAsTheSystemAndTellsWhoIndexes(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "techmatch.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	d := &domain.Demand{Meta: domain.Meta{ID: "d-1"}, Title: "到期需求", Deadline: "2001-01-01"}
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Put(ctx, d); err != nil {
		t.Fatal(err)
	}
	var ix, hooks counter
	sw := deadline.New(st, time.Hour, nil, &ix, &hooks)
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { sw.Run(runCtx); close(done) }()
	for deadlineAt := time.Now().Add(10 * time.Second); ix.n.Load() == 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadlineAt) {
			t.Fatal("Run did not sweep at start within 10 s")
		}
	}
	stop()
	<-done
	rec, err := st.Get(ctx, domain.Demands, "d-1")
	if err != nil || rec.(*domain.Demand).Status != "closed" || rec.(*domain.Demand).ClosedReason != "deadline" {
		t.Fatalf("d-1 after the sweep: %+v, %v", rec, err)
	}
	log, _, err := st.AuditLog(ctx, domain.AuditFilter{Kind: domain.Demands, ID: "d-1"}, 0, 10)
	if err != nil || len(log) != 1 || log[0].Actor != "system:deadline" || log[0].Action != "close" {
		t.Errorf("audit of d-1 = %+v, %v; want close by system:deadline", log, err)
	}
	if hooks.n.Load() != 1 {
		t.Errorf("the deliverer was told %d times, want 1", hooks.n.Load())
	}
	if n, err := sw.Sweep(ctx); n != 0 || err != nil || ix.n.Load() != 1 {
		t.Errorf("a second sweep closed %d (%v) and told the indexer again: %d", n, err, ix.n.Load())
	}
}
