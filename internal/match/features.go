package match

import (
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/techmatch/techmatch/configs"
	"github.com/techmatch/techmatch/index"
	"github.com/techmatch/techmatch/internal/domain"
	"github.com/techmatch/techmatch/internal/taxonomy"
)

// Neutral is the value of a feature when either side does not state the attribute it needs:
// an unknown budget neither helps nor hurts, and the reason says so.
const Neutral = 0.5

// feature indexes the fixed set of matching features, in domain.Features' order.
type feature int

const (
	featText feature = iota
	featField
	featRegion
	featMaturity
	featBudget
	featMode
	featFreshness
	featQuality
	numFeatures
)

// featureNames are the features' names as profiles weigh them and components report them:
// domain.Features, in its order (TestFeatureNames).
var featureNames = [numFeatures]string{"text", "field", "region", "maturity", "budget", "mode", "freshness", "quality"}

// values are one pair's feature values, each in [0, 1]. What they say in words is reasons.go's.
type values [numFeatures]float64

// judged is the record freshness and quality are judged on: the supply item in forward
// matching, the demand (its inferred fields filled in) in reverse.
type judged struct {
	supply domain.SupplyRecord
	demand *domain.Demand
}

func (j judged) record() domain.Record {
	if j.demand != nil {
		return j.demand
	}
	return j.supply
}

// values computes a pair's feature values: rec is the supply side, j what freshness and
// quality are judged on, h the supply item's hit for the demand's text.
func (pr *pairing) values(rec domain.SupplyRecord, j judged, h index.Hit) values {
	price, _ := priceOf(rec)
	_, isExpert := rec.(*domain.Expert)
	s := rec.Common()
	var v values
	v[featText] = clamp01(h.Text)
	v[featField] = pr.fieldValue(s.Fields)
	v[featRegion] = pr.regionValue(s.Region)
	v[featMaturity] = pr.maturityValue(s.TRL)
	v[featBudget] = pr.budgetFit(price).value
	v[featMode] = pr.modeValue(offeredModes(rec), isExpert)
	v[featFreshness] = pr.freshnessValue(j.record())
	if j.demand != nil {
		v[featQuality] = demandQualityValue(j.demand)
	} else {
		v[featQuality] = supplyQualityValue(j.supply)
	}
	return v
}

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
	// explain: tell the reasons (reasons.go). Ranking scores all recalled candidates and lists
	// a few, so it scores without them and explains only the listed (rank.go); values never
	// depend on it.
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

// genericTerms are query terms too common in technical prose to tell an agent anything
// (configs/dict/generic_terms.txt).
var genericTerms = configs.MustWordList("generic_terms.txt")

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

func (pr *pairing) fieldValue(supply []string) float64 {
	if len(pr.fields) == 0 || len(supply) == 0 {
		return Neutral
	}
	_, _, s := pr.tax.BestFieldPair(pr.fields, supply)
	return s
}

func (pr *pairing) regionValue(code string) float64 {
	if pr.d.Region == "" || code == "" {
		return Neutral
	}
	return regionScore(pr.params.RegionScores, pr.tax.RegionRelation(pr.d.Region, code, pr.params.PartnerRegions))
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

// maturityKnown reports whether maturity can be judged: the demand asks a TRL and the supply
// states one (an expert is not judged by TRL).
func (pr *pairing) maturityKnown(trl int) bool { return pr.d.MinTRL != 0 && trl != 0 }

func (pr *pairing) maturityValue(trl int) float64 {
	if !pr.maturityKnown(trl) {
		return Neutral
	}
	if trl < pr.d.MinTRL {
		return math.Max(0, 1-pr.params.MaturityStep*float64(pr.d.MinTRL-trl))
	}
	return 1
}

// budgetFit is how a price range sits against the demand's budget.
type budgetFit struct {
	value   float64
	fit     int     // fitWithin, fitPartly, fitAbove
	lo, hi  float64 // the price
	ceiling float64 // the budget's upper bound, +Inf when it has none
}

const (
	fitWithin = iota
	fitPartly
	fitAbove
)

// budgetFit compares the price range with the budget range: a price fully within budget is 1,
// partly within 0.8, above it falls linearly to 0 at twice the budget.
func (pr *pairing) budgetFit(price *domain.Range) budgetFit {
	b := pr.d.Budget
	if b == nil || (b.Min == nil && b.Max == nil) || price == nil || (price.Min == nil && price.Max == nil) {
		return budgetFit{value: Neutral}
	}
	f := budgetFit{ceiling: math.Inf(1)} // no upper bound: any price is within budget
	f.lo, f.hi = bounds(price)
	if b.Max != nil {
		f.ceiling = *b.Max
	}
	switch {
	case f.hi <= f.ceiling:
		f.value, f.fit = 1, fitWithin
	case f.lo <= f.ceiling:
		f.value, f.fit = 0.8, fitPartly
	case f.ceiling <= 0:
		f.value, f.fit = 0, fitAbove
	default:
		f.value, f.fit = math.Max(0, 1-(f.lo-f.ceiling)/f.ceiling), fitAbove
	}
	return f
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

func (pr *pairing) modeValue(offered []string, expert bool) float64 {
	switch {
	case len(pr.d.AcceptModes) == 0 || len(offered) == 0:
		return Neutral
	case len(commonModes(pr.d.AcceptModes, offered)) > 0:
		return 1
	case expert:
		return Neutral
	}
	return 0
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
