package main_test

import (
	"fmt"
	"strings"
	"testing"
)

// TestRegionsByName: wherever a region code is taken (records, demands, imports, agents,
// search filters), its name is taken too, short or full, and answered with the code; a name
// of two regions is a 400 listing both; an unknown one a 400 naming the field.
func TestRegionsByName(t *testing.T) {
	s := startServer(t, "", nil)
	var rec struct{ Region string }
	r := s.do("POST", "/v1/achievements", map[string]any{"id": "nj", "title": "南京的固态电池电解质", "region": "南京"}, adminKey)
	if r.Status != 201 {
		t.Fatalf("create with region 南京: %d %s", r.Status, r.Body)
	}
	r.decode(t, &rec)
	if rec.Region != "320100" {
		t.Errorf("region 南京 stored as %q, want 320100", rec.Region)
	}
	r = s.do("POST", "/v1/demands", map[string]any{"id": "js", "title": "江苏的储能需求", "region": "江苏省", "enterprise": "甲公司"}, adminKey)
	if r.Status != 201 {
		t.Fatalf("demand with region 江苏省: %d %s", r.Status, r.Body)
	}
	r.decode(t, &rec)
	if rec.Region != "320000" {
		t.Errorf("region 江苏省 stored as %q, want 320000", rec.Region)
	}
	r = s.do("POST", "/v1/patents/import", `{"id":"p-sz","title":"苏州的专利","region":"苏州市"}`+"\n"+`{"id":"p-jl","title":"吉林的专利","region":"吉林"}`+"\n", adminKey)
	var rep struct {
		Accepted int
		Rejected []struct {
			Line  int
			Error string
		}
	}
	r.decode(t, &rep)
	if rep.Accepted != 1 || len(rep.Rejected) != 1 || rep.Rejected[0].Line != 2 ||
		!strings.Contains(rep.Rejected[0].Error, "吉林省（220000）") || !strings.Contains(rep.Rejected[0].Error, "吉林市（220200）") {
		t.Errorf("import with 苏州市 and 吉林 = %s; want the first stored, the second refused listing 吉林省 and 吉林市", r.Body)
	}
	if r := s.do("GET", "/v1/patents/p-sz", nil, adminKey); !strings.Contains(string(r.Body), `"region":"320500"`) {
		t.Errorf("imported 苏州市 stored as %s, want 320500", r.Body)
	}
	for _, c := range []struct{ region, field string }{{"吉林", "region"}, {"火星", "region"}} {
		r := s.do("POST", "/v1/achievements", map[string]any{"title": "x", "region": c.region}, adminKey)
		if code, field := r.errorField(t); r.Status != 400 || code != "invalid_argument" || field != c.field {
			t.Errorf("region %q: %d %s %s, want 400 naming %s", c.region, r.Status, code, field, c.field)
		}
	}

	r = s.do("POST", "/v1/agents", map[string]any{"id": "agt-js", "name": "江苏经纪人", "regions": []string{"江苏", "福建省"}}, adminKey)
	if r.Status != 201 || !strings.Contains(string(r.Body), `"regions":["32","35"]`) {
		t.Errorf("agent with regions 江苏, 福建省: %d %s; want regions [32 35]", r.Status, r.Body)
	}
	if r := s.do("POST", "/v1/agents", map[string]any{"id": "agt-x", "name": "x", "regions": []string{"吉林"}}, adminKey); r.Status != 400 {
		t.Errorf("agent with region 吉林: %d %s, want 400", r.Status, r.Body)
	}

	eventually(t, "indexed", func() bool {
		return strings.Contains(string(s.do("GET", "/v1/search?q=电解质", nil, "").Body), `"nj"`)
	})
	for _, reg := range []string{"南京", "南京市", "江苏", "320100", "32"} {
		if r := s.do("GET", "/v1/search?q=电解质&region="+reg, nil, ""); r.Status != 200 || !strings.Contains(string(r.Body), `"nj"`) {
			t.Errorf("search region=%s: %d, nj not found: %s", reg, r.Status, r.Body)
		}
	}
	if r := s.do("GET", "/v1/search?q=电解质&region=浙江", nil, ""); strings.Contains(string(r.Body), `"nj"`) {
		t.Errorf("search region=浙江 lists the Nanjing record")
	}
	if r := s.do("GET", "/v1/search?q=电解质&region=吉林", nil, ""); r.Status != 400 || !strings.Contains(string(r.Body), "吉林市") {
		t.Errorf("search region=吉林: %d %s, want 400 listing the candidates", r.Status, r.Body)
	}
}

// TestSearchLeavesOutInactiveUnlessAsked: closed records and patents no longer in force are
// left out of search, facets and totals by default; include_inactive=true lists them marked
// with why; a bad value is a 400 naming the parameter.
func TestSearchLeavesOutInactiveUnlessAsked(t *testing.T) {
	s := startServer(t, "", nil)
	for _, w := range []struct {
		kind string
		body map[string]any
	}{
		{"achievements", map[string]any{"id": "on", "title": "钙钛矿太阳能电池封装工艺"}},
		{"achievements", map[string]any{"id": "shut", "title": "钙钛矿太阳能电池旧工艺", "status": "closed"}},
		{"patents", map[string]any{"id": "lapsed", "title": "一种钙钛矿太阳能电池", "legal_status": "expired"}},
		{"patents", map[string]any{"id": "granted", "title": "一种钙钛矿电池电极", "legal_status": "granted"}},
	} {
		if r := s.do("POST", "/v1/"+w.kind, w.body, adminKey); r.Status != 201 {
			t.Fatalf("create %v: %d %s", w.body["id"], r.Status, r.Body)
		}
	}
	find := func(q string) searchAnswer { return search(t, s, "q=钙钛矿"+q) }
	eventually(t, "all four indexed", func() bool { return find("&include_inactive=true").Total == 4 })
	got := map[string]string{}
	for _, h := range find("&include_inactive=true").Hits {
		got[h.ID] = h.Inactive
	}
	if want := map[string]string{"on": "", "granted": "", "shut": "closed", "lapsed": "patent_invalid"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("hits with include_inactive = %v, want %v", got, want)
	}
	def := find("")
	if def.Total != 2 || len(def.Hits) != 2 {
		t.Errorf("default search = %+v, want on and granted only", def)
	}
	for _, h := range def.Hits {
		if h.ID == "shut" || h.ID == "lapsed" || h.Inactive != "" {
			t.Errorf("default search lists %+v", h)
		}
	}
	if r := s.do("GET", "/v1/search?q=钙钛矿&include_inactive=yes", nil, ""); r.Status != 400 {
		t.Errorf("include_inactive=yes: %d, want 400", r.Status)
	} else if _, field := r.errorField(t); field != "include_inactive" {
		t.Errorf("include_inactive=yes names field %q", field)
	}
}
