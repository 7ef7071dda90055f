package main_test

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/techmatch/techmatch/internal/testpg"
	"github.com/techmatch/techmatch/internal/testredis"
)

// replicaEnv is the environment of replicas on one PostgreSQL database and one Redis: what
// DESIGN.md's scale-out puts behind a load balancer.
func replicaEnv(t *testing.T) []string {
	rs := testredis.Start(t)
	return append(slices.Clone(worklistEnv), "TECHMATCH_STORE_URL="+testpg.New(t), "TECHMATCH_REDIS_URL="+rs.URL())
}

func finds(t *testing.T, s *server, q, id string) bool {
	return slices.ContainsFunc(search(t, s, "q="+url.QueryEscape(q)+"&size=50").Hits, func(h searchHit) bool { return h.ID == id })
}

func matchesOf(t *testing.T, s *server, demandID string) matchList {
	var ml matchList
	s.mustDo("GET", "/v1/demands/"+demandID+"/matches?limit=50", nil, 200).decode(t, &ml)
	return ml
}

func lists(ml matchList, id string) bool {
	return slices.ContainsFunc(ml.Matches, func(m matchItem) bool { return m.ID == id })
}

// TestReplicasSeeEachOthersWrites: two replicas on one PostgreSQL and one Redis, each with its
// own index. A record written on A is found by search and matched on B within a second (B's
// cached list from before the write is not served once B has applied it); a profile published
// on A is what B's next list is computed with.
func TestReplicasSeeEachOthersWrites(t *testing.T) {
	env := replicaEnv(t)
	a := startServer(t, "", []string{"--demo"}, env...)
	b := startServer(t, "", nil, env...)
	if !strings.Contains(b.logs.String(), "index rebuilt from the store") {
		t.Errorf("B did not build its index from the store:\n%s", b.logs)
	}
	a.mustDo("POST", "/v1/demands", batteryDemand("d-r", "320100"), 201)
	before := matchesOf(t, b, "d-r") // computed on B and cached in the shared Redis
	if r := b.do("GET", "/v1/demands/d-r/matches?limit=50", nil, adminKey); r.Header.Get("X-Cache") != "hit" {
		t.Fatalf("B's second ask for the list: X-Cache %q, want hit", r.Header.Get("X-Cache"))
	}

	var took []time.Duration
	for i := range 5 {
		id := fmt.Sprintf("a-r-%d", i)
		start := time.Now()
		a.mustDo("POST", "/v1/achievements", battery(id, fmt.Sprintf("硫化物固态电解质第%d代公斤级制备技术", i+1), 6, 40, 60), 201)
		eventually(t, "B finds "+id, func() bool { return finds(t, b, "硫化物固态电解质", id) })
		took = append(took, time.Since(start))
		if lists(before, id) {
			t.Fatalf("%s was listed before it was written", id)
		}
		if ml := matchesOf(t, b, "d-r"); !lists(ml, id) {
			t.Fatalf("B finds %s by search but its list for d-r does not have it: %+v", id, ml.Matches)
		}
	}
	slices.Sort(took)
	t.Logf("a write on A found by search on B after %v", took)
	if took[len(took)/2] > time.Second {
		t.Errorf("writes on A found on B after %v (median over 1 s)", took)
	}

	// A profile published on A: B's next list is computed with it.
	var p struct{ Version int }
	a.mustDo("PUT", "/v1/profiles/default", map[string]any{"weights": map[string]any{"text": 0.9, "field": 0.1}, "note": "replica test"}, 200).decode(t, &p)
	if ml := matchesOf(t, b, "d-r"); ml.Profile.Version != p.Version {
		t.Errorf("B's list right after A published version %d of the profile: computed with version %d", p.Version, ml.Profile.Version)
	}
}

// TestReplicasRunJobsOnce: with two replicas, the match-list worker, the webhook deliverer and
// the deadline sweep each run on one of them; every new demand's pairs are listed and assigned
// once and each webhook is sent once; when the replica running the worker is killed, the other
// takes the jobs over.
func TestReplicasRunJobsOnce(t *testing.T) {
	rc := &receiver{}
	hook := httptest.NewServer(rc)
	defer hook.Close()
	env := replicaEnv(t)
	a := startServer(t, "", nil, env...)
	b := startServer(t, "", nil, env...)
	a.mustDo("PUT", "/v1/profiles/default", map[string]any{"params": map[string]any{"list_threshold": 0.3}, "note": "test"}, 200)
	a.mustDo("POST", "/v1/agents", map[string]any{"id": "js", "name": "江苏经纪人", "regions": []string{"32"}, "capacity": 100, "webhook_url": hook.URL + "/js"}, 201)
	b.mustDo("POST", "/v1/achievements", battery("a-1", "硫化物固态电解质公斤级制备技术", 6, 40, 60), 201)
	b.mustDo("POST", "/v1/achievements", battery("a-2", "氧化物固态电解质薄膜制备技术", 5, 20, 30), 201)

	holders := func(job string) []*server {
		var out []*server
		for _, s := range []*server{a, b} {
			if strings.Contains(s.logs.String(), `msg="job running on this replica" job=`+job) {
				out = append(out, s)
			}
		}
		return out
	}
	for _, job := range []string{"worklist", "webhooks", "deadline"} {
		eventually(t, job+" running", func() bool { return len(holders(job)) > 0 })
	}

	demands := func(from, to int) {
		for i := from; i < to; i++ {
			s := []*server{a, b}[i%2]
			s.mustDo("POST", "/v1/demands", batteryDemand(fmt.Sprintf("d-%02d", i), "320100"), 201)
		}
		for i := from; i < to; i++ {
			entriesOf(t, a, fmt.Sprintf("d-%02d", i), 2)
		}
	}
	demands(0, 10)
	// The replica running the worker goes; the other takes it over (within a few seconds).
	w := holders("worklist")
	if len(w) != 1 {
		t.Fatalf("the worklist job started on %d replicas, want 1", len(w))
	}
	other := a
	if w[0] == a {
		other = b
	}
	w[0].kill()
	eventually(t, "the other replica takes the worklist job", func() bool { return slices.Contains(holders("worklist"), other) })
	for i := 10; i < 14; i++ {
		other.mustDo("POST", "/v1/demands", batteryDemand(fmt.Sprintf("d-%02d", i), "320100"), 201)
		entriesOf(t, other, fmt.Sprintf("d-%02d", i), 2)
	}

	// Every pair once, assigned to js; every assigned entry in exactly one webhook, each sent once.
	var page entryPage
	other.mustDo("GET", "/v1/agents/js/matches?size=100", nil, 200).decode(t, &page)
	pairs := map[string]int{}
	for _, e := range page.Items {
		pairs[e.DemandID+"/"+e.SupplyID]++
	}
	if len(page.Items) != 28 || len(pairs) != 28 {
		t.Errorf("js has %d entries over %d pairs, want 28 (14 demands × 2 achievements, each once)", len(page.Items), len(pairs))
	}
	eventually(t, "a webhook for every demand", func() bool { bodies, _, _ := rc.received(); return len(bodies) >= 14 })
	time.Sleep(time.Second) // a second delivery of anything would have come by now
	bodies, _, calls := rc.received()
	alerted := map[string]int{}
	for _, body := range bodies {
		var al struct{ Entries []struct{ ID string } }
		if err := json.Unmarshal(body, &al); err != nil {
			t.Fatal(err)
		}
		for _, e := range al.Entries {
			alerted[e.ID]++
		}
	}
	var twice []string
	for id, n := range alerted {
		if n > 1 {
			twice = append(twice, id)
		}
	}
	sort.Strings(twice)
	if calls != len(bodies) || len(bodies) != 14 || len(alerted) != 28 || len(twice) > 0 {
		t.Errorf("webhooks: %d calls, %d bodies naming %d entries (entries in more than one: %v); want 14 calls naming 28 entries once each",
			calls, len(bodies), len(alerted), twice)
	}
}

// TestReplicasUnderLoad: searches, matches and writes spread over two replicas at once: no 5xx,
// every acknowledged write found on both, one key's rate limit spent once across both, and
// `techmatch check` agreeing for each replica's index.
func TestReplicasUnderLoad(t *testing.T) {
	const rate, burst = 20, 20
	env := append(replicaEnv(t), fmt.Sprintf("TECHMATCH_LIMITS_RATE_PER_SECOND=%d", rate), fmt.Sprintf("TECHMATCH_LIMITS_BURST=%d", burst))
	a := startServer(t, "", []string{"--demo"}, env...)
	b := startServer(t, "", nil, env...)
	replicas := []*server{a, b}
	loader := keyFor(t, a, "admin", "loader")

	var (
		mu       sync.Mutex
		written  []string
		bad      []string
		statuses = map[int]int{}
		wg       sync.WaitGroup
	)
	start := time.Now()
	deadline := start.Add(6 * time.Second)
	for g := range 4 {
		wg.Go(func() {
			for i := 0; time.Now().Before(deadline); i++ {
				s := replicas[(g+i)%2]
				var r response
				switch i % 3 {
				case 0:
					id := fmt.Sprintf("load-%d-%d", g, i)
					r = s.do("POST", "/v1/achievements", battery(id, "固态电解质低成本制备技术 "+id, 6, 40, 60), loader)
					if r.Status == 201 {
						mu.Lock()
						written = append(written, id)
						mu.Unlock()
					}
				case 1:
					r = s.do("GET", "/v1/search?q="+url.QueryEscape("固态电解质")+"&size=20", nil, loader)
				case 2:
					r = s.do("GET", "/v1/demands/dem-001/matches?limit=20", nil, loader)
				}
				mu.Lock()
				statuses[r.Status]++
				if r.Status >= 500 || r.Status == 0 {
					bad = append(bad, fmt.Sprintf("%s: %d %s", s.URL, r.Status, r.Body))
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	t.Logf("%v over two replicas in %v: %v, %d writes acknowledged", statuses[200]+statuses[201]+statuses[429], elapsed.Round(time.Millisecond), statuses, len(written))
	if len(bad) > 0 {
		t.Fatalf("%d answers ≥ 500 under load, e.g. %s", len(bad), bad[0])
	}
	// One bucket for the key across both replicas: the burst and what refilled meanwhile. Each
	// replica alone would allow as much again.
	served, allowed := statuses[200]+statuses[201], burst+rate*int(elapsed.Seconds()+1)
	if served < burst || served > allowed+5 || statuses[429] == 0 {
		t.Errorf("the key was served %d times over both replicas (%v); want at most its one bucket's %d", served, statuses, allowed)
	}
	for _, s := range replicas {
		eventually(t, s.URL+" finds every acknowledged write", func() bool {
			r := s.do("GET", "/v1/search?q="+url.QueryEscape("固态电解质低成本制备技术")+"&size=100", nil, adminKey)
			var ans searchAnswer
			if r.Status != 200 {
				return false
			}
			r.decode(t, &ans)
			for _, id := range written {
				if !slices.ContainsFunc(ans.Hits, func(h searchHit) bool { return h.ID == id }) {
					return false
				}
			}
			return true
		})
	}
	for _, s := range replicas {
		s.stop()
		check := exec.Command(binPath, "check")
		check.Env = append(os.Environ(), append([]string{"TECHMATCH_DATA_DIR=" + s.DataDir}, env...)...)
		if out, err := check.CombinedOutput(); err != nil || !strings.Contains(string(out), "ok: store and index agree") {
			t.Fatalf("check %s: %v\n%s", s.DataDir, err, out)
		}
	}
}

// TestReplicaAwayPastTheRetentionRebuilds: a replica that comes back after the outbox rows it
// missed were pruned (it was away for longer than index.outbox_retention, so pruning stopped
// waiting for it) builds its index again from the store instead of serving without them.
func TestReplicaAwayPastTheRetentionRebuilds(t *testing.T) {
	env := replicaEnv(t)
	var db string
	for _, kv := range env {
		if u, ok := strings.CutPrefix(kv, "TECHMATCH_STORE_URL="); ok {
			db = u
		}
	}
	a := startServer(t, "", nil, env...)
	a.mustDo("POST", "/v1/achievements", battery("a-1", "硫化物固态电解质公斤级制备技术", 6, 40, 60), 201)
	eventually(t, "A finds a-1", func() bool { return finds(t, a, "硫化物固态电解质", "a-1") })
	a.stop()

	b := startServer(t, "", nil, env...)
	b.mustDo("POST", "/v1/achievements", battery("a-2", "氧化物固态电解质薄膜制备技术", 5, 20, 30), 201)
	b.mustDo("DELETE", "/v1/achievements/a-1", nil, 204)
	eventually(t, "B finds a-2", func() bool { return finds(t, b, "固态电解质", "a-2") })
	// What the replica running the worklist does once A has been away for the retention.
	testpg.Exec(t, db, `DELETE FROM outbox`)

	a.start()
	if !strings.Contains(a.logs.String(), "the index misses outbox rows that were pruned meanwhile; rebuilding it from the store") {
		t.Errorf("A did not say it rebuilt its index:\n%s", a.logs)
	}
	if !finds(t, a, "固态电解质", "a-2") || finds(t, a, "硫化物固态电解质", "a-1") {
		t.Error("A after its rebuild: a-2 not found, or the deleted a-1 still found")
	}
}
