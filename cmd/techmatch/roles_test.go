package main_test

import (
	"strings"
	"testing"
)

// TestEnterpriseSeesOnlyItsOwn: an enterprise key reads, changes, deletes and matches its own
// demands only; other enterprises' demands answer 404 as if they did not exist. Supply contacts
// stay masked for enterprises and anonymous callers; agents and staff see them.
func TestEnterpriseSeesOnlyItsOwn(t *testing.T) {
	s := startServer(t, "", nil, "TECHMATCH_WEBHOOK_SECRET=roles-test")
	a := keyFor(t, s, "enterprise", "甲公司")
	b := keyFor(t, s, "enterprise", "乙公司")
	agent := keyFor(t, s, "agent", "agent-1")
	other := keyFor(t, s, "agent", "agent-2")
	contact := map[string]string{"name": "张老师", "phone": "13812345678", "email": "zhang@nju.edu.cn"}
	if r := s.do("POST", "/v1/achievements", map[string]any{"id": "ach-1", "title": "高镍三元正极材料", "contact": contact}, adminKey); r.Status != 201 {
		t.Fatalf("seed achievement: %d %s", r.Status, r.Body)
	}
	// The body claims another enterprise: the key decides.
	r := s.do("POST", "/v1/demands", map[string]any{"title": "锂电池正极材料", "enterprise": "乙公司", "contact": contact}, a)
	var d struct {
		ID         string
		Enterprise string
		Contact    struct{ Phone string }
	}
	r.decode(t, &d)
	if r.Status != 201 || d.ID == "" || d.Enterprise != "甲公司" || d.Contact.Phone != "13812345678" {
		t.Fatalf("enterprise create: %d %s; want 201, filed under 甲公司, own contact visible", r.Status, r.Body)
	}
	demA := "/v1/demands/" + d.ID
	r = s.do("POST", "/v1/demands", map[string]any{"title": "锂电池回收"}, b)
	var db struct{ ID string }
	r.decode(t, &db)
	if r.Status != 201 {
		t.Fatalf("second enterprise create: %d %s", r.Status, r.Body)
	}
	if r := s.do("POST", "/v1/agents", map[string]any{"id": "agent-1", "name": "王经纪", "capacity": 10}, adminKey); r.Status != 201 && r.Status != 200 {
		t.Fatalf("seed agent: %d %s", r.Status, r.Body)
	}
	eventually(t, "ach-1 searchable", func() bool {
		return strings.Contains(string(s.do("GET", "/v1/search?q=正极材料", nil, adminKey).Body), `"id":"ach-1"`)
	})

	tests := []struct {
		name, method, path string
		body               any
		key                string
		want               int
		wantInBody         string
	}{
		{"owner reads", "GET", demA, nil, a, 200, "13812345678"},
		{"owner matches", "GET", demA + "/matches", nil, a, 200, ""},
		{"other enterprise cannot read", "GET", demA, nil, b, 404, ""},
		{"other enterprise cannot match", "GET", demA + "/matches", nil, b, 404, ""},
		{"other enterprise cannot replace", "PUT", demA, map[string]any{"title": "抢占"}, b, 404, ""},
		{"other enterprise cannot replace by POST", "POST", "/v1/demands", map[string]any{"id": d.ID, "title": "抢占"}, b, 404, ""},
		{"other enterprise cannot delete", "DELETE", demA, nil, b, 404, ""},
		{"list shows own demands only", "GET", "/v1/demands", nil, b, 200, `"total":1`},
		{"agent reads any demand with contacts", "GET", demA, nil, agent, 200, "13812345678"},
		{"agent cannot write demands", "PUT", demA, map[string]any{"title": "改"}, agent, 403, ""},
		{"anonymous cannot read demands", "GET", demA, nil, "", 401, ""},
		{"enterprise sees supply contacts masked", "GET", "/v1/achievements/ach-1", nil, a, 200, "138****5678"},
		{"anonymous sees supply contacts masked", "GET", "/v1/achievements/ach-1", nil, "", 200, "138****5678"},
		{"agent sees supply contacts", "GET", "/v1/achievements/ach-1", nil, agent, 200, "13812345678"},
		{"search masks for anonymous", "GET", "/v1/search?q=正极材料", nil, "", 200, "138****5678"},
		{"enterprise cannot write supply", "PUT", "/v1/achievements/ach-1", map[string]any{"title": "改"}, a, 403, ""},
		{"agent sees own match list", "GET", "/v1/agents/agent-1/matches", nil, agent, 200, ""},
		{"agent cannot see another agent's list", "GET", "/v1/agents/agent-1/matches", nil, other, 403, ""},
		{"owner replaces", "PUT", demA, map[string]any{"title": "锂电池正极材料（修订）"}, a, 200, "甲公司"},
		{"owner deletes", "DELETE", demA, nil, a, 204, ""},
	}
	for _, tt := range tests {
		r := s.do(tt.method, tt.path, tt.body, tt.key)
		if r.Status != tt.want || !strings.Contains(string(r.Body), tt.wantInBody) {
			t.Errorf("%s: %s %s → %d %s; want %d containing %q", tt.name, tt.method, tt.path, r.Status, r.Body, tt.want, tt.wantInBody)
		}
		if tt.want == 404 && strings.Contains(string(r.Body), "甲公司") {
			t.Errorf("%s: a 404 names the owner: %s", tt.name, r.Body)
		}
	}
	if r := s.do("GET", "/v1/demands/"+db.ID, nil, adminKey); r.Status != 200 || !strings.Contains(string(r.Body), `"title":"锂电池回收"`) {
		t.Errorf("dem-b changed: %d %s", r.Status, r.Body)
	}
	s.stop()
	if out, err := runCLI(t, s.DataDir, "check"); err != nil {
		t.Fatalf("check: %v\n%s", err, out)
	}
}

// TestKeysLifecycle: a key is shown once, listed without secrets, and revoking it is immediate.
func TestKeysLifecycle(t *testing.T) {
	s := startServer(t, "", nil)
	bad := []struct {
		body      any
		wantField string
	}{
		{map[string]any{"role": "root", "subject": "x"}, "role"},
		{map[string]any{"subject": "x"}, "role"},
		{map[string]any{"role": "enterprise"}, "subject"},
		{map[string]any{"role": "agent", "subject": "  "}, "subject"},
		{map[string]any{"role": "agent", "subject": "a\u0007b"}, "subject"},
		{map[string]any{"role": "agent", "subject": strings.Repeat("长", 201)}, "subject"},
		{map[string]any{"role": "agent", "subject": "x", "scope": "all"}, "scope"},
		{map[string]any{"role": 7}, "role"},
	}
	for _, tt := range bad {
		r := s.do("POST", "/v1/keys", tt.body, adminKey)
		if r.Status != 400 {
			t.Errorf("POST /v1/keys %v: %d %s; want 400", tt.body, r.Status, r.Body)
			continue
		}
		if _, field := r.errorField(t); field != tt.wantField {
			t.Errorf("POST /v1/keys %v: field %q, want %q", tt.body, field, tt.wantField)
		}
	}

	key := keyFor(t, s, "enterprise", "甲公司")
	if r := s.do("GET", "/v1/me", nil, key); !strings.Contains(string(r.Body), `"role":"enterprise","subject":"甲公司"`) {
		t.Fatalf("/v1/me with the new key: %s", r.Body)
	}
	var list struct {
		Keys []struct{ ID, Role, Subject string } `json:"keys"`
	}
	r := s.do("GET", "/v1/keys", nil, adminKey)
	r.decode(t, &list)
	if len(list.Keys) != 1 || strings.Contains(string(r.Body), key) || strings.Contains(string(r.Body), `"key"`) || strings.Contains(string(r.Body), "hash") {
		t.Fatalf("GET /v1/keys = %s; want one key, no secret", r.Body)
	}
	if r := s.do("DELETE", "/v1/keys/"+list.Keys[0].ID, nil, adminKey); r.Status != 204 {
		t.Fatalf("revoke: %d %s", r.Status, r.Body)
	}
	if r := s.do("GET", "/v1/me", nil, key); r.Status != 401 {
		t.Fatalf("revoked key: %d %s; want 401", r.Status, r.Body)
	}
	if r := s.do("DELETE", "/v1/keys/key-nope", nil, adminKey); r.Status != 404 {
		t.Fatalf("revoke unknown: %d %s; want 404", r.Status, r.Body)
	}
	// Revocation survives a restart: it is in the store, not in memory.
	s.restart()
	if r := s.do("GET", "/v1/me", nil, key); r.Status != 401 {
		t.Fatalf("revoked key after restart: %d; want 401", r.Status)
	}
	if r := s.do("GET", "/v1/me", nil, "tmk_"+strings.Repeat("A", 43)); r.Status != 401 {
		t.Fatalf("made-up key: %d; want 401", r.Status)
	}
}
