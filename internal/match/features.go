package match

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/techmatch/techmatch/index"
	"github.com/techmatch/techmatch/internal/domain"
	"github.com/techmatch/techmatch/internal/taxonomy"
)

// Neutral is the value of a feature when either side does not state the attribute it needs:
// an unknown budget neither helps nor hurts, and the reason says so.
const Neutral = 0.5

// feature is one feature's value and what it says; a neutral feature's reason is a note.
type feature struct {
	value   float64
	reason  string
	neutral bool
	extra   []string // further reasons, e.g. one per transfer mode in common
}

func neutral(reason string) feature { return feature{value: Neutral, reason: reason, neutral: true} }

// pairing is one demand, made ready for scoring: inferred fields filled in, fields resolved.
type pairing struct {
	tax      *taxonomy.Taxonomy
	params   domain.ProfileParams
	now      time.Time
	d        *domain.Demand // with inferred fields filled
	stated   *domain.Demand // as given, for the hard filters
	fields   []string
	inferred struct{ budget, region, modes, trl, fields bool }
	// reverse: the demand is the listed item, so reasons name its field and place.
	reverse bool
	// explain: tell the reasons. Ranking scores all recalled candidates and lists a few, so it
	// scores without them and explains only the listed (rank.go); values never depend on it.
	explain bool
	// telling: the query has words worth naming (some candidate shares one, or its text holds
	// one), so a candidate sharing none is excluded as low_text_relevance (anyTells, textTells).
	telling bool
}

func newPairing(tax *taxonomy.Taxonomy, params domain.ProfileParams, now time.Time, given, filled *domain.Demand) *pairing {
	pr := &pairing{tax: tax, params: params, now: now, d: filled, stated: given}
	for _, f := range filled.Fields {
		pr.fields = append(pr.fields, tax.Resolve(f))
	}
	pr.inferred.budget = given.Budget == nil && filled.Budget != nil
	pr.inferred.region = given.Region == "" && filled.Region != ""
	pr.inferred.modes = len(given.AcceptModes) == 0 && len(filled.AcceptModes) > 0
	pr.inferred.trl = given.MinTRL == 0 && filled.MinTRL > 0
	pr.inferred.fields = len(given.Fields) == 0 && len(filled.Fields) > 0
	return pr
}

func note(inferred bool, what string) string {
	if inferred {
		return "（" + what + "从文本识别）"
	}
	return ""
}

// genericTerms are query terms too common in technical prose to tell an agent anything.
var genericTerms = []string{"技术", "用于", "要求", "方法", "应用", "开发", "研究", "计划", "实现", "提高", "降低",
	"低于", "高于", "以上", "以下", "现有", "进行", "具有", "可以", "需要", "系统", "工艺", "制备", "生产", "体系", "方案", "提升", "国产", "国产化", "高端"}

// namedTerms are the matched terms a match list names and marks: at most six, none of one
// rune, numeric, generic or a unit (μm, MPa: two records giving a figure in the same unit share
// nothing else by it). The rest still count in the text score.
func namedTerms(matched []string) []string {
	var named []string
	for _, t := range matched {
		if worthNaming(t) && len(named) < 6 {
			named = append(named, t)
		}
	}
	return named
}

// worthNaming reports whether a list would name term t (namedTerms).
func worthNaming(t string) bool {
	numeric := strings.Trim(t, "0123456789.%-") == ""
	return utf8.RuneCountInString(t) >= 2 && !numeric && !slices.Contains(genericTerms, t) && !index.IsUnit(t)
}

func (pr *pairing) text(h index.Hit) feature {
	f := feature{value: clamp01(h.Text)}
	if !pr.explain {
		return f
	}
	if named := namedTerms(h.Matched); len(named) > 0 {
		f.reason = "匹配关键词：" + strings.Join(named, "、")
	} else if parts := namedTerms(h.Parts); len(parts) > 0 {
		f.reason = "部分匹配：" + strings.Join(parts, "、")
	}
	return f
}

func (pr *pairing) field(supply []string) feature {
	switch {
	case len(pr.fields) == 0:
		return neutral("需求未注明行业领域，领域项按中性计")
	case len(supply) == 0:
		return neutral("未注明行业领域，领域项按中性计")
	}
	a, b, s := pr.tax.BestFieldPair(pr.fields, supply)
	if !pr.explain {
		return feature{value: s}
	}
	if pr.reverse {
		a, b = b, a
	}
	suffix := note(pr.inferred.fields, "需求领域")
	switch s {
	case 1:
		return feature{value: 1, reason: "行业领域一致：" + b + suffix}
	case 0.5:
		return feature{value: 0.5, reason: "同属" + taxonomy.Top(a) + "领域：" + b + suffix}
	}
	return feature{value: 0, reason: "行业领域不同：" + b + suffix}
}

func (pr *pairing) region(code string) feature {
	switch {
	case pr.d.Region == "":
		return neutral("需求未注明地区，地区项按中性计")
	case code == "":
		return neutral("未注明所在地区，地区项按中性计")
	}
	rs := pr.params.RegionScores
	rel := pr.tax.RegionRelation(pr.d.Region, code, pr.params.PartnerRegions)
	if !pr.explain {
		return feature{value: regionScore(rs, rel)}
	}
	suffix := note(pr.inferred.region, "需求地区")
	listed, other := code, pr.d.Region
	if pr.reverse {
		listed, other = other, listed
	}
	f := feature{value: regionScore(rs, rel)}
	switch rel {
	case taxonomy.RegionCity:
		f.reason = "同城：" + placeName(pr.tax, listed) + suffix
	case taxonomy.RegionProvince:
		f.reason = "同省：" + pr.tax.Name(taxonomy.Province(listed)) + suffix
	case taxonomy.RegionPartner:
		f.reason = "对口协作地区：" + pr.tax.Name(taxonomy.Province(listed)) + "—" + pr.tax.Name(taxonomy.Province(other)) + suffix
	default:
		f.reason = "异地：" + placeName(pr.tax, listed) + suffix
	}
	return f
}

func regionScore(rs domain.RegionScores, rel taxonomy.RegionRelation) float64 {
	switch rel {
	case taxonomy.RegionCity:
		return rs.City
	case taxonomy.RegionProvince:
		return rs.Province
	case taxonomy.RegionPartner:
		return rs.Partner
	}
	return rs.Other
}

// placeName names a code, falling back from an unlisted district to its city, then its province.
func placeName(tax *taxonomy.Taxonomy, code string) string {
	if len(code) != 6 {
		return code
	}
	for _, c := range []string{code, code[:4] + "00", taxonomy.Province(code)} {
		if tax.KnownRegion(c) {
			return tax.Name(c)
		}
	}
	return code
}

func (pr *pairing) maturity(trl int, expert bool) feature {
	switch {
	case pr.d.MinTRL == 0:
		return neutral("需求未注明成熟度要求，成熟度项按中性计")
	case expert && trl == 0:
		return neutral("专家不按技术成熟度评价，成熟度项按中性计")
	case trl == 0:
		return neutral("未注明技术成熟度，成熟度项按中性计")
	}
	v := 1.0
	if trl < pr.d.MinTRL {
		v = math.Max(0, 1-pr.params.MaturityStep*float64(pr.d.MinTRL-trl))
	}
	if !pr.explain {
		return feature{value: v}
	}
	suffix := note(pr.inferred.trl, "需求成熟度")
	if trl >= pr.d.MinTRL {
		return feature{value: v, reason: fmt.Sprintf("TRL %d ≥ 需求 %d%s", trl, pr.d.MinTRL, suffix)}
	}
	return feature{value: v, reason: fmt.Sprintf("TRL %d 低于需求 %d%s", trl, pr.d.MinTRL, suffix)}
}

// budget compares the price range with the budget range; a price fully within budget is 1,
// partly within 0.8, above it falls linearly to 0 at twice the budget.
func (pr *pairing) budget(price *domain.Range, what string) feature {
	b := pr.d.Budget
	switch {
	case b == nil || (b.Min == nil && b.Max == nil):
		return neutral("需求未注明预算，预算项按中性计")
	case price == nil || (price.Min == nil && price.Max == nil):
		return neutral(what + "面议，预算项按中性计")
	}
	lo, hi := bounds(price)
	bmax := math.Inf(1) // no upper bound: any price is within budget
	if b.Max != nil {
		bmax = *b.Max
	}
	var v float64
	var verdict string // what the reason says of the price; empty: above a positive budget
	switch {
	case hi <= bmax:
		v, verdict = 1, "在预算内"
	case lo <= bmax:
		v, verdict = 0.8, "，部分在预算内"
	case bmax <= 0:
		v, verdict = 0, "，高于预算"
	default:
		v = math.Max(0, 1-(lo-bmax)/bmax)
	}
	if !pr.explain {
		return feature{value: v}
	}
	shown := what + " " + rangeText(lo, hi) + " 万元"
	if verdict == "" {
		return feature{value: v, reason: shown + "，高于预算 " + amount(bmax) + " 万元" + note(pr.inferred.budget, "预算")}
	}
	suffix := ""
	if pr.inferred.budget {
		suffix = "（预算 " + budgetText(b) + "，从文本识别）"
	}
	return feature{value: v, reason: shown + verdict + suffix}
}

func bounds(r *domain.Range) (lo, hi float64) {
	switch {
	case r.Min != nil && r.Max != nil:
		return *r.Min, *r.Max
	case r.Min != nil:
		return *r.Min, *r.Min
	}
	return *r.Max, *r.Max
}

func rangeText(lo, hi float64) string {
	if lo == hi {
		return amount(lo)
	}
	return amount(lo) + "–" + amount(hi)
}

func budgetText(b *domain.Range) string {
	switch {
	case b.Min != nil && b.Max != nil:
		return rangeText(*b.Min, *b.Max) + " 万元"
	case b.Max != nil:
		return amount(*b.Max) + " 万元"
	}
	return "不低于 " + amount(*b.Min) + " 万元"
}

// modeReasons are how a transfer mode in common reads in a reason.
var modeReasons = map[string]string{
	"transfer": "可转让", "license": "可许可", "equity": "可作价入股", "joint_dev": "可合作开发",
	"service": "可提供技术服务", "trial_then_transfer": "先试用后转让",
}

func (pr *pairing) mode(offered []string, expert bool) feature {
	switch {
	case len(pr.d.AcceptModes) == 0:
		return neutral("需求未注明转化方式，方式项按中性计")
	case len(offered) == 0:
		return neutral("未注明转化方式，方式项按中性计")
	}
	common := commonModes(pr.d.AcceptModes, offered)
	if !pr.explain {
		switch {
		case len(common) > 0:
			return feature{value: 1}
		case expert:
			return feature{value: Neutral}
		}
		return feature{value: 0}
	}
	if len(common) == 0 && expert {
		return feature{value: Neutral, reason: "专家可提供" + modeList(offered) + "，方式项按中性计"}
	}
	if len(common) == 0 {
		return feature{value: 0, reason: "转化方式不符：需求" + modeList(pr.d.AcceptModes) + "，可提供" + modeList(offered) + note(pr.inferred.modes, "需求方式")}
	}
	f := feature{value: 1}
	for i, m := range common {
		r := modeReasons[m]
		if i == len(common)-1 {
			r += note(pr.inferred.modes, "需求方式")
		}
		if i == 0 {
			f.reason = r
		} else {
			f.extra = append(f.extra, r)
		}
	}
	return f
}

// commonModes are the demand's accepted modes the supply offers. Trial-then-transfer ends in a
// transfer, so it satisfies a demand that accepts transfer.
func commonModes(accepted, offered []string) []string {
	var out []string
	for _, m := range offered {
		ok := slices.Contains(accepted, m) || (m == "trial_then_transfer" && slices.Contains(accepted, "transfer"))
		if ok && !slices.Contains(out, m) {
			out = append(out, m)
		}
	}
	return out
}

// offeredModes are a supply item's transfer modes, with a patent's open licence and an
// expert's availability read as the modes they amount to.
func offeredModes(rec domain.SupplyRecord) []string {
	modes := slices.Clone(rec.Common().TransferModes)
	add := func(m string) {
		if !slices.Contains(modes, m) {
			modes = append(modes, m)
		}
	}
	switch v := rec.(type) {
	case *domain.Patent:
		if v.OpenLicense {
			add("license")
		}
	case *domain.Expert:
		for _, a := range v.AvailableFor {
			if a == "joint_dev" {
				add("joint_dev")
			} else {
				add("service")
			}
		}
	}
	return modes
}

// priceOf is the price, or for an open-licence patent without one, its yearly licence fee.
func priceOf(rec domain.SupplyRecord) (*domain.Range, string) {
	if p, ok := rec.(*domain.Patent); ok && rec.Common().Price == nil && p.LicenseFee != nil {
		return &domain.Range{Min: p.LicenseFee, Max: p.LicenseFee}, "开放许可年费"
	}
	return rec.Common().Price, "报价"
}

func clamp01(x float64) float64 {
	switch {
	case math.IsNaN(x) || x < 0:
		return 0
	case x > 1:
		return 1
	}
	return x
}
