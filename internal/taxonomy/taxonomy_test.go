package taxonomy_test

import (
	"os"
	"slices"
	"testing"

	"github.com/techmatch/techmatch/internal/taxonomy"
)

// load reads the taxonomy and regions the binary embeds, so the tests check the real files.
func load(t testing.TB) *taxonomy.Taxonomy {
	t.Helper()
	tx, err := os.ReadFile("../../configs/taxonomy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	rg, err := os.ReadFile("../../configs/regions.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tax, err := taxonomy.Load(tx, rg)
	if err != nil {
		t.Fatal(err)
	}
	return tax
}

func TestLoadRejectsBadInput(t *testing.T) {
	tests := []struct {
		name          string
		fields, regns string
	}{
		{"broken fields yaml", "fields: [", "regions: []"},
		{"broken regions yaml", "fields: []", "regions: ["},
		{"empty path", "fields: [{path: ''}]", "regions: []"},
		{"duplicate path", "fields: [{path: a}, {path: a}]", "regions: []"},
		{"bad code", "fields: []", "regions: [{code: '32', name: 江苏省}]"},
		{"duplicate code", "fields: []", "regions: [{code: '320000', name: 江苏省}, {code: '320000', name: 江苏}]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := taxonomy.Load([]byte(tt.fields), []byte(tt.regns)); err == nil {
				t.Fatal("Load succeeded, want an error")
			}
		})
	}
}

func TestFieldRelation(t *testing.T) {
	tax := load(t)
	tests := []struct {
		a, b string
		want float64
	}{
		{"新材料/电池材料", "新材料/电池材料", 1},
		{"新材料/电池材料", "新材料/先进陶瓷", 0.5},
		{"新材料", "新材料/先进陶瓷", 0.5},
		{"新材料/电池材料", "人工智能/计算机视觉", 0},
		{"电池材料", "新材料/电池材料", 1},         // unknown path resolved by its leaf name
		{"其他/电解液", "新材料/电池材料", 1},       // ... or by an alias
		{"量子计算/量子芯片", "量子计算/量子通信", 0.5}, // unknown paths compared as text
		{"量子计算", "量子计算", 1},
		{"量子计算", "", 0},
	}
	for _, tt := range tests {
		if got := tax.FieldRelation(tt.a, tt.b); got != tt.want {
			t.Errorf("FieldRelation(%q, %q) = %g, want %g", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestBestFieldPair(t *testing.T) {
	tax := load(t)
	a, b, s := tax.BestFieldPair([]string{"人工智能/计算机视觉", "新材料/电池材料"}, []string{"新材料/先进陶瓷", "新材料/电池材料"})
	if a != "新材料/电池材料" || b != "新材料/电池材料" || s != 1 {
		t.Errorf("BestFieldPair = %q %q %g, want the exact battery pair", a, b, s)
	}
	if _, _, s := tax.BestFieldPair(nil, []string{"新材料"}); s != 0 {
		t.Errorf("BestFieldPair with an empty side = %g, want 0", s)
	}
}

func TestFieldsFromText(t *testing.T) {
	tax := load(t)
	tests := []struct {
		text string
		want []string
	}{
		{"需要高安全性锂离子电池电解质技术", []string{"新能源与氢能储能/锂离子电池", "新材料/电池材料"}},
		{"全固态电池用硫化物固态电解质", []string{"新能源与氢能储能/固态电池"}}, // 固态电解质 wins over 电解质
		{"新材料企业寻求石墨烯导热膜", []string{"新材料/石墨烯与碳材料"}},    // the child hides its parent
		{"智能船舶航行控制", []string{"高端装备与船舶海洋/船舶与海洋工程"}},
		{"新材料", []string{"新材料"}},
		{"一段与分类无关的文字", nil},
	}
	for _, tt := range tests {
		if got := tax.FieldsFromText(tt.text); !slices.Equal(got, tt.want) {
			t.Errorf("FieldsFromText(%q) = %q, want %q", tt.text, got, tt.want)
		}
	}
}

func TestFieldsListsParentsFirst(t *testing.T) {
	tax := load(t)
	fs := tax.Fields()
	if len(fs) < 10 || fs[0] != "生物医药" || !tax.Known("新材料/电池材料") || tax.Known("新材料/不存在") {
		t.Fatalf("Fields = %q", fs[:min(3, len(fs))])
	}
}
