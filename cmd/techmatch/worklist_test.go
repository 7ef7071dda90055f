package main_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/techmatch/techmatch/internal/domain"
	"github.com/techmatch/techmatch/internal/store"
	"github.com/techmatch/techmatch/internal/testredis"
)

const webhookSecret = "test-webhook-secret"

// worklistEnv is the environment of the worklist tests: a known webhook secret, fast retries,
// receivers on loopback allowed, no rate limit (the tests poll).
var worklistEnv = []string{
	"TECHMATCH_WEBHOOK_SECRET=" + webhookSecret,
	"TECHMATCH_WEBHOOK_BACKOFF=50ms",
	"TECHMATCH_WEBHOOK_ALLOW_PRIVATE=true",
	"TECHMATCH_LIMITS_RATE_PER_SECOND=0",
}

type entry struct {
	ID         string             `json:"id"`
	DemandID   string             `json:"demand_id"`
	SupplyKind string             `json:"supply_kind"`
	SupplyID   string             `json:"supply_id"`
	Score      float64            `json:"score"`
	Components map[string]float64 `json:"components"`
	Reasons    []string           `json:"reasons"`
	Profile    string             `json:"profile"`
	AgentID    string             `json:"agent_id"`
	Status     string             `json:"status"`
	Reason     string             `json:"reason"`
	DealAmount *float64           `json:"deal_amount"`
	History    []struct {
		By, From, To, Reason string
	} `json:"history"`
}

type entryPage struct {
	Total int     `json:"total"`
	Items []entry `json:"items"`
}

func (s *server) mustDo(method, path string, body any, want int) response {
	s.t.Helper()
	r := s.do(method, path, body, adminKey)
	if r.Status != want {
		s.t.Fatalf("%s %s: status %d, want %d: %s", method, path, r.Status, want, r.Body)
	}
	return r
}

// entriesOf waits until the demand has at least n entries and returns them.
func entriesOf(t *testing.T, s *server, demandID string, n int) []entry {
	t.Helper()
	var p entryPage
	eventually(t, "entries of "+demandID, func() bool {
		s.mustDo("GET", "/v1/matches?size=100&demand_id="+demandID, nil, 200).decode(t, &p)
		return len(p.Items) >= n
	})
	return p.Items
}

// batteryDemand is a demand every battery achievement below matches well.
func batteryDemand(id, region string) map[string]any {
	return map[string]any{
		"id": id, "title": "高安全性锂离子电池固态电解质技术", "description": "需要高安全性锂离子电池固态电解质及制备工艺，用于动力电池",
		"keywords": []string{"固态电解质", "锂离子电池", "电池安全"}, "fields": []string{"新材料/电池材料"},
		"region": region, "enterprise": "测试新能源有限公司", "min_trl": 3, "budget": map[string]any{"max": 200},
		"accept_modes": []string{"license", "transfer"},
	}
}

func battery(id, title string, trl int, priceMin, priceMax float64) map[string]any {
	return map[string]any{
		"id": id, "title": title,
		"summary":  title + "：针对锂离子电池有机电解液易燃、热失控风险高的问题，开发硫化物固态电解质，室温离子电导率高，适用于高安全动力电池与储能电池。",
		"keywords": []string{"固态电解质", "锂离子电池", "电池安全"}, "fields": []string{"新材料/电池材料"},
		"region": "320100", "org": "金陵理工大学", "org_type": "university", "trl": trl,
		"transfer_modes": []string{"license", "transfer"}, "price": map[string]any{"min": priceMin, "max": priceMax},
	}
}

// receiver is a webhook endpoint that fails the first failFirst calls.
type receiver struct {
	mu        sync.Mutex
	failFirst int
	calls     int
	bodies    [][]byte
	sigs      []string
	stamps    []string
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.calls++
	if rc.calls <= rc.failFirst {
		http.Error(w, "try later", http.StatusServiceUnavailable)
		return
	}
	rc.bodies = append(rc.bodies, body)
	rc.sigs = append(rc.sigs, r.Header.Get("X-Techmatch-Signature"))
	rc.stamps = append(rc.stamps, r.Header.Get("X-Techmatch-Timestamp"))
	w.WriteHeader(http.StatusNoContent)
}

func (rc *receiver) received() ([][]byte, []string, int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([][]byte(nil), rc.bodies...), append([]string(nil), rc.sigs...), rc.calls
}

// checkSignature checks call i as a receiver should (README, "Webhooks"): the HMAC-SHA256 of
// timestamp "." body, and a timestamp within 5 minutes.
func (rc *receiver) checkSignature(t *testing.T, i int) {
	t.Helper()
	rc.mu.Lock()
	body, sig, ts := rc.bodies[i], rc.sigs[i], rc.stamps[i]
	rc.mu.Unlock()
	m := hmac.New(sha256.New, []byte(webhookSecret))
	m.Write([]byte(ts + "."))
	m.Write(body)
	if want := "sha256=" + hex.EncodeToString(m.Sum(nil)); sig != want {
		t.Errorf("webhook %d signature %q, want %q (timestamp %q)", i, sig, want, ts)
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if age := time.Since(time.Unix(sec, 0)); err != nil || age > 5*time.Minute || age < -5*time.Minute {
		t.Errorf("webhook %d timestamp %q: %v, %s old", i, ts, err, age)
	}
}

// TestWebhookURLsAtInternalAddressesAreRefused: without webhook.allow_private an agent's
// webhook URL may not point at the server's own network; the answer names the field and says
// how to allow it.
func TestWebhookURLsAtInternalAddressesAreRefused(t *testing.T) {
	s := startServer(t, "", nil, "TECHMATCH_LIMITS_RATE_PER_SECOND=0")
	for _, u := range []string{"http://127.0.0.1:6379/", "http://localhost:8080/hook", "http://169.254.169.254/latest/meta-data/", "http://[::1]/", "http://10.0.0.5/hook"} {
		r := s.do("POST", "/v1/agents", map[string]any{"id": "x", "name": "n", "webhook_url": u}, adminKey)
		if code, field := r.errorField(t); r.Status != 400 || code != "invalid_argument" || field != "webhook_url" || !strings.Contains(string(r.Body), "webhook.allow_private") {
			t.Errorf("webhook_url %s: %d %s field %q %s, want 400 on webhook_url naming webhook.allow_private", u, r.Status, code, field, r.Body)
		}
	}
	s.mustDo("POST", "/v1/agents", map[string]any{"id": "x", "name": "n", "webhook_url": "https://hooks.example.com/techmatch"}, 201)
}

func TestAssignmentByRegionAndCapacityWithSignedWebhooks(t *testing.T) {
	rs := testredis.Start(t)
	rc := &receiver{failFirst: 2}
	hook := httptest.NewServer(rc)
	defer hook.Close()
	s := startServer(t, "", nil, append(worklistEnv, "TECHMATCH_REDIS_URL="+rs.URL())...)
	s.mustDo("PUT", "/v1/profiles/default", map[string]any{"params": map[string]any{"list_threshold": 0.3}, "note": "test"}, 200)

	for _, a := range []map[string]any{
		{"id": "js", "name": "江苏经纪人", "regions": []string{"32"}, "capacity": 2, "webhook_url": hook.URL + "/js"},
		{"id": "nj", "name": "南京经纪人", "regions": []string{"3201"}, "capacity": 1},
		{"id": "xm", "name": "厦门经纪人", "regions": []string{"3502"}, "fields": []string{"新材料"}, "capacity": 5},
	} {
		s.mustDo("POST", "/v1/agents", a, 201)
	}
	for _, bad := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"id": "x", "name": "", "capacity": 1}, "name"},
		{map[string]any{"id": "x", "name": "n", "capacity": -1}, "capacity"},
		{map[string]any{"id": "x", "name": "n", "regions": []string{"火星"}}, "regions"},
		{map[string]any{"id": "x", "name": "n", "webhook_url": "ftp://x"}, "webhook_url"},
		{map[string]any{"id": "x y", "name": "n"}, "id"},
	} {
		r := s.do("POST", "/v1/agents", bad.body, adminKey)
		if code, field := r.errorField(t); r.Status != 400 || code != "invalid_argument" || field != bad.field {
			t.Errorf("agent %v: %d %s field %q, want 400 field %q", bad.body, r.Status, code, field, bad.field)
		}
	}
	s.mustDo("POST", "/v1/achievements", battery("a-1", "硫化物固态电解质公斤级制备技术", 6, 40, 60), 201)

	// Each demand is listed before the next is written, so the loads are known when it is assigned:
	// js has the most room (2), then js and nj tie at 1 (the smaller id wins), then only nj has room.
	want := []struct{ demand, region, agent string }{
		{"d-1", "320100", "js"},
		{"d-2", "320100", "js"},
		{"d-3", "320100", "nj"},
		{"d-4", "320100", ""}, // everyone covering Nanjing is full
		{"d-5", "350200", "xm"},
		{"d-6", "640100", ""}, // nobody covers Yinchuan
	}
	for _, w := range want {
		s.mustDo("POST", "/v1/demands", batteryDemand(w.demand, w.region), 201)
		es := entriesOf(t, s, w.demand, 1)
		if es[0].AgentID != w.agent || es[0].Status != "new" || es[0].Profile != "default" || len(es[0].Reasons) == 0 {
			t.Errorf("%s (%s): entry %+v, want agent %q, status new, reasons", w.demand, w.region, es[0], w.agent)
		}
	}

	// Re-matching refreshes and never duplicates.
	s.mustDo("PUT", "/v1/demands/d-1", batteryDemand("d-1", "320100"), 200)
	// A short summary: reverse matching takes the supply text as the query, and a demand must
	// cover enough of it to pass the text floor.
	a2 := battery("a-2", "高安全性锂离子电池氧化物固态电解质技术", 7, 20, 30)
	a2["summary"] = "用于动力电池的高安全性固态电解质及制备工艺"
	s.mustDo("POST", "/v1/achievements", a2, 201)
	es := entriesOf(t, s, "d-1", 2)
	entriesOf(t, s, "d-2", 2)
	if len(es) != 2 {
		t.Errorf("d-1 has %d entries after a re-match and a new supply item, want 2: %+v", len(es), es)
	}
	var page entryPage
	s.mustDo("GET", "/v1/agents/js/matches?status=new", nil, 200).decode(t, &page)
	if page.Total != 4 { // d-1 and d-2, each with a-1 and a-2
		t.Errorf("js has %d new entries, want 4", page.Total)
	}

	// The webhook: signed, retried after the receiver's two failures, logged for staff.
	eventually(t, "webhooks delivered", func() bool { b, _, _ := rc.received(); return len(b) >= 3 })
	bodies, _, calls := rc.received()
	for i, b := range bodies {
		rc.checkSignature(t, i)
		var al struct {
			Event, AgentID, DemandID string `json:",omitempty"`
			Entries                  []struct{ ID string }
		}
		if err := json.Unmarshal(b, &al); err != nil || al.Event != "matches.assigned" || len(al.Entries) == 0 {
			t.Errorf("webhook %d body %s: %v", i, b, err)
		}
	}
	if calls < 5 {
		t.Errorf("receiver saw %d calls, want ≥ 5 (2 failures, then 3 deliveries)", calls)
	}
	var log struct {
		Total int
		Items []struct {
			AgentID  string `json:"agent_id"`
			Status   string
			Attempts int
			LastCode int `json:"last_code"`
		}
	}
	s.mustDo("GET", "/v1/webhooks/deliveries?agent_id=js", nil, 200).decode(t, &log)
	first := log.Items[len(log.Items)-1]
	if log.Total < 3 || first.Status != "delivered" || first.Attempts != 3 || first.LastCode != 204 {
		t.Errorf("delivery log %+v: want the first delivered at the 3rd attempt", log)
	}

	// Agents see their own list only; the routes need a key.
	if r := s.do("GET", "/v1/agents/js/matches", nil, ""); r.Status != 401 {
		t.Errorf("anonymous list: %d, want 401", r.Status)
	}
	if r := s.do("GET", "/v1/stats", nil, ""); r.Status != 401 {
		t.Errorf("anonymous stats: %d, want 401", r.Status)
	}
}

func TestWorklistSurvivesRestart(t *testing.T) {
	s := startServer(t, "", nil, worklistEnv...)
	s.mustDo("PUT", "/v1/profiles/default", map[string]any{"params": map[string]any{"list_threshold": 0.3}, "note": "test"}, 200)
	s.mustDo("POST", "/v1/agents", map[string]any{"id": "all", "name": "全省", "capacity": 10}, 201)
	s.mustDo("POST", "/v1/achievements", battery("a-1", "硫化物固态电解质公斤级制备技术", 6, 40, 60), 201)
	s.stop()

	// Written straight into the store while the server is down: only the outbox tells of it.
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(s.DataDir, "techmatch.db"))
	if err != nil {
		t.Fatal(err)
	}
	line, _ := json.Marshal(batteryDemand("d-offline", "320100"))
	rec, err := domain.DecodeRecord(domain.Demands, line)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Put(ctx, rec); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	s.start()
	es := entriesOf(t, s, "d-offline", 1)
	if es[0].AgentID != "all" {
		t.Errorf("entry %+v, want agent all", es[0])
	}
}

// patch changes an entry and returns the answer.
func patch(s *server, id string, body map[string]any) response {
	return s.do("PATCH", "/v1/matches/"+id, body, adminKey)
}

func TestWorkflowTransitions(t *testing.T) {
	s := startServer(t, "", nil, worklistEnv...)
	s.mustDo("PUT", "/v1/profiles/default", map[string]any{"params": map[string]any{"list_threshold": 0.3}, "note": "test"}, 200)
	s.mustDo("POST", "/v1/agents", map[string]any{"id": "all", "name": "全省", "capacity": 10}, 201)
	for i := range 5 {
		s.mustDo("POST", "/v1/achievements", battery(fmt.Sprintf("a-%d", i), fmt.Sprintf("固态电解质制备技术 %d 型", i), 6, 40, 60), 201)
	}
	s.mustDo("POST", "/v1/demands", batteryDemand("d-1", "320100"), 201)
	es := entriesOf(t, s, "d-1", 5)

	deal := 120.0
	steps := []struct {
		name   string
		entry  int
		body   map[string]any
		status int
		field  string
	}{
		{"new to negotiating skips a step", 0, map[string]any{"status": "negotiating"}, 409, ""},
		{"new to signed skips steps", 0, map[string]any{"status": "signed", "deal_amount": deal}, 409, ""},
		{"unknown status", 0, map[string]any{"status": "won"}, 400, "status"},
		{"new to contacted", 0, map[string]any{"status": "contacted", "note": "电话联系了技术负责人"}, 200, ""},
		{"contacted to new goes back", 0, map[string]any{"status": "new"}, 409, ""},
		{"contacted to negotiating", 0, map[string]any{"status": "negotiating"}, 200, ""},
		{"signed without amount", 0, map[string]any{"status": "signed"}, 400, "deal_amount"},
		{"negotiating to signed", 0, map[string]any{"status": "signed", "deal_amount": deal}, 200, ""},
		{"signed is final", 0, map[string]any{"status": "rejected", "reason": "other"}, 409, ""},
		{"a note on a signed entry", 0, map[string]any{"note": "合同已归档"}, 200, ""},
		{"rejected without reason", 1, map[string]any{"status": "rejected"}, 400, "reason"},
		{"rejected with an unknown reason", 1, map[string]any{"status": "rejected", "reason": "boring"}, 400, "reason"},
		{"new to rejected", 1, map[string]any{"status": "rejected", "reason": "mode"}, 200, ""},
		{"rejected is final", 1, map[string]any{"status": "contacted"}, 409, ""},
		{"contacted then rejected", 2, map[string]any{"status": "contacted"}, 200, ""},
		{"contacted to rejected", 2, map[string]any{"status": "rejected", "reason": "already_solved"}, 200, ""},
		{"negotiating then rejected", 3, map[string]any{"status": "contacted"}, 200, ""},
		{"negotiating then rejected 2", 3, map[string]any{"status": "negotiating"}, 200, ""},
		{"negotiating to rejected", 3, map[string]any{"status": "rejected", "reason": "other"}, 200, ""},
		{"deal amount without signing", 4, map[string]any{"status": "contacted", "deal_amount": deal}, 400, "deal_amount"},
	}
	for _, st := range steps {
		r := patch(s, es[st.entry].ID, st.body)
		if r.Status != st.status {
			t.Errorf("%s: %d, want %d: %s", st.name, r.Status, st.status, r.Body)
			continue
		}
		if st.field != "" {
			if _, f := r.errorField(t); f != st.field {
				t.Errorf("%s: field %q, want %q", st.name, f, st.field)
			}
		}
	}
	var e entry
	s.mustDo("GET", "/v1/matches/"+es[0].ID, nil, 200).decode(t, &e)
	var path []string
	for _, h := range e.History {
		path = append(path, h.To)
		if h.By == "" {
			t.Errorf("history step without who: %+v", h)
		}
	}
	if got := strings.Join(path, ">"); got != "new>contacted>negotiating>signed>signed" || e.DealAmount == nil || *e.DealAmount != deal {
		t.Errorf("history %s, deal %v; want new>contacted>negotiating>signed>signed (the note), 120", got, e.DealAmount)
	}
	if by := e.History[1].By; by != "admin" && !strings.HasPrefix(by, "admin") {
		t.Errorf("history records %q as who, want the admin principal", by)
	}
	if r := patch(s, "mle-nope", map[string]any{"status": "contacted"}); r.Status != 404 {
		t.Errorf("unknown entry: %d, want 404", r.Status)
	}
}
