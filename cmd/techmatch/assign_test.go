package main_test

import (
	"net/http/httptest"
	"strings"
	"testing"
)

// TestStaffAssignsAndNewAgentsAdopt: open demands no agent covered reach an agent as soon as
// one covering them is saved, up to its capacity, with its webhook; staff hand demands over one
// at a time or in bulk, to an agent or to nobody, each move written in the entries' history and
// the audit log; bad requests are 400s and an unknown agent a 404.
func TestStaffAssignsAndNewAgentsAdopt(t *testing.T) {
	rc := &receiver{}
	hook := httptest.NewServer(rc)
	defer hook.Close()
	s := startServer(t, "", nil, worklistEnv...)
	s.mustDo("PUT", "/v1/profiles/default", map[string]any{"params": map[string]any{"list_threshold": 0.3}, "note": "test"}, 200)
	s.mustDo("POST", "/v1/achievements", battery("a-1", "硫化物固态电解质公斤级制备技术", 6, 40, 60), 201)
	s.mustDo("POST", "/v1/demands", batteryDemand("d-nj", "320100"), 201)
	s.mustDo("POST", "/v1/demands", batteryDemand("d-nx", "640100"), 201)
	s.mustDo("POST", "/v1/demands", batteryDemand("d-sz", "320500"), 201)
	for _, d := range []string{"d-nj", "d-nx", "d-sz"} {
		if es := entriesOf(t, s, d, 1); es[0].AgentID != "" {
			t.Fatalf("%s assigned to %q with no agents", d, es[0].AgentID)
		}
	}
	agentOf := func(d string) string {
		t.Helper()
		es := entriesOf(t, s, d, 1)
		for _, e := range es[1:] {
			if e.AgentID != es[0].AgentID {
				t.Errorf("%s's entries are split between %q and %q", d, es[0].AgentID, e.AgentID)
			}
		}
		return es[0].AgentID
	}

	// A new agent takes what it covers at once, up to its capacity: the oldest first.
	s.mustDo("POST", "/v1/agents", map[string]any{"id": "js", "name": "江苏经纪人", "regions": []string{"江苏"}, "capacity": 1, "webhook_url": hook.URL}, 201)
	if a, b := agentOf("d-nj"), agentOf("d-sz"); a != "js" || b != "" {
		t.Errorf("after saving js (capacity 1): d-nj → %q, d-sz → %q; want js and nobody", a, b)
	}
	if agentOf("d-nx") != "" {
		t.Error("js took a Ningxia demand")
	}
	eventually(t, "js's webhook", func() bool {
		bodies, _, _ := rc.received()
		return len(bodies) == 1 && strings.Contains(string(bodies[0]), `"demand_id":"d-nj"`)
	})
	s.mustDo("POST", "/v1/agents", map[string]any{"id": "nx", "name": "宁夏经纪人", "regions": []string{"宁夏"}, "capacity": 5}, 201)
	if agentOf("d-nx") != "nx" {
		t.Error("nx did not take the Ningxia demand")
	}

	// Staff decide beyond regions and capacity.
	var ans struct {
		Results []struct {
			DemandID string `json:"demand_id"`
			Moved    int
			Error    string
		}
	}
	s.mustDo("POST", "/v1/assignments", map[string]any{"demand_ids": []string{"d-nj", "d-sz", "d-nx", "nope"}, "agent_id": "nx"}, 200).decode(t, &ans)
	if len(ans.Results) != 4 || ans.Results[0].Moved == 0 || ans.Results[1].Moved == 0 || ans.Results[2].Moved != 0 || ans.Results[3].Error == "" {
		t.Errorf("bulk assignment = %+v; want d-nj and d-sz moved, d-nx already there, nope not found", ans.Results)
	}
	for _, d := range []string{"d-nj", "d-sz", "d-nx"} {
		if a := agentOf(d); a != "nx" {
			t.Errorf("%s → %q after the bulk assignment, want nx", d, a)
		}
	}
	es := entriesOf(t, s, "d-nj", 1)
	if h := es[0].History; len(h) < 2 || h[len(h)-1].By != "admin" {
		t.Errorf("d-nj's history after the move = %+v, want a step by admin", h)
	}
	s.mustDo("POST", "/v1/demands/d-nj/assign", map[string]any{"agent_id": ""}, 200)
	if a := agentOf("d-nj"); a != "" {
		t.Errorf("d-nj → %q after unassigning", a)
	}
	if log := auditLog(t, s, "kind=demands&id=d-nj"); len(log) == 0 || log[0].Action != "assign" || !strings.Contains(log[0].Detail, "nobody") {
		t.Errorf("d-nj's audit log = %+v, want the unassignment on top", log)
	}

	for _, c := range []struct {
		path string
		body map[string]any
		want int
	}{
		{"/v1/demands/d-nj/assign", map[string]any{"agent_id": "ghost"}, 404},
		{"/v1/demands/nope/assign", map[string]any{"agent_id": "nx"}, 404},
		{"/v1/demands/d-nj/assign", map[string]any{"agent_id": "nx", "demand_ids": []string{"d-sz"}}, 400},
		{"/v1/assignments", map[string]any{"agent_id": "nx"}, 400},
		{"/v1/assignments", map[string]any{"agent_id": "nx", "demand_ids": []string{".."}}, 400},
	} {
		if r := s.do("POST", c.path, c.body, adminKey); r.Status != c.want {
			t.Errorf("POST %s %v: %d %s, want %d", c.path, c.body, r.Status, r.Body, c.want)
		}
	}
}
