package match

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/techmatch/techmatch/internal/domain"
)

// freshnessValue decays with the age of the record's date: a patent's grant (or filing) date,
// otherwise when the record was last updated.
func (pr *pairing) freshnessValue(rec domain.Record) float64 {
	at, _ := datedAt(rec)
	if at.IsZero() {
		return Neutral
	}
	days := math.Max(0, pr.now.Sub(at).Hours()/24)
	return math.Exp2(-days / pr.params.FreshnessHalfLifeDays)
}

// freshnessTold says a record is old when its freshness v has fallen under a quarter.
func freshnessTold(rec domain.Record, v float64) told {
	at, label := datedAt(rec)
	switch {
	case at.IsZero():
		return noted("未注明日期，时效项按中性计")
	case v < 0.25:
		return reason(fmt.Sprintf("信息较旧：%s于 %s", label, at.Format("2006-01")))
	}
	return told{}
}

func datedAt(rec domain.Record) (time.Time, string) {
	if p, ok := rec.(*domain.Patent); ok {
		for _, d := range []struct{ s, label string }{{p.GrantedAt, "授权"}, {p.FiledAt, "申请"}} {
			if t, err := time.Parse(time.DateOnly, d.s); err == nil {
				return t, d.label
			}
		}
	}
	return rec.GetMeta().UpdatedAt, "更新"
}

// A record's quality is the mean of the parts of it it has: for supply a patent's legal
// status and type, an expert's best title, market signals; for a demand a 揭榜挂帅 challenge
// and a stated budget. With none it is neutral. The values are computed for every candidate,
// the reasons only for the listed: the two walk the same parts.

func supplyQualityValue(rec domain.SupplyRecord) float64 {
	var sum float64
	n := 0
	switch v := rec.(type) {
	case *domain.Patent:
		sum, n = sum+patentValue(v), n+1
	case *domain.Expert:
		if value, _, ok := bestTitle(v.Titles); ok {
			sum, n = sum+value, n+1
		}
	}
	if m := rec.Common().Market; m != nil {
		sum, n = sum+marketValue(m), n+1
	}
	return mean(sum, n)
}

func supplyQualityTold(rec domain.SupplyRecord) told {
	var t told
	parts := 0
	switch v := rec.(type) {
	case *domain.Patent:
		t.reasons, parts = append(t.reasons, patentReason(v)), parts+1
	case *domain.Expert:
		if _, name, ok := bestTitle(v.Titles); ok {
			t.reasons, parts = append(t.reasons, "职称："+name), parts+1
		}
	}
	if m := rec.Common().Market; m != nil {
		parts++
		if r := marketReason(m); r != "" {
			t.reasons = append(t.reasons, r)
		}
	}
	if parts == 0 {
		return noted("缺少专利、市场或职称信息，质量项按中性计")
	}
	return t
}

func demandQualityValue(d *domain.Demand) float64 {
	var sum float64
	n := 0
	switch c := d.Challenge; {
	case c != nil && c.Bounty != nil:
		sum, n = sum+1, n+1
	case c != nil:
		sum, n = sum+0.9, n+1
	}
	if hasBudget(d) {
		sum, n = sum+0.8, n+1
	}
	return mean(sum, n)
}

func demandQualityTold(d *domain.Demand) told {
	var t told
	switch c := d.Challenge; {
	case c != nil && c.Bounty != nil:
		t.reasons = append(t.reasons, "揭榜挂帅：榜额 "+amount(*c.Bounty)+" 万元")
	case c != nil:
		t.reasons = append(t.reasons, "揭榜挂帅需求")
	case !hasBudget(d):
		return noted("未注明预算或榜额，质量项按中性计")
	}
	return t
}

func hasBudget(d *domain.Demand) bool {
	return d.Budget != nil && (d.Budget.Min != nil || d.Budget.Max != nil)
}

func mean(sum float64, n int) float64 {
	if n == 0 {
		return Neutral
	}
	return sum / float64(n)
}

var patentTypeNames = map[string]string{"invention": "发明专利", "utility": "实用新型专利", "design": "外观设计专利"}

// Patent quality: a granted invention patent is the strongest title a buyer can get.
var (
	legalStatusValue = map[string]float64{"granted": 1, "pending": 0.6, "invalid": 0, "expired": 0}
	patentTypeValue  = map[string]float64{"invention": 1, "utility": 0.7, "design": 0.4}
)

func patentValue(p *domain.Patent) float64 {
	s, sok := legalStatusValue[p.LegalStatus]
	k, kok := patentTypeValue[p.PatentType]
	if !sok {
		s = Neutral
	}
	if !kok {
		k = Neutral
	}
	return (s + k) / 2
}

func patentReason(p *domain.Patent) string {
	name := patentTypeNames[p.PatentType]
	if name == "" {
		name = "专利"
	}
	var reason string
	switch p.LegalStatus {
	case "granted":
		reason = name + "已授权"
	case "pending":
		reason = name + "审查中"
	case "invalid":
		reason = name + "已失效"
	case "expired":
		reason = name + "已过期"
	default:
		reason = name + "，法律状态未注明"
	}
	if p.OpenLicense {
		reason += "，开放许可"
	}
	return reason
}

// titleRanks orders titles; 副教授 must be tested before 教授, 正高级工程师 before 高级工程师.
var titleRanks = []struct {
	word  string
	value float64
}{
	{"院士", 1}, {"正高级", 1}, {"副教授", 0.75}, {"副研究员", 0.75}, {"副主任医师", 0.75},
	{"教授", 1}, {"研究员", 1}, {"主任医师", 1}, {"高级工程师", 0.75}, {"高工", 0.75},
	{"讲师", 0.5}, {"助理研究员", 0.5}, {"工程师", 0.5},
}

// bestTitle is the value of the highest of titles that titleRanks knows, and that title.
func bestTitle(titles []string) (value float64, name string, ok bool) {
	best := -1.0
	for _, t := range titles {
		for _, r := range titleRanks {
			if strings.Contains(t, r.word) {
				if r.value > best {
					best, name = r.value, t
				}
				break
			}
		}
	}
	return best, name, best >= 0
}

// marketValue turns investor interest and deals into [0.3, 1], log-scaled so the first deals
// count most; no signal at all is a little below neutral: the market has looked and passed.
func marketValue(m *domain.Market) float64 {
	if m.InvestorInterest == 0 && m.Deals == 0 {
		return 0.4
	}
	s := 0.5*math.Min(1, math.Log1p(float64(m.InvestorInterest))/math.Log1p(20)) +
		0.5*math.Min(1, math.Log1p(float64(m.Deals))/math.Log1p(10))
	return 0.5 + 0.5*s
}

func marketReason(m *domain.Market) string {
	var parts []string
	if m.InvestorInterest > 0 {
		parts = append(parts, fmt.Sprintf("获投资机构关注 %d 次", m.InvestorInterest))
	}
	if m.Deals > 0 {
		parts = append(parts, fmt.Sprintf("成交 %d 项", m.Deals))
	}
	return strings.Join(parts, "、")
}
