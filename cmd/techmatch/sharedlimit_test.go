package main_test

import (
	"testing"

	"github.com/techmatch/techmatch/internal/testredis"
)

// TestRateLimitSharedAcrossReplicas: two servers on one Redis spend one bucket per key, so a
// client spreading its calls over both gets the limit once, not twice; with Redis stopped each
// limits on its own instead of letting everything through.
func TestRateLimitSharedAcrossReplicas(t *testing.T) {
	rs := testredis.Start(t)
	env := []string{"TECHMATCH_REDIS_URL=" + rs.URL(), "TECHMATCH_LIMITS_RATE_PER_SECOND=0.2", "TECHMATCH_LIMITS_BURST=5"}
	a := startServer(t, "", nil, env...)
	b := startServer(t, "", nil, env...)
	served := func(n int) int {
		t.Helper()
		ok := 0
		for i := range n {
			s := a
			if i%2 == 1 {
				s = b
			}
			switch r := s.do("GET", "/v1/me", nil, adminKey); r.Status {
			case 200:
				ok++
			case 429:
			default:
				t.Fatalf("GET /v1/me: %d %s", r.Status, r.Body)
			}
		}
		return ok
	}
	// Five in the bucket, 0.2 a second more: alone, each server would serve five of the ten.
	if n := served(16); n < 5 || n > 7 {
		t.Errorf("16 calls spread over two replicas: %d served, want the shared burst of 5 (and what refilled meanwhile)", n)
	}
	rs.Stop()
	// Each replica now limits alone: its own bucket of five, refilled while each call waits out
	// the Redis timeout (0.5 s), so some are served and some refused.
	if n := served(30); n < 5 || n > 20 {
		t.Errorf("with Redis stopped, 30 calls over two replicas: %d served, want each replica's own bucket to limit them", n)
	}
}
