package domain

import (
	"strings"
	"time"
)

// Takeup is a 揭榜: a supplier, through an agent or staff, registering interest in an open
// challenge with one of its supply records. The demand's enterprise reads them.
type Takeup struct {
	ID          string    `json:"id"`
	DemandID    string    `json:"demand_id"`
	SupplyKind  Kind      `json:"supply_kind"`
	SupplyID    string    `json:"supply_id"`
	SupplyTitle string    `json:"supply_title,omitempty"`
	SupplyOrg   string    `json:"supply_org,omitempty"`
	Note        string    `json:"note,omitempty"`
	By          string    `json:"by"`                 // the principal who made it: "agent:agt-1", "admin"
	AgentID     string    `json:"agent_id,omitempty"` // set when an agent made it
	CreatedAt   time.Time `json:"created_at"`
}

// TakeupRequest is the body of POST /v1/demands/{id}/takeups.
type TakeupRequest struct {
	SupplyKind Kind   `json:"supply_kind"`
	SupplyID   string `json:"supply_id"`
	Note       string `json:"note"`
}

// Validate checks a takeup request and trims it, naming the first bad field.
func (r *TakeupRequest) Validate() error {
	r.SupplyID, r.Note = strings.TrimSpace(r.SupplyID), strings.TrimSpace(r.Note)
	switch {
	case !r.SupplyKind.IsSupply():
		return Invalid("supply_kind", "supply_kind 应为 achievements、patents 或 experts，收到 %q", r.SupplyKind)
	case r.SupplyID == "":
		return Invalid("supply_id", "supply_id 为必填项：揭榜的供给记录")
	case !ValidID(r.SupplyID):
		return InvalidID("supply_id", r.SupplyID)
	case len([]rune(r.Note)) > MaxTextLen:
		return Invalid("note", "note 超过 %d 个字符", MaxTextLen)
	}
	return nil
}

// CheckTakeable says why a demand cannot be taken up now (a conflict error naming the reason),
// or nil: it must be a challenge, open, and not past its deadline.
func (d *Demand) CheckTakeable(now time.Time) error {
	switch {
	case d.Challenge == nil:
		return Errorf(CodeConflict, "需求 %s 不是揭榜挂帅需求：只有揭榜挂帅需求可以揭榜", d.ID)
	case d.PastDue(now):
		return Errorf(CodeConflict, "需求 %s 已截止：%s %s 已过", d.ID, d.dueField(), d.DueDate())
	case d.Status != "" && d.Status != DemandOpen:
		return Errorf(CodeConflict, "需求 %s 的状态为 %s：只有开放中的揭榜挂帅需求可以揭榜", d.ID, d.Status)
	}
	return nil
}
