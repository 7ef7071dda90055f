package main_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/techmatch/techmatch/internal/domain"
	"github.com/techmatch/techmatch/internal/pgstore"
	"github.com/techmatch/techmatch/internal/store"
	"github.com/techmatch/techmatch/internal/testpg"
)

// hookSink is a webhook receiver on loopback that keeps every call; while failing it answers
// 503, and while holding it keeps the call open until released.
type hookSink struct {
	mu      sync.Mutex
	calls   []hookCall
	failing bool
	hold    chan struct{} // non-nil: calls wait for it to close
	entered chan struct{} // told when a held call arrives
}

type hookCall struct {
	Path, Event, Signature, Timestamp string
	Body                              []byte
}

func (h *hookSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	hold, entered := h.hold, h.entered
	h.mu.Unlock()
	if hold != nil {
		select {
		case entered <- struct{}{}:
		default:
		}
		<-hold
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.calls = append(h.calls, hookCall{Path: r.URL.Path, Event: r.Header.Get("X-Techmatch-Event"),
		Signature: r.Header.Get("X-Techmatch-Signature"), Timestamp: r.Header.Get("X-Techmatch-Timestamp"), Body: body})
	if h.failing {
		http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// of returns the calls of one event to one path, oldest first.
func (h *hookSink) of(path, event string) []hookCall {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []hookCall
	for _, c := range h.calls {
		if c.Path == path && c.Event == event {
			out = append(out, c)
		}
	}
	return out
}

// verified checks a call's signature and timestamp as the README tells receivers to.
func (c hookCall) verified(t *testing.T) {
	t.Helper()
	rc := &receiver{bodies: [][]byte{c.Body}, sigs: []string{c.Signature}, stamps: []string{c.Timestamp}}
	rc.checkSignature(t, 0)
}

// waitCall waits for the n-th call (1-based) of event to path and decodes its body into v.
func waitCall(t *testing.T, h *hookSink, path, event string, n int, v any) hookCall {
	t.Helper()
	eventually(t, fmt.Sprintf("%s call %d to %s", event, n, path), func() bool { return len(h.of(path, event)) >= n })
	c := h.of(path, event)[n-1]
	if err := json.Unmarshal(c.Body, v); err != nil {
		t.Fatalf("%s body %s: %v", event, c.Body, err)
	}
	c.verified(t)
	return c
}

type demandView struct {
	ID           string `json:"id"`
	Rev          int    `json:"rev"`
	Status       string `json:"status"`
	ClosedReason string `json:"closed_reason"`
}

type closedAlert struct {
	Event, Reason string
	AgentID       string `json:"agent_id"`
	DemandID      string `json:"demand_id"`
	DueDate       string `json:"due_date"`
	Withdrawn     []struct{ ID string }
}

// TestDeadlinesCloseDemands: an open demand past its deadline is never written open by a
// single write (400 naming the date's field); imported so, it reads as closed (已截止) at once,
// reverse matching and the worklist leave it out and it cannot be taken up; the sweep at start
// closes it in the store through an ordinary write, audited as system:deadline, and a demand
// whose deadline passed while its entries were worked has them withdrawn and its agent told
// (demand.closed, reason deadline).
func TestDeadlinesCloseDemands(t *testing.T) { deadlinesCloseDemands(t, "") }

// TestDeadlinesCloseDemandsOnPostgreSQL is TestDeadlinesCloseDemands with the store in
// PostgreSQL: the due dates, the sweep and its announcement go through pgstore.
func TestDeadlinesCloseDemandsOnPostgreSQL(t *testing.T) { deadlinesCloseDemands(t, testpg.New(t)) }

// directStore is what a test writes straight into a server's store with while it is down.
type directStore interface {
	Get(ctx context.Context, k domain.Kind, id string) (domain.Record, error)
	Put(ctx context.Context, rec domain.Record) (bool, error)
	Close() error
}

// deadlinesCloseDemands runs on the PostgreSQL database at pgURL, or on SQLite when it is "".
func deadlinesCloseDemands(t *testing.T, pgURL string) {
	hook := &hookSink{}
	hs := httptest.NewServer(hook)
	defer hs.Close()
	// One sweep at start, then none while the test runs: what happens between sweeps is seen.
	env := append([]string{"TECHMATCH_DEMANDS_DEADLINE_SWEEP=1h"}, worklistEnv...)
	if pgURL != "" {
		env = append(env, "TECHMATCH_STORE_URL="+pgURL)
	}
	s := startServer(t, "", nil, env...)
	s.mustDo("PUT", "/v1/profiles/default", map[string]any{"params": map[string]any{"list_threshold": 0.3}, "note": "test"}, 200)
	s.mustDo("POST", "/v1/agents", map[string]any{"id": "js", "name": "江苏经纪人", "regions": []string{"32"}, "capacity": 10, "webhook_url": hs.URL + "/js"}, 201)
	s.mustDo("POST", "/v1/achievements", battery("a-1", "硫化物固态电解质公斤级制备技术", 6, 40, 60), 201)
	// A short summary: reverse matching takes the supply text as the query, and a demand must
	// cover enough of it to pass the text floor.
	a2 := battery("a-2", "高安全性锂离子电池氧化物固态电解质技术", 7, 20, 30)
	a2["summary"] = "用于动力电池的高安全性固态电解质及制备工艺"
	s.mustDo("POST", "/v1/achievements", a2, 201)

	worked := batteryDemand("d-worked", "320100")
	worked["challenge"] = map[string]any{"bounty": 500, "deadline": "2099-12-31"}
	s.mustDo("POST", "/v1/demands", worked, 201)
	entries := entriesOf(t, s, "d-worked", 1)

	for _, c := range []struct {
		field string
		set   func(d map[string]any)
	}{
		{"deadline", func(d map[string]any) { d["deadline"] = "2000-01-01" }},
		{"challenge.deadline", func(d map[string]any) { d["challenge"] = map[string]any{"bounty": 500, "deadline": "2000-01-01"} }},
	} {
		d := batteryDemand("d-late", "320100")
		c.set(d)
		r := s.do("POST", "/v1/demands", d, adminKey)
		if code, field := r.errorField(t); r.Status != 400 || code != "invalid_argument" || field != c.field || !strings.Contains(string(r.Body), "2000-01-01") {
			t.Errorf("an open demand past its %s: %d %s", c.field, r.Status, r.Body)
		}
	}

	// Imported open past its deadline (a platform's history): read as closed before any sweep.
	lapsed := batteryDemand("d-lapsed", "320100")
	lapsed["challenge"] = map[string]any{"bounty": 500, "deadline": "2000-01-01"}
	line, _ := json.Marshal(lapsed)
	var rep struct{ Accepted int }
	s.mustDo("POST", "/v1/demands/import", string(line)+"\n", 200).decode(t, &rep)
	if rep.Accepted != 1 {
		t.Fatalf("import accepted %d", rep.Accepted)
	}
	// A demand written after it: once it is listed, the worker has passed d-lapsed by.
	s.mustDo("POST", "/v1/demands", batteryDemand("d-after", "320100"), 201)
	entriesOf(t, s, "d-after", 1)

	var dv demandView
	s.mustDo("GET", "/v1/demands/d-lapsed", nil, 200).decode(t, &dv)
	if dv.Status != "closed" || dv.ClosedReason != "deadline" || dv.Rev != 1 {
		t.Errorf("d-lapsed reads %+v, want closed for its deadline (rev 1: not yet swept)", dv)
	}
	var list struct{ Items []demandView }
	s.mustDo("GET", "/v1/demands?size=100", nil, 200).decode(t, &list)
	for _, d := range list.Items {
		if d.ID == "d-lapsed" && (d.Status != "closed" || d.ClosedReason != "deadline") {
			t.Errorf("the demand list shows d-lapsed as %+v", d)
		}
	}
	var rev struct {
		Matches  []struct{ ID string }
		Excluded struct {
			ByReason map[string]int `json:"by_reason"`
		}
	}
	s.mustDo("GET", "/v1/achievements/a-2/demands?limit=20", nil, 200).decode(t, &rev)
	var listed []string
	for _, m := range rev.Matches {
		listed = append(listed, m.ID)
	}
	if !slices.Contains(listed, "d-after") || slices.Contains(listed, "d-lapsed") || rev.Excluded.ByReason["deadline"] != 1 {
		t.Errorf("reverse matching lists %v and excludes %v; want d-after, not d-lapsed, excluded for its deadline", listed, rev.Excluded.ByReason)
	}
	var none entryPage
	s.mustDo("GET", "/v1/matches?demand_id=d-lapsed", nil, 200).decode(t, &none)
	if none.Total != 0 {
		t.Errorf("d-lapsed has %d match-list entries, want none", none.Total)
	}
	r := s.do("POST", "/v1/demands/d-lapsed/takeups", map[string]any{"supply_kind": "achievements", "supply_id": "a-1"}, adminKey)
	if r.Status != 409 || !strings.Contains(string(r.Body), "2000-01-01") {
		t.Errorf("taking up d-lapsed: %d %s, want 409 naming its deadline", r.Status, r.Body)
	}

	// While the server is down, d-worked's challenge deadline passes (written straight into
	// the store, as a clock would make it pass); the sweep at start closes both.
	s.stop()
	ctx := context.Background()
	var st directStore
	var err error
	if pgURL != "" {
		st, err = pgstore.Open(ctx, pgURL)
	} else {
		st, err = store.Open(ctx, filepath.Join(s.DataDir, "techmatch.db"))
	}
	if err != nil {
		t.Fatal(err)
	}
	rec, err := st.Get(ctx, domain.Demands, "d-worked")
	if err != nil {
		t.Fatal(err)
	}
	rec.(*domain.Demand).Challenge.Deadline = "2001-02-03"
	if _, err := st.Put(ctx, rec); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	s.start()

	for _, id := range []string{"d-lapsed", "d-worked"} {
		var audit struct {
			Items []struct{ Actor, Action, Detail string }
		}
		eventually(t, id+" swept", func() bool {
			s.mustDo("GET", "/v1/audit?kind=demands&id="+id, nil, 200).decode(t, &audit)
			return len(audit.Items) > 0 && audit.Items[0].Action == "close"
		})
		if a := audit.Items[0]; a.Actor != "system:deadline" || !strings.Contains(a.Detail, "passed") {
			t.Errorf("%s's last audit entry %+v, want close by system:deadline", id, a)
		}
		s.mustDo("GET", "/v1/demands/"+id, nil, 200).decode(t, &dv)
		if dv.Status != "closed" || dv.ClosedReason != "deadline" || dv.Rev < 2 {
			t.Errorf("%s after the sweep: %+v, want stored closed for its deadline", id, dv)
		}
	}
	var after entry
	s.mustDo("GET", "/v1/matches/"+entries[0].ID, nil, 200).decode(t, &after)
	if after.Status != "withdrawn" {
		t.Errorf("d-worked's entry is %s after its deadline passed, want withdrawn", after.Status)
	}
	var al closedAlert
	waitCall(t, hook, "/js", "demand.closed", 1, &al)
	if al.DemandID != "d-worked" || al.Reason != "deadline" || al.DueDate != "2001-02-03" || al.AgentID != "js" || len(al.Withdrawn) != len(entries) {
		t.Errorf("demand.closed body %+v, want d-worked closed at its deadline with its %d entries", al, len(entries))
	}
	if n := len(hook.of("/js", "demand.closed")); n != 1 {
		t.Errorf("%d demand.closed calls, want one (d-lapsed had no entries, so no agent to tell)", n)
	}
}

type takeupView struct {
	ID          string `json:"id"`
	DemandID    string `json:"demand_id"`
	SupplyKind  string `json:"supply_kind"`
	SupplyID    string `json:"supply_id"`
	SupplyTitle string `json:"supply_title"`
	Note        string `json:"note"`
	By          string `json:"by"`
	AgentID     string `json:"agent_id"`
}

// TestTakeupsAndWebhooks: an agent takes up an enterprise's challenge for a supply record;
// what is refused says why; the enterprise, agents and staff read the takeups, another
// enterprise gets the 404 of a missing demand; the agents covering the demand are told
// (challenge.taken). The holder of a demand's entries hears of their moves
// (matches.status_changed) and of the demand's closing (demand.closed), each signed over the
// timestamp; a failed delivery is redelivered by staff, and a pending one cannot be.
func TestTakeupsAndWebhooks(t *testing.T) { takeupsAndWebhooks(t) }

// TestTakeupsAndWebhooksOnPostgreSQL is TestTakeupsAndWebhooks with the store in PostgreSQL:
// the takeups, the announcements queued in their changes' transactions and the redelivery
// go through pgstore.
func TestTakeupsAndWebhooksOnPostgreSQL(t *testing.T) {
	takeupsAndWebhooks(t, "TECHMATCH_STORE_URL="+testpg.New(t))
}

func takeupsAndWebhooks(t *testing.T, extraEnv ...string) {
	hook := &hookSink{}
	hs := httptest.NewServer(hook)
	defer hs.Close()
	env := append([]string{"TECHMATCH_WEBHOOK_MAX_ATTEMPTS=1", "TECHMATCH_WEBHOOK_TIMEOUT=60s"}, worklistEnv...)
	env = append(env, extraEnv...)
	s := startServer(t, "", nil, env...)
	s.mustDo("PUT", "/v1/profiles/default", map[string]any{"params": map[string]any{"list_threshold": 0.3}, "note": "test"}, 200)
	// cover holds no list (no capacity) but covers Yinchuan; js works the lists in Jiangsu.
	s.mustDo("POST", "/v1/agents", map[string]any{"id": "cover", "name": "银川观察", "regions": []string{"6401"}, "capacity": 0, "webhook_url": hs.URL + "/cover"}, 201)
	s.mustDo("POST", "/v1/agents", map[string]any{"id": "js", "name": "江苏经纪人", "regions": []string{"32"}, "capacity": 10, "webhook_url": hs.URL + "/js"}, 201)
	agentKey := keyFor(t, s, "agent", "js")
	entKey := keyFor(t, s, "enterprise", "测试新能源有限公司")
	otherKey := keyFor(t, s, "enterprise", "别家公司")
	s.mustDo("POST", "/v1/achievements", battery("a-1", "硫化物固态电解质公斤级制备技术", 6, 40, 60), 201)
	s.mustDo("POST", "/v1/achievements", map[string]any{"id": "a-off", "title": "已停用的电解质", "status": "closed"}, 201)

	ch := batteryDemand("", "320100")
	delete(ch, "id")
	ch["region"] = "640100" // Yinchuan: only cover covers it, without room, so its list stays unassigned
	ch["challenge"] = map[string]any{"bounty": 500, "deadline": "2099-12-31"}
	var made struct{ ID string }
	r := s.do("POST", "/v1/demands", ch, entKey)
	r.decode(t, &made)
	if r.Status != 201 {
		t.Fatalf("enterprise files a challenge: %d %s", r.Status, r.Body)
	}
	cid := made.ID
	s.mustDo("POST", "/v1/demands", batteryDemand("plain", "320100"), 201)
	nj := batteryDemand("nj-challenge", "320100")
	nj["challenge"] = map[string]any{"bounty": 80}
	s.mustDo("POST", "/v1/demands", nj, 201)
	entriesOf(t, s, "nj-challenge", 1) // js holds them

	take := func(key, demand string, body map[string]any) response {
		return s.do("POST", "/v1/demands/"+demand+"/takeups", body, key)
	}
	r = take(agentKey, "nj-challenge", map[string]any{"supply_kind": "achievements", "supply_id": "a-1", "note": "可提供中试样品"})
	if r.Status != 201 {
		t.Fatalf("agent takes up nj-challenge: %d %s", r.Status, r.Body)
	}
	var tk takeupView
	r.decode(t, &tk)
	if !strings.HasPrefix(tk.ID, "tku-") || tk.SupplyTitle != "硫化物固态电解质公斤级制备技术" || tk.By != "agent:js" || tk.AgentID != "js" || tk.Note != "可提供中试样品" {
		t.Errorf("takeup %+v", tk)
	}
	for _, c := range []struct {
		name, key, demand string
		body              map[string]any
		status            int
		field, says       string
	}{
		{"again", agentKey, "nj-challenge", map[string]any{"supply_kind": "achievements", "supply_id": "a-1"}, 409, "", "已揭过"},
		{"not a challenge", agentKey, "plain", map[string]any{"supply_kind": "achievements", "supply_id": "a-1"}, 409, "", "不是揭榜挂帅需求"},
		{"closed supply", agentKey, cid, map[string]any{"supply_kind": "achievements", "supply_id": "a-off"}, 409, "", "已停用"},
		{"bad kind", agentKey, cid, map[string]any{"supply_kind": "demands", "supply_id": "a-1"}, 400, "supply_kind", ""},
		{"missing supply", agentKey, cid, map[string]any{"supply_kind": "patents", "supply_id": "p-none"}, 400, "supply_id", ""},
		{"unknown field", agentKey, cid, map[string]any{"supply_kind": "achievements", "supply_id": "a-1", "bounty": 1}, 400, "bounty", ""},
		{"missing demand", agentKey, "no-such", map[string]any{"supply_kind": "achievements", "supply_id": "a-1"}, 404, "", "no-such"},
		{"an enterprise", entKey, cid, map[string]any{"supply_kind": "achievements", "supply_id": "a-1"}, 403, "", ""},
	} {
		r := take(c.key, c.demand, c.body)
		if r.Status != c.status || !strings.Contains(string(r.Body), c.says) {
			t.Errorf("%s: %d %s, want %d saying %q", c.name, r.Status, r.Body, c.status, c.says)
			continue
		}
		if c.field != "" {
			if _, f := r.errorField(t); f != c.field {
				t.Errorf("%s: field %q, want %q", c.name, f, c.field)
			}
		}
	}
	s.mustDo("POST", "/v1/demands/"+cid+"/takeups", map[string]any{"supply_kind": "achievements", "supply_id": "a-1"}, 201)

	// The enterprise that filed it, agents and staff read them; another enterprise cannot tell
	// the demand from a missing one.
	for _, key := range []string{entKey, agentKey, adminKey} {
		var l struct{ Items []takeupView }
		r := s.do("GET", "/v1/demands/"+cid+"/takeups", nil, key)
		r.decode(t, &l)
		if r.Status != 200 || len(l.Items) != 1 || l.Items[0].By != "admin" || l.Items[0].SupplyID != "a-1" {
			t.Errorf("takeups of %s: %d %s", cid, r.Status, r.Body)
		}
	}
	foreign := s.do("GET", "/v1/demands/"+cid+"/takeups", nil, otherKey)
	missing := s.do("GET", "/v1/demands/dem-00000000000000000000/takeups", nil, otherKey)
	if foreign.Status != 404 || missing.Status != 404 || strings.ReplaceAll(string(foreign.Body), cid, "X") != strings.ReplaceAll(string(missing.Body), "dem-00000000000000000000", "X") {
		t.Errorf("another enterprise: %d %s; a missing demand: %d %s; want the same 404", foreign.Status, foreign.Body, missing.Status, missing.Body)
	}
	var audit struct {
		Items []struct{ Actor, Action, Detail string }
	}
	s.mustDo("GET", "/v1/audit?kind=demands&id=nj-challenge", nil, 200).decode(t, &audit)
	if len(audit.Items) == 0 || audit.Items[0].Action != "takeup" || audit.Items[0].Actor != "agent:js" || audit.Items[0].Detail != "achievements/a-1" {
		t.Errorf("nj-challenge's audit %+v, want the takeup by agent:js", audit.Items)
	}

	// challenge.taken: nj-challenge's entries are js's, so js hears of it; no agent holds the
	// Yinchuan challenge's, so the agents covering Yinchuan do: cover.
	var taken struct {
		Event    string
		AgentID  string   `json:"agent_id"`
		DemandID string   `json:"demand_id"`
		Bounty   *float64 `json:"bounty"`
		Takeup   takeupView
	}
	waitCall(t, hook, "/js", "challenge.taken", 1, &taken)
	if taken.DemandID != "nj-challenge" || taken.Bounty == nil || *taken.Bounty != 80 || taken.Takeup.ID != tk.ID || taken.Takeup.Note != "可提供中试样品" {
		t.Errorf("challenge.taken body %+v", taken)
	}
	waitCall(t, hook, "/cover", "challenge.taken", 1, &taken)
	if taken.DemandID != cid || taken.AgentID != "cover" || taken.Takeup.By != "admin" {
		t.Errorf("challenge.taken to cover %+v", taken)
	}

	// matches.status_changed to the holder, whoever moves the entry.
	es := entriesOf(t, s, "plain", 1)
	if r := s.do("PATCH", "/v1/matches/"+es[0].ID, map[string]any{"status": "contacted", "note": "电话联系"}, agentKey); r.Status != 200 {
		t.Fatalf("PATCH: %d %s", r.Status, r.Body)
	}
	var moved struct {
		AgentID  string `json:"agent_id"`
		DemandID string `json:"demand_id"`
		Entry    struct{ ID string }
		From, To string
		By, Note string
	}
	waitCall(t, hook, "/js", "matches.status_changed", 1, &moved)
	if moved.AgentID != "js" || moved.DemandID != "plain" || moved.Entry.ID != es[0].ID || moved.From != "new" || moved.To != "contacted" || moved.By != "agent:js" || moved.Note != "电话联系" {
		t.Errorf("matches.status_changed body %+v", moved)
	}

	// demand.closed when staff close it, with the withdrawn entries; the receiver is down.
	hook.mu.Lock()
	hook.failing = true
	hook.mu.Unlock()
	closed := batteryDemand("plain", "320100")
	closed["status"] = "closed"
	s.mustDo("PUT", "/v1/demands/plain", closed, 200)
	var al closedAlert
	waitCall(t, hook, "/js", "demand.closed", 1, &al)
	if al.DemandID != "plain" || al.Reason != "manual" || len(al.Withdrawn) != len(es) {
		t.Errorf("demand.closed body %+v, want plain closed by hand with its %d entries", al, len(es))
	}
	type delivery struct {
		ID       int64
		Event    string
		Status   string
		Attempts int
	}
	var dl delivery
	eventually(t, "the closing's delivery failed", func() bool {
		var failed struct{ Items []delivery }
		s.mustDo("GET", "/v1/webhooks/deliveries?agent_id=js&status=failed&size=100", nil, 200).decode(t, &failed)
		for _, d := range failed.Items {
			if d.Event == "demand.closed" {
				dl = d
				return true
			}
		}
		return false
	})
	if dl.Attempts != 1 {
		t.Errorf("failed delivery %+v, want one attempt (max_attempts 1)", dl)
	}
	// Nothing else is on its way when the receiver starts holding calls.
	eventually(t, "no delivery pending", func() bool {
		var pending struct{ Total int }
		s.mustDo("GET", "/v1/webhooks/deliveries?status=pending", nil, 200).decode(t, &pending)
		return pending.Total == 0
	})
	if r := s.do("GET", "/v1/webhooks/deliveries?status=lost", nil, adminKey); r.Status != 400 {
		t.Errorf("status=lost: %d, want 400", r.Status)
	}

	// Redelivered while the receiver holds the call: pending until it answers, and a second
	// redelivery meanwhile is refused.
	hook.mu.Lock()
	hook.failing = false
	hook.hold, hook.entered = make(chan struct{}), make(chan struct{}, 1)
	hook.mu.Unlock()
	path := fmt.Sprintf("/v1/webhooks/deliveries/%d/redeliver", dl.ID)
	var again delivery
	s.mustDo("POST", path, nil, 200).decode(t, &again)
	if again.Status != "pending" {
		t.Errorf("redelivered: %+v, want pending", again)
	}
	<-hook.entered
	if r := s.do("POST", path, nil, adminKey); r.Status != 409 || !strings.Contains(string(r.Body), "正在等待") {
		t.Errorf("redeliver a pending delivery: %d %s, want 409", r.Status, r.Body)
	}
	hook.mu.Lock()
	close(hook.hold)
	hook.hold = nil
	hook.mu.Unlock()
	waitCall(t, hook, "/js", "demand.closed", 2, &al)
	var log struct{ Items []delivery }
	eventually(t, "redelivered", func() bool {
		s.mustDo("GET", "/v1/webhooks/deliveries?agent_id=js&status=delivered&size=100", nil, 200).decode(t, &log)
		for _, d := range log.Items {
			if d.ID == dl.ID {
				return d.Attempts == 2
			}
		}
		return false
	})
	s.mustDo("GET", "/v1/audit?kind=webhooks", nil, 200).decode(t, &audit)
	if len(audit.Items) != 1 || audit.Items[0].Action != "redeliver" || audit.Items[0].Actor != "admin" {
		t.Errorf("audit of redeliveries %+v", audit.Items)
	}
	for _, c := range []struct {
		path   string
		key    string
		status int
	}{
		{"/v1/webhooks/deliveries/99999/redeliver", adminKey, 404},
		{"/v1/webhooks/deliveries/x/redeliver", adminKey, 400},
		{path, agentKey, 403},
	} {
		if r := s.do("POST", c.path, nil, c.key); r.Status != c.status {
			t.Errorf("POST %s: %d %s, want %d", c.path, r.Status, r.Body, c.status)
		}
	}
	if a, b := len(hook.of("/js", "challenge.taken")), len(hook.of("/cover", "challenge.taken")); a != 1 || b != 1 {
		t.Errorf("js heard of %d takeups and cover of %d, want one each", a, b)
	}
}
