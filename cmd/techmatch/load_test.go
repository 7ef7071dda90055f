package main_test

import (
	"testing"
	"time"

	"github.com/techmatch/techmatch/internal/testredis"
)

// TestMixedLoad is a 5 s version of scripts/load.sh: concurrent searches, matches and writes
// with Redis. No answer is a 5xx and no acknowledged write is lost; there is no timing assertion.
func TestMixedLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("5 s of load")
	}
	rs := testredis.Start(t)
	s := startServer(t, "", nil, "TECHMATCH_REDIS_URL="+rs.URL())
	loadSeed(t, s)
	l := startLoad(s.URL, 8)
	time.Sleep(5 * time.Second) // how long the load runs, not something measured
	l.end()
	l.check(t)
	if len(l.acked) == 0 || len(l.failed) > 0 {
		t.Fatalf("%d writes acknowledged, %d requests without answer: %v", len(l.acked), len(l.failed), l.failed[:min(3, len(l.failed))])
	}
	l.checkAcked(t, s)
	checkStore(t, s)
}
