package main_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// TestProfileWeightsBounded: a weight must be a number in [0, 1000] and one must be positive.
// Weights whose sum overflows to +Inf made every score 0 (score = Σ wᵢ·fᵢ / Σ wᵢ); such a
// profile is refused by PUT and by preview, naming the weight, and the stored profile stays.
func TestProfileWeightsBounded(t *testing.T) {
	s := startServer(t, "", nil)
	before := s.do("GET", "/v1/profiles/default", nil, adminKey)
	if before.Status != 200 {
		t.Fatalf("get default: %d %s", before.Status, before.Body)
	}
	cases := []struct {
		name, body, field string
	}{
		{"sum overflows", `{"weights":{"text":1e308,"field":1e308}}`, "weights.field"},
		{"one huge weight", `{"weights":{"text":1e300}}`, "weights.text"},
		{"just above the bound", `{"weights":{"region":1000.5}}`, "weights.region"},
		{"negative", `{"weights":{"quality":-0.1}}`, "weights.quality"},
		{"all zero", `{"weights":{"text":0,"field":0,"region":0,"maturity":0,"budget":0,"mode":0,"freshness":0,"quality":0}}`, "weights"},
		{"beyond float64", `{"weights":{"text":1e400}}`, "weights"}, // the decoder names the map, not its key
	}
	for _, c := range cases {
		t.Run("put "+c.name, func(t *testing.T) {
			r := s.do("PUT", "/v1/profiles/default", c.body, adminKey)
			if r.Status != 400 {
				t.Fatalf("%d %s; want 400", r.Status, r.Body)
			}
			if code, field := r.errorField(t); code != "invalid_argument" || field != c.field {
				t.Errorf("code %q field %q, want invalid_argument %q: %s", code, field, c.field, r.Body)
			}
		})
		t.Run("preview "+c.name, func(t *testing.T) {
			r := s.do("POST", "/v1/profiles/preview", `{"candidate":`+c.body+`,"sample":1}`, adminKey)
			if r.Status != 400 {
				t.Fatalf("%d %s; want 400", r.Status, r.Body)
			}
			if _, field := r.errorField(t); field != "candidate."+c.field {
				t.Errorf("field %q, want %q: %s", field, "candidate."+c.field, r.Body)
			}
		})
	}
	if after := s.do("GET", "/v1/profiles/default", nil, adminKey); string(after.Body) != string(before.Body) {
		t.Errorf("a refused change altered the profile:\nbefore %s\nafter  %s", before.Body, after.Body)
	}
	if r := s.do("PUT", "/v1/profiles/bounded", `{"weights":{"text":1000,"field":1000,"region":1000,"maturity":1000,"budget":1000,"mode":1000,"freshness":1000,"quality":1000}}`, adminKey); r.Status != 200 {
		t.Errorf("weights at the bound: %d %s; want 200", r.Status, r.Body)
	}
}

// TestUnaddressableIDsRefused: an id no URL can address (".", "..", which a path resolves
// away, and ids holding "/", "%", "?", "#", spaces or control characters) is refused on every
// path that names one (create, replace, import, agents, profiles) with 400 naming the id; an
// id with surrounding spaces is stored trimmed, under an id that can be addressed.
func TestUnaddressableIDsRefused(t *testing.T) {
	s := startServer(t, "", nil)
	for i, id := range []string{".", "..", "a/b", "../x", "a%2Fb", "a?b", "a#b", "a b", "a\u0000b", "a\tb"} {
		t.Run(fmt.Sprintf("%q", id), func(t *testing.T) {
			body := map[string]any{"id": id, "title": "x"}
			for _, kind := range []string{"achievements", "patents", "experts", "demands"} {
				r := s.do("POST", "/v1/"+kind, body, adminKey)
				if r.Status != 400 {
					t.Fatalf("POST /v1/%s: %d %s; want 400", kind, r.Status, r.Body)
				}
				if code, field := r.errorField(t); code != "invalid_argument" || field != "id" {
					t.Errorf("POST /v1/%s: %q %q, want invalid_argument on id: %s", kind, code, field, r.Body)
				}
			}
			line, _ := json.Marshal(body)
			r := s.do("POST", "/v1/achievements/import", string(line)+"\n"+`{"id":"ok-`+fmt.Sprint(i)+`","title":"y"}`+"\n", adminKey)
			var rep importReport
			r.decode(t, &rep)
			if r.Status != 200 || rep.Accepted != 1 || len(rep.Rejected) != 1 || rep.Rejected[0].Line != 1 || !strings.Contains(rep.Rejected[0].Error, "id") {
				t.Errorf("import: %d %s; want line 1 rejected naming the id, line 2 accepted", r.Status, r.Body)
			}
			if r := s.do("POST", "/v1/agents", map[string]any{"id": id, "name": "x"}, adminKey); r.Status != 400 {
				t.Errorf("POST /v1/agents: %d %s; want 400", r.Status, r.Body)
			} else if _, field := r.errorField(t); field != "id" {
				t.Errorf("POST /v1/agents: field %q, want id", field)
			}
		})
	}
	for _, path := range []string{"/v1/achievements/%2E", "/v1/achievements/%2E%2E", "/v1/demands/%2e%2E", "/v1/agents/%2E%2E", "/v1/achievements/a%20"} {
		t.Run("PUT "+path, func(t *testing.T) {
			body := map[string]any{"title": "x"}
			if strings.HasPrefix(path, "/v1/agents/") {
				body = map[string]any{"name": "x"}
			}
			r := s.do("PUT", path, body, adminKey)
			if r.Status != 400 {
				t.Fatalf("%d %s; want 400", r.Status, r.Body)
			}
			if _, field := r.errorField(t); field != "id" {
				t.Errorf("field %q, want id: %s", field, r.Body)
			}
		})
	}
	if r := s.do("PUT", "/v1/profiles/%2E%2E", `{"weights":{"text":1}}`, adminKey); r.Status != 400 {
		t.Errorf("PUT profile ..: %d %s; want 400", r.Status, r.Body)
	}
	if r := s.do("POST", "/v1/match?profile=..", `{"title":"锂电池"}`, adminKey); r.Status != 400 {
		t.Errorf("match with profile ..: %d %s; want 400", r.Status, r.Body)
	}
	if r := s.do("POST", "/v1/achievements", map[string]any{"id": "  spaced  ", "title": "x"}, adminKey); r.Status != 201 {
		t.Fatalf("id with surrounding spaces: %d %s", r.Status, r.Body)
	}
	if r := s.do("GET", "/v1/achievements/spaced", nil, adminKey); r.Status != 200 {
		t.Errorf("the trimmed id is not addressable: %d %s", r.Status, r.Body)
	}
	var list struct{ Total int }
	s.do("GET", "/v1/achievements?size=100", nil, adminKey).decode(t, &list)
	if want := 1 + 10; list.Total != want { // the import's good lines and "spaced"
		t.Errorf("%d achievements stored, want %d", list.Total, want)
	}
}

// TestDemandIDsCannotBeProbed: an enterprise writing, reading, matching or deleting a demand id
// it has not filed gets the same answer whether another enterprise filed it or no demand has
// it: the read path's 404, word for word but the id. So trying ids tells it nothing. It creates
// demands without an id (the server makes one) and replaces its own by id.
func TestDemandIDsCannotBeProbed(t *testing.T) {
	s := startServer(t, "", nil)
	a := keyFor(t, s, "enterprise", "甲公司")
	b := keyFor(t, s, "enterprise", "乙公司")
	if r := s.do("POST", "/v1/demands", map[string]any{"id": "taken", "title": "锂电池正极材料", "enterprise": "甲公司"}, adminKey); r.Status != 201 {
		t.Fatalf("staff create with an id: %d %s", r.Status, r.Body)
	}
	answer := func(method, id string, body any) (int, string) {
		path := "/v1/demands/" + id
		switch method {
		case "POST":
			path = "/v1/demands"
		case "MATCH":
			method, path = "GET", path+"/matches"
		}
		r := s.do(method, path, body, b)
		return r.Status, strings.ReplaceAll(string(r.Body), id, "<id>")
	}
	for _, method := range []string{"POST", "PUT", "GET", "MATCH", "DELETE"} {
		t.Run(method, func(t *testing.T) {
			var body func(id string) any
			if method == "POST" || method == "PUT" {
				body = func(id string) any { return map[string]any{"id": id, "title": "抢占"} }
			} else {
				body = func(string) any { return nil }
			}
			fs, fb := answer(method, "taken", body("taken"))
			ns, nb := answer(method, "never-used", body("never-used"))
			if fs != 404 || fs != ns || fb != nb {
				t.Errorf("another's id → %d %s\nfree id → %d %s\nwant the same 404", fs, fb, ns, nb)
			}
		})
	}
	if r := s.do("GET", "/v1/demands/never-used", nil, adminKey); r.Status != 404 {
		t.Errorf("a refused write stored a demand: %d %s", r.Status, r.Body)
	}
	if r := s.do("GET", "/v1/demands/taken", nil, adminKey); r.Status != 200 || !strings.Contains(string(r.Body), `"rev":1`) || !strings.Contains(string(r.Body), "甲公司") {
		t.Errorf("another enterprise's demand changed: %d %s", r.Status, r.Body)
	}
	// The owner replaces by id, and creates without one.
	if r := s.do("PUT", "/v1/demands/taken", map[string]any{"title": "锂电池正极材料（修订）"}, a); r.Status != 200 {
		t.Errorf("owner replace: %d %s", r.Status, r.Body)
	}
	r := s.do("POST", "/v1/demands", map[string]any{"title": "锂电池回收"}, b)
	var d struct{ ID, Enterprise string }
	r.decode(t, &d)
	if r.Status != 201 || d.ID == "" || d.Enterprise != "乙公司" {
		t.Fatalf("create without id: %d %s", r.Status, r.Body)
	}
	if r := s.do("POST", "/v1/demands", map[string]any{"id": d.ID, "title": "锂电池回收（修订）"}, b); r.Status != 200 {
		t.Errorf("owner replace by POST: %d %s", r.Status, r.Body)
	}
}

// TestAmountsAndStatsDatesBounded: a deal_amount of 1e308 made every later /v1/stats a 500
// with an empty body (the sum was +Inf, which JSON cannot hold), and to=9999-12-31 did too.
// Amounts are now bounded to [0, 10⁸] 万元 and stats days to 1970-01-01…2199-12-31, each 400
// naming the field, and stats answer with what was signed.
func TestAmountsAndStatsDatesBounded(t *testing.T) {
	s := startServer(t, "", nil, worklistEnv...)
	s.mustDo("PUT", "/v1/profiles/default", map[string]any{"params": map[string]any{"list_threshold": 0.3}, "note": "test"}, 200)
	s.mustDo("POST", "/v1/agents", map[string]any{"id": "all", "name": "全省", "capacity": 10}, 201)
	s.mustDo("POST", "/v1/achievements", battery("a-1", "固态电解质制备技术", 6, 40, 60), 201)
	s.mustDo("POST", "/v1/demands", batteryDemand("d-1", "320100"), 201)
	e := entriesOf(t, s, "d-1", 1)[0]
	for _, st := range []string{"contacted", "negotiating"} {
		if r := patch(s, e.ID, map[string]any{"status": st}); r.Status != 200 {
			t.Fatalf("%s: %d %s", st, r.Status, r.Body)
		}
	}
	for _, deal := range []string{"1e308", "100000001", "-1", "1e400"} {
		r := s.do("PATCH", "/v1/matches/"+e.ID, `{"status":"signed","deal_amount":`+deal+`}`, adminKey)
		if r.Status != 400 {
			t.Fatalf("deal_amount %s: %d %s; want 400", deal, r.Status, r.Body)
		}
		if _, field := r.errorField(t); field != "deal_amount" {
			t.Errorf("deal_amount %s: field %q, want deal_amount", deal, field)
		}
	}
	if r := patch(s, e.ID, map[string]any{"status": "signed", "deal_amount": 120}); r.Status != 200 {
		t.Fatalf("sign: %d %s", r.Status, r.Body)
	}
	var st struct {
		SignedAmount   float64 `json:"signed_amount"`
		AmountsLeftOut *int    `json:"amounts_left_out"`
	}
	r := s.mustDo("GET", "/v1/stats", nil, 200)
	r.decode(t, &st)
	if st.SignedAmount != 120 || st.AmountsLeftOut == nil || *st.AmountsLeftOut != 0 {
		t.Errorf("stats: %s; want signed_amount 120, amounts_left_out 0", r.Body)
	}
	for _, q := range []struct{ query, field string }{
		{"to=9999-12-31", "to"}, {"to=2262-04-12", "to"}, {"to=2200-01-01", "to"},
		{"from=1600-01-01", "from"}, {"from=1677-09-21&to=2026-01-01", "from"}, {"from=0001-01-01", "from"},
	} {
		r := s.do("GET", "/v1/stats?"+q.query, nil, adminKey)
		if r.Status != 400 {
			t.Errorf("stats?%s: %d %s; want 400", q.query, r.Status, r.Body)
			continue
		}
		if _, field := r.errorField(t); field != q.field {
			t.Errorf("stats?%s: field %q, want %q", q.query, field, q.field)
		}
	}
	if r := s.do("GET", "/v1/stats?from=1970-01-01&to=2199-12-31", nil, adminKey); r.Status != 200 || !strings.Contains(string(r.Body), `"signed_amount":120`) {
		t.Errorf("the widest window: %d %s; want 200 with the deal", r.Status, r.Body)
	}
	for _, c := range []struct{ path, body, field string }{
		{"/v1/achievements", `{"title":"x","price":{"max":1e308}}`, "price.max"},
		{"/v1/patents", `{"title":"x","license_fee":1e200}`, "license_fee"},
		{"/v1/demands", `{"title":"x","budget":{"min":100000001}}`, "budget.min"},
		{"/v1/demands", `{"title":"x","challenge":{"bounty":1e308}}`, "challenge.bounty"},
	} {
		r := s.do("POST", c.path, c.body, adminKey)
		if r.Status != 400 {
			t.Errorf("POST %s %s: %d %s; want 400", c.path, c.body, r.Status, r.Body)
			continue
		}
		if _, field := r.errorField(t); field != c.field {
			t.Errorf("POST %s %s: field %q, want %q", c.path, c.body, field, c.field)
		}
	}
}
