package worklist_test

import (
	"testing"
	"time"

	"github.com/techmatch/techmatch/internal/domain"
	"github.com/techmatch/techmatch/internal/worklist"
)

func TestCanTransition(t *testing.T) {
	legal := map[[2]string]bool{
		{"new", "contacted"}: true, {"contacted", "negotiating"}: true, {"negotiating", "signed"}: true,
		{"new", "rejected"}: true, {"contacted", "rejected"}: true, {"negotiating", "rejected"}: true,
	}
	for _, from := range domain.EntryStatuses {
		for _, to := range domain.EntryStatuses {
			if got := worklist.CanTransition(from, to); got != legal[[2]string{from, to}] {
				t.Errorf("CanTransition(%s, %s) = %v", from, to, got)
			}
		}
	}
}

func amount(x float64) *float64 { return &x }

func TestApply(t *testing.T) {
	at := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		from   string
		update domain.EntryUpdate
		code   domain.Code // "" when the update applies
		field  string
		status string
	}{
		{"contact", "new", domain.EntryUpdate{Status: "contacted", Note: "打过电话"}, "", "", "contacted"},
		{"skip to signed", "new", domain.EntryUpdate{Status: "signed", DealAmount: amount(5)}, domain.CodeConflict, "", "new"},
		{"sign", "negotiating", domain.EntryUpdate{Status: "signed", DealAmount: amount(5)}, "", "", "signed"},
		{"sign without amount", "negotiating", domain.EntryUpdate{Status: "signed"}, domain.CodeInvalid, "deal_amount", "negotiating"},
		{"negative amount", "negotiating", domain.EntryUpdate{Status: "signed", DealAmount: amount(-1)}, domain.CodeInvalid, "deal_amount", "negotiating"},
		{"reject without reason", "new", domain.EntryUpdate{Status: "rejected"}, domain.CodeInvalid, "reason", "new"},
		{"reject", "contacted", domain.EntryUpdate{Status: "rejected", Reason: "price"}, "", "", "rejected"},
		{"reason without rejecting", "new", domain.EntryUpdate{Status: "contacted", Reason: "price"}, domain.CodeInvalid, "reason", "new"},
		{"reopen", "rejected", domain.EntryUpdate{Status: "new"}, domain.CodeConflict, "", "rejected"},
		{"note only", "signed", domain.EntryUpdate{Note: "归档"}, "", "", "signed"},
		{"nothing", "new", domain.EntryUpdate{}, domain.CodeInvalid, "status", "new"},
		{"same status again", "contacted", domain.EntryUpdate{Status: "contacted"}, "", "", "contacted"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := &domain.MatchEntry{ID: "m", Status: tt.from, History: []domain.StatusChange{{To: "new"}}}
			err := worklist.Apply(e, tt.update, "agent:a1", at)
			if tt.code == "" && err != nil || tt.code != "" && domain.ErrorCode(err) != tt.code {
				t.Fatalf("err %v, want code %q", err, tt.code)
			}
			if de, ok := domain.AsError(err); ok && de.Field != tt.field {
				t.Errorf("field %q, want %q", de.Field, tt.field)
			}
			if e.Status != tt.status {
				t.Errorf("status %s, want %s", e.Status, tt.status)
			}
			wantHistory := 1
			if err == nil {
				wantHistory = 2
			}
			if len(e.History) != wantHistory {
				t.Fatalf("history %+v", e.History)
			}
			if last := e.History[len(e.History)-1]; err == nil && (last.By != "agent:a1" || !last.At.Equal(at) || last.To != tt.status) {
				t.Errorf("history step %+v", last)
			}
		})
	}
}

func TestPick(t *testing.T) {
	agents := []*domain.Agent{
		{ID: "js", Regions: []string{"32"}, Capacity: 3},
		{ID: "nj", Regions: []string{"3201"}, Fields: []string{"新材料"}, Capacity: 2},
		{ID: "any", Capacity: 1},
		{ID: "xm", Regions: []string{"3502"}, Capacity: 9},
	}
	tests := []struct {
		name   string
		loads  map[string]int
		demand domain.Demand
		want   string
	}{
		{"most free capacity", nil, domain.Demand{Region: "320100", Fields: []string{"新材料/电池材料"}}, "js"},
		{"load counts", map[string]int{"js": 2}, domain.Demand{Region: "320100", Fields: []string{"新材料/电池材料"}}, "nj"},
		{"field must be covered", map[string]int{"js": 2}, domain.Demand{Region: "320100", Fields: []string{"生物医药"}}, "any"},
		{"field prefix is a path prefix", map[string]int{"js": 3}, domain.Demand{Region: "320100", Fields: []string{"新材料学"}}, "any"},
		{"tie goes to the smaller id", map[string]int{"js": 2, "nj": 1}, domain.Demand{Region: "320100"}, "any"},
		{"other province", nil, domain.Demand{Region: "350200"}, "xm"},
		{"nobody has room", map[string]int{"js": 3, "nj": 2, "any": 1}, domain.Demand{Region: "320100"}, ""},
		{"no region is covered by all", map[string]int{"xm": 0}, domain.Demand{}, "xm"},
		{"uncovered region", map[string]int{"any": 1}, domain.Demand{Region: "640100"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := worklist.Pick(agents, tt.loads, &tt.demand); got != tt.want {
				t.Errorf("Pick = %q, want %q", got, tt.want)
			}
		})
	}
}
