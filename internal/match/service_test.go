package match_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/techmatch/techmatch/index"
	"github.com/techmatch/techmatch/internal/domain"
	"github.com/techmatch/techmatch/internal/match"
)

// TestAcceptanceSentence is the "done when": one plain sentence, relevant
// battery-electrolyte items on top, each with reasons an agent can read.
func TestAcceptanceSentence(t *testing.T) {
	env := loadDemo(t)
	d := &domain.Demand{Title: "需要高安全性锂离子电池电解质技术，预算200万元，南京，希望许可"}
	l, err := env.svc.MatchDemand(context.Background(), d, nil, 10, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Matches) < 3 {
		t.Fatalf("%d matches, want at least 3", len(l.Matches))
	}
	for i, m := range l.Matches[:3] {
		rec := env.recs[m.Kind][m.ID].(domain.SupplyRecord).Common()
		text := rec.Title + rec.Summary + strings.Join(rec.Keywords, " ")
		if !strings.Contains(text, "电解质") && !strings.Contains(text, "电解液") {
			t.Errorf("#%d %s %q is not about battery electrolytes", i+1, m.ID, m.Title)
		}
		for _, want := range []string{"同城：南京市", "行业领域一致"} {
			if !hasReason(m.Reasons, want) {
				t.Errorf("#%d %s reasons %q lack %q", i+1, m.ID, m.Reasons, want)
			}
		}
	}
	for _, want := range []string{"预算：200 万元（从文本识别）", "地区：南京市（从文本识别）", "转化方式：许可（从文本识别）"} {
		if !slices.Contains(l.Inferred, want) {
			t.Errorf("inferred = %q, want %q", l.Inferred, want)
		}
	}
	if !hasReason(l.Matches[0].Reasons, "（预算 200 万元，从文本识别）") {
		t.Errorf("top reasons %q do not say the budget was read from the text", l.Matches[0].Reasons)
	}
}

func TestMatchDemandKindsAndLimit(t *testing.T) {
	env := loadDemo(t)
	d := env.recs[domain.Demands]["dem-026"].(*domain.Demand)
	tests := []struct {
		name  string
		kinds []domain.Kind
		limit int
		max   int
	}{
		{"all kinds, default limit", nil, 0, match.DefaultLimit},
		{"patents only", []domain.Kind{domain.Patents}, 3, 3},
		{"experts and achievements", []domain.Kind{domain.Experts, domain.Achievements}, 1000, match.MaxLimit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := env.svc.MatchDemand(context.Background(), d, tt.kinds, tt.limit, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(l.Matches) == 0 || len(l.Matches) > tt.max {
				t.Fatalf("%d matches, want 1–%d", len(l.Matches), tt.max)
			}
			for _, m := range l.Matches {
				if tt.kinds != nil && !slices.Contains(tt.kinds, m.Kind) {
					t.Errorf("%s %s listed, want only %v", m.Kind, m.ID, tt.kinds)
				}
			}
		})
	}
	if _, err := env.svc.MatchDemand(context.Background(), d, []domain.Kind{domain.Demands}, 10, nil); domain.ErrorCode(err) != domain.CodeInvalid {
		t.Errorf("matching demands against demands: err = %v, want invalid_argument", err)
	}
}

func TestMatchListJSONShape(t *testing.T) {
	env := loadDemo(t)
	p := match.DefaultProfile()
	p.Name, p.Version = "default", 3
	l, err := env.svc.MatchDemand(context.Background(), env.recs[domain.Demands]["dem-004"].(*domain.Demand), nil, 2, p)
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(l)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"demand_id", "profile", "matches", "excluded"} {
		if _, ok := got[k]; !ok {
			t.Errorf("answer %s lacks %q", data, k)
		}
	}
	m := got["matches"].([]any)[0].(map[string]any)
	for _, k := range []string{"kind", "id", "title", "score", "components", "reasons", "highlights"} {
		if _, ok := m[k]; !ok {
			t.Errorf("match lacks %q: %v", k, m)
		}
	}
	if prof := got["profile"].(map[string]any); prof["name"] != "default" || prof["version"] != 3.0 {
		t.Errorf("profile = %v", prof)
	}
}

func TestPreview(t *testing.T) {
	env := loadDemo(t)
	var demands []*domain.Demand
	for _, id := range []string{"dem-001", "dem-026"} {
		demands = append(demands, env.recs[domain.Demands][id].(*domain.Demand))
	}
	current := match.DefaultProfile()
	same, err := env.svc.Preview(context.Background(), demands, nil, current, match.DefaultProfile())
	if err != nil {
		t.Fatal(err)
	}
	if same.OverlapAt10 != 1 || same.MeanRankShift != 0 || len(same.Demands) != 2 {
		t.Errorf("same profile: overlap %g, shift %g, %d demands; want 1, 0, 2", same.OverlapAt10, same.MeanRankShift, len(same.Demands))
	}
	textOnly := domain.TextOnlyProfile()
	textOnly.Params.ListThreshold = 0
	moved, err := env.svc.Preview(context.Background(), demands, nil, current, textOnly)
	if err != nil {
		t.Fatal(err)
	}
	if moved.OverlapAt10 >= 1 || moved.MeanRankShift <= 0 {
		t.Errorf("text-only against default: overlap %g, shift %g; want the lists to differ", moved.OverlapAt10, moved.MeanRankShift)
	}
	dp := moved.Demands[0]
	if dp.DemandID != "dem-001" || dp.Title == "" || len(dp.Current) == 0 || len(dp.Candidate) == 0 {
		t.Fatalf("preview of dem-001 = %+v", dp)
	}
	for _, it := range dp.Candidate {
		ok := it.Change == "new" || (it.OtherRank != nil && slices.Contains([]string{"up", "down", "same"}, it.Change))
		if !ok || it.Rank < 1 || it.Rank > 10 {
			t.Errorf("candidate item %+v: want rank 1–10 and new/up/down/same with other_rank", it)
		}
	}
	data, _ := json.Marshal(moved)
	for _, k := range []string{`"demands"`, `"demand_id"`, `"current"`, `"candidate"`, `"other_rank"`, `"overlap_at_10"`, `"mean_rank_shift"`} {
		if !strings.Contains(string(data), k) {
			t.Errorf("preview JSON lacks %s", k)
		}
	}
}

func TestExpertLinkedText(t *testing.T) {
	env := loadDemo(t)
	e := *env.recs[domain.Experts]["exp-001"].(*domain.Expert)
	e.AchievementIDs = append(e.AchievementIDs, "ach-gone")
	got, err := index.ExpertLinkedText(context.Background(), env.recs, &e)
	if err != nil {
		t.Fatal(err)
	}
	want := "高安全性硫化物固态电解质及其公斤级制备技术\n一种高空气稳定性硫化物固态电解质及其制备方法"
	if got != want {
		t.Errorf("ExpertLinkedText = %q, want %q", got, want)
	}
	if got, _ := index.ExpertLinkedText(context.Background(), env.recs, &domain.Expert{}); got != "" {
		t.Errorf("an expert without links gives %q, want empty", got)
	}
}

func TestRankDemands(t *testing.T) {
	sup := achievement(nil)
	tests := []struct {
		name   string
		d      func(*domain.Demand)
		text   float64
		want   string // exclusion reason, "" for listed
		reason string
	}{
		{"open demand", nil, 0.3, "", "同城：南京市"},
		{"matched demand", func(d *domain.Demand) { d.Status = "matched" }, 0.3, "closed", ""},
		{"closed demand", func(d *domain.Demand) { d.Status = "closed" }, 0.3, "closed", ""},
		{"own enterprise", func(d *domain.Demand) { d.Enterprise = "金陵理工大学" }, 0.3, "conflict_of_interest", ""},
		{"no mode in common", func(d *domain.Demand) { d.AcceptModes = []string{"equity"} }, 0.3, "mode_mismatch", ""},
		{"negligible text", nil, 0.01, match.ReasonLowText, ""},
		{"reasons name the demand's place", func(d *domain.Demand) { d.Region = "640100" }, 0.3, "", "对口协作地区：宁夏回族自治区—江苏省"},
		{"a weak but real match is listed below the forward threshold", func(d *domain.Demand) { d.Region = "350200"; d.Fields = []string{"人工智能"} }, 0.12, "", "异地：厦门市"},
		{"a bounty counts for quality", func(d *domain.Demand) { d.Challenge = &domain.Challenge{Bounty: f64(800)} }, 0.3, "", "揭榜挂帅：榜额 800 万元"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := demand(tt.d)
			l := service(t).RankDemands(sup, []match.Candidate{{Record: d, Hit: hit(d, tt.text)}}, profile())
			if l.SupplyID != "a1" {
				t.Errorf("supply_id = %q", l.SupplyID)
			}
			if tt.want != "" {
				if l.Excluded.ByReason[tt.want] != 1 || len(l.Matches) != 0 {
					t.Fatalf("excluded %v, %d listed; want excluded by %s", l.Excluded.ByReason, len(l.Matches), tt.want)
				}
				return
			}
			if len(l.Matches) != 1 || l.Matches[0].Kind != domain.Demands {
				t.Fatalf("excluded %v; want the demand listed", l.Excluded.ByReason)
			}
			if !hasReason(l.Matches[0].Reasons, tt.reason) {
				t.Errorf("reasons %q lack %q", l.Matches[0].Reasons, tt.reason)
			}
		})
	}
}

func BenchmarkScore(b *testing.B) {
	env := loadDemo(b)
	d := env.recs[domain.Demands]["dem-001"].(*domain.Demand)
	var pool []domain.Record
	for _, k := range domain.SupplyKinds {
		for _, r := range env.recs[k] {
			pool = append(pool, r)
		}
	}
	cands := make([]match.Candidate, 200)
	for i := range cands {
		r := pool[i%len(pool)]
		cands[i] = match.Candidate{Record: r, Hit: hit(r, 0.1+float64(i%9)/10)}
	}
	p := match.DefaultProfile()
	b.ReportAllocs()
	for b.Loop() {
		env.svc.Rank(d, cands, p)
	}
}

func BenchmarkMatchDemand(b *testing.B) {
	env := loadDemo(b)
	d := env.recs[domain.Demands]["dem-002"].(*domain.Demand)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := env.svc.MatchDemand(context.Background(), d, nil, 10, nil); err != nil {
			b.Fatal(err)
		}
	}
}
