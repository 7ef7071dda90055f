package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/techmatch/techmatch/internal/domain"
)

func pair(supplyID string, score float64) *domain.MatchEntry {
	return &domain.MatchEntry{SupplyKind: domain.Achievements, SupplyID: supplyID, SupplyTitle: "成果 " + supplyID,
		Score: score, Components: map[string]float64{"text": score}, Reasons: []string{"关键词相同"}, Profile: "default", ProfileVersion: 1}
}

func ids(es []*domain.MatchEntry) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.SupplyID)
	}
	return out
}

// SaveMatches inserts new pairs as new, refreshes the scores of known ones and keeps their
// status and history, hands unassigned open entries to the batch's agent, stores the alert
// for the entries that got one in the same transaction, and leaves a demand that is not open
// (or not stored) alone.
func testSaveMatchesMerges(t *testing.T, b Backend) {
	ctx := context.Background()
	s, _ := open(t, b)
	d := demand("d1", "open", 1)
	d.Region = "320100"
	must(t, errOf(s.Put(ctx, d)))

	start := time.Now().UTC()
	got, err := s.SaveMatches(ctx, domain.MatchBatch{Demand: d, Entries: []*domain.MatchEntry{pair("a1", 0.9), pair("a2", 0.5)}})
	if err != nil || len(got) != 0 {
		t.Fatalf("SaveMatches without an agent = %v, %v; want none assigned", ids(got), err)
	}
	es, total, err := s.Entries(ctx, domain.EntryFilter{DemandID: "d1"}, 0, 0)
	if err != nil || total != 2 || !slices.Equal(ids(es), []string{"a1", "a2"}) {
		t.Fatalf("entries = %v of %d, %v; want a1, a2", ids(es), total, err)
	}
	for _, e := range es {
		if e.Status != domain.StatusNew || e.AgentID != "" || e.DemandID != "d1" || e.CreatedAt.Before(start) ||
			len(e.History) != 1 || e.History[0].To != domain.StatusNew || e.History[0].By != "system" || !domain.ValidID(e.ID) {
			t.Errorf("new entry = %+v", e)
		}
	}
	a1 := es[0]
	must(t, errOf(s.UpdateEntry(ctx, a1.ID, func(e *domain.MatchEntry) error {
		e.History = append(e.History, domain.StatusChange{By: "agent:x", From: e.Status, To: domain.StatusContacted})
		e.Status = domain.StatusContacted
		return nil
	})))

	// A fresh list: a1 rescored, a3 new, a2 no longer listed (it stays).
	var alerted []string
	fresh := []*domain.MatchEntry{pair("a1", 0.6), pair("a3", 0.7)}
	fresh[0].Reasons = []string{"新理由"}
	got, err = s.SaveMatches(ctx, domain.MatchBatch{Demand: d, AgentID: "agt-1", Entries: fresh,
		Alert: func(agentID string, assigned []*domain.MatchEntry) (*domain.Delivery, error) {
			alerted = ids(assigned)
			body, _ := json.Marshal(map[string]any{"agent": agentID, "entries": len(assigned)})
			return &domain.Delivery{AgentID: agentID, URL: "https://agent.example/hook", Event: "match.assigned", Body: body}, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(alerted)
	if got := ids(got); !slices.Equal(alerted, []string{"a1", "a2", "a3"}) || len(got) != 3 {
		t.Fatalf("assigned %v, alerted %v; want a1, a3 of the batch and a2 listed before", got, alerted)
	}
	es, _, err = s.Entries(ctx, domain.EntryFilter{DemandID: "d1"}, 0, 0)
	must(t, err)
	if !slices.Equal(ids(es), []string{"a3", "a1", "a2"}) {
		t.Fatalf("entries by score = %v, want a3, a1, a2", ids(es))
	}
	if e := es[1]; e.ID != a1.ID || e.Status != domain.StatusContacted || e.Score != 0.6 || !slices.Equal(e.Reasons, []string{"新理由"}) ||
		len(e.History) != 2 || e.AgentID != "agt-1" || !e.CreatedAt.Equal(a1.CreatedAt) {
		t.Errorf("a1 after the fresh list = %+v; want its id, status, history and created_at kept, the new score and reasons", e)
	}
	dl, total, err := s.Deliveries(ctx, domain.DeliveryFilter{AgentID: "agt-1"}, 0, 10)
	if err != nil || total != 1 || dl[0].Event != "match.assigned" || dl[0].Status != domain.DeliveryPending {
		t.Fatalf("deliveries = %+v of %d, %v; want the one alert, pending", dl, total, err)
	}

	// An entry that has an agent keeps it; nothing newly assigned, nothing alerted.
	alerted = nil
	got, err = s.SaveMatches(ctx, domain.MatchBatch{Demand: d, AgentID: "agt-2", Entries: []*domain.MatchEntry{pair("a1", 0.6)},
		Alert: func(string, []*domain.MatchEntry) (*domain.Delivery, error) {
			alerted = []string{"called"}
			return nil, nil
		}})
	if err != nil || len(got) != 0 || alerted != nil {
		t.Fatalf("SaveMatches of held entries = %v, %v, alert %v; want nothing assigned or alerted", ids(got), err, alerted)
	}
	// A failing alert takes the batch with it.
	boom := errors.New("boom")
	_, err = s.SaveMatches(ctx, domain.MatchBatch{Demand: d, AgentID: "agt-1", Entries: []*domain.MatchEntry{pair("a9", 0.6)},
		Alert: func(string, []*domain.MatchEntry) (*domain.Delivery, error) { return nil, boom }})
	if !errors.Is(err, boom) {
		t.Fatalf("SaveMatches with a failing alert = %v, want its error", err)
	}
	if _, total, _ := s.Entries(ctx, domain.EntryFilter{DemandID: "d1"}, 0, 0); total != 3 {
		t.Fatalf("entries after a failed batch = %d, want 3", total)
	}

	// A demand not stored, or not open, keeps its entries as they are.
	for _, dd := range []*domain.Demand{demand("d-gone", "open", 1), demand("d1", "matched", 1)} {
		if dd.ID == "d1" {
			must(t, errOf(s.Put(ctx, dd)))
		}
		got, err := s.SaveMatches(ctx, domain.MatchBatch{Demand: dd, AgentID: "agt-1", Entries: []*domain.MatchEntry{pair("a7", 0.9)}})
		if err != nil || len(got) != 0 {
			t.Fatalf("SaveMatches of %s (%s) = %v, %v; want nothing", dd.ID, dd.Status, ids(got), err)
		}
	}
	if _, total, _ := s.Entries(ctx, domain.EntryFilter{}, 0, 0); total != 3 {
		t.Fatalf("entries after lists of demands not open = %d, want 3", total)
	}
}

// A signed entry adds one deal to its supply record, through the outbox, in its own
// transaction; a second update of a signed entry does not count it again, and a change that
// fails writes nothing.
func testUpdateEntryCountsASignedDeal(t *testing.T, b Backend) {
	ctx := context.Background()
	s, _ := open(t, b)
	d := demand("d1", "open", 1)
	must(t, errOf(s.Put(ctx, d)))
	must(t, errOf(s.Put(ctx, achievement("a1", 1)))) // one deal already
	saved, err := s.SaveMatches(ctx, domain.MatchBatch{Demand: d, AgentID: "agt-1", Entries: []*domain.MatchEntry{pair("a1", 0.9), pair("a-gone", 0.8)}})
	must(t, err)
	head, _ := s.OutboxHead(ctx)

	refused := errors.New("refused")
	if _, err := s.UpdateEntry(ctx, saved[0].ID, func(e *domain.MatchEntry) error {
		e.Status = domain.StatusSigned
		return refused
	}); !errors.Is(err, refused) {
		t.Fatalf("UpdateEntry with a failing change = %v, want its error", err)
	}
	if e, err := s.Entry(ctx, saved[0].ID); err != nil || e.Status != domain.StatusNew {
		t.Fatalf("entry after a failed change = %+v, %v; want it new", e, err)
	}
	if _, err := s.UpdateEntry(ctx, "mle-none", func(*domain.MatchEntry) error { return nil }); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("UpdateEntry of an unknown entry = %v, want not found", err)
	}
	if _, err := s.Entry(ctx, "mle-none"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("Entry(unknown) = %v, want not found", err)
	}

	for range 2 {
		e, err := s.UpdateEntry(ctx, saved[0].ID, func(e *domain.MatchEntry) error {
			e.Status, e.DealAmount = domain.StatusSigned, f64(60)
			return nil
		})
		if err != nil || e.Status != domain.StatusSigned || e.UpdatedAt.Before(e.CreatedAt) {
			t.Fatalf("UpdateEntry = %+v, %v", e, err)
		}
	}
	rec, err := s.Get(ctx, domain.Achievements, "a1")
	if err != nil || rec.(*domain.Achievement).Market.Deals != 2 || rec.GetMeta().Rev != 2 {
		t.Fatalf("a1 after a signed deal = %+v, %v; want 2 deals, rev 2", rec, err)
	}
	if es, _ := s.OutboxAfter(ctx, head, 10); len(es) != 1 || es[0].ID != "a1" || es[0].Op != "put" {
		t.Fatalf("outbox after the deal = %+v, want a1's put", es)
	}
	// A supply record deleted meanwhile has nothing to count.
	if _, err := s.UpdateEntry(ctx, saved[1].ID, func(e *domain.MatchEntry) error { e.Status = domain.StatusSigned; return nil }); err != nil {
		t.Fatalf("signing the entry of a deleted record: %v", err)
	}
	if h, _ := s.DemandHead(ctx, "d1"); h.Feedback != 3 {
		t.Fatalf("feedback version = %d, want 3 (one per update)", h.Feedback)
	}
}

// Entries selects by agent, unassigned, demand, status and creation time, pages best score
// first with the total; StatRows hands out the entries of a time window with their demand's
// region and fields.
func testEntriesFiltersAndPages(t *testing.T, b Backend) {
	ctx := context.Background()
	s, _ := open(t, b)
	d1, d2 := demand("d1", "open", 1), demand("d2", "open", 2)
	d1.Region, d1.Fields = "320100", []string{"新能源/储能", "新材料"}
	d2.Fields = nil
	must(t, errOf(s.Put(ctx, d1)))
	must(t, errOf(s.Put(ctx, d2)))
	before := time.Now().UTC()
	must(t, errOf(s.SaveMatches(ctx, domain.MatchBatch{Demand: d1, AgentID: "agt-1",
		Entries: []*domain.MatchEntry{pair("a1", 0.5), pair("a2", 0.9), pair("a3", 0.5)}})))
	must(t, errOf(s.SaveMatches(ctx, domain.MatchBatch{Demand: d2, Entries: []*domain.MatchEntry{pair("a1", 0.7)}})))
	after := time.Now().UTC().Add(time.Second)
	all, total, err := s.Entries(ctx, domain.EntryFilter{}, 0, 0)
	if err != nil || total != 4 {
		t.Fatalf("Entries() = %d, %v", total, err)
	}
	// Equal scores fall back to the id, bytewise.
	if all[0].SupplyID != "a2" || all[1].SupplyID != "a1" || all[1].DemandID != "d2" || all[2].ID > all[3].ID {
		t.Fatalf("Entries() order = %+v; want a2, then d2's a1, then the two of 0.5 by id", all)
	}
	contacted := all[0].ID
	must(t, errOf(s.UpdateEntry(ctx, contacted, func(e *domain.MatchEntry) error { e.Status = domain.StatusContacted; return nil })))

	count := func(f domain.EntryFilter) int {
		t.Helper()
		_, n, err := s.Entries(ctx, f, 0, 0)
		must(t, err)
		return n
	}
	for _, tt := range []struct {
		name string
		f    domain.EntryFilter
		want int
	}{
		{"agent", domain.EntryFilter{AgentID: "agt-1"}, 3},
		{"unassigned", domain.EntryFilter{Unassigned: true, AgentID: "agt-1"}, 1},
		{"demand", domain.EntryFilter{DemandID: "d2"}, 1},
		{"status", domain.EntryFilter{Status: domain.StatusContacted}, 1},
		{"agent and status", domain.EntryFilter{AgentID: "agt-1", Status: domain.StatusNew}, 2},
		{"from", domain.EntryFilter{From: before}, 4},
		{"to", domain.EntryFilter{To: before}, 0},
		{"window", domain.EntryFilter{From: before, To: after}, 4},
		{"none", domain.EntryFilter{AgentID: "agt-9"}, 0},
	} {
		if got := count(tt.f); got != tt.want {
			t.Errorf("Entries(%s) = %d, want %d", tt.name, got, tt.want)
		}
	}
	page, total, err := s.Entries(ctx, domain.EntryFilter{}, 1, 2)
	if err != nil || total != 4 || len(page) != 2 || page[0].ID != all[1].ID || page[1].ID != all[2].ID {
		t.Fatalf("Entries(offset 1, limit 2) = %d of %d, %v; want entries 1 and 2", len(page), total, err)
	}

	rows, err := s.StatRows(ctx, before, after)
	if err != nil || len(rows) != 4 {
		t.Fatalf("StatRows = %d, %v; want 4", len(rows), err)
	}
	for _, r := range rows {
		wantRegion, wantFields := d2.Region, []string{}
		if r.Entry.DemandID == "d1" {
			wantRegion, wantFields = "320100", d1.Fields
		}
		if r.DemandRegion != wantRegion || !slices.Equal(r.DemandFields, wantFields) || r.DemandFields == nil {
			t.Errorf("stat row of %s = region %q fields %v, want %q %v", r.Entry.DemandID, r.DemandRegion, r.DemandFields, wantRegion, wantFields)
		}
		if r.Entry.ID == contacted && r.Entry.Status != domain.StatusContacted {
			t.Errorf("stat row entry %+v, want the stored one", r.Entry)
		}
	}
	if rows, err := s.StatRows(ctx, after, after.Add(time.Hour)); err != nil || len(rows) != 0 {
		t.Fatalf("StatRows of a later window = %d, %v; want none", len(rows), err)
	}
}

// Deleting or closing a demand withdraws its open entries in the same transaction; signed and
// rejected ones keep their status; a list computed before the delete and saved after it
// brings nothing back; reopening the demand and saving its list again makes the withdrawn
// pairs new.
func testDeleteOrCloseWithdrawsOpenEntries(t *testing.T, b Backend) {
	ctx := context.Background()
	s, _ := open(t, b)
	for _, id := range []string{"a1", "a2", "a3"} {
		must(t, errOf(s.Put(ctx, achievement(id, 1))))
	}
	fresh := func() []*domain.MatchEntry {
		var out []*domain.MatchEntry
		for _, id := range []string{"a1", "a2", "a3"} {
			out = append(out, &domain.MatchEntry{SupplyKind: domain.Achievements, SupplyID: id, Score: 0.8})
		}
		return out
	}
	statuses := func(demandID string) map[string]string {
		t.Helper()
		es, _, err := s.Entries(ctx, domain.EntryFilter{DemandID: demandID}, 0, 0)
		must(t, err)
		out := map[string]string{}
		for _, e := range es {
			out[e.SupplyID] = e.Status
			if last := e.History[len(e.History)-1]; e.Status == domain.StatusWithdrawn && (last.By != "system" || last.Note == "") {
				t.Errorf("withdrawn entry's last step = %+v, want the system's, with a note", last)
			}
		}
		return out
	}
	for _, c := range []struct {
		name string
		end  func(d *domain.Demand) error
	}{
		{"delete", func(d *domain.Demand) error { return s.Delete(ctx, domain.Demands, d.ID) }},
		{"close", func(d *domain.Demand) error {
			d.Status = domain.DemandClosed
			_, err := s.Put(ctx, d)
			return err
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := demand("d-"+c.name, "open", 1)
			must(t, errOf(s.Put(ctx, d)))
			must(t, errOf(s.SaveMatches(ctx, domain.MatchBatch{Demand: d, Entries: fresh(), AgentID: "ag"})))
			es, _, err := s.Entries(ctx, domain.EntryFilter{DemandID: d.ID}, 0, 0)
			must(t, err)
			i := slices.IndexFunc(es, func(e *domain.MatchEntry) bool { return e.SupplyID == "a3" })
			must(t, errOf(s.UpdateEntry(ctx, es[i].ID, func(e *domain.MatchEntry) error {
				e.Status, e.Reason = domain.StatusRejected, domain.RejectPrice
				return nil
			})))
			must(t, c.end(d))
			want := map[string]string{"a1": "withdrawn", "a2": "withdrawn", "a3": "rejected"}
			if got := statuses(d.ID); !maps.Equal(got, want) {
				t.Fatalf("after %s: %v, want %v", c.name, got, want)
			}
			// A list the worker computed before the demand ended, saved after it.
			must(t, errOf(s.SaveMatches(ctx, domain.MatchBatch{Demand: d, Entries: fresh(), AgentID: "ag"})))
			if got := statuses(d.ID); !maps.Equal(got, want) {
				t.Fatalf("a stale list saved after the %s: %v, want %v", c.name, got, want)
			}
			d.Status = domain.DemandOpen
			must(t, errOf(s.Put(ctx, d)))
			assigned, err := s.SaveMatches(ctx, domain.MatchBatch{Demand: d, Entries: fresh(), AgentID: "ag2"})
			must(t, err)
			want = map[string]string{"a1": "new", "a2": "new", "a3": "rejected"}
			if got := statuses(d.ID); !maps.Equal(got, want) || len(assigned) != 2 {
				t.Fatalf("reopened: %v (%d assigned), want %v (2 assigned)", got, len(assigned), want)
			}
		})
	}
}
