package match_test

import (
	"reflect"
	"slices"
	"testing"

	"github.com/techmatch/techmatch/internal/domain"
	"github.com/techmatch/techmatch/internal/match"
)

func TestInferDemand(t *testing.T) {
	tax := loadTaxonomy(t)
	type want struct {
		title, body string
		noBody      bool // the recall body must stay empty
		min, max    *float64
		region      string
		modes       []string
		minTRL      int
		fields      []string
		inferredLen int
	}
	tests := []struct {
		name string
		d    domain.Demand
		want want
	}{
		{
			name: "acceptance sentence",
			d:    domain.Demand{Title: "需要高安全性锂离子电池电解质技术，预算200万元，南京，希望许可"},
			want: want{title: "高安全性锂离子电池电解质技术", max: f64(200), region: "320100", modes: []string{"license"},
				fields: []string{"新能源与氢能储能/锂离子电池", "新材料/电池材料"}, inferredLen: 4},
		},
		{
			name: "range in 万元 and a province",
			d:    domain.Demand{Title: "石墨烯导热膜", Description: "预算100-200万元，江苏省内，可作价入股或合作开发，已有中试线"},
			want: want{title: "石墨烯导热膜", min: f64(100), max: f64(200), region: "320000", modes: []string{"equity", "joint_dev"}, minTRL: 6,
				fields: []string{"新材料/石墨烯与碳材料"}, inferredLen: 5},
		},
		{
			name: "upper bound in 亿元",
			d:    domain.Demand{Title: "燃料电池膜电极", Description: "投入不超过1.5亿元，要求产业化"},
			want: want{title: "燃料电池膜电极", max: f64(15000), minTRL: 7, fields: []string{"新能源与氢能储能/氢燃料电池"}, inferredLen: 3},
		},
		{
			name: "lower bound and 先试用后转让 over 转让",
			d:    domain.Demand{Title: "枸杞干燥技术", Description: "50万元以上，先试用后转让"},
			want: want{title: "枸杞干燥技术", min: f64(50), modes: []string{"trial_then_transfer"}, fields: []string{"现代农业与兽医疫苗/特色作物与枸杞", "现代农业与兽医疫苗/农产品加工与保鲜"}, inferredLen: 3},
		},
		{
			name: "an output figure is no budget",
			d:    domain.Demand{Title: "钠离子电池正极材料", Description: "年产值5亿元，年产1万吨"},
			want: want{title: "钠离子电池正极材料", body: "年产值5亿元 年产1万吨", fields: []string{"新能源与氢能储能/钠离子电池", "新材料/电池材料"}, inferredLen: 1},
		},
		{
			name: "stated fields win over read ones",
			d: domain.Demand{Title: "需要电解液技术，预算200万元，南京，希望许可", Budget: &domain.Range{Max: f64(80)}, Region: "640100",
				AcceptModes: []string{"transfer"}, MinTRL: 5, Fields: []string{"新材料"}},
			want: want{title: "电解液技术", max: f64(80), region: "640100", modes: []string{"transfer"}, minTRL: 5, fields: []string{"新材料"}},
		},
		{
			name: "nothing to read",
			d:    domain.Demand{Title: "一种新的检测方法"},
			want: want{title: "一种新的检测方法"},
		},
		{
			name: "a noise word inside a short term stays",
			d:    domain.Demand{Title: "运输需求"},
			want: want{title: "运输需求"},
		},
		{
			name: "a noise word ending a longer piece is cut, an intent word always",
			d:    domain.Demand{Title: "锂电池回收工艺需求，需要合作开发"},
			want: want{title: "锂电池回收工艺", modes: []string{"joint_dev"}, fields: []string{"新能源与氢能储能/锂离子电池"}, inferredLen: 2},
		},
		{
			name: "a piece of nothing but noise is what the user typed: it counts in the body",
			d:    domain.Demand{Title: "需求 发展思路"},
			want: want{title: "发展思路", body: "需求"},
		},
		{
			name: "intent words and places standing alone stay out of the body",
			d:    domain.Demand{Title: "需要 锂电池 南京"},
			want: want{title: "锂电池", noBody: true, region: "320100", fields: []string{"新能源与氢能储能/锂离子电池"}, inferredLen: 2},
		},
		{
			name: "only noise keeps the original text for recall",
			d:    domain.Demand{Title: "需要，预算面议"},
			want: want{title: "需要，预算面议"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			orig := tt.d
			got, inferred := match.InferDemand(&tt.d, tax)
			if !reflect.DeepEqual(tt.d, orig) {
				t.Errorf("InferDemand changed its input")
			}
			if got.Title != tt.want.title {
				t.Errorf("recall title = %q, want %q", got.Title, tt.want.title)
			}
			if (tt.want.body != "" || tt.want.noBody) && got.Description != tt.want.body {
				t.Errorf("recall body = %q, want %q", got.Description, tt.want.body)
			}
			var gotMin, gotMax *float64
			if got.Budget != nil {
				gotMin, gotMax = got.Budget.Min, got.Budget.Max
			}
			if !eqPtr(gotMin, tt.want.min) || !eqPtr(gotMax, tt.want.max) {
				t.Errorf("budget = %v–%v, want %v–%v", deref(gotMin), deref(gotMax), deref(tt.want.min), deref(tt.want.max))
			}
			if got.Region != tt.want.region {
				t.Errorf("region = %q, want %q", got.Region, tt.want.region)
			}
			if !slices.Equal(got.AcceptModes, tt.want.modes) {
				t.Errorf("modes = %q, want %q", got.AcceptModes, tt.want.modes)
			}
			if got.MinTRL != tt.want.minTRL {
				t.Errorf("min_trl = %d, want %d", got.MinTRL, tt.want.minTRL)
			}
			if !slices.Equal(got.Fields, tt.want.fields) {
				t.Errorf("fields = %q, want %q", got.Fields, tt.want.fields)
			}
			if len(inferred) != tt.want.inferredLen {
				t.Errorf("inferred = %q, want %d items", inferred, tt.want.inferredLen)
			}
		})
	}
}

func TestInferDemandSaysWhatItRead(t *testing.T) {
	_, inferred := match.InferDemand(&domain.Demand{Title: "需要高安全性锂离子电池电解质技术，预算200万元，南京，希望许可"}, loadTaxonomy(t))
	want := []string{"预算：200 万元（从文本识别）", "地区：南京市（从文本识别）", "转化方式：许可（从文本识别）"}
	for _, w := range want {
		if !slices.Contains(inferred, w) {
			t.Errorf("inferred = %q, want it to contain %q", inferred, w)
		}
	}
}

func eqPtr(a, b *float64) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

func deref(p *float64) any {
	if p == nil {
		return "nil"
	}
	return *p
}
