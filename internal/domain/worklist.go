package domain

import (
	"net/url"
	"slices"
	"strings"
	"time"
)

// Agent is a technology-transfer agent (技术经纪人) who works match lists to contracts.
// Empty Regions or Fields cover every region or field.
type Agent struct {
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	Regions    []string  `json:"regions"`
	Fields     []string  `json:"fields"`
	Capacity   int       `json:"capacity"`
	WebhookURL string    `json:"webhook_url,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// MaxAgentCapacity bounds an agent's capacity (open demands at once).
const MaxAgentCapacity = 100000

// Validate checks an agent and normalises it in place, naming the first bad field.
func (a *Agent) Validate() error {
	a.Name = strings.TrimSpace(a.Name)
	switch {
	case !ValidID(a.ID):
		return InvalidID("id", a.ID)
	case a.Name == "" || len([]rune(a.Name)) > MaxTitleLen:
		return Invalid("name", "name 为必填项，最多 %d 个字符", MaxTitleLen)
	case a.Capacity < 0 || a.Capacity > MaxAgentCapacity:
		return Invalid("capacity", "capacity 应为 0–%d（同时处理的开放需求数）", MaxAgentCapacity)
	case len(a.Regions) > MaxListItems || len(a.Fields) > MaxListItems:
		return Invalid("regions", "regions 和 fields 各最多 %d、%d 项", MaxListItems, MaxListItems)
	}
	for i, r := range a.Regions {
		r = strings.TrimSpace(r)
		if r != "" && strings.Trim(r, "0123456789") != "" { // a name: 江苏, 南京市
			code, err := ResolveRegion("regions", r)
			if err != nil {
				return err
			}
			r = code
		}
		if r == "" || len(r) > 6 || strings.Trim(r, "0123456789") != "" {
			return Invalid("regions", "regions[%d] %q：应为行政区划代码或其前缀，如 320000 或 32（江苏），320100 或 3201（南京），或地名", i, r)
		}
		a.Regions[i] = RegionPrefix(r)
	}
	for i, f := range a.Fields {
		f = strings.Trim(strings.TrimSpace(f), "/")
		if f == "" || len([]rune(f)) > MaxItemLen {
			return Invalid("fields", "fields[%d]：应为领域分类路径，如 新材料/电池材料", i)
		}
		a.Fields[i] = f
	}
	if a.Regions == nil {
		a.Regions = []string{}
	}
	if a.Fields == nil {
		a.Fields = []string{}
	}
	if a.WebhookURL != "" {
		u, err := url.Parse(a.WebhookURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return Invalid("webhook_url", "webhook_url 应为 http 或 https 地址")
		}
	}
	return nil
}

// RegionPrefix is the prefix of the region codes a GB/T 2260 code covers: a province's code
// (320000) covers its cities and districts (32…), a city's (320100) its districts (3201…), a
// district's (320102) itself. A prefix (32, 3201) is its own.
func RegionPrefix(code string) string {
	for len(code) > 2 && strings.HasSuffix(code, "00") {
		code = code[:len(code)-2]
	}
	return code
}

// Covers reports whether the agent's regions and fields cover a demand. A demand that states
// no region (or no field) is covered on that axis: a missing attribute is neutral.
func (a *Agent) Covers(d *Demand) bool {
	regionOK := len(a.Regions) == 0 || d.Region == "" ||
		slices.ContainsFunc(a.Regions, func(p string) bool { return strings.HasPrefix(d.Region, RegionPrefix(p)) })
	fieldOK := len(a.Fields) == 0 || len(d.Fields) == 0 ||
		slices.ContainsFunc(a.Fields, func(p string) bool {
			return slices.ContainsFunc(d.Fields, func(f string) bool { return f == p || strings.HasPrefix(f, p+"/") })
		})
	return regionOK && fieldOK
}

// Match-list entry statuses: new → contacted → negotiating → signed, or rejected on the way.
// An open entry is withdrawn by the system when its demand is deleted or closed; no one can
// move a withdrawn entry, and it comes back as new only if the demand is listed open again.
const (
	StatusNew         = "new"
	StatusContacted   = "contacted"
	StatusNegotiating = "negotiating"
	StatusSigned      = "signed"
	StatusRejected    = "rejected"
	StatusWithdrawn   = "withdrawn"
)

// EntryStatuses are the statuses in funnel order, then withdrawn.
var EntryStatuses = []string{StatusNew, StatusContacted, StatusNegotiating, StatusSigned, StatusRejected, StatusWithdrawn}

// Reject reasons an agent gives; some of them change the next ranking (see internal/match).
const (
	RejectNotRelevant   = "not_relevant"
	RejectTooEarly      = "too_early"
	RejectPrice         = "price"
	RejectMode          = "mode"
	RejectAlreadySolved = "already_solved"
	RejectOther         = "other"
)

// RejectReasons are the accepted reasons for a rejection.
var RejectReasons = []string{RejectNotRelevant, RejectTooEarly, RejectPrice, RejectMode, RejectAlreadySolved, RejectOther}

// StatusChange is one step of an entry's history.
type StatusChange struct {
	At         time.Time `json:"at"`
	By         string    `json:"by"`
	From       string    `json:"from,omitempty"`
	To         string    `json:"to"`
	Reason     string    `json:"reason,omitempty"`
	Note       string    `json:"note,omitempty"`
	DealAmount *float64  `json:"deal_amount,omitempty"`
}

// MatchEntry is one demand–supply pair on an agent's match list.
type MatchEntry struct {
	ID             string             `json:"id"`
	DemandID       string             `json:"demand_id"`
	DemandTitle    string             `json:"demand_title,omitempty"`
	SupplyKind     Kind               `json:"supply_kind"`
	SupplyID       string             `json:"supply_id"`
	SupplyTitle    string             `json:"supply_title,omitempty"`
	Score          float64            `json:"score"`
	Components     map[string]float64 `json:"components"`
	Reasons        []string           `json:"reasons"`
	Profile        string             `json:"profile"`
	ProfileVersion int                `json:"profile_version"`
	AgentID        string             `json:"agent_id"`
	Status         string             `json:"status"`
	Reason         string             `json:"reason,omitempty"`
	Note           string             `json:"note,omitempty"`
	DealAmount     *float64           `json:"deal_amount,omitempty"`
	History        []StatusChange     `json:"history"`
	CreatedAt      time.Time          `json:"created_at"`
	UpdatedAt      time.Time          `json:"updated_at"`
}

// EntryUpdate is a PATCH of an entry: a new status with what it needs, and/or a note.
type EntryUpdate struct {
	Status     string   `json:"status"`
	Reason     string   `json:"reason"`
	Note       string   `json:"note"`
	DealAmount *float64 `json:"deal_amount"`
}

// Validate checks the fields an update carries, independent of the entry's current status.
func (u *EntryUpdate) Validate() error {
	u.Note = strings.TrimSpace(u.Note)
	switch {
	case u.Status == "" && u.Note == "":
		return Invalid("status", "status 和 note 至少要给一个")
	case u.Status != "" && !slices.Contains(EntryStatuses, u.Status):
		return Invalid("status", "未知状态 %q：应为 %s 之一", u.Status, strings.Join(EntryStatuses, ", "))
	case u.Status == StatusWithdrawn:
		return Invalid("status", "withdrawn（已撤回）由系统在需求删除或关闭时设置，不能手动设为此状态")
	case len([]rune(u.Note)) > MaxTextLen:
		return Invalid("note", "note 超过 %d 个字符", MaxTextLen)
	case u.Status == StatusRejected && !slices.Contains(RejectReasons, u.Reason):
		return Invalid("reason", "拒绝时须给出 reason，取值为 %s 之一", strings.Join(RejectReasons, ", "))
	case u.Status != StatusRejected && u.Reason != "":
		return Invalid("reason", "只有 status 为 rejected（拒绝）时才给 reason")
	case u.Status == StatusSigned && u.DealAmount == nil:
		return Invalid("deal_amount", "签约须给出 deal_amount（成交金额，万元）")
	case u.DealAmount != nil && u.Status != StatusSigned:
		return Invalid("deal_amount", "只有 status 为 signed（签约）时才给 deal_amount")
	case u.DealAmount != nil && !ValidAmount(*u.DealAmount):
		return Invalid("deal_amount", "deal_amount 应为 0 到 %.0f 万元之间的数，收到 %g", float64(MaxAmount), *u.DealAmount)
	}
	return nil
}

// Open reports whether an entry is still being worked.
func Open(status string) bool {
	return status == StatusNew || status == StatusContacted || status == StatusNegotiating
}
