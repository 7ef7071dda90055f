package taxonomy_test

import (
	"slices"
	"testing"

	"github.com/techmatch/techmatch/internal/taxonomy"
)

func TestRegionNames(t *testing.T) {
	tax := load(t)
	tests := []struct{ code, name, province string }{
		{"320100", "南京市", "320000"},
		{"320000", "江苏省", "320000"},
		{"640100", "银川市", "640000"},
		{"320599", "320599", "320000"}, // unknown codes stay readable
	}
	for _, tt := range tests {
		if got := tax.Name(tt.code); got != tt.name {
			t.Errorf("Name(%s) = %q, want %q", tt.code, got, tt.name)
		}
		if got := tax.Province(tt.code); got != tt.province {
			t.Errorf("Province(%s) = %q, want %q", tt.code, got, tt.province)
		}
	}
}

func TestRegionRelation(t *testing.T) {
	tax := load(t)
	partners := [][]string{{"640000", "320000"}}
	tests := []struct {
		a, b string
		want taxonomy.RegionRelation
	}{
		{"320100", "320100", taxonomy.RegionCity},
		{"320100", "320102", taxonomy.RegionCity}, // a district inside the city
		{"320100", "320500", taxonomy.RegionProvince},
		{"320000", "320100", taxonomy.RegionProvince}, // a province-level code is never the same city
		{"320000", "320000", taxonomy.RegionProvince},
		{"110000", "110105", taxonomy.RegionCity}, // municipalities are cities
		{"640100", "320100", taxonomy.RegionPartner},
		{"320500", "640000", taxonomy.RegionPartner}, // the pair matches in either order
		{"350200", "320100", taxonomy.RegionOther},
		{"", "320100", taxonomy.RegionUnknown},
		{"320100", "", taxonomy.RegionUnknown},
	}
	for _, tt := range tests {
		if got := tax.RegionRelation(tt.a, tt.b, partners); got != tt.want {
			t.Errorf("RegionRelation(%s, %s) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestRegionsFromText(t *testing.T) {
	tax := load(t)
	tests := []struct {
		text string
		want []string
	}{
		{"预算200万元，南京，希望许可", []string{"320100"}},
		{"江苏南京", []string{"320100"}}, // the city hides its province
		{"江苏省内优先", []string{"320000"}},
		{"宁夏或福建厦门", []string{"350200", "640000"}},
		{"吉林省", []string{"220000"}},
		{"吉林市", []string{"220200"}},
		{"吉林", []string{"220000"}}, // bare 吉林 is the province
		{"与中山大学合作", nil},           // an institution, not a place
		{"北京", []string{"110000"}},
		{"没有地名", nil},
	}
	for _, tt := range tests {
		if got := tax.RegionsFromText(tt.text); !slices.Equal(got, tt.want) {
			t.Errorf("RegionsFromText(%q) = %q, want %q", tt.text, got, tt.want)
		}
	}
}

func TestRegionMentionsOffsets(t *testing.T) {
	tax := load(t)
	text := "落地在南京市"
	ms := tax.RegionMentions(text)
	if len(ms) != 1 || text[ms[0].Start:ms[0].End] != "南京市" || ms[0].Value != "320100" {
		t.Fatalf("RegionMentions(%q) = %+v", text, ms)
	}
}

// TestRegionsNamed: full names and short names, with or without the level, name their regions;
// a name two regions share lists both; unknown names none.
func TestRegionsNamed(t *testing.T) {
	tax := load(t)
	for _, c := range []struct {
		name string
		want []string
	}{
		{"南京", []string{"320100"}},
		{"南京市", []string{"320100"}},
		{" 江苏 ", []string{"320000"}},
		{"江苏省", []string{"320000"}},
		{"广西", []string{"450000"}},
		{"内蒙古自治区", []string{"150000"}},
		{"吉林市", []string{"220200"}},
		{"吉林", []string{"220000", "220200"}},
		{"北京", []string{"110000"}},
		{"火星", nil},
		{"", nil},
	} {
		var got []string
		for _, r := range tax.RegionsNamed(c.name) {
			got = append(got, r.Code)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("RegionsNamed(%q) = %v, want %v", c.name, got, c.want)
		}
	}
}
