package main_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// loadRun is a mixed load of searches, ad-hoc and stored matches and writes from several
// clients, until stopped. It keeps the status of every answer and the ids of acknowledged writes.
type loadRun struct {
	done     atomic.Int64 // answers received
	stop     chan struct{}
	wg       sync.WaitGroup
	mu       sync.Mutex
	statuses map[int]int
	xcache   map[string]int
	acked    []string // achievements written with a 2xx answer
	failed   []string // transport errors: no answer
	bodies   []string // the first few 5xx bodies
}

// loadSeed writes what the load reads: a demand to match and some supply to find.
func loadSeed(t *testing.T, s *server) {
	t.Helper()
	for i := range 20 {
		body := fmt.Sprintf(`{"id":"seed-%d","title":"锂离子电池正极材料 %d","summary":"高镍三元正极材料的低成本制备，循环寿命提升","keywords":["锂电池","正极材料"],"region":"320100","trl":6}`, i, i)
		if r := s.do("PUT", fmt.Sprintf("/v1/achievements/seed-%d", i), body, adminKey); r.Status >= 300 {
			t.Fatalf("seed: %d %s", r.Status, r.Body)
		}
	}
	if r := s.do("PUT", "/v1/demands/dem-load", `{"title":"寻求锂电池正极材料技术","keywords":["正极材料"],"region":"320100","min_trl":5}`, adminKey); r.Status >= 300 {
		t.Fatalf("seed demand: %d %s", r.Status, r.Body)
	}
}

// startLoad runs workers clients against base. Each new request uses a new connection, so a
// request refused at shutdown is told apart from one that was in flight.
func startLoad(base string, workers int) *loadRun {
	l := &loadRun{stop: make(chan struct{}), statuses: map[int]int{}, xcache: map[string]int{}}
	client := &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	for w := range workers {
		l.wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-l.stop:
					return
				default:
				}
				l.one(client, base, w, i)
			}
		})
	}
	return l
}

func (l *loadRun) one(client *http.Client, base string, w, i int) {
	var req *http.Request
	id := ""
	switch i % 5 {
	case 0, 1:
		req, _ = http.NewRequest("GET", base+"/v1/search?q="+[]string{"锂电池", "正极材料", "负载测试", "循环寿命"}[(w+i)%4], nil)
	case 2:
		req, _ = http.NewRequest("POST", base+"/v1/match?limit=5", strings.NewReader(`{"title":"锂电池正极材料","keywords":["循环寿命"]}`))
	case 3:
		req, _ = http.NewRequest("GET", base+"/v1/demands/dem-load/matches", nil)
	case 4:
		id = fmt.Sprintf("load-%d-%d", w, i)
		body, _ := json.Marshal(map[string]any{"title": fmt.Sprintf("负载测试成果 %d %d 锂电池", w, i), "summary": "负载测试写入的成果，用于检查不丢写"})
		req, _ = http.NewRequest("PUT", base+"/v1/achievements/"+id, bytes.NewReader(body))
	}
	req.Header.Set("Authorization", "Bearer "+adminKey)
	resp, err := client.Do(req)
	if err != nil {
		l.mu.Lock()
		l.failed = append(l.failed, err.Error())
		l.mu.Unlock()
		return
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	l.mu.Lock()
	l.statuses[resp.StatusCode]++
	if xc := resp.Header.Get("X-Cache"); xc != "" {
		l.xcache[xc]++
	}
	if id != "" && resp.StatusCode < 300 {
		l.acked = append(l.acked, id)
	}
	if resp.StatusCode >= 500 && len(l.bodies) < 5 {
		l.bodies = append(l.bodies, string(body))
	}
	l.mu.Unlock()
	l.done.Add(1)
}

// waitFor blocks until n more answers have arrived since the call.
func (l *loadRun) waitFor(t *testing.T, n int64) {
	t.Helper()
	target := l.done.Load() + n
	eventually(t, fmt.Sprintf("%d more answers under load", n), func() bool { return l.done.Load() >= target })
}

func (l *loadRun) end() {
	close(l.stop)
	l.wg.Wait()
}

// check fails the test on any 5xx and reports what the load did.
func (l *loadRun) check(t *testing.T) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	t.Logf("load: %d answers, statuses %v, X-Cache %v, %d writes acknowledged, %d without answer", l.done.Load(), l.statuses, l.xcache, len(l.acked), len(l.failed))
	for code, n := range l.statuses {
		if code >= 500 {
			t.Errorf("%d answers with status %d; first bodies: %v", n, code, l.bodies)
		}
	}
}

// checkAcked verifies that every acknowledged write is in the store.
func (l *loadRun) checkAcked(t *testing.T, s *server) {
	t.Helper()
	for _, id := range l.acked {
		if r := s.do("GET", "/v1/achievements/"+id, nil, adminKey); r.Status != 200 {
			t.Fatalf("acknowledged write %s lost: %d", id, r.Status)
		}
	}
}
