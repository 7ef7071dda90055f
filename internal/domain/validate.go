package domain

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits on record size; generous for real abstracts, small enough to keep one record cheap.
const (
	MaxTitleLen   = 500
	MaxTextLen    = 20000
	MaxListItems  = 100
	MaxItemLen    = 200
	MaxRecordSize = 256 << 10
)

var idPattern = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)
var regionPattern = regexp.MustCompile(`^[1-9][0-9]{5}$`)

// ValidID reports whether id is an acceptable caller id: 1–128 characters of A-Z a-z 0-9 . _ : -,
// and not "." or "..", which a URL path resolves away (/v1/demands/.. is /v1/), so no client
// could address the record. The other characters a path treats specially ("/", "%", "?", "#",
// spaces, control characters) are outside the pattern.
func ValidID(id string) bool { return idPattern.MatchString(id) && id != "." && id != ".." }

// InvalidID is the error for an id that ValidID refuses, naming field.
func InvalidID(field, id string) *Error {
	if id == "." || id == ".." {
		return Invalid(field, "%s %q 不能用：URL 路径会把它解析掉，这个编号无法访问", field, id)
	}
	return Invalid(field, "%s 须为 1–128 个字符，只能用 A-Z a-z 0-9 . _ : -", field)
}

// DecodeRecord strictly decodes one JSON record of kind k and validates it:
// invalid UTF-8, unknown fields, wrong types, truncated JSON and trailing data are rejected.
func DecodeRecord(k Kind, data []byte) (Record, error) {
	r, err := NewRecord(k)
	if err != nil {
		return nil, err
	}
	if err := DecodeJSON(data, r); err != nil {
		return nil, err
	}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	return r, nil
}

// DecodeJSON decodes exactly one JSON value into v, rejecting unknown fields,
// and turns decoder errors into invalid_argument errors that name the field.
func DecodeJSON(data []byte, v any) error {
	if len(data) > MaxRecordSize {
		return &Error{Code: CodeTooLarge, Message: fmt.Sprintf("记录有 %d 字节，超过上限 %d", len(data), MaxRecordSize)}
	}
	if !utf8.Valid(data) {
		return Invalid("", "请求体不是有效的 UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return Invalid("", "JSON 值之后还有多余的内容")
	}
	return nil
}

func jsonError(err error) error {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		want := goTypeName(typeErr.Type.String())
		if num, ok := strings.CutPrefix(typeErr.Value, "number "); ok && want == "数字" {
			if strings.HasPrefix(typeErr.Type.String(), "int") && strings.ContainsAny(num, ".eE") {
				return Invalid(jsonPath(typeErr.Field), "应为整数，收到 %s", num)
			}
			return Invalid(jsonPath(typeErr.Field), "数字 %s 超出范围", num)
		}
		return Invalid(jsonPath(typeErr.Field), "类型不对：收到 JSON %s，应为 %s", typeErr.Value, want)
	case errors.As(err, &syntaxErr):
		return Invalid("", "JSON 格式错误（第 %d 字节）：%v", syntaxErr.Offset, syntaxErr)
	case errors.Is(err, io.EOF):
		return Invalid("", "请求体为空：应为一个 JSON 对象")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return Invalid("", "JSON 不完整（被截断）")
	}
	msg := err.Error()
	if f, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		f = strings.Trim(f, `"`)
		return Invalid(f, "未知字段 %q", f)
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return Invalid("", "无效的 JSON：%s", strings.TrimPrefix(msg, "json: "))
}

// jsonPath drops the Go names of embedded structs (Supply.trl → trl) from a decoder's field path.
func jsonPath(field string) string {
	parts := strings.Split(field, ".")
	out := parts[:0]
	for _, p := range parts {
		if p != "" && !unicode.IsUpper([]rune(p)[0]) {
			out = append(out, p)
		}
	}
	return strings.Join(out, ".")
}

func goTypeName(t string) string {
	switch {
	case strings.HasPrefix(t, "[]"):
		return "数组"
	case t == "string":
		return "字符串"
	case strings.HasPrefix(t, "int") || strings.HasPrefix(t, "float") || strings.HasPrefix(t, "*float"):
		return "数字"
	case t == "bool":
		return "布尔值"
	}
	return "对象"
}

// validator collects the first problem found; fields are checked in a fixed order.
type validator struct{ err *Error }

func (v *validator) fail(field, format string, args ...any) {
	if v.err == nil {
		v.err = Invalid(field, format, args...)
	}
}

func (v *validator) result() error {
	if v.err == nil {
		return nil
	}
	return v.err
}

// text trims s, checks its length and rejects control characters other than newline and tab.
func (v *validator) text(field string, s *string, max int, required bool) {
	*s = strings.TrimSpace(*s)
	if *s == "" {
		if required {
			v.fail(field, "%s 为必填项", field)
		}
		return
	}
	if n := utf8.RuneCountInString(*s); n > max {
		v.fail(field, "%s 有 %d 个字符，最多 %d 个", field, n, max)
		return
	}
	for _, r := range *s {
		if unicode.IsControl(r) && r != '\n' && r != '\t' && r != '\r' {
			v.fail(field, "%s 含有控制字符 %U", field, r)
			return
		}
	}
}

func (v *validator) list(field string, l *[]string, allowed []string) {
	if len(*l) > MaxListItems {
		v.fail(field, "%s 有 %d 项，最多 %d 项", field, len(*l), MaxListItems)
		return
	}
	out := (*l)[:0]
	for i, s := range *l {
		name := fmt.Sprintf("%s[%d]", field, i)
		v.text(name, &s, MaxItemLen, false)
		if s == "" {
			continue
		}
		if allowed != nil && !slices.Contains(allowed, s) {
			v.fail(name, "未知取值 %q：应为 %s 之一", s, strings.Join(allowed, ", "))
			return
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		out = nil
	}
	*l = out
}

func (v *validator) enum(field string, s *string, allowed []string, def string) {
	*s = strings.TrimSpace(*s)
	if *s == "" {
		*s = def
		return
	}
	if !slices.Contains(allowed, *s) {
		v.fail(field, "未知取值 %q：应为 %s 之一", *s, strings.Join(allowed, ", "))
	}
}

func (v *validator) id(m *Meta) {
	m.ID = strings.TrimSpace(m.ID)
	if m.ID != "" && !ValidID(m.ID) {
		if v.err == nil {
			v.err = InvalidID("id", m.ID)
		}
	}
}

// region checks a region field and turns a region's name into its code (ResolveRegion).
func (v *validator) region(field string, s *string) {
	code, err := ResolveRegion(field, *s)
	if err != nil {
		if v.err == nil {
			v.err = err
		}
		return
	}
	*s = code
}

// MaxAmount bounds every amount of money, in 万元: 10⁸ 万元 is 1 万亿元 (10¹² 元), above any
// deal, price or budget a platform sees, and small enough that sums over every record stay exact
// to the 元 and finite.
const MaxAmount = 1e8

// ValidAmount reports whether x is an amount in [0, MaxAmount] 万元.
func ValidAmount(x float64) bool { return x >= 0 && x <= MaxAmount }

// amount checks an optional amount of money.
func (v *validator) amount(field string, x *float64) {
	if x != nil && !ValidAmount(*x) {
		v.fail(field, "%s 应为 0 到 %.0f 万元之间的数，收到 %g", field, float64(MaxAmount), *x)
	}
}

func (v *validator) rng(field string, r *Range) {
	if r == nil {
		return
	}
	v.amount(field+".min", r.Min)
	v.amount(field+".max", r.Max)
	if r.Min != nil && r.Max != nil && *r.Min > *r.Max {
		v.fail(field, "%s.min %.6g 大于 %s.max %.6g", field, *r.Min, field, *r.Max)
	}
}

func (v *validator) trl(field string, t int) {
	if t != 0 && (t < 1 || t > 9) {
		v.fail(field, "%s 应为 1–9，收到 %d", field, t)
	}
}

func (v *validator) date(field string, s *string) {
	*s = strings.TrimSpace(*s)
	if *s == "" {
		return
	}
	if _, err := time.Parse(time.DateOnly, *s); err != nil {
		v.fail(field, "%s 应为日期 YYYY-MM-DD，收到 %q", field, *s)
	}
}

func (v *validator) supply(s *Supply) {
	v.id(&s.Meta)
	v.text("title", &s.Title, MaxTitleLen, true)
	v.text("summary", &s.Summary, MaxTextLen, false)
	v.list("keywords", &s.Keywords, nil)
	v.list("fields", &s.Fields, nil)
	v.region("region", &s.Region)
	v.text("org", &s.Org, MaxItemLen, false)
	v.enum("org_type", &s.OrgType, OrgTypes, "")
	v.trl("trl", s.TRL)
	if s.Stage = strings.TrimSpace(s.Stage); s.Stage != "" {
		t, ok := Stages[s.Stage]
		switch {
		case !ok:
			v.fail("stage", "未知阶段 %q：应为 实验室、小试、中试、样机 或 产业化", s.Stage)
		case s.TRL == 0:
			s.TRL = t
		}
	}
	v.list("transfer_modes", &s.TransferModes, TransferModes)
	v.rng("price", s.Price)
	if s.Market != nil && (s.Market.InvestorInterest < 0 || s.Market.Deals < 0) {
		v.fail("market", "market 中的计数不能为负")
	}
	v.enum("status", &s.Status, SupplyStatuses, defaultSupplyState)
	v.contact(s.Contact)
}

func (v *validator) contact(c *Contact) {
	if c == nil {
		return
	}
	v.text("contact.name", &c.Name, MaxItemLen, false)
	v.text("contact.phone", &c.Phone, 32, false)
	v.text("contact.email", &c.Email, MaxItemLen, false)
	if c.Email != "" && !strings.Contains(c.Email, "@") {
		v.fail("contact.email", "contact.email %q 不是有效的邮箱地址", c.Email)
	}
}

// Validate implements Record.
func (a *Achievement) Validate() error {
	var v validator
	v.supply(&a.Supply)
	return v.result()
}

// Validate implements Record.
func (p *Patent) Validate() error {
	var v validator
	v.supply(&p.Supply)
	v.text("patent_no", &p.PatentNo, 64, false)
	v.enum("patent_type", &p.PatentType, PatentTypes, "")
	v.enum("legal_status", &p.LegalStatus, LegalStatuses, "")
	v.list("ipc", &p.IPC, nil)
	v.list("applicants", &p.Applicants, nil)
	v.list("inventors", &p.Inventors, nil)
	v.date("filed_at", &p.FiledAt)
	v.date("granted_at", &p.GrantedAt)
	v.amount("license_fee", p.LicenseFee)
	return v.result()
}

// Validate implements Record.
func (e *Expert) Validate() error {
	var v validator
	v.supply(&e.Supply)
	v.list("titles", &e.Titles, nil)
	v.list("research_areas", &e.ResearchAreas, nil)
	v.list("available_for", &e.AvailableFor, AvailableFor)
	v.list("achievement_ids", &e.AchievementIDs, nil)
	v.list("patent_ids", &e.PatentIDs, nil)
	return v.result()
}

// Validate implements Record.
func (d *Demand) Validate() error {
	var v validator
	v.id(&d.Meta)
	v.text("title", &d.Title, MaxTitleLen, true)
	v.text("description", &d.Description, MaxTextLen, false)
	v.list("keywords", &d.Keywords, nil)
	v.list("fields", &d.Fields, nil)
	v.region("region", &d.Region)
	v.text("enterprise", &d.Enterprise, MaxItemLen, false)
	v.rng("budget", d.Budget)
	v.trl("min_trl", d.MinTRL)
	v.list("accept_modes", &d.AcceptModes, TransferModes)
	v.date("deadline", &d.Deadline)
	if d.Challenge != nil {
		v.amount("challenge.bounty", d.Challenge.Bounty)
		v.date("challenge.deadline", &d.Challenge.Deadline)
	}
	v.enum("status", &d.Status, DemandStatuses, defaultDemandState)
	// Only a closed demand has a reason; one stored closed without saying why was closed by
	// whoever stored it.
	if d.Status != DemandClosed {
		d.ClosedReason = ""
	} else {
		v.enum("closed_reason", &d.ClosedReason, ClosedReasons, ClosedManually)
	}
	v.contact(d.Contact)
	return v.result()
}
