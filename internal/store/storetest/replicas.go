package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/techmatch/techmatch/internal/domain"
)

// testPruneWaitsForLiveReplicas: each replica's index reports its outbox position as a
// consumer; pruning waits for the slowest of those seen since the cut-off, not for one that has
// not reported since (a replica gone: it rebuilds when it comes back, and its row is deleted),
// and always for the consumers that are not indexes, however long ago they reported.
func testPruneWaitsForLiveReplicas(t *testing.T, b Backend) {
	ctx := context.Background()
	s, _ := open(t, b)
	for _, id := range []string{"a", "b", "c", "d", "e"} {
		must(t, errOf(s.Put(ctx, achievement(id, 0))))
	}
	es := outboxAll(t, s)
	must(t, s.SetConsumerPosition(ctx, domain.IndexConsumer("gone"), es[0].Seq))
	must(t, s.SetConsumerPosition(ctx, "worklist", es[3].Seq))
	time.Sleep(10 * time.Millisecond)
	cut := time.Now()
	time.Sleep(10 * time.Millisecond)
	must(t, s.SetConsumerPosition(ctx, domain.IndexConsumer("live"), es[1].Seq))

	if n, err := s.PruneApplied(ctx, es[4].Seq, cut); err != nil || n != 2 {
		t.Fatalf("PruneApplied with a live replica at %d and a gone one at %d = %d, %v; want 2", es[1].Seq, es[0].Seq, n, err)
	}
	if got := entries(outboxAll(t, s)); !slices.Equal(got, entries(es[2:])) {
		t.Fatalf("after pruning outbox = %v, want %v", got, entries(es[2:]))
	}
	if pos, err := s.ConsumerPosition(ctx, domain.IndexConsumer("gone")); err != nil || pos != 0 {
		t.Fatalf("the gone replica's position after pruning = %d, %v; want its row deleted", pos, err)
	}
	if pos, err := s.ConsumerPosition(ctx, "worklist"); err != nil || pos != es[3].Seq {
		t.Fatalf("the worklist's position after pruning = %d, %v; want it kept", pos, err)
	}
	// The live replica caught up: the worker, last seen before the cut-off, still holds its rows.
	must(t, s.SetConsumerPosition(ctx, domain.IndexConsumer("live"), es[4].Seq))
	if n, err := s.PruneApplied(ctx, es[4].Seq, cut); err != nil || n != 2 {
		t.Fatalf("PruneApplied with the worker at %d = %d, %v; want 2", es[3].Seq, n, err)
	}
	if got := entries(outboxAll(t, s)); !slices.Equal(got, entries(es[4:])) {
		t.Fatalf("after pruning outbox = %v, want %v", got, entries(es[4:]))
	}
}

// testProfileHead: the latest version of a profile, by one lookup; 0 for none.
func testProfileHead(t *testing.T, b Backend) {
	ctx := context.Background()
	s, _ := open(t, b)
	if v, err := s.ProfileHead(ctx, "p"); err != nil || v != 0 {
		t.Fatalf("ProfileHead of no profile = %d, %v; want 0", v, err)
	}
	for want := 1; want <= 2; want++ {
		p := &domain.Profile{Name: "p", Weights: map[string]float64{"text": float64(want)}}
		must(t, s.PutProfile(ctx, p))
		if v, err := s.ProfileHead(ctx, "p"); err != nil || v != want || p.Version != want {
			t.Fatalf("ProfileHead after publishing version %d = %d, %v", p.Version, v, err)
		}
	}
}

// testExclusiveEndsWithItsContext: Exclusive runs the job and returns once ctx ends and the job
// has returned.
func testExclusiveEndsWithItsContext(t *testing.T, b Backend) {
	s, _ := open(t, b)
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.Exclusive(ctx, "job", func(jobCtx context.Context) {
			close(ran)
			<-jobCtx.Done()
		})
	}()
	select {
	case <-ran:
	case <-time.After(30 * time.Second):
		t.Fatal("Exclusive did not run the job")
	}
	cancel()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("Exclusive did not return after its context ended")
	}
}
