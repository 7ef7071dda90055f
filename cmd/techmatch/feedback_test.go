package main_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/techmatch/techmatch/internal/testredis"
)

// listOf reads a stored demand's match list and its X-Cache.
func listOf(t *testing.T, s *server, demandID string) (matchList, string) {
	t.Helper()
	r := s.mustDo("GET", "/v1/demands/"+demandID+"/matches?limit=20", nil, 200)
	var ml matchList
	r.decode(t, &ml)
	return ml, r.Header.Get("X-Cache")
}

func findMatch(ml matchList, id string) (int, bool) {
	i := slices.IndexFunc(ml.Matches, func(m matchItem) bool { return m.ID == id })
	return i, i >= 0
}

func TestFeedbackChangesRankingAndStats(t *testing.T) {
	rs := testredis.Start(t)
	s := startServer(t, "", nil, append(worklistEnv, "TECHMATCH_REDIS_URL="+rs.URL())...)
	s.mustDo("PUT", "/v1/profiles/default", map[string]any{"params": map[string]any{"list_threshold": 0.3}, "note": "test"}, 200)
	s.mustDo("POST", "/v1/agents", map[string]any{"id": "all", "name": "全省", "capacity": 10}, 201)
	for _, a := range []map[string]any{
		battery("n-1", "硫化物固态电解质公斤级制备技术", 6, 40, 60),
		battery("t-1", "聚合物固态电解质实验室制备技术", 4, 30, 50),
		battery("p-1", "复合固态电解质膜连续化制备技术", 7, 150, 180),
		battery("s-1", "卤化物固态电解质量产技术", 7, 60, 90),
	} {
		s.mustDo("POST", "/v1/achievements", a, 201)
	}
	s.mustDo("POST", "/v1/demands", batteryDemand("d-1", "320100"), 201)
	entryOf := map[string]string{}
	for _, e := range entriesOf(t, s, "d-1", 4) {
		entryOf[e.SupplyID] = e.ID
	}

	if _, xc := listOf(t, s, "d-1"); xc != "miss" {
		t.Errorf("first list X-Cache %q, want miss", xc)
	}
	if _, xc := listOf(t, s, "d-1"); xc != "hit" {
		t.Errorf("second list X-Cache %q, want hit", xc)
	}

	step := func(supply string, body map[string]any) matchList {
		t.Helper()
		if r := patch(s, entryOf[supply], body); r.Status != 200 {
			t.Fatalf("patch %s %v: %d %s", supply, body, r.Status, r.Body)
		}
		ml, xc := listOf(t, s, "d-1")
		if xc != "miss" {
			t.Errorf("after feedback on %s the list was served from the cache (X-Cache %q)", supply, xc)
		}
		return ml
	}
	hasReason := func(ml matchList, id, part string) bool {
		i, ok := findMatch(ml, id)
		return ok && slices.ContainsFunc(ml.Matches[i].Reasons, func(r string) bool { return strings.Contains(r, part) })
	}

	ml := step("n-1", map[string]any{"status": "rejected", "reason": "not_relevant"})
	if _, ok := findMatch(ml, "n-1"); ok || ml.Excluded.ByReason["feedback_not_relevant"] != 1 {
		t.Errorf("not_relevant: n-1 still listed or not counted: %+v", ml.Excluded)
	}

	ml = step("t-1", map[string]any{"status": "rejected", "reason": "too_early"})
	if i, ok := findMatch(ml, "t-1"); !ok || ml.Matches[i].Components["maturity"] >= 1 || !hasReason(ml, "t-1", "经纪人反馈：需求方认为技术尚早，最低 TRL 按 5 计") {
		t.Errorf("too_early: t-1 (TRL 4) should lose maturity against an effective min TRL 5, with the reason: %+v", ml.Matches)
	}
	if i, _ := findMatch(ml, "s-1"); ml.Matches[i].Components["maturity"] != 1 {
		t.Errorf("too_early: s-1 (TRL 7) should keep full maturity")
	}

	ml = step("p-1", map[string]any{"status": "rejected", "reason": "price"})
	if i, ok := findMatch(ml, "p-1"); !ok || ml.Matches[i].Components["budget"] >= 1 || !hasReason(ml, "p-1", "经纪人反馈：报价偏高，预算上限按 135 万元计") {
		t.Errorf("price: p-1 (150–180 万元) should fall out of the narrowed budget, with the reason: %+v", ml.Matches)
	}

	step("s-1", map[string]any{"status": "contacted"})
	step("s-1", map[string]any{"status": "negotiating"})
	ml = step("s-1", map[string]any{"status": "signed", "deal_amount": 88})
	if !hasReason(ml, "s-1", "成交 1 项") {
		t.Errorf("signed: s-1's quality reason should count the deal: %+v", ml.Matches)
	}
	var sup struct {
		Market struct{ Deals int } `json:"market"`
	}
	s.mustDo("GET", "/v1/achievements/s-1", nil, 200).decode(t, &sup)
	if sup.Market.Deals != 1 {
		t.Errorf("s-1 market.deals %d, want 1", sup.Market.Deals)
	}

	// Stats after the scripted sequence: 4 entries, one signed for 88 万元, three rejected.
	var st struct {
		Total  int
		Funnel struct {
			Counts, Reached map[string]int
			Conversion      map[string]float64
		}
		ByAgent          map[string]struct{ Entries, Signed int } `json:"by_agent"`
		ByRegion         map[string]struct{ Entries int }         `json:"by_region"`
		ByField          map[string]struct{ Entries int }         `json:"by_field"`
		SignedAmount     float64                                  `json:"signed_amount"`
		MatchesPerDemand struct {
			Demands      int
			Mean         float64
			Distribution map[string]int
		} `json:"matches_per_demand"`
		PerDay []struct {
			Date    string
			Matches int
		} `json:"per_day"`
	}
	s.mustDo("GET", "/v1/stats", nil, 200).decode(t, &st)
	want := map[string]int{"new": 0, "contacted": 0, "negotiating": 0, "signed": 1, "rejected": 3}
	for k, v := range want {
		if st.Funnel.Counts[k] != v {
			t.Errorf("funnel count %s = %d, want %d", k, st.Funnel.Counts[k], v)
		}
	}
	reached := map[string]int{"new": 4, "contacted": 1, "negotiating": 1, "signed": 1}
	for k, v := range reached {
		if st.Funnel.Reached[k] != v {
			t.Errorf("funnel reached %s = %d, want %d", k, st.Funnel.Reached[k], v)
		}
	}
	conv := map[string]float64{"new_to_contacted": 0.25, "contacted_to_negotiating": 1, "negotiating_to_signed": 1, "overall": 0.25}
	for k, v := range conv {
		if st.Funnel.Conversion[k] != v {
			t.Errorf("conversion %s = %v, want %v", k, st.Funnel.Conversion[k], v)
		}
	}
	today := time.Now().UTC().Format(time.DateOnly)
	if st.Total != 4 || st.SignedAmount != 88 || st.ByAgent["all"].Entries != 4 || st.ByAgent["all"].Signed != 1 ||
		st.ByRegion["320100"].Entries != 4 || st.ByField["新材料/电池材料"].Entries != 4 ||
		st.MatchesPerDemand.Demands != 1 || st.MatchesPerDemand.Mean != 4 || st.MatchesPerDemand.Distribution["4-5"] != 1 ||
		len(st.PerDay) != 1 || st.PerDay[0].Date != today || st.PerDay[0].Matches != 4 {
		t.Errorf("stats %+v", st)
	}
	s.mustDo("GET", "/v1/stats?from=2020-01-01&to=2020-01-31", nil, 200).decode(t, &st)
	if st.Total != 0 {
		t.Errorf("stats of 2020: total %d, want 0", st.Total)
	}
	if r := s.do("GET", "/v1/stats?from=yesterday", nil, adminKey); r.Status != 400 {
		t.Errorf("bad date: %d, want 400", r.Status)
	} else if _, f := r.errorField(t); f != "from" {
		t.Errorf("bad date names field %q, want from", f)
	}
}
