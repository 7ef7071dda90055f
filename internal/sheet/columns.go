// Package sheet reads records from CSV and XLSX tables and writes agents' match lists as tables.
package sheet

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/techmatch/techmatch/internal/domain"
)

// valueType is how a cell's text becomes a JSON value.
type valueType int

const (
	text valueType = iota
	list
	integer
	number
	boolean
)

// column is where a header's cells go in the record JSON.
type column struct {
	path []string // JSON path, e.g. ["price", "min"]
	typ  valueType
	enum map[string]string // Chinese value → API value, for enum-valued columns
}

var (
	modeValues   = reverse(domain.ModeNames)
	orgValues    = map[string]string{"高校": "university", "大学": "university", "科研院所": "institute", "研究所": "institute", "新型研发机构": "new_rnd_institution", "企业": "enterprise", "个人": "individual"}
	patentTypes  = map[string]string{"发明": "invention", "发明专利": "invention", "实用新型": "utility", "外观设计": "design"}
	legalValues  = map[string]string{"授权": "granted", "有效": "granted", "审中": "pending", "实审": "pending", "无效": "invalid", "失效": "invalid", "届满": "expired", "过期": "expired"}
	statusValues = map[string]string{"有效": "active", "在售": "active", "关闭": "closed", "下架": "closed", "开放": "open", "已对接": "matched", "已关闭": "closed"}
	availValues  = map[string]string{"咨询": "consulting", "科技副总": "secondment", "挂职": "secondment", "合作开发": "joint_dev"}
)

func reverse(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[v] = k
	}
	return out
}

// columns maps each accepted header, English (the JSON name) or Chinese, to its column.
var columns = map[string]column{}

func init() {
	add := func(c column, names ...string) {
		for _, n := range names {
			columns[normHeader(n)] = c
		}
	}
	str := func(path ...string) column { return column{path: path, typ: text} }
	add(str("id"), "id", "编号", "ID")
	add(str("title"), "title", "标题", "名称", "成果名称", "专利名称", "需求名称", "姓名")
	add(str("summary"), "summary", "摘要", "简介", "成果简介", "个人简介")
	add(str("description"), "description", "描述", "需求描述", "需求内容")
	add(column{path: []string{"keywords"}, typ: list}, "keywords", "关键词", "关键字")
	add(column{path: []string{"fields"}, typ: list}, "fields", "领域", "技术领域", "行业领域")
	add(str("region"), "region", "地区", "地区代码", "行政区划代码")
	add(str("org"), "org", "单位", "所属单位", "完成单位")
	add(column{path: []string{"org_type"}, typ: text, enum: orgValues}, "org_type", "单位类型")
	add(column{path: []string{"trl"}, typ: integer}, "trl", "技术成熟度", "成熟度")
	add(str("stage"), "stage", "阶段", "研发阶段")
	add(column{path: []string{"transfer_modes"}, typ: list, enum: modeValues}, "transfer_modes", "转化方式", "合作方式")
	add(column{path: []string{"accept_modes"}, typ: list, enum: modeValues}, "accept_modes", "接受方式", "期望合作方式")
	add(column{path: []string{"price", "min"}, typ: number}, "price.min", "价格下限", "报价下限")
	add(column{path: []string{"price", "max"}, typ: number}, "price.max", "价格上限", "报价上限")
	add(column{path: []string{"budget", "min"}, typ: number}, "budget.min", "预算下限")
	add(column{path: []string{"budget", "max"}, typ: number}, "budget.max", "预算上限", "预算")
	add(column{path: []string{"market", "investor_interest"}, typ: integer}, "market.investor_interest", "投资关注", "投资机构关注")
	add(column{path: []string{"market", "deals"}, typ: integer}, "market.deals", "成交数", "成交次数")
	add(column{path: []string{"status"}, typ: text, enum: statusValues}, "status", "状态")
	add(str("contact", "name"), "contact.name", "联系人")
	add(str("contact", "phone"), "contact.phone", "电话", "联系电话")
	add(str("contact", "email"), "contact.email", "邮箱", "电子邮箱")
	add(str("enterprise"), "enterprise", "企业", "企业名称", "需求单位")
	add(column{path: []string{"min_trl"}, typ: integer}, "min_trl", "最低TRL", "最低技术成熟度")
	add(str("deadline"), "deadline", "截止日期")
	add(column{path: []string{"challenge", "bounty"}, typ: number}, "challenge.bounty", "榜单金额", "悬赏金额")
	add(str("challenge", "deadline"), "challenge.deadline", "揭榜截止日期")
	add(str("patent_no"), "patent_no", "专利号", "申请号")
	add(column{path: []string{"patent_type"}, typ: text, enum: patentTypes}, "patent_type", "专利类型")
	add(column{path: []string{"legal_status"}, typ: text, enum: legalValues}, "legal_status", "法律状态")
	add(column{path: []string{"ipc"}, typ: list}, "ipc", "IPC分类", "分类号")
	add(column{path: []string{"applicants"}, typ: list}, "applicants", "申请人", "专利权人")
	add(column{path: []string{"inventors"}, typ: list}, "inventors", "发明人")
	add(str("filed_at"), "filed_at", "申请日")
	add(str("granted_at"), "granted_at", "授权日")
	add(column{path: []string{"open_license"}, typ: boolean}, "open_license", "开放许可")
	add(column{path: []string{"license_fee"}, typ: number}, "license_fee", "许可费", "许可年费")
	add(column{path: []string{"titles"}, typ: list}, "titles", "职称")
	add(column{path: []string{"research_areas"}, typ: list}, "research_areas", "研究方向")
	add(column{path: []string{"available_for"}, typ: list, enum: availValues}, "available_for", "可提供", "合作形式")
	add(column{path: []string{"achievement_ids"}, typ: list}, "achievement_ids", "成果编号")
	add(column{path: []string{"patent_ids"}, typ: list}, "patent_ids", "专利编号")
}

// normHeader folds case, width-insensitive spaces and a trailing unit note such as "（万元）".
func normHeader(h string) string {
	h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
	for _, open := range []string{"（", "("} {
		if i := strings.Index(h, open); i > 0 {
			h = h[:i]
		}
	}
	h = strings.ReplaceAll(strings.ReplaceAll(h, " ", ""), "\u3000", "")
	return strings.ToLower(h)
}

// Header maps a table's header row to record fields for one kind.
type Header struct {
	kind domain.Kind
	cols []*column // nil for an empty header cell, whose column is ignored
}

// ParseHeader reads a header row; an unknown or repeated column is an error naming it.
func ParseHeader(k domain.Kind, cells []string) (*Header, error) {
	h := &Header{kind: k}
	seen := map[string]bool{}
	for i, cell := range cells {
		name := normHeader(cell)
		if name == "" {
			h.cols = append(h.cols, nil)
			continue
		}
		c, ok := columns[name]
		if !ok {
			return nil, domain.Invalid("header", "第 %d 列 %q 不是已知字段；请用 JSON 字段名或其中文名（标题、摘要、关键词、领域、地区……）", i+1, strings.TrimSpace(cell))
		}
		// A demand's 摘要 is its description and a supply item's 描述 its summary: people use both.
		if k == domain.Demands && c.path[0] == "summary" {
			c.path = []string{"description"}
		} else if k != domain.Demands && c.path[0] == "description" {
			c.path = []string{"summary"}
		}
		key := strings.Join(c.path, ".")
		if seen[key] {
			return nil, domain.Invalid("header", "第 %d 列 %q 与字段 %s 重复", i+1, strings.TrimSpace(cell), key)
		}
		seen[key] = true
		h.cols = append(h.cols, &c)
	}
	if !seen["title"] && !seen["id"] {
		return nil, domain.Invalid("header", "表头须有 标题（title）列")
	}
	return h, nil
}

// listSeparators split a list cell: full- and half-width semicolons and commas, and 、.
var listSeparators = []string{"；", ";", "、", "，", ",", "\n"}

// Record turns one row into the record's JSON; empty cells are left out. A cell that does not
// fit its column (a word in a number column, say) is an error naming the field.
func (h *Header) Record(cells []string) ([]byte, error) {
	obj := map[string]any{}
	for i, cell := range cells {
		cell = strings.TrimSpace(cell)
		if i >= len(h.cols) {
			if cell != "" {
				return nil, domain.Invalid("", "第 %d 格没有对应的表头", i+1)
			}
			continue
		}
		c := h.cols[i]
		if c == nil || cell == "" {
			continue
		}
		v, err := c.value(cell)
		if err != nil {
			return nil, err
		}
		set(obj, c.path, v)
	}
	if len(obj) == 0 {
		return nil, nil
	}
	return json.Marshal(obj)
}

func (c *column) value(cell string) (any, error) {
	field := strings.Join(c.path, ".")
	mapped := func(s string) string {
		if v, ok := c.enum[s]; ok {
			return v
		}
		return s
	}
	switch c.typ {
	case list:
		parts := []string{cell}
		for _, sep := range listSeparators {
			var next []string
			for _, p := range parts {
				next = append(next, strings.Split(p, sep)...)
			}
			parts = next
		}
		out := []string{}
		for _, p := range parts {
			if p = strings.TrimSpace(p); p != "" && !slices.Contains(out, mapped(p)) {
				out = append(out, mapped(p))
			}
		}
		return out, nil
	case integer:
		n, err := strconv.ParseFloat(strings.TrimSuffix(cell, ".0"), 64)
		if err != nil || n != float64(int64(n)) {
			return nil, domain.Invalid(field, "%s 应为整数，收到 %q", field, cell)
		}
		return int64(n), nil
	case number:
		n, err := strconv.ParseFloat(strings.ReplaceAll(cell, ",", ""), 64)
		if err != nil {
			return nil, domain.Invalid(field, "%s 应为数字（万元），收到 %q", field, cell)
		}
		return n, nil
	case boolean:
		switch strings.ToLower(cell) {
		case "true", "1", "yes", "是", "y":
			return true, nil
		case "false", "0", "no", "否", "n":
			return false, nil
		}
		return nil, domain.Invalid(field, "%s 应为 是/否 或 true/false，收到 %q", field, cell)
	}
	return mapped(cell), nil
}

func set(obj map[string]any, path []string, v any) {
	for _, p := range path[:len(path)-1] {
		next, ok := obj[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			obj[p] = next
		}
		obj = next
	}
	obj[path[len(path)-1]] = v
}

// Row is one data row of a table: its 1-based row number in the file, and its cells or
// the error that made it unreadable.
type Row struct {
	Line  int
	Cells []string
	Err   error
}

// String helps test failures read.
func (r Row) String() string { return fmt.Sprintf("row %d %q %v", r.Line, r.Cells, r.Err) }
