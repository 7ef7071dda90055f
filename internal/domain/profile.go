package domain

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"
)

// Features are the matching features, in the order they are shown.
var Features = []string{"text", "field", "region", "maturity", "budget", "mode", "freshness", "quality"}

// HardFilters are the filters a profile may switch on.
var HardFilters = []string{"closed", "patent_invalid", "mode_mismatch", "trl_floor", "conflict_of_interest"}

// RegionScores are the region feature's values per relation.
type RegionScores struct {
	City     float64 `json:"city"`
	Province float64 `json:"province"`
	Partner  float64 `json:"partner"`
	Other    float64 `json:"other"`
}

// ProfileParams are the tunable parameters of matching besides the weights.
type ProfileParams struct {
	Recall                int          `json:"recall"`
	ListThreshold         float64      `json:"list_threshold"`
	FreshnessHalfLifeDays float64      `json:"freshness_half_life_days"`
	RegionScores          RegionScores `json:"region_scores"`
	PartnerRegions        [][]string   `json:"partner_regions"`
	HardFilters           []string     `json:"hard_filters"`
	// TRLFloorGap: with the trl_floor filter on, candidates more than this many levels below min_trl are dropped.
	TRLFloorGap int `json:"trl_floor_gap"`
	// MaturityStep is how much the maturity feature falls per TRL level below min_trl.
	MaturityStep float64 `json:"maturity_step"`
	// MinText is the text coverage (the idf-weighted share of the demand's terms a candidate
	// holds) below which a candidate is dropped as off-topic, counted as low_text_relevance.
	MinText float64 `json:"min_text"`
}

// Profile is one version of a named set of matching weights and params.
type Profile struct {
	Name      string             `json:"name"`
	Version   int                `json:"version"`
	Weights   map[string]float64 `json:"weights"`
	Params    ProfileParams      `json:"params"`
	Note      string             `json:"note,omitempty"`
	Author    string             `json:"author,omitempty"`
	CreatedAt time.Time          `json:"created_at"`
}

// ProfileRef names a profile version.
type ProfileRef struct {
	Name    string `json:"name"`
	Version int    `json:"version"`
}

// Ref returns the profile's name and version.
func (p *Profile) Ref() ProfileRef { return ProfileRef{Name: p.Name, Version: p.Version} }

// DefaultParams are used for any param a profile file leaves out.
func DefaultParams() ProfileParams {
	return ProfileParams{
		Recall:                200,
		ListThreshold:         0.5,
		FreshnessHalfLifeDays: 365,
		RegionScores:          RegionScores{City: 1, Province: 0.7, Partner: 0.5, Other: 0.2},
		PartnerRegions:        [][]string{{"640000", "320000"}},
		HardFilters:           []string{"closed", "patent_invalid", "mode_mismatch", "conflict_of_interest"},
		TRLFloorGap:           3,
		MaturityStep:          0.25,
		MinText:               0.1,
	}
}

// TextOnlyProfile is the built-in profile that ranks by text relevance alone.
func TextOnlyProfile() *Profile {
	w := map[string]float64{}
	for _, f := range Features {
		w[f] = 0
	}
	w["text"] = 1
	p := DefaultParams()
	p.HardFilters = []string{}
	return &Profile{Name: "text-only", Version: 1, Weights: w, Params: p, Note: "built in: text relevance only", Author: "system"}
}

// MaxWeight bounds each profile weight. Scores divide by the sum of the weights, so only their
// ratios matter; the bound keeps that sum finite (eight weights of at most 1000) and is far above
// any ratio a profile needs.
const MaxWeight = 1000

// Validate checks names, weights and params, naming the first problem.
func (p *Profile) Validate() error {
	if !ValidID(p.Name) {
		return InvalidID("name", p.Name)
	}
	if len(p.Weights) == 0 {
		return Invalid("weights", "weights 为必填项")
	}
	names := make([]string, 0, len(p.Weights))
	for k := range p.Weights {
		names = append(names, k)
	}
	sort.Strings(names)
	sum := 0.0
	for _, k := range names {
		w := p.Weights[k]
		if !slices.Contains(Features, k) {
			return Invalid("weights."+k, "未知权重 %q：应为 %s 之一", k, strings.Join(Features, ", "))
		}
		if !(w >= 0 && w <= MaxWeight) {
			return Invalid("weights."+k, "权重 %s 应为 0 到 %d 之间的数，收到 %g", k, MaxWeight, w)
		}
		sum += w
	}
	if sum == 0 {
		return Invalid("weights", "至少要有一个权重大于 0")
	}
	for _, f := range Features {
		if _, ok := p.Weights[f]; !ok {
			p.Weights[f] = 0
		}
	}
	return p.Params.Validate()
}

// Validate checks each param's range.
func (q *ProfileParams) Validate() error {
	in01 := func(name string, x float64) error {
		if x < 0 || x > 1 || math.IsNaN(x) {
			return Invalid("params."+name, "%s 应在 0 到 1 之间，收到 %g", name, x)
		}
		return nil
	}
	if q.Recall < 1 || q.Recall > 2000 {
		return Invalid("params.recall", "recall 应为 1–2000，收到 %d", q.Recall)
	}
	if err := in01("list_threshold", q.ListThreshold); err != nil {
		return err
	}
	if q.FreshnessHalfLifeDays <= 0 || q.FreshnessHalfLifeDays > 36500 {
		return Invalid("params.freshness_half_life_days", "freshness_half_life_days 应在 (0, 36500] 之间，收到 %g", q.FreshnessHalfLifeDays)
	}
	rs := q.RegionScores
	for name, x := range map[string]float64{"city": rs.City, "province": rs.Province, "partner": rs.Partner, "other": rs.Other} {
		if err := in01("region_scores."+name, x); err != nil {
			return err
		}
	}
	for i, pair := range q.PartnerRegions {
		if len(pair) != 2 || !regionPattern.MatchString(pair[0]) || !regionPattern.MatchString(pair[1]) {
			return Invalid(fmt.Sprintf("params.partner_regions[%d]", i), "协作地区应为一对 6 位行政区划代码")
		}
	}
	for i, f := range q.HardFilters {
		if !slices.Contains(HardFilters, f) {
			return Invalid(fmt.Sprintf("params.hard_filters[%d]", i), "未知硬过滤条件 %q：应为 %s 之一", f, strings.Join(HardFilters, ", "))
		}
	}
	if q.TRLFloorGap < 0 || q.TRLFloorGap > 8 {
		return Invalid("params.trl_floor_gap", "trl_floor_gap 应为 0–8，收到 %d", q.TRLFloorGap)
	}
	if err := in01("maturity_step", q.MaturityStep); err != nil {
		return err
	}
	return in01("min_text", q.MinText)
}

// Match is one ranked counterpart with its explanation.
type Match struct {
	Kind       Kind                `json:"kind"`
	ID         string              `json:"id"`
	Title      string              `json:"title"`
	Score      float64             `json:"score"`
	Components map[string]float64  `json:"components"`
	Reasons    []string            `json:"reasons"`
	Highlights map[string][]string `json:"highlights,omitempty"`
	// Deadline and Challenge are a listed demand's (reverse matching), for an agent to see
	// the bounty and the dates without reading each demand.
	Deadline  string     `json:"deadline,omitempty"`
	Challenge *Challenge `json:"challenge,omitempty"`
}

// Excluded counts the candidates dropped by hard filters.
type Excluded struct {
	Count    int            `json:"count"`
	ByReason map[string]int `json:"by_reason"`
}

// MatchList is the answer to a match request, forward or reverse.
type MatchList struct {
	DemandID string     `json:"demand_id,omitempty"`
	SupplyID string     `json:"supply_id,omitempty"`
	Profile  ProfileRef `json:"profile"`
	Matches  []Match    `json:"matches"`
	Excluded Excluded   `json:"excluded"`
	// Inferred lists what was read from a plain-sentence demand, e.g. "预算：200 万元（从文本识别）".
	Inferred []string `json:"inferred,omitempty"`
}
