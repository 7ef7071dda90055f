package taxonomy

import (
	"slices"
	"strings"
)

// RegionRelation is how two region codes relate, from closest to farthest.
type RegionRelation int

const (
	// RegionUnknown: one side has no region.
	RegionUnknown RegionRelation = iota
	RegionOther
	RegionPartner
	RegionProvince
	RegionCity
)

func (r RegionRelation) String() string {
	return [...]string{"unknown", "other", "partner", "province", "city"}[r]
}

func validCode(code string) bool {
	if len(code) != 6 || code[0] == '0' {
		return false
	}
	for _, c := range []byte(code) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// municipalities are province-level cities (北京 天津 上海 重庆): two codes in one of them are the same city.
var municipalities = []string{"11", "12", "31", "50"}

// IsProvinceLevel reports whether code names a whole province (its last four digits are 0).
func IsProvinceLevel(code string) bool { return len(code) == 6 && code[2:] == "0000" }

// Province is the province-level code of a region code: 320100 → 320000.
func Province(code string) string {
	if len(code) < 2 {
		return ""
	}
	return code[:2] + "0000"
}

// Province is the province-level code of a region code: 320100 → 320000.
func (t *Taxonomy) Province(code string) string { return Province(code) }

// Name is the region's name, 南京市 for 320100; an unknown code is returned as it is,
// so a reason never shows an empty place.
func (t *Taxonomy) Name(code string) string {
	if r, ok := t.regions[code]; ok {
		return r.Name
	}
	return code
}

// KnownRegion reports whether code is in the region list.
func (t *Taxonomy) KnownRegion(code string) bool {
	_, ok := t.regions[code]
	return ok
}

// RegionRelation relates two region codes: the same city (same first four digits, neither a
// whole province, or both inside one municipality), the same province, partner provinces
// (the pair, in either order, is in partners), or other. An empty code gives RegionUnknown.
func (t *Taxonomy) RegionRelation(a, b string, partners [][]string) RegionRelation {
	if len(a) != 6 || len(b) != 6 {
		return RegionUnknown
	}
	switch {
	case a[:2] == b[:2] && slices.Contains(municipalities, a[:2]):
		return RegionCity
	case a[:4] == b[:4] && !IsProvinceLevel(a) && !IsProvinceLevel(b):
		return RegionCity
	case a[:2] == b[:2]:
		return RegionProvince
	}
	pa, pb := Province(a), Province(b)
	for _, p := range partners {
		if len(p) == 2 && ((Province(p[0]) == pa && Province(p[1]) == pb) || (Province(p[0]) == pb && Province(p[1]) == pa)) {
			return RegionPartner
		}
	}
	return RegionOther
}

// RegionMentions finds city and province names (full or short) in text. A name directly
// followed by 大学 or 学院 names an institution, not a place (中山大学, 南京大学), and is skipped.
func (t *Taxonomy) RegionMentions(text string) []Mention {
	all := t.regionNames.find(text)
	out := all[:0:0]
	for _, m := range all {
		rest := text[m.End:]
		if strings.HasPrefix(rest, "大学") || strings.HasPrefix(rest, "学院") {
			continue
		}
		out = append(out, m)
	}
	return out
}

// RegionsFromText returns the codes of the places named in text, most specific first:
// cities before provinces, and a province dropped when a city inside it is named
// (江苏南京 → 320100).
func (t *Taxonomy) RegionsFromText(text string) []string {
	var cities, provinces []string
	for _, m := range t.RegionMentions(text) {
		if IsProvinceLevel(m.Value) && !slices.Contains(municipalities, m.Value[:2]) {
			if !slices.Contains(provinces, m.Value) {
				provinces = append(provinces, m.Value)
			}
		} else if !slices.Contains(cities, m.Value) {
			cities = append(cities, m.Value)
		}
	}
	out := cities
	for _, p := range provinces {
		if !slices.ContainsFunc(cities, func(c string) bool { return c[:2] == p[:2] }) {
			out = append(out, p)
		}
	}
	return out
}

// levelSuffixes end regions' full names; a name without one (江苏 for 江苏省) names them too.
var levelSuffixes = []string{"特别行政区", "维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "自治州", "省", "市", "地区", "盟"}

// RegionsNamed lists the regions a name may mean, in the list's order: the region whose full
// name it is (南京市, 吉林市), else every region whose short name, or full name without its
// level suffix, it is (南京; 吉林 is both 吉林省 and 吉林市). Unknown names give none.
func (t *Taxonomy) RegionsNamed(name string) []Region {
	name = strings.TrimSpace(name)
	if name == "" {
		return nil
	}
	for _, r := range t.regionList {
		if r.Name == name {
			return []Region{r}
		}
	}
	var out []Region
	for _, r := range t.regionList {
		if r.Short == name || stripLevel(r.Name) == name {
			out = append(out, r)
		}
	}
	return out
}

func stripLevel(name string) string {
	for _, s := range levelSuffixes {
		if base, ok := strings.CutSuffix(name, s); ok && base != "" {
			return base
		}
	}
	return name
}
