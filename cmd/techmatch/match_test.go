package main_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/techmatch/techmatch/internal/testredis"
)

const acceptanceDemand = "需要高安全性锂离子电池电解质技术，预算200万元，南京，希望许可"

// matchItem is one ranked counterpart of a match answer.
type matchItem struct {
	Kind       string
	ID         string
	Title      string
	Score      float64
	Components map[string]float64
	Reasons    []string
	Highlights map[string][]string
}

type matchList struct {
	DemandID string `json:"demand_id"`
	SupplyID string `json:"supply_id"`
	Profile  struct {
		Name    string
		Version int
	}
	Matches  []matchItem
	Excluded struct {
		Count    int
		ByReason map[string]int `json:"by_reason"`
	}
	Inferred []string
}

func TestMatchWithRedis(t *testing.T) {
	rs := testredis.Start(t)
	s := startServer(t, "", []string{"--demo"}, "TECHMATCH_REDIS_URL="+rs.URL())

	post := func() (matchList, string) {
		r := s.do("POST", "/v1/match?limit=10", map[string]any{"title": acceptanceDemand}, adminKey)
		if r.Status != 200 {
			t.Fatalf("match: %d %s", r.Status, r.Body)
		}
		var ml matchList
		r.decode(t, &ml)
		return ml, r.Header.Get("X-Cache")
	}
	ml, xc := post()
	if xc != "miss" {
		t.Errorf("first call X-Cache %q, want miss", xc)
	}
	if len(ml.Matches) < 3 {
		t.Fatalf("only %d matches", len(ml.Matches))
	}
	for i, m := range ml.Matches[:3] {
		text := m.Title + strings.Join(m.Reasons, "")
		if !strings.Contains(text, "电解") && !strings.Contains(text, "电池") {
			t.Errorf("top %d %s %q is not about battery electrolytes: %v", i+1, m.ID, m.Title, m.Reasons)
		}
		if len(m.Reasons) == 0 || len(m.Components) != 8 {
			t.Errorf("match %s lacks reasons or components: %+v", m.ID, m)
		}
		if m.Score < 0 || m.Score > 1 {
			t.Errorf("score %v out of [0,1]", m.Score)
		}
	}
	if len(ml.Inferred) == 0 {
		t.Errorf("nothing inferred from the sentence demand")
	}
	t.Logf("top: %s %q %.3f %v", ml.Matches[0].ID, ml.Matches[0].Title, ml.Matches[0].Score, ml.Matches[0].Reasons)
	if _, xc := post(); xc != "hit" {
		t.Errorf("second call X-Cache %q, want hit", xc)
	}

	// A new profile version moves the ranking and misses the cache.
	r := s.do("PUT", "/v1/profiles/default", map[string]any{"weights": map[string]float64{"region": 0.6, "text": 0.2}, "note": "test: region heavy"}, adminKey)
	if r.Status != 200 {
		t.Fatalf("put profile: %d %s", r.Status, r.Body)
	}
	ml2, xc := post()
	if xc != "miss" {
		t.Errorf("after profile change X-Cache %q, want miss", xc)
	}
	if ml2.Profile.Version != ml.Profile.Version+1 {
		t.Errorf("profile version %d, want %d", ml2.Profile.Version, ml.Profile.Version+1)
	}
	if sameScores(ml, ml2) {
		t.Errorf("ranking did not move after the profile change")
	}

	t.Run("stored demand invalidation", func(t *testing.T) {
		var demands struct{ Items []map[string]any }
		s.do("GET", "/v1/demands?size=100", nil, adminKey).decode(t, &demands)
		d := demands.Items[0]
		id := d["id"].(string)
		path := "/v1/demands/" + id + "/matches"
		expect := func(step, want string) {
			t.Helper()
			if got := s.do("GET", path, nil, adminKey).Header.Get("X-Cache"); got != want {
				t.Errorf("%s: X-Cache %q, want %q", step, got, want)
			}
		}
		expect("first", "miss")
		expect("second", "hit")
		s.do("POST", "/v1/patents", map[string]any{"id": "pat-new", "title": "新专利：一种储氢合金"}, adminKey)
		eventually(t, "supply write misses", func() bool { return s.do("GET", path, nil, adminKey).Header.Get("X-Cache") == "miss" })
		expect("after supply write, again", "hit")
		d["title"] = d["title"].(string) + "（更新）"
		delete(d, "rev")
		if r := s.do("PUT", "/v1/demands/"+id, d, adminKey); r.Status != 200 {
			t.Fatalf("update demand: %d %s", r.Status, r.Body)
		}
		expect("after demand update", "miss")
		s.do("PUT", "/v1/profiles/default", map[string]any{"weights": map[string]float64{"text": 0.5}}, adminKey)
		expect("after profile change", "miss")
	})

	t.Run("redis outage", func(t *testing.T) {
		q := "/v1/search?q=" + url.QueryEscape("疫苗")
		s.do("GET", q, nil, "")
		rs.Stop()
		for i := 0; i < 3; i++ {
			r := s.do("GET", q, nil, "")
			if r.Status != 200 || r.Header.Get("X-Cache") != "bypass" {
				t.Fatalf("with Redis down: %d X-Cache %q", r.Status, r.Header.Get("X-Cache"))
			}
		}
		if r := s.do("GET", "/readyz", nil, ""); r.Status != 200 || !strings.Contains(string(r.Body), `"up":false`) {
			t.Errorf("readyz with Redis down: %d %s", r.Status, r.Body)
		}
		if n := strings.Count(s.logs.String(), "cache unavailable"); n != 1 {
			t.Errorf("outage logged %d times, want once", n)
		}
		rs.Restart()
		eventually(t, "hits after Redis restarts", func() bool {
			return s.do("GET", q, nil, "").Header.Get("X-Cache") == "hit"
		})
	})
}

func sameScores(a, b matchList) bool {
	if len(a.Matches) != len(b.Matches) {
		return false
	}
	for i := range a.Matches {
		if a.Matches[i].ID != b.Matches[i].ID || a.Matches[i].Score != b.Matches[i].Score {
			return false
		}
	}
	return true
}

func TestReverseMatchAndProfiles(t *testing.T) {
	s := startServer(t, "", []string{"--demo"})
	var achs struct{ Items []map[string]any }
	s.do("GET", "/v1/achievements?size=100", nil, "").decode(t, &achs)
	found := false
	for _, a := range achs.Items {
		r := s.do("GET", "/v1/achievements/"+a["id"].(string)+"/demands?limit=5", nil, adminKey)
		if r.Status != 200 {
			t.Fatalf("reverse: %d %s", r.Status, r.Body)
		}
		var ml matchList
		r.decode(t, &ml)
		if len(ml.Matches) > 0 {
			found = true
			if ml.Matches[0].Kind != "demands" || ml.SupplyID != a["id"] || len(ml.Matches[0].Reasons) == 0 {
				t.Errorf("reverse answer malformed: %s", r.Body)
			}
			break
		}
	}
	if !found {
		t.Errorf("no achievement of the demo finds any demand")
	}
	if r := s.do("GET", "/v1/achievements/nope/demands", nil, adminKey); r.Status != 404 {
		t.Errorf("reverse for missing item: %d", r.Status)
	}

	bad := []struct {
		body  string
		field string
	}{
		{`{"weights":{"colour":1}}`, "weights.colour"},
		{`{"weights":{"text":-1}}`, "weights.text"},
		{`{"weights":{"text":0,"field":0,"region":0,"maturity":0,"budget":0,"mode":0,"freshness":0,"quality":0}}`, "weights"},
		{`{"params":{"recall":0}}`, "params.recall"},
		{`{"params":{"list_threshold":2}}`, "params.list_threshold"},
		{`{"params":{"min_text":1.5}}`, "params.min_text"},
		{`{"params":{"hard_filters":["nope"]}}`, "params.hard_filters[0]"},
		{`{"params":{"bogus":1}}`, "params.bogus"},
	}
	for _, b := range bad {
		r := s.do("PUT", "/v1/profiles/default", b.body, adminKey)
		if _, f := r.errorField(t); r.Status != 400 || f != b.field {
			t.Errorf("%s: %d field %q, want 400 %q", b.body, r.Status, f, b.field)
		}
	}
	if r := s.do("PUT", "/v1/profiles/default", `{"weights":{"text":0.9}}`, ""); r.Status != 401 {
		t.Errorf("anonymous profile change: %d", r.Status)
	}
	if r := s.do("PUT", "/v1/profiles/text-only", `{"weights":{"text":0.9}}`, adminKey); r.Status != 409 {
		t.Errorf("changing the built-in profile: %d", r.Status)
	}
	r := s.do("PUT", "/v1/profiles/default", `{"weights":{"text":0.9},"params":{"recall":150},"note":"more text"}`, adminKey)
	var p struct {
		Version int
		Weights map[string]float64
		Params  map[string]any
		Note    string
		Author  string
	}
	r.decode(t, &p)
	if r.Status != 200 || p.Version != 2 || p.Weights["text"] != 0.9 || p.Weights["field"] != 0.15 || p.Params["recall"] != 150.0 || p.Params["list_threshold"] != 0.5 || p.Author == "" {
		t.Fatalf("put: %d %s", r.Status, r.Body)
	}
	var vs struct{ Versions []struct{ Version int } }
	s.do("GET", "/v1/profiles/default/versions", nil, "").decode(t, &vs)
	if len(vs.Versions) != 2 || vs.Versions[0].Version != 2 {
		t.Errorf("versions: %+v", vs)
	}
	r = s.do("POST", "/v1/profiles/default/rollback?version=1", nil, adminKey)
	r.decode(t, &p)
	if r.Status != 200 || p.Version != 3 || p.Weights["text"] != 0.45 || p.Params["recall"] != 200.0 {
		t.Fatalf("rollback: %d %s", r.Status, r.Body)
	}
	if r := s.do("POST", "/v1/profiles/default/rollback?version=99", nil, adminKey); r.Status != 404 {
		t.Errorf("rollback to missing version: %d", r.Status)
	}

	r = s.do("POST", "/v1/profiles/preview", `{"profile":"default","candidate":{"weights":{"region":1,"text":0.05}},"sample":5}`, adminKey)
	var prev struct {
		Demands []struct {
			DemandID  string `json:"demand_id"`
			Current   []map[string]any
			Candidate []map[string]any
		}
		OverlapAt10   *float64 `json:"overlap_at_10"`
		MeanRankShift *float64 `json:"mean_rank_shift"`
	}
	r.decode(t, &prev)
	if r.Status != 200 || len(prev.Demands) != 5 || prev.OverlapAt10 == nil || prev.MeanRankShift == nil {
		t.Fatalf("preview: %d %s", r.Status, r.Body)
	}
	if *prev.MeanRankShift == 0 {
		t.Errorf("a region-heavy candidate moved nothing (overlap %v, mean shift 0)", *prev.OverlapAt10)
	}
	if r := s.do("POST", "/v1/profiles/preview", `{"candidate":{"weights":{"text":1}},"demand_ids":["nope"]}`, adminKey); r.Status != 400 {
		t.Errorf("preview with unknown demand: %d", r.Status)
	}
}

// TestMatchSearchesTellingWordsOfADescription checks, through the server with its built-in
// lists, that a description is not searched for its prose (用于, 上述: words of
// configs/dict/stop_words.txt), bare numbers or units, which by themselves matched unrelated
// records, while the same words typed as a title or keyword are searched.
func TestMatchSearchesTellingWordsOfADescription(t *testing.T) {
	s := startServer(t, "", nil)
	rec := map[string]any{"id": "ach-prose", "title": "肝癌早期筛查试剂盒", "summary": "用于体检中心，检出限1200拷贝每毫升，试纸宽5 mm。上述试纸亦可用于尿检。", "status": "active"}
	if r := s.do("POST", "/v1/achievements", rec, adminKey); r.Status != 201 && r.Status != 200 {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	listed := func(demand map[string]any) bool {
		t.Helper()
		r := s.do("POST", "/v1/match?limit=50&kind=achievements", demand, adminKey)
		if r.Status != 200 {
			t.Fatalf("match %v: %d %s", demand, r.Status, r.Body)
		}
		var ml matchList
		r.decode(t, &ml)
		for _, m := range ml.Matches {
			if m.ID == "ach-prose" {
				return true
			}
		}
		return false
	}
	eventually(t, "the record is indexed", func() bool { return listed(map[string]any{"title": "肝癌筛查"}) })
	if listed(map[string]any{"title": "石墨烯导热膜", "description": "用于智能手机散热，面内热导率1200 W/(m·K)以上，厚度5 mm以下。上述膜亦可用于平板电脑"}) {
		t.Error("a graphene film demand lists the cancer test by the prose, figures and units of its description")
	}
	if !listed(map[string]any{"title": "用于", "keywords": []string{"1200"}}) {
		t.Error("用于 as the title and 1200 as a keyword: the record holding both is not listed")
	}
}

// TestMinTextIsTheTextFloor checks the text floor staff tune: dem-037 (a graphene film) has
// one real match in the demo, and at the default min_text (0.1) it is listed alone; at 0.05 (the
// floor before session 7) the list fills with records holding a word or two of the demand
// (厚度, a part such as 手机), and at 0.3 it is the real one alone again.
func TestMinTextIsTheTextFloor(t *testing.T) {
	s := startServer(t, "", []string{"--demo"})
	under := func(minText float64) matchList {
		t.Helper()
		if minText > 0 {
			s.mustDo("PUT", "/v1/profiles/default", map[string]any{"params": map[string]any{"min_text": minText}, "note": "text floor"}, 200)
		}
		r := s.do("GET", "/v1/demands/dem-037/matches?limit=10", nil, adminKey)
		if r.Status != 200 {
			t.Fatalf("matches: %d %s", r.Status, r.Body)
		}
		var ml matchList
		r.decode(t, &ml)
		if len(ml.Matches) == 0 || ml.Matches[0].ID != "ach-063" {
			t.Fatalf("min_text %v: %+v, want ach-063 first", minText, ml.Matches)
		}
		return ml
	}
	def := under(0)
	if len(def.Matches) != 1 || def.Profile.Version != 1 {
		t.Errorf("default profile v%d: %d matches, want ach-063 alone under v1", def.Profile.Version, len(def.Matches))
	}
	loose := under(0.05)
	if len(loose.Matches) < 5 || loose.Profile.Version != 2 {
		t.Errorf("min_text 0.05 (v%d): %d matches, want a list filled with weak ones", loose.Profile.Version, len(loose.Matches))
	}
	strict := under(0.3)
	if len(strict.Matches) != 1 {
		t.Errorf("min_text 0.3: %d matches, want ach-063 alone", len(strict.Matches))
	}
	low := func(ml matchList) int { return ml.Excluded.ByReason["low_text_relevance"] }
	if !(low(loose) < low(def) && low(def) <= low(strict)) {
		t.Errorf("low_text_relevance at 0.05 / 0.1 / 0.3: %d / %d / %d, want it growing with the floor", low(loose), low(def), low(strict))
	}
}
