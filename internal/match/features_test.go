package match_test

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/techmatch/techmatch/index"
	"github.com/techmatch/techmatch/internal/domain"
	"github.com/techmatch/techmatch/internal/match"
)

var clock = time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)

func service(t testing.TB) *match.Service {
	return match.New(nil, nil, loadTaxonomy(t), nil).WithClock(func() time.Time { return clock })
}

// profile is the default profile with every hard filter on, so each can be seen to work.
func profile() *domain.Profile {
	p := match.DefaultProfile()
	p.Params.HardFilters = slices.Clone(domain.HardFilters)
	return p
}

func hit(rec domain.Record, text float64) index.Hit {
	return index.Hit{Kind: rec.RecordKind(), ID: rec.GetMeta().ID, Text: text, Coverage: text, Matched: []string{"锂离子电池", "电解质"}}
}

func achievement(edit func(*domain.Achievement)) *domain.Achievement {
	a := &domain.Achievement{Supply: domain.Supply{
		Meta: domain.Meta{ID: "a1", UpdatedAt: clock}, Title: "阻燃电解液", Fields: []string{"新材料/电池材料"}, Region: "320100",
		Org: "金陵理工大学", TRL: 6, TransferModes: []string{"license"}, Price: &domain.Range{Min: f64(50), Max: f64(80)}, Status: "active",
	}}
	if edit != nil {
		edit(a)
	}
	return a
}

func demand(edit func(*domain.Demand)) *domain.Demand {
	d := &domain.Demand{Meta: domain.Meta{ID: "d1"}, Title: "电解液技术", Fields: []string{"新材料/电池材料"}, Region: "320100",
		Enterprise: "紫峰新能源", Budget: &domain.Range{Max: f64(200)}, MinTRL: 5, AcceptModes: []string{"license"}, Status: "open"}
	if edit != nil {
		edit(d)
	}
	return d
}

// one ranks a single pair and returns its match, or fails when it was excluded.
func one(t *testing.T, d *domain.Demand, rec domain.SupplyRecord) domain.Match {
	t.Helper()
	l := service(t).Rank(d, []match.Candidate{{Record: rec, Hit: hit(rec, 0.8)}}, profile())
	if len(l.Matches) != 1 {
		t.Fatalf("pair excluded: %v", l.Excluded.ByReason)
	}
	return l.Matches[0]
}

// TestTextReasonNamesTellingTerms checks that the matched keywords a reason names (and the
// highlights mark) leave out what tells an agent nothing: one-rune, numeric and generic terms,
// and units; at most six are named.
func TestTextReasonNamesTellingTerms(t *testing.T) {
	for _, tt := range []struct {
		matched []string
		want    string
	}{
		{[]string{"锂离子电池", "用于", "技术", "w", "30", "1200", "0.5%", "cm", "μm", "MPa", "电解质", "5g"}, "匹配关键词：锂离子电池、电解质、5g"},
		{[]string{"石墨烯", "导热膜", "散热材料", "均热板", "热导率", "智能手机", "面内"}, "匹配关键词：石墨烯、导热膜、散热材料、均热板、热导率、智能手机"},
		{[]string{"用于", "cm", "3"}, ""},
	} {
		rec := achievement(nil)
		h := hit(rec, 0.8)
		h.Matched = tt.matched
		l := service(t).Rank(nothingToName(tt.want), []match.Candidate{{Record: rec, Hit: h}}, profile())
		if len(l.Matches) != 1 {
			t.Fatalf("pair excluded: %v", l.Excluded.ByReason)
		}
		var got string
		for _, r := range l.Matches[0].Reasons {
			if strings.HasPrefix(r, "匹配关键词") {
				got = r
			}
		}
		if got != tt.want {
			t.Errorf("matched %q: reason %q, want %q", tt.matched, got, tt.want)
		}
	}
}

// nothingToName is the test demand, or, for a pair whose reason names nothing (want ""), a
// demand of generic words only: where the demand has words worth naming, a candidate sharing
// none is excluded (TestGenericOnlyTextIsNoMatch).
func nothingToName(want string) *domain.Demand {
	return demand(func(d *domain.Demand) {
		if want == "" {
			d.Title = "技术要求"
		}
	})
}

// TestTextReasonNamesHeldWords: a match holding no term it can name names the words of the
// terms it holds, as 部分匹配, with the same filter.
func TestTextReasonNamesHeldWords(t *testing.T) {
	for _, tt := range []struct {
		matched, parts []string
		want           string
	}{
		{nil, []string{"电池", "用于", "cm", "电解质"}, "部分匹配：电池、电解质"},
		{[]string{"技术"}, []string{"电池"}, "部分匹配：电池"},
		{[]string{"锂离子电池"}, []string{"电池"}, "匹配关键词：锂离子电池"},
		{nil, []string{"技术", "用于"}, ""},
	} {
		rec := achievement(nil)
		h := hit(rec, 0.8)
		h.Matched, h.Parts = tt.matched, tt.parts
		l := service(t).Rank(nothingToName(tt.want), []match.Candidate{{Record: rec, Hit: h}}, profile())
		if len(l.Matches) != 1 {
			t.Fatalf("pair excluded: %v", l.Excluded.ByReason)
		}
		var got string
		for _, r := range l.Matches[0].Reasons {
			if strings.HasPrefix(r, "匹配关键词") || strings.HasPrefix(r, "部分匹配") {
				got = r
			}
		}
		if got != tt.want {
			t.Errorf("matched %q, parts %q: reason %q, want %q", tt.matched, tt.parts, got, tt.want)
		}
	}
}

func TestFeatures(t *testing.T) {
	tests := []struct {
		name    string
		feature string
		d       func(*domain.Demand)
		s       func(*domain.Achievement)
		want    float64
		reason  string // text one of the reasons must contain, "" for none in particular
	}{
		{"text from the hit", "text", nil, nil, 0.8, "匹配关键词：锂离子电池、电解质"},
		{"same field", "field", nil, nil, 1, "行业领域一致：新材料/电池材料"},
		{"same top-level field", "field", nil, func(a *domain.Achievement) { a.Fields = []string{"新材料/先进陶瓷"} }, 0.5, "同属新材料领域：新材料/先进陶瓷"},
		{"other field", "field", nil, func(a *domain.Achievement) { a.Fields = []string{"人工智能/计算机视觉"} }, 0, "行业领域不同：人工智能/计算机视觉"},
		{"supply states no field", "field", nil, func(a *domain.Achievement) { a.Fields = nil }, 0.5, "未注明行业领域，领域项按中性计"},
		{"demand states no field", "field", func(d *domain.Demand) { d.Fields = nil; d.Title = "某项技术" }, nil, 0.5, "需求未注明行业领域，领域项按中性计"},
		{"demand field read from text", "field", func(d *domain.Demand) { d.Fields = nil }, nil, 1, "行业领域一致：新材料/电池材料（需求领域从文本识别）"},
		{"same city", "region", nil, nil, 1, "同城：南京市"},
		{"same province", "region", nil, func(a *domain.Achievement) { a.Region = "320500" }, 0.7, "同省：江苏省"},
		{"partner region", "region", nil, func(a *domain.Achievement) { a.Region = "640100" }, 0.5, "对口协作地区：宁夏回族自治区—江苏省"},
		{"other region", "region", nil, func(a *domain.Achievement) { a.Region = "350200" }, 0.2, "异地：厦门市"},
		{"supply states no region", "region", nil, func(a *domain.Achievement) { a.Region = "" }, 0.5, "未注明所在地区，地区项按中性计"},
		{"demand states no region", "region", func(d *domain.Demand) { d.Region = "" }, nil, 0.5, "需求未注明地区，地区项按中性计"},
		{"region read from text", "region", func(d *domain.Demand) { d.Region = ""; d.Description = "落地南京" }, nil, 1, "同城：南京市（需求地区从文本识别）"},
		{"TRL above the minimum", "maturity", nil, nil, 1, "TRL 6 ≥ 需求 5"},
		{"TRL below the minimum", "maturity", func(d *domain.Demand) { d.MinTRL = 8 }, nil, 0.5, "TRL 6 低于需求 8"},
		{"TRL at the hard floor", "maturity", func(d *domain.Demand) { d.MinTRL = 8 }, func(a *domain.Achievement) { a.TRL = 5 }, 0.25, "TRL 5 低于需求 8"},
		{"supply states no TRL", "maturity", nil, func(a *domain.Achievement) { a.TRL = 0 }, 0.5, "未注明技术成熟度，成熟度项按中性计"},
		{"demand states no TRL", "maturity", func(d *domain.Demand) { d.MinTRL = 0 }, nil, 0.5, "需求未注明成熟度要求，成熟度项按中性计"},
		{"price within budget", "budget", nil, nil, 1, "报价 50–80 万元在预算内"},
		{"price partly within budget", "budget", func(d *domain.Demand) { d.Budget.Max = f64(60) }, nil, 0.8, "报价 50–80 万元，部分在预算内"},
		{"price above budget", "budget", func(d *domain.Demand) { d.Budget.Max = f64(40) }, nil, 0.75, "报价 50–80 万元，高于预算 40 万元"},
		{"price far above budget", "budget", func(d *domain.Demand) { d.Budget.Max = f64(20) }, nil, 0, "高于预算 20 万元"},
		{"budget with only a floor", "budget", func(d *domain.Demand) { d.Budget = &domain.Range{Min: f64(10)} }, nil, 1, "在预算内"},
		{"negotiable price", "budget", nil, func(a *domain.Achievement) { a.Price = nil }, 0.5, "报价面议，预算项按中性计"},
		{"no budget", "budget", func(d *domain.Demand) { d.Budget = nil }, nil, 0.5, "需求未注明预算，预算项按中性计"},
		{"budget read from text", "budget", func(d *domain.Demand) { d.Budget = nil; d.Description = "预算200万元" }, nil, 1, "报价 50–80 万元在预算内（预算 200 万元，从文本识别）"},
		{"mode in common", "mode", nil, nil, 1, "可许可"},
		{"trial then transfer satisfies transfer", "mode", func(d *domain.Demand) { d.AcceptModes = []string{"transfer"} },
			func(a *domain.Achievement) { a.TransferModes = []string{"trial_then_transfer"} }, 1, "先试用后转让"},
		{"supply states no mode", "mode", nil, func(a *domain.Achievement) { a.TransferModes = nil }, 0.5, "未注明转化方式，方式项按中性计"},
		{"demand states no mode", "mode", func(d *domain.Demand) { d.AcceptModes = nil }, nil, 0.5, "需求未注明转化方式，方式项按中性计"},
		{"mode read from text does not exclude", "mode", func(d *domain.Demand) { d.AcceptModes = nil; d.Description = "希望转让" }, nil, 0, "转化方式不符：需求转让，可提供许可（需求方式从文本识别）"},
		{"fresh record", "freshness", nil, nil, 1, ""},
		{"record one half-life old", "freshness", nil, func(a *domain.Achievement) { a.UpdatedAt = clock.AddDate(0, 0, -365) }, 0.5, ""},
		{"old record", "freshness", nil, func(a *domain.Achievement) { a.UpdatedAt = clock.AddDate(-3, 0, 0) }, 0.1248, "信息较旧：更新于 2022-06"},
		{"record without a date", "freshness", nil, func(a *domain.Achievement) { a.UpdatedAt = time.Time{} }, 0.5, "未注明日期，时效项按中性计"},
		{"market signals", "quality", nil, func(a *domain.Achievement) { a.Market = &domain.Market{InvestorInterest: 3, Deals: 2} }, 0.7284, "获投资机构关注 3 次、成交 2 项"},
		{"market looked and passed", "quality", nil, func(a *domain.Achievement) { a.Market = &domain.Market{} }, 0.4, ""},
		{"no quality signal", "quality", nil, nil, 0.5, "缺少专利、市场或职称信息，质量项按中性计"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := one(t, demand(tt.d), achievement(tt.s))
			if got := m.Components[tt.feature]; math.Abs(got-tt.want) > 1e-4 {
				t.Errorf("%s = %g, want %g (reasons %q)", tt.feature, got, tt.want, m.Reasons)
			}
			if tt.reason != "" && !hasReason(m.Reasons, tt.reason) {
				t.Errorf("reasons = %q, want %q among them", m.Reasons, tt.reason)
			}
			if len(m.Components) != len(domain.Features) {
				t.Errorf("components = %v, want all %d features", m.Components, len(domain.Features))
			}
		})
	}
}

func TestPatentAndExpertFeatures(t *testing.T) {
	patent := func(edit func(*domain.Patent)) *domain.Patent {
		p := &domain.Patent{Supply: achievement(nil).Supply, PatentType: "invention", LegalStatus: "granted", GrantedAt: "2024-06-01"}
		p.ID = "p1"
		if edit != nil {
			edit(p)
		}
		return p
	}
	expert := func(edit func(*domain.Expert)) *domain.Expert {
		e := &domain.Expert{Supply: achievement(nil).Supply, Titles: []string{"教授"}}
		e.ID, e.Title, e.TRL, e.Price, e.TransferModes = "e1", "周明远", 0, nil, nil
		if edit != nil {
			edit(e)
		}
		return e
	}
	tests := []struct {
		name    string
		rec     domain.SupplyRecord
		feature string
		want    float64
		reason  string
	}{
		{"granted invention", patent(nil), "quality", 1, "发明专利已授权"},
		{"pending utility model", patent(func(p *domain.Patent) { p.PatentType, p.LegalStatus = "utility", "pending" }), "quality", 0.65, "实用新型专利审查中"},
		{"patent without status or type", patent(func(p *domain.Patent) { p.PatentType, p.LegalStatus = "", "" }), "quality", 0.5, "专利，法律状态未注明"},
		{"patent dated by its grant", patent(nil), "freshness", 0.5, ""},
		{"patent dated by filing when not granted", patent(func(p *domain.Patent) { p.GrantedAt, p.FiledAt = "", "2022-06-01" }), "freshness", 0.1248, "信息较旧：申请于 2022-06"},
		{"open licence counts as license", patent(func(p *domain.Patent) { p.TransferModes, p.OpenLicense = []string{"transfer"}, true }), "mode", 1, "可许可"},
		{"open licence fee stands in for a price", patent(func(p *domain.Patent) { p.Price, p.OpenLicense, p.LicenseFee = nil, true, f64(15) }), "budget", 1, "开放许可年费 15 万元在预算内"},
		{"professor", expert(nil), "quality", 1, "职称：教授"},
		{"associate professor", expert(func(e *domain.Expert) { e.Titles = []string{"副教授"} }), "quality", 0.75, "职称：副教授"},
		{"expert without titles", expert(func(e *domain.Expert) { e.Titles = nil }), "quality", 0.5, "缺少专利、市场或职称信息，质量项按中性计"},
		{"expert has no TRL", expert(nil), "maturity", 0.5, "专家不按技术成熟度评价，成熟度项按中性计"},
		{"expert availability as modes", expert(func(e *domain.Expert) { e.AvailableFor = []string{"consulting", "joint_dev"} }), "mode", 0.5, "专家可提供技术服务、合作开发，方式项按中性计"},
		{"expert modes in common", expert(func(e *domain.Expert) { e.TransferModes = []string{"license", "service"} }), "mode", 1, "可许可"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := profile()
			p.Params.HardFilters = nil // the mode mismatch above must be scored, not dropped
			l := service(t).Rank(demand(nil), []match.Candidate{{Record: tt.rec, Hit: hit(tt.rec, 0.8)}}, p)
			if len(l.Matches) != 1 {
				t.Fatalf("excluded: %v", l.Excluded.ByReason)
			}
			m := l.Matches[0]
			if got := m.Components[tt.feature]; math.Abs(got-tt.want) > 1e-4 {
				t.Errorf("%s = %g, want %g (reasons %q)", tt.feature, got, tt.want, m.Reasons)
			}
			if tt.reason != "" && !hasReason(m.Reasons, tt.reason) {
				t.Errorf("reasons = %q, want %q among them", m.Reasons, tt.reason)
			}
		})
	}
}

func TestHardFilters(t *testing.T) {
	tests := []struct {
		name    string
		d       func(*domain.Demand)
		rec     domain.SupplyRecord
		filters []string // nil: every filter
		text    float64
		want    string // exclusion reason, "" for kept
	}{
		{"kept", nil, achievement(nil), nil, 0.8, ""},
		{"closed supply", nil, achievement(func(a *domain.Achievement) { a.Status = "closed" }), nil, 0.8, "closed"},
		{"closed supply with the filter off", nil, achievement(func(a *domain.Achievement) { a.Status = "closed" }), []string{"mode_mismatch"}, 0.8, ""},
		{"invalid patent", nil, &domain.Patent{Supply: achievement(nil).Supply, LegalStatus: "invalid"}, nil, 0.8, "patent_invalid"},
		{"expired patent", nil, &domain.Patent{Supply: achievement(nil).Supply, LegalStatus: "expired"}, nil, 0.8, "patent_invalid"},
		{"pending patent", nil, &domain.Patent{Supply: achievement(nil).Supply, LegalStatus: "pending"}, nil, 0.8, ""},
		{"no mode in common", nil, achievement(func(a *domain.Achievement) { a.TransferModes = []string{"transfer"} }), nil, 0.8, "mode_mismatch"},
		{"an expert's modes never exclude", nil, &domain.Expert{Supply: achievement(func(a *domain.Achievement) { a.TransferModes = []string{"service"} }).Supply}, nil, 0.8, ""},
		{"modes unstated by supply", nil, achievement(func(a *domain.Achievement) { a.TransferModes = nil }), nil, 0.8, ""},
		{"modes unstated by demand", func(d *domain.Demand) { d.AcceptModes = nil }, achievement(func(a *domain.Achievement) { a.TransferModes = []string{"transfer"} }), nil, 0.8, ""},
		{"modes read from text never exclude", func(d *domain.Demand) { d.AcceptModes = nil; d.Description = "希望转让" }, achievement(nil), nil, 0.8, ""},
		{"TRL below the floor", func(d *domain.Demand) { d.MinTRL = 8 }, achievement(func(a *domain.Achievement) { a.TRL = 4 }), nil, 0.8, "trl_floor"},
		{"TRL at the floor", func(d *domain.Demand) { d.MinTRL = 8 }, achievement(func(a *domain.Achievement) { a.TRL = 5 }), nil, 0.8, ""},
		{"TRL unstated", func(d *domain.Demand) { d.MinTRL = 8 }, achievement(func(a *domain.Achievement) { a.TRL = 0 }), nil, 0.8, ""},
		{"own organisation", func(d *domain.Demand) { d.Enterprise = "金陵理工大学" }, achievement(nil), nil, 0.8, "conflict_of_interest"},
		{"own expert", func(d *domain.Demand) { d.Enterprise = "金陵理工大学" }, &domain.Expert{Supply: achievement(nil).Supply}, nil, 0.8, "conflict_of_interest"},
		{"own patent by applicant", func(d *domain.Demand) { d.Enterprise = "紫峰新能源" },
			&domain.Patent{Supply: achievement(nil).Supply, Applicants: []string{"紫峰新能源"}}, nil, 0.8, "conflict_of_interest"},
		{"no enterprise stated", func(d *domain.Demand) { d.Enterprise = "" }, achievement(func(a *domain.Achievement) { a.Org = "" }), nil, 0.8, ""},
		{"negligible text", nil, achievement(nil), nil, 0.01, match.ReasonLowText},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := profile()
			if tt.filters != nil {
				p.Params.HardFilters = tt.filters
			}
			l := service(t).Rank(demand(tt.d), []match.Candidate{{Record: tt.rec, Hit: hit(tt.rec, tt.text)}}, p)
			got := ""
			for r := range l.Excluded.ByReason {
				got = r
			}
			if got != tt.want {
				t.Fatalf("excluded by %q, want %q", got, tt.want)
			}
			if kept := len(l.Matches); (tt.want == "") != (kept == 1) || l.Excluded.Count != 1-kept {
				t.Errorf("%d kept, excluded %+v", kept, l.Excluded)
			}
		})
	}
}

func TestScoreIsTheWeightedMean(t *testing.T) {
	p := profile()
	p.Weights = map[string]float64{"text": 2, "field": 1, "region": 1, "maturity": 0, "budget": 0, "mode": 0, "freshness": 0, "quality": 0}
	m := one(t, demand(nil), achievement(func(a *domain.Achievement) { a.Region = "350200" }))
	l := service(t).Rank(demand(nil), []match.Candidate{{Record: achievement(func(a *domain.Achievement) { a.Region = "350200" }), Hit: hit(achievement(nil), 0.8)}}, p)
	want := (2*0.8 + 1*1 + 1*0.2) / 4
	if got := l.Matches[0].Score; math.Abs(got-want) > 1e-4 {
		t.Errorf("score = %g, want %g", got, want)
	}
	if m.Components["maturity"] != 1 {
		t.Errorf("a zero weight must still compute its component, got %v", m.Components)
	}
}

func TestRankOrdersByScoreThenTextThenBM25ThenID(t *testing.T) {
	mk := func(id string, region string) *domain.Achievement {
		return achievement(func(a *domain.Achievement) { a.ID, a.Region = id, region })
	}
	cands := []match.Candidate{
		{Record: mk("c", "350200"), Hit: index.Hit{Text: 0.9, Coverage: 0.9}}, // far away: lower score despite better text
		{Record: mk("b", "320100"), Hit: index.Hit{Text: 0.6, Coverage: 0.6}},
		{Record: mk("a", "320100"), Hit: index.Hit{Text: 0.6, Coverage: 0.6}},
		{Record: mk("e", "320100"), Hit: index.Hit{Text: 0.6, Coverage: 0.6, Score: 2}}, // ties a and b, better BM25
		{Record: mk("d", "320100"), Hit: index.Hit{Text: 0.7, Coverage: 0.7}},
		{Record: nil, Hit: index.Hit{Text: 0.9, Coverage: 0.9}}, // deleted after recall
	}
	for i := range cands {
		cands[i].Hit.Matched = []string{"电解液"}
	}
	p := profile()
	p.Weights = map[string]float64{"text": 1, "region": 1}
	l := service(t).Rank(demand(nil), cands, p)
	var ids []string
	for _, m := range l.Matches {
		ids = append(ids, m.ID)
	}
	if want := []string{"d", "e", "a", "b", "c"}; !slices.Equal(ids, want) {
		t.Errorf("order = %q, want %q", ids, want)
	}
	if l.Excluded.ByReason[match.ReasonMissing] != 1 {
		t.Errorf("excluded = %+v, want the missing record counted", l.Excluded)
	}
}

func TestReasonsPutNeutralNotesLast(t *testing.T) {
	m := one(t, demand(func(d *domain.Demand) { d.Budget = nil }), achievement(func(a *domain.Achievement) { a.Market = &domain.Market{InvestorInterest: 3, Deals: 2} }))
	last := m.Reasons[len(m.Reasons)-1]
	if !strings.Contains(last, "中性") || strings.Contains(m.Reasons[0], "中性") {
		t.Errorf("reasons = %q: want positive reasons first, neutral notes last", m.Reasons)
	}
}

func hasReason(reasons []string, want string) bool {
	return slices.ContainsFunc(reasons, func(r string) bool { return strings.Contains(r, want) })
}

// The list threshold selects agents' match-list entries; it never cuts an API answer, where
// the caller asked for the top N and a short list would hide what was close.
func TestListThresholdDoesNotCutAnswers(t *testing.T) {
	far := achievement(func(a *domain.Achievement) {
		a.Region, a.Fields, a.TransferModes = "350200", []string{"人工智能"}, nil
	})
	for _, threshold := range []float64{0, 0.5, 0.9} {
		p := profile()
		p.Params.ListThreshold = threshold
		l := service(t).Rank(demand(nil), []match.Candidate{{Record: far, Hit: hit(far, 0.2)}}, p)
		if len(l.Matches) != 1 || l.Excluded.Count != 0 {
			t.Errorf("threshold %g: %d listed, excluded %v", threshold, len(l.Matches), l.Excluded.ByReason)
		}
	}
}

// TestGenericOnlyTextIsNoMatch checks that a candidate sharing only generic words, lone
// characters, numbers or units with a demand is excluded as low_text_relevance, above the
// text floor, when the demand has words worth naming (other candidates share some, or its
// text holds some that no candidate shares); and kept when the demand's text is generic
// words only. Forward and reverse matching alike.
func TestGenericOnlyTextIsNoMatch(t *testing.T) {
	cand := func(id string, matched, parts []string) match.Candidate {
		a := achievement(func(a *domain.Achievement) { a.ID = id })
		return match.Candidate{Record: a, Hit: index.Hit{Kind: domain.Achievements, ID: id, Text: 0.4, Coverage: 0.4, Matched: matched, Parts: parts}}
	}
	generic := cand("generic", []string{"生产", "技术", "a", "20", "mm"}, []string{"工艺"})
	named := cand("named", []string{"电解液"}, nil)
	part := cand("part", nil, []string{"电池"})
	ids := func(l *domain.MatchList) (out []string) {
		for _, m := range l.Matches {
			out = append(out, m.ID)
		}
		slices.Sort(out)
		return out
	}
	const tells, talk = "高安全电解液生产技术", "生产技术 20 mm"
	for _, tt := range []struct {
		name  string
		text  string // the demand's title; the supply item's, in reverse matching
		cands []match.Candidate
		want  []string
	}{
		{"generic beside a named term", tells, []match.Candidate{generic, named}, []string{"named"}},
		{"generic beside a named word", tells, []match.Candidate{generic, part}, []string{"part"}},
		{"generic alone, the text telling", tells, []match.Candidate{generic}, nil},
		{"generic alone, the text generic", talk, []match.Candidate{generic}, []string{"generic"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			l := service(t).Rank(demand(func(d *domain.Demand) { d.Title = tt.text }), tt.cands, profile())
			if got := ids(l); !slices.Equal(got, tt.want) {
				t.Fatalf("listed %v, want %v (excluded %v)", got, tt.want, l.Excluded.ByReason)
			}
			if n := len(tt.cands) - len(tt.want); l.Excluded.ByReason[match.ReasonLowText] != n {
				t.Errorf("excluded %v, want %d low_text_relevance", l.Excluded.ByReason, n)
			}
			var demands []match.Candidate
			for _, c := range tt.cands {
				d := demand(func(d *domain.Demand) { d.ID = c.Hit.ID })
				c.Record, c.Hit.Kind = d, domain.Demands
				demands = append(demands, c)
			}
			sup := achievement(func(a *domain.Achievement) { a.Title, a.Summary = tt.text, "" })
			if got := ids(service(t).RankDemands(sup, demands, profile())); !slices.Equal(got, tt.want) {
				t.Errorf("reverse: listed %v, want %v", got, tt.want)
			}
		})
	}
}
