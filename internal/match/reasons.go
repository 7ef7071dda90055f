package match

import (
	"fmt"
	"strings"

	"github.com/techmatch/techmatch/index"
	"github.com/techmatch/techmatch/internal/domain"
	"github.com/techmatch/techmatch/internal/taxonomy"
)

// told is what one feature says of a pair in words: its reasons, or a note when it is neutral
// for want of an attribute on either side.
type told struct {
	reasons []string
	note    string
}

func reason(r string) told {
	if r == "" {
		return told{}
	}
	return told{reasons: []string{r}}
}

func noted(n string) told { return told{note: n} }

// reasonOrder is the order reasons are told in: what an agent checks first comes first;
// the matched keywords close the list, neutral notes come after everything.
var reasonOrder = [numFeatures]feature{featField, featRegion, featMaturity, featBudget, featMode, featQuality, featFreshness, featText}

// reasons tells why a pair scored as it did (v its values), for a listed match: the features'
// reasons in reasonOrder, then their neutral notes.
func (pr *pairing) reasons(rec domain.SupplyRecord, j judged, h index.Hit, v values) []string {
	price, what := priceOf(rec)
	_, isExpert := rec.(*domain.Expert)
	s := rec.Common()
	var tells [numFeatures]told
	tells[featText] = pr.textTold(h)
	tells[featField] = pr.fieldTold(s.Fields)
	tells[featRegion] = pr.regionTold(s.Region)
	tells[featMaturity] = pr.maturityTold(s.TRL, isExpert)
	tells[featBudget] = pr.budgetTold(price, what)
	tells[featMode] = pr.modeTold(offeredModes(rec), isExpert)
	tells[featFreshness] = freshnessTold(j.record(), v[featFreshness])
	if j.demand != nil {
		tells[featQuality] = demandQualityTold(j.demand)
	} else {
		tells[featQuality] = supplyQualityTold(j.supply)
	}
	out := []string{}
	var notes []string
	for _, f := range reasonOrder {
		out = append(out, tells[f].reasons...)
		if tells[f].note != "" {
			notes = append(notes, tells[f].note)
		}
	}
	return append(out, notes...)
}

// note marks what was read from the demand's text rather than stated.
func note(inferred bool, what string) string {
	if inferred {
		return "（" + what + "从文本识别）"
	}
	return ""
}

func (pr *pairing) textTold(h index.Hit) told {
	if named := namedTerms(h.Matched); len(named) > 0 {
		return reason("匹配关键词：" + strings.Join(named, "、"))
	}
	if parts := namedTerms(h.Parts); len(parts) > 0 {
		return reason("部分匹配：" + strings.Join(parts, "、"))
	}
	return told{}
}

func (pr *pairing) fieldTold(supply []string) told {
	switch {
	case len(pr.fields) == 0:
		return noted("需求未注明行业领域，领域项按中性计")
	case len(supply) == 0:
		return noted("未注明行业领域，领域项按中性计")
	}
	a, b, s := pr.tax.BestFieldPair(pr.fields, supply)
	if pr.reverse {
		a, b = b, a
	}
	suffix := note(pr.inferred.fields, "需求领域")
	switch s {
	case 1:
		return reason("行业领域一致：" + b + suffix)
	case 0.5:
		return reason("同属" + taxonomy.Top(a) + "领域：" + b + suffix)
	}
	return reason("行业领域不同：" + b + suffix)
}

func (pr *pairing) regionTold(code string) told {
	switch {
	case pr.d.Region == "":
		return noted("需求未注明地区，地区项按中性计")
	case code == "":
		return noted("未注明所在地区，地区项按中性计")
	}
	rel := pr.tax.RegionRelation(pr.d.Region, code, pr.params.PartnerRegions)
	suffix := note(pr.inferred.region, "需求地区")
	listed, other := code, pr.d.Region
	if pr.reverse {
		listed, other = other, listed
	}
	switch rel {
	case taxonomy.RegionCity:
		return reason("同城：" + placeName(pr.tax, listed) + suffix)
	case taxonomy.RegionProvince:
		return reason("同省：" + pr.tax.Name(taxonomy.Province(listed)) + suffix)
	case taxonomy.RegionPartner:
		return reason("对口协作地区：" + pr.tax.Name(taxonomy.Province(listed)) + "—" + pr.tax.Name(taxonomy.Province(other)) + suffix)
	}
	return reason("异地：" + placeName(pr.tax, listed) + suffix)
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

func (pr *pairing) maturityTold(trl int, expert bool) told {
	switch {
	case pr.d.MinTRL == 0:
		return noted("需求未注明成熟度要求，成熟度项按中性计")
	case expert && trl == 0:
		return noted("专家不按技术成熟度评价，成熟度项按中性计")
	case trl == 0:
		return noted("未注明技术成熟度，成熟度项按中性计")
	}
	suffix := note(pr.inferred.trl, "需求成熟度")
	if trl >= pr.d.MinTRL {
		return reason(fmt.Sprintf("TRL %d ≥ 需求 %d%s", trl, pr.d.MinTRL, suffix))
	}
	return reason(fmt.Sprintf("TRL %d 低于需求 %d%s", trl, pr.d.MinTRL, suffix))
}

func (pr *pairing) budgetTold(price *domain.Range, what string) told {
	b := pr.d.Budget
	switch {
	case b == nil || (b.Min == nil && b.Max == nil):
		return noted("需求未注明预算，预算项按中性计")
	case price == nil || (price.Min == nil && price.Max == nil):
		return noted(what + "面议，预算项按中性计")
	}
	f := pr.budgetFit(price)
	shown := what + " " + rangeText(f.lo, f.hi) + " 万元"
	var verdict string
	switch {
	case f.fit == fitWithin:
		verdict = "在预算内"
	case f.fit == fitPartly:
		verdict = "，部分在预算内"
	case f.ceiling <= 0:
		verdict = "，高于预算"
	default:
		return reason(shown + "，高于预算 " + amount(f.ceiling) + " 万元" + note(pr.inferred.budget, "预算"))
	}
	suffix := ""
	if pr.inferred.budget {
		suffix = "（预算 " + budgetText(b) + "，从文本识别）"
	}
	return reason(shown + verdict + suffix)
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

func (pr *pairing) modeTold(offered []string, expert bool) told {
	switch {
	case len(pr.d.AcceptModes) == 0:
		return noted("需求未注明转化方式，方式项按中性计")
	case len(offered) == 0:
		return noted("未注明转化方式，方式项按中性计")
	}
	common := commonModes(pr.d.AcceptModes, offered)
	switch {
	case len(common) == 0 && expert:
		return reason("专家可提供" + modeList(offered) + "，方式项按中性计")
	case len(common) == 0:
		return reason("转化方式不符：需求" + modeList(pr.d.AcceptModes) + "，可提供" + modeList(offered) + note(pr.inferred.modes, "需求方式"))
	}
	var t told
	for i, m := range common {
		r := modeReasons[m]
		if i == len(common)-1 {
			r += note(pr.inferred.modes, "需求方式")
		}
		t.reasons = append(t.reasons, r)
	}
	return t
}
