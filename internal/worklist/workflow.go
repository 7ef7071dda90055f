// Package worklist turns matches into agents' working lists: assignment, the workflow, feedback, alerts and stats.
package worklist

import (
	"slices"
	"time"

	"github.com/techmatch/techmatch/internal/domain"
)

// transitions are the legal status changes; signed, rejected and withdrawn are final, so a
// closed entry can only get notes.
var transitions = map[string][]string{
	domain.StatusNew:         {domain.StatusContacted, domain.StatusRejected},
	domain.StatusContacted:   {domain.StatusNegotiating, domain.StatusRejected},
	domain.StatusNegotiating: {domain.StatusSigned, domain.StatusRejected},
}

// CanTransition reports whether an entry may go from one status to another.
func CanTransition(from, to string) bool { return slices.Contains(transitions[from], to) }

// Apply validates an update against the entry's current status and applies it, appending
// the change to the history. An illegal transition is a conflict error.
func Apply(e *domain.MatchEntry, u domain.EntryUpdate, who string, at time.Time) error {
	if err := u.Validate(); err != nil {
		return err
	}
	if u.Status != "" && e.Status == domain.StatusWithdrawn {
		return domain.Errorf(domain.CodeConflict, "匹配条目 %s 已撤回（需求 %s 已删除或关闭），状态不能再变", e.ID, e.DemandID)
	}
	if u.Status != "" && u.Status != e.Status && !CanTransition(e.Status, u.Status) {
		return domain.Errorf(domain.CodeConflict, "匹配条目 %s 当前为 %s，不能改为 %s（可改为：%v）",
			e.ID, e.Status, u.Status, transitions[e.Status])
	}
	if u.Status == e.Status {
		// Repeating the current status only adds a note: a retried PATCH must not fail.
		if u.Reason != "" && u.Reason != e.Reason || u.DealAmount != nil && (e.DealAmount == nil || *u.DealAmount != *e.DealAmount) {
			return domain.Errorf(domain.CodeConflict, "匹配条目 %s 已是 %s，原因和成交金额不能再改", e.ID, e.Status)
		}
		u.Status = ""
	}
	change := domain.StatusChange{At: at, By: who, To: e.Status, Note: u.Note}
	if u.Status != "" {
		change.From, change.To, change.Reason, change.DealAmount = e.Status, u.Status, u.Reason, u.DealAmount
		e.Status = u.Status
		if u.Reason != "" {
			e.Reason = u.Reason
		}
		if u.DealAmount != nil {
			e.DealAmount = u.DealAmount
		}
	}
	if u.Note != "" {
		e.Note = u.Note
	}
	e.History = append(e.History, change)
	return nil
}

// Pick chooses the agent for a demand: among those whose regions and fields cover it, the one
// with the most free capacity, where load is the number of distinct demands with open entries
// the agent holds (an agent works a demand with one enterprise, however many items it lists).
// Ties go to the smaller id. "" when no covering agent has room.
func Pick(agents []*domain.Agent, loads map[string]int, d *domain.Demand) string {
	best, bestFree := "", 0
	for _, a := range agents {
		free := a.Capacity - loads[a.ID]
		if free <= 0 || !a.Covers(d) {
			continue
		}
		if free > bestFree || free == bestFree && a.ID < best {
			best, bestFree = a.ID, free
		}
	}
	return best
}
