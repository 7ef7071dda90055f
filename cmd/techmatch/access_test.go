package main_test

import (
	"encoding/json"
	"sort"
	"strings"
	"testing"
)

// keyFor makes an API key through the API, as staff would.
func keyFor(t *testing.T, s *server, role, subject string) string {
	t.Helper()
	r := s.do("POST", "/v1/keys", map[string]string{"role": role, "subject": subject}, adminKey)
	if r.Status != 201 {
		t.Fatalf("POST /v1/keys %s %s: %d %s", role, subject, r.Status, r.Body)
	}
	var k struct{ ID, Key, Role, Subject string }
	r.decode(t, &k)
	if k.ID == "" || len(k.Key) < 40 || k.Role != role || k.Subject != subject {
		t.Fatalf("new key %+v", k)
	}
	return k.Key
}

// access is what a role gets from a route: let through (any answer but 401 and 403, never a
// 5xx), 401 (a key is needed) or 403 (the key's role may not).
type access byte

const (
	allow access = 'A'
	need  access = '1'
	deny  access = '3'
)

// TestRouteRoleTable calls every route of the OpenAPI document with each role. A route that is
// not in the table below fails the test, so a new route cannot ship without a decision.
func TestRouteRoleTable(t *testing.T) {
	s := startServer(t, "", nil, "TECHMATCH_WEBHOOK_SECRET=route-test")
	ent := keyFor(t, s, "enterprise", "甲公司")
	agent := keyFor(t, s, "agent", "agent-1")
	seedAccessFixtures(t, s)

	// Columns: anonymous, enterprise, agent, admin.
	want := map[string]string{
		"GET /healthz": "AAAA", "GET /readyz": "AAAA", "GET /metrics": "AAAA", "GET /openapi.json": "AAAA",
		"GET /v1/me": "AAAA", "GET /v1/search": "AAAA",
		"POST /v1/match":               "1AAA",
		"GET /v1/demands/{id}/matches": "1AAA",

		"GET /v1/profiles": "AAAA", "GET /v1/profiles/{name}": "AAAA", "GET /v1/profiles/{name}/versions": "AAAA",
		"POST /v1/profiles/preview": "133A", "PUT /v1/profiles/{name}": "133A", "POST /v1/profiles/{name}/rollback": "133A",

		"POST /v1/keys": "133A", "GET /v1/keys": "133A", "DELETE /v1/keys/{id}": "133A",

		"POST /v1/agents": "133A", "GET /v1/agents": "133A", "PUT /v1/agents/{id}": "133A", "DELETE /v1/agents/{id}": "133A",
		"GET /v1/agents/{id}": "13AA", "GET /v1/agents/{id}/matches": "13AA",
		"GET /v1/matches": "133A", "GET /v1/matches/{id}": "13AA", "PATCH /v1/matches/{id}": "13AA",
		"GET /v1/webhooks/deliveries": "133A", "GET /v1/stats": "133A", "GET /v1/audit": "133A",
		"POST /v1/assignments": "133A", "POST /v1/demands/{id}/assign": "133A",
		"POST /v1/webhooks/deliveries/{id}/redeliver": "133A",
		"POST /v1/demands/{id}/takeups":               "13AA", "GET /v1/demands/{id}/takeups": "1AAA",
	}
	for _, k := range []string{"achievements", "patents", "experts"} {
		p := "/v1/" + k
		for route, w := range map[string]string{
			"POST " + p: "133A", "GET " + p: "AAAA", "POST " + p + "/import": "133A",
			"GET " + p + "/{id}": "AAAA", "PUT " + p + "/{id}": "133A", "DELETE " + p + "/{id}": "133A",
			"GET " + p + "/{id}/demands": "13AA",
		} {
			want[route] = w
		}
	}
	for route, w := range map[string]string{
		"POST /v1/demands": "1A3A", "GET /v1/demands": "1AAA", "POST /v1/demands/import": "133A",
		"GET /v1/demands/{id}": "1AAA", "PUT /v1/demands/{id}": "1A3A", "DELETE /v1/demands/{id}": "1A3A",
	} {
		want[route] = w
	}

	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	s.do("GET", "/openapi.json", nil, "").decode(t, &doc)
	var routes []string
	for path, ops := range doc.Paths {
		for method := range ops {
			routes = append(routes, strings.ToUpper(method)+" "+path)
		}
	}
	sort.Strings(routes)
	if len(routes) < 40 {
		t.Fatalf("only %d routes in the OpenAPI document", len(routes))
	}
	keys := []string{"", ent, agent, adminKey}
	for _, route := range routes {
		w, ok := want[route]
		if !ok {
			t.Errorf("%s: no row in the route × role table; decide who may call it", route)
			continue
		}
		method, path, _ := strings.Cut(route, " ")
		path = fillPath(method, path)
		for i, key := range keys {
			r := s.do(method, path+accessQuery(path), accessBody(method, path), key)
			got := allow
			switch r.Status {
			case 401:
				got = need
			case 403:
				got = deny
			}
			if got != access(w[i]) || r.Status >= 500 {
				t.Errorf("%s as %s: %d %s; want %c", route, []string{"anonymous", "enterprise", "agent", "admin"}[i], r.Status, r.Body, w[i])
			}
		}
	}
}

// seedAccessFixtures writes one record of each kind; demand dem-a belongs to the enterprise key's 甲公司.
func seedAccessFixtures(t *testing.T, s *server) {
	t.Helper()
	contact := map[string]string{"name": "张老师", "phone": "13812345678", "email": "zhang@nju.edu.cn"}
	for _, w := range []struct {
		path string
		body map[string]any
		key  string
	}{
		{"/v1/achievements", map[string]any{"id": "ach-1", "title": "高镍三元正极材料", "summary": "锂电池正极", "contact": contact}, adminKey},
		{"/v1/patents", map[string]any{"id": "pat-1", "title": "一种锂电池隔膜", "contact": contact}, adminKey},
		{"/v1/experts", map[string]any{"id": "exp-1", "title": "李四", "summary": "锂电池材料", "contact": contact}, adminKey},
		{"/v1/demands", map[string]any{"id": "dem-a", "title": "锂电池正极材料技术需求", "enterprise": "甲公司", "contact": contact}, adminKey},
		{"/v1/demands", map[string]any{"id": "dem-b", "title": "锂电池回收技术需求", "enterprise": "乙公司", "contact": contact}, adminKey},
		{"/v1/agents", map[string]any{"id": "agent-1", "name": "王经纪", "capacity": 10}, adminKey},
	} {
		if r := s.do("POST", w.path, w.body, w.key); r.Status != 201 && r.Status != 200 {
			t.Fatalf("POST %s: %d %s", w.path, r.Status, r.Body)
		}
	}
}

// fillPath puts fixture ids into a route's path parameters. Deletes name ids that do not
// exist, so that the table can run in any order.
func fillPath(method, path string) string {
	parts := strings.Split(path, "/")
	id := map[string]string{"achievements": "ach-1", "patents": "pat-1", "experts": "exp-1", "demands": "dem-a", "agents": "agent-1"}[parts[min(2, len(parts)-1)]]
	if id == "" || method == "DELETE" {
		id = "no-such-id"
	}
	return strings.NewReplacer("{id}", id, "{name}", "default").Replace(path)
}

func accessQuery(path string) string {
	switch {
	case strings.HasSuffix(path, "/rollback"):
		return "?version=1"
	case path == "/v1/search":
		return "?q=锂电池"
	}
	return ""
}

// accessBody is a body each write route accepts or rejects as invalid: either way, past the gate.
func accessBody(method, path string) any {
	switch {
	case method == "GET" || method == "DELETE":
		return nil
	case strings.HasSuffix(path, "/import"):
		return "{\"title\":\"x\"}\n"
	case path == "/v1/match":
		return map[string]any{"title": "锂电池正极材料"}
	}
	return map[string]any{}
}
