package main_test

import (
	"strings"
	"testing"
)

// TestDeletedOrClosedDemandWithdrawsItsEntries: when an enterprise deletes a demand, or staff
// close one, its open entries become withdrawn on the agent's own list, in the same write; no
// one can move them any more (409 naming the status), and only the system may set the status.
// Signed and rejected entries keep what happened. A closed demand opened again gets its
// withdrawn pairs back as new.
func TestDeletedOrClosedDemandWithdrawsItsEntries(t *testing.T) {
	s := startServer(t, "", nil, worklistEnv...)
	s.mustDo("PUT", "/v1/profiles/default", map[string]any{"params": map[string]any{"list_threshold": 0.3}, "note": "test"}, 200)
	s.mustDo("POST", "/v1/agents", map[string]any{"id": "all", "name": "全省", "capacity": 10}, 201)
	agentKey := keyFor(t, s, "agent", "all")
	entKey := keyFor(t, s, "enterprise", "测试新能源有限公司")
	for i, title := range []string{"硫化物固态电解质制备技术", "氧化物固态电解质薄膜技术", "聚合物固态电解质电池技术"} {
		s.mustDo("POST", "/v1/achievements", battery("a-"+string(rune('1'+i)), title, 6, 40, 60), 201)
	}
	// An enterprise files a demand without an id: the server makes one.
	filed := batteryDemand("", "320100")
	delete(filed, "id")
	r := s.do("POST", "/v1/demands", filed, entKey)
	var made struct{ ID string }
	r.decode(t, &made)
	if r.Status != 201 || made.ID == "" {
		t.Fatalf("enterprise POST demand: %d %s", r.Status, r.Body)
	}
	dDel := made.ID
	s.mustDo("POST", "/v1/demands", batteryDemand("d-close", "320100"), 201)
	del := entriesOf(t, s, dDel, 3)
	closing := entriesOf(t, s, "d-close", 3)

	as := func(key string, method, path string, body any, want int) response {
		t.Helper()
		r := s.do(method, path, body, key)
		if r.Status != want {
			t.Fatalf("%s %s: %d, want %d: %s", method, path, r.Status, want, r.Body)
		}
		return r
	}
	as(agentKey, "PATCH", "/v1/matches/"+del[0].ID, map[string]any{"status": "contacted"}, 200)
	as(agentKey, "PATCH", "/v1/matches/"+del[1].ID, map[string]any{"status": "rejected", "reason": "price"}, 200)
	as(agentKey, "PATCH", "/v1/matches/"+closing[0].ID, map[string]any{"status": "contacted"}, 200)

	as(entKey, "DELETE", "/v1/demands/"+dDel, nil, 204)
	closed := batteryDemand("d-close", "320100")
	closed["status"] = "closed"
	s.mustDo("PUT", "/v1/demands/d-close", closed, 200)

	// The agent's own list shows them withdrawn at once: the delete and the close did it.
	var p entryPage
	as(agentKey, "GET", "/v1/agents/all/matches?size=100", nil, 200).decode(t, &p)
	got := map[string]string{}
	for _, e := range p.Items {
		got[e.ID] = e.Status
	}
	want := map[string]string{
		del[0].ID: "withdrawn", del[1].ID: "rejected", del[2].ID: "withdrawn",
		closing[0].ID: "withdrawn", closing[1].ID: "withdrawn", closing[2].ID: "withdrawn",
	}
	for id, st := range want {
		if got[id] != st {
			t.Errorf("entry %s is %q on the agent's list, want %q", id, got[id], st)
		}
	}
	as(agentKey, "GET", "/v1/agents/all/matches?status=withdrawn", nil, 200).decode(t, &p)
	if p.Total != 5 {
		t.Errorf("status=withdrawn lists %d entries, want 5", p.Total)
	}
	var e entry
	as(agentKey, "GET", "/v1/matches/"+del[0].ID, nil, 200).decode(t, &e)
	last := e.History[len(e.History)-1]
	if last.From != "contacted" || last.To != "withdrawn" || last.By == "" {
		t.Errorf("last history step %+v, want contacted → withdrawn by someone", last)
	}

	for _, body := range []map[string]any{{"status": "negotiating"}, {"status": "rejected", "reason": "other"}, {"status": "contacted"}} {
		r := s.do("PATCH", "/v1/matches/"+del[0].ID, body, agentKey)
		if r.Status != 409 || !strings.Contains(string(r.Body), "已撤回") {
			t.Errorf("PATCH %v on a withdrawn entry: %d %s, want 409 naming withdrawn", body, r.Status, r.Body)
		}
	}
	r = s.do("PATCH", "/v1/matches/"+del[2].ID, map[string]any{"status": "new"}, adminKey)
	if r.Status != 409 {
		t.Errorf("staff PATCH new on a withdrawn entry: %d %s, want 409", r.Status, r.Body)
	}
	r = s.do("PATCH", "/v1/matches/"+closing[1].ID, map[string]any{"status": "withdrawn"}, agentKey)
	if _, f := r.errorField(t); r.Status != 400 || f != "status" {
		t.Errorf("PATCH status withdrawn: %d field %q, want 400 status: %s", r.Status, f, r.Body)
	}
	as(agentKey, "PATCH", "/v1/matches/"+del[0].ID, map[string]any{"note": "企业撤回了需求"}, 200)

	// Opened again, the closed demand's pairs come back as new, for an agent to take up.
	s.mustDo("PUT", "/v1/demands/d-close", batteryDemand("d-close", "320100"), 200)
	eventually(t, "d-close entries back to new", func() bool {
		for _, e := range entriesOf(t, s, "d-close", 3) {
			if e.Status != "new" || e.AgentID != "all" {
				return false
			}
		}
		return true
	})
	for _, e := range entriesOf(t, s, dDel, 3) {
		if e.Status != want[e.ID] {
			t.Errorf("deleted demand's entry %s is %q, want %q", e.ID, e.Status, want[e.ID])
		}
	}
}
