package match

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/techmatch/techmatch/internal/domain"
)

// freshness decays with the age of the candidate's date: a patent's grant (or filing) date,
// otherwise when the record was last updated.
func (pr *pairing) freshness(rec domain.Record) feature {
	at, label := datedAt(rec)
	if at.IsZero() {
		return neutral("未注明日期，时效项按中性计")
	}
	days := math.Max(0, pr.now.Sub(at).Hours()/24)
	v := math.Exp2(-days / pr.params.FreshnessHalfLifeDays)
	f := feature{value: v}
	if v < 0.25 && pr.explain {
		f.reason = fmt.Sprintf("信息较旧：%s于 %s", label, at.Format("2006-01"))
	}
	return f
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

// signal is one part of the quality feature; quality is the mean of the parts a record has.
type signal struct {
	value  float64
	reason string
}

// supplyQuality rates a supply item by what a technology-transfer agent looks at first:
// a patent's legal status and type, market signals, an expert's titles. Reasons are told
// only with explain.
func supplyQuality(rec domain.SupplyRecord, explain bool) feature {
	var parts []signal
	switch v := rec.(type) {
	case *domain.Patent:
		parts = append(parts, patentSignal(v, explain))
	case *domain.Expert:
		if s, ok := titleSignal(v.Titles, explain); ok {
			parts = append(parts, s)
		}
	}
	if m := rec.Common().Market; m != nil {
		parts = append(parts, marketSignal(m, explain))
	}
	return combine(parts, "缺少专利、市场或职称信息，质量项按中性计")
}

// demandQuality rates an open demand for reverse matching: a 揭榜挂帅 bounty or a stated
// budget shows an enterprise ready to pay.
func demandQuality(d *domain.Demand) feature {
	var parts []signal
	if d.Challenge != nil && d.Challenge.Bounty != nil {
		parts = append(parts, signal{1, "揭榜挂帅：榜额 " + amount(*d.Challenge.Bounty) + " 万元"})
	} else if d.Challenge != nil {
		parts = append(parts, signal{0.9, "揭榜挂帅需求"})
	}
	if d.Budget != nil && (d.Budget.Min != nil || d.Budget.Max != nil) {
		parts = append(parts, signal{0.8, ""})
	}
	return combine(parts, "未注明预算或榜额，质量项按中性计")
}

func combine(parts []signal, none string) feature {
	if len(parts) == 0 {
		return neutral(none)
	}
	f := feature{}
	for _, p := range parts {
		f.value += p.value
		if p.reason == "" {
			continue
		}
		if f.reason == "" {
			f.reason = p.reason
		} else {
			f.extra = append(f.extra, p.reason)
		}
	}
	f.value /= float64(len(parts))
	return f
}

var patentTypeNames = map[string]string{"invention": "发明专利", "utility": "实用新型专利", "design": "外观设计专利"}

// Patent quality: a granted invention patent is the strongest title a buyer can get.
var (
	legalStatusValue = map[string]float64{"granted": 1, "pending": 0.6, "invalid": 0, "expired": 0}
	patentTypeValue  = map[string]float64{"invention": 1, "utility": 0.7, "design": 0.4}
)

func patentSignal(p *domain.Patent, explain bool) signal {
	s, sok := legalStatusValue[p.LegalStatus]
	k, kok := patentTypeValue[p.PatentType]
	if !sok {
		s = Neutral
	}
	if !kok {
		k = Neutral
	}
	if !explain {
		return signal{value: (s + k) / 2}
	}
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
	return signal{(s + k) / 2, reason}
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

func titleSignal(titles []string, explain bool) (signal, bool) {
	best, name := -1.0, ""
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
	if best < 0 {
		return signal{}, false
	}
	if !explain {
		return signal{value: best}, true
	}
	return signal{best, "职称：" + name}, true
}

// marketSignal turns investor interest and deals into [0.3, 1], log-scaled so the first deals
// count most; no signal at all is a little below neutral: the market has looked and passed.
func marketSignal(m *domain.Market, explain bool) signal {
	if m.InvestorInterest == 0 && m.Deals == 0 {
		return signal{0.4, ""}
	}
	s := 0.5*math.Min(1, math.Log1p(float64(m.InvestorInterest))/math.Log1p(20)) +
		0.5*math.Min(1, math.Log1p(float64(m.Deals))/math.Log1p(10))
	if !explain {
		return signal{value: 0.5 + 0.5*s}
	}
	var parts []string
	if m.InvestorInterest > 0 {
		parts = append(parts, fmt.Sprintf("获投资机构关注 %d 次", m.InvestorInterest))
	}
	if m.Deals > 0 {
		parts = append(parts, fmt.Sprintf("成交 %d 项", m.Deals))
	}
	return signal{0.5 + 0.5*s, strings.Join(parts, "、")}
}
