package main_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/techmatch/techmatch/internal/domain"
	"github.com/techmatch/techmatch/internal/pgstore"
	"github.com/techmatch/techmatch/internal/testpg"
	"github.com/techmatch/techmatch/internal/testredis"
)

// answerBound is how long any answer may take, outage or not: far above what a request takes
// on a loaded machine, and well under the outage, so that a request waiting for PostgreSQL to
// come back is caught.
const answerBound = 5 * time.Second

// TestPostgresStoppedUnderLoad stops PostgreSQL for 10 s while clients search, match, write
// and read. Meanwhile every answer is a 2xx (a cached search, say) or a 503 with the
// store-unavailable error, none takes longer than answerBound, and /readyz says not ready.
// Once PostgreSQL is back the same server process writes again, every write it acknowledged
// before, during or after is readable and found by search, and store and index agree.
func TestPostgresStoppedUnderLoad(t *testing.T) {
	pg := testpg.Private(t)
	db := pg.NewDatabase(t)
	rs := testredis.Start(t)
	storeEnv := "TECHMATCH_STORE_URL=" + db
	s := startServer(t, "", nil, storeEnv, "TECHMATCH_REDIS_URL="+rs.URL())
	loadSeed(t, s)

	l := startOutageLoad(s.URL, 4)
	l.waitFor(t, 100)
	l.phase.Store(phaseDown)
	pg.Stop()
	stopped := time.Now()
	eventually(t, "/readyz says not ready while PostgreSQL is stopped", func() bool {
		var ans struct {
			Ready  bool
			Checks map[string]any
		}
		r := s.do("GET", "/readyz", nil, "")
		r.decode(t, &ans)
		return r.Status == http.StatusServiceUnavailable && !ans.Ready && ans.Checks["store"] != "ok"
	})
	l.waitFor(t, 50)
	time.Sleep(time.Until(stopped.Add(10 * time.Second)))
	pg.Start()
	l.phase.Store(phaseBack)

	// The server was not restarted: it finds PostgreSQL again by itself.
	n := 0
	eventually(t, "a write succeeds once PostgreSQL is back", func() bool {
		n++
		return s.do("PUT", fmt.Sprintf("/v1/achievements/pgback-%d", n), `{"title":"恢复后写入 压缩空气储能"}`, adminKey).Status == 201
	})
	eventually(t, "/readyz says ready once PostgreSQL is back", func() bool { return s.do("GET", "/readyz", nil, "").Status == 200 })
	l.waitForWrites(t, 20)
	l.end()
	l.check(t)

	acked := l.ackedIDs()
	for _, id := range acked {
		if r := s.do("GET", "/v1/achievements/"+id, nil, ""); r.Status != 200 {
			t.Errorf("acknowledged write %s lost: %d %s", id, r.Status, r.Body)
		}
	}
	var missing []string
	defer func() {
		if len(missing) > 0 {
			t.Logf("acknowledged writes search does not find: %v", missing)
		}
	}()
	eventually(t, "every acknowledged write found by search", func() bool {
		found := searchIDs(t, s, "q="+url.QueryEscape(outageTerm)+"&kind=achievements")
		missing = missing[:0]
		for _, id := range acked {
			if !found[id] {
				missing = append(missing, id)
			}
		}
		return len(missing) == 0
	})
	// A write answered 503 says that nothing was written: none of them may be stored.
	for _, id := range l.refusedIDs() {
		if r := s.do("GET", "/v1/achievements/"+id, nil, ""); r.Status != 404 {
			t.Errorf("write %s answered 503 (nothing written) is stored: %d", id, r.Status)
		}
	}
	s.stop()
	checkAgainst(t, s.DataDir, db)
}

// outageTerm is in the title of every write of the outage load, and of nothing else.
const outageTerm = "压缩空气储能"

// Phases of an outage, by when an answer arrives.
const (
	phaseUp   int32 = iota // before PostgreSQL stops: every answer must be a 2xx
	phaseDown              // from just before it stops until it has started again
	phaseBack              // after it has started again
)

var phaseNames = [...]string{"before", "during", "after"}

// outageLoad is a mixed load of searches, matches, writes of new records and reads of written
// ones from several clients until ended, judging each answer by the phase it arrives in.
type outageLoad struct {
	phase   atomic.Int32
	answers atomic.Int64
	writes  [3]atomic.Int64 // acknowledged writes per phase
	stop    chan struct{}
	wg      sync.WaitGroup

	mu       sync.Mutex
	statuses [3]map[int]int
	xcache   map[string]int
	slowest  [3]time.Duration
	acked    []string // written, answered 201
	refused  []string // written, answered 503
	faults   []string // answers that break the rules, the first few
	nfaults  int
}

func startOutageLoad(base string, workers int) *outageLoad {
	l := &outageLoad{stop: make(chan struct{}), xcache: map[string]int{}}
	for i := range l.statuses {
		l.statuses[i] = map[int]int{}
	}
	client := &http.Client{Timeout: answerBound}
	for w := range workers {
		l.wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-l.stop:
					return
				default:
				}
				if l.one(client, base, w, i) == http.StatusServiceUnavailable {
					time.Sleep(20 * time.Millisecond) // as a client backs off; it spares the machine too
				}
			}
		})
	}
	return l
}

// one sends one request and judges its answer, returning its status (0 without an answer).
func (l *outageLoad) one(client *http.Client, base string, w, i int) int {
	var method, path string
	var body []byte
	id := ""
	switch i % 6 {
	case 0:
		method, path = "GET", "/v1/search?q="+url.QueryEscape([]string{"锂电池", "正极材料", outageTerm, "循环寿命"}[(w+i)%4])
	case 1:
		method, path = "POST", "/v1/match?limit=5"
		body = []byte(`{"title":"锂电池正极材料","keywords":["循环寿命"]}`)
	case 2:
		method, path = "GET", "/v1/demands/dem-load/matches"
	case 3:
		id = fmt.Sprintf("pgdown-%d-%d", w, i)
		method, path = "PUT", "/v1/achievements/"+id
		body, _ = json.Marshal(map[string]any{"title": fmt.Sprintf("停库负载测试成果 %d-%d %s", w, i, outageTerm), "summary": "数据库停机期间写入的成果，用于检查不丢写"})
	case 4:
		method, path = "GET", "/v1/achievements/"+l.someAcked(w+i)
	case 5:
		method, path = "GET", "/v1/achievements?size=5"
	}
	req, _ := http.NewRequest(method, base+path, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+adminKey)
	start := time.Now()
	resp, err := client.Do(req)
	var data []byte
	if err == nil {
		data, err = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	took := time.Since(start)
	phase := l.phase.Load()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.answers.Add(1)
	l.slowest[phase] = max(l.slowest[phase], took)
	what := fmt.Sprintf("%s %s (%s, after %s)", method, path, phaseNames[phase], took.Round(time.Millisecond))
	if err != nil {
		l.fault("%s: no answer: %v", what, err)
		return 0
	}
	l.statuses[phase][resp.StatusCode]++
	if xc := resp.Header.Get("X-Cache"); xc != "" {
		l.xcache[xc]++
	}
	switch {
	case resp.StatusCode < 300:
		if id != "" {
			l.acked = append(l.acked, id)
			l.writes[phase].Add(1)
		}
	case resp.StatusCode == http.StatusServiceUnavailable && phase != phaseUp:
		var e struct {
			Error struct{ Code, Message string }
		}
		if json.Unmarshal(data, &e) != nil || e.Error.Code != string(domain.CodeUnavailable) || e.Error.Message != domain.ErrUnavailable.Message {
			l.fault("%s: 503 without the store-unavailable error: %s", what, data)
		}
		if id != "" {
			l.refused = append(l.refused, id)
		}
	default:
		l.fault("%s: %d %s", what, resp.StatusCode, data)
	}
	return resp.StatusCode
}

// fault keeps a broken rule; l.mu is held.
func (l *outageLoad) fault(format string, args ...any) {
	l.nfaults++
	if len(l.faults) < 10 {
		l.faults = append(l.faults, fmt.Sprintf(format, args...))
	}
}

// someAcked is an acknowledged write to read back, a seed record before there is one.
func (l *outageLoad) someAcked(n int) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.acked) == 0 {
		return "seed-0"
	}
	return l.acked[n%len(l.acked)]
}

// waitFor blocks until n more answers have arrived since the call.
func (l *outageLoad) waitFor(t *testing.T, n int64) {
	t.Helper()
	target := l.answers.Load() + n
	eventually(t, fmt.Sprintf("%d more answers under load", n), func() bool { return l.answers.Load() >= target })
}

// waitForWrites blocks until the load has had n writes acknowledged after the outage.
func (l *outageLoad) waitForWrites(t *testing.T, n int64) {
	t.Helper()
	eventually(t, fmt.Sprintf("%d writes of the load acknowledged after the outage", n), func() bool { return l.writes[phaseBack].Load() >= n })
}

func (l *outageLoad) end() {
	close(l.stop)
	l.wg.Wait()
}

// check fails the test on every answer that broke the rules, and on an outage that refused nothing.
func (l *outageLoad) check(t *testing.T) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	for p := range l.statuses {
		t.Logf("load %s the outage: statuses %v, %d writes acknowledged, slowest answer %s",
			phaseNames[p], l.statuses[p], l.writes[p].Load(), l.slowest[p].Round(time.Millisecond))
	}
	t.Logf("load: %d answers, X-Cache %v, %d writes acknowledged, %d refused", l.answers.Load(), l.xcache, len(l.acked), len(l.refused))
	if l.nfaults > 0 {
		t.Errorf("%d answers broke the rules; the first:\n%s", l.nfaults, strings.Join(l.faults, "\n"))
	}
	if l.statuses[phaseDown][http.StatusServiceUnavailable] == 0 {
		t.Errorf("no 503 while PostgreSQL was stopped: %v", l.statuses[phaseDown])
	}
}

func (l *outageLoad) ackedIDs() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.acked)
}

func (l *outageLoad) refusedIDs() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.refused)
}

// TestKill9ReplicaDuringImport runs two servers, A and B, on one database and one Redis, and
// kills A with SIGKILL in the middle of a bulk import. B answers searches and /readyz with 200
// throughout. Restarted on its data dir, A catches up; every record of the acknowledged import
// is stored, and of the import A died in, each batch of 500 lines (stored in one transaction,
// all or nothing: see httpapi's importer) is stored whole or not at all. Search on A and on B
// finds the same records, those of the store, and store and index agree in both data dirs.
func TestKill9ReplicaDuringImport(t *testing.T) {
	db := testpg.New(t)
	rs := testredis.Start(t)
	env := []string{"TECHMATCH_STORE_URL=" + db, "TECHMATCH_REDIS_URL=" + rs.URL()}
	a := startServer(t, "", nil, env...)
	b := startServer(t, "", nil, env...)
	const batch = 500 // lines per transaction of an import (httpapi's importBatch)
	line := func(prefix string, i int) string {
		return fmt.Sprintf(`{"id":"%s-%05d","title":"第%d条 船舶压载水处理装置","summary":"紫外与电解联合处理压载水，副本崩溃测试"}`+"\n", prefix, i, i)
	}
	watch := watchReplica(b)

	// An import A answers: every line of it is acknowledged.
	var body strings.Builder
	for i := range 2 * batch {
		body.WriteString(line("acked", i))
	}
	var rep importReport
	a.mustDo("POST", "/v1/achievements/import", body.String(), 200).decode(t, &rep)
	if rep.Accepted != 2*batch {
		t.Fatalf("acknowledged import: accepted %d of %d: %+v", rep.Accepted, 2*batch, rep.Rejected)
	}

	// An import A dies in: its lines arrive as fast as A reads them, and A is killed once B
	// sees two of its batches stored, while A is writing a later one.
	const lines = 12 * batch
	pw, ans := a.streamImport()
	sent := make(chan int, 1)
	go func() {
		i := 0
		for ; i < lines; i++ {
			if _, err := io.WriteString(pw, line("killed", i)); err != nil {
				break // A is gone
			}
		}
		pw.Close()
		sent <- i
	}()
	eventually(t, "two batches of the import stored", func() bool {
		var page struct{ Total int }
		b.mustDo("GET", "/v1/achievements?size=1", nil, 200).decode(t, &page)
		return page.Total >= 4*batch
	})
	a.kill()
	answer := <-ans
	pw.CloseWithError(io.ErrClosedPipe) // the lines not yet sent have nowhere to go
	t.Logf("A killed after %d of %d lines were sent; the import's answer: %v %d %.200s", <-sent, lines, answer.err, answer.status, answer.body)

	a.start() // on its data dir; waits for /readyz
	how := "replayed the outbox"
	if strings.Contains(a.logs.String(), "index rebuilt from the store") {
		how = "rebuilt its index"
	}
	t.Logf("A restarted and %s", how)
	stored := storedAchievements(t, db)
	for i := range 2 * batch {
		if id := fmt.Sprintf("acked-%05d", i); !stored[id] {
			t.Fatalf("acknowledged %s lost", id)
		}
	}
	if answer.err == nil && answer.status == 200 {
		t.Fatalf("the import A was to die in was answered: the kill came too late to test anything: %.300s", answer.body)
	}
	whole := 0
	for first := 0; first < lines; first += batch {
		n := 0
		for i := first; i < first+batch; i++ {
			if stored[fmt.Sprintf("killed-%05d", i)] {
				n++
			}
		}
		switch n {
		case batch:
			whole++
		case 0:
		default:
			t.Errorf("batch of lines %d–%d: %d of %d stored; want all or none", first+1, first+batch, n, batch)
		}
	}
	t.Logf("of the killed import, %d batches of %d stored whole, the others not at all", whole, batch)

	probe := "q=" + url.QueryEscape("压载水处理") + "&kind=achievements"
	eventually(t, "A and B find every stored record", func() bool {
		total := func(s *server) int { return search(t, s, probe+"&size=1").Total }
		return total(a) == len(stored) && total(b) == len(stored)
	})
	onA, onB := searchIDs(t, a, probe), searchIDs(t, b, probe)
	if !maps.Equal(onA, stored) || !maps.Equal(onB, stored) {
		t.Errorf("search finds %d records on A and %d on B, %d are stored; not the same sets", len(onA), len(onB), len(stored))
	}
	watch.end(t)
	a.stop()
	b.stop()
	checkAgainst(t, a.DataDir, db)
	checkAgainst(t, b.DataDir, db)
}

// replicaWatch asks a server for a search and /readyz in turn until ended; each must be a 200.
type replicaWatch struct {
	stop chan struct{}
	done chan struct{}
	n    int
	bad  []string
}

func watchReplica(s *server) *replicaWatch {
	w := &replicaWatch{stop: make(chan struct{}), done: make(chan struct{})}
	client := &http.Client{Timeout: answerBound}
	go func() {
		defer close(w.done)
		for i := 0; ; i++ {
			select {
			case <-w.stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			path := "/readyz"
			if i%2 == 0 {
				path = "/v1/search?q=" + url.QueryEscape([]string{"压载水处理", "船舶", "紫外"}[i/2%3])
			}
			w.n++
			resp, err := client.Get(s.URL + path)
			if err != nil {
				w.bad = append(w.bad, fmt.Sprintf("%s: %v", path, err))
				continue
			}
			data, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				w.bad = append(w.bad, fmt.Sprintf("%s: %d %.300s", path, resp.StatusCode, data))
			}
		}
	}()
	return w
}

func (w *replicaWatch) end(t *testing.T) {
	t.Helper()
	close(w.stop)
	<-w.done
	t.Logf("the other replica answered %d searches and /readyz, %d not with 200", w.n, len(w.bad))
	if len(w.bad) > 0 {
		t.Errorf("the other replica failed %d of %d requests; the first: %s", len(w.bad), w.n, strings.Join(w.bad[:min(len(w.bad), 5)], "\n"))
	}
}

// searchIDs pages through a search and returns the ids of every hit.
func searchIDs(t *testing.T, s *server, query string) map[string]bool {
	t.Helper()
	ids := map[string]bool{}
	for page := 1; ; page++ {
		a := search(t, s, fmt.Sprintf("%s&size=100&page=%d", query, page))
		for _, h := range a.Hits {
			ids[h.ID] = true
		}
		if len(a.Hits) == 0 || page*100 >= a.Total {
			return ids
		}
	}
}

// storedAchievements reads the ids of the achievements in the database, past any server.
func storedAchievements(t *testing.T, dbURL string) map[string]bool {
	t.Helper()
	ctx := context.Background()
	st, err := pgstore.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ids := map[string]bool{}
	if err := st.Scan(ctx, domain.Achievements, func(r domain.Record) error {
		ids[r.GetMeta().ID] = true
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return ids
}

// checkAgainst runs `techmatch check` on a data dir whose store is the database at dbURL.
func checkAgainst(t *testing.T, dataDir, dbURL string) {
	t.Helper()
	check := exec.Command(binPath, "check")
	check.Env = append(os.Environ(), "TECHMATCH_DATA_DIR="+dataDir, "TECHMATCH_STORE_URL="+dbURL)
	if out, err := check.CombinedOutput(); err != nil || !strings.Contains(string(out), "ok: store and index agree") {
		t.Errorf("check %s: %v\n%s", dataDir, err, out)
	}
}
