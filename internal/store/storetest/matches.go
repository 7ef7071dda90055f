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

func testAgents(t *testing.T, b Backend) {
	ctx := context.Background()
	s, _ := open(t, b)
	for _, id := range []string{"agt-b", "agt-a", "agt-c"} {
		a := &domain.Agent{ID: id, Name: "经纪人 " + id, Regions: []string{"320100"}, Capacity: 3}
		if created, err := s.PutAgent(ctx, a); err != nil || !created || a.CreatedAt.IsZero() || !a.UpdatedAt.Equal(a.CreatedAt) {
			t.Fatalf("PutAgent(%s) = %v, %v, %+v; want created with its times", id, created, err, a)
		}
	}
	first, err := s.Agent(ctx, "agt-a")
	if err != nil {
		t.Fatal(err)
	}
	again := &domain.Agent{ID: "agt-a", Name: "王经纪", Capacity: 5}
	if created, err := s.PutAgent(ctx, again); err != nil || created || !again.CreatedAt.Equal(first.CreatedAt) {
		t.Fatalf("PutAgent(agt-a) again = %v, %v, created %v; want replaced, created_at %v kept", created, err, again.CreatedAt, first.CreatedAt)
	}
	if got, err := s.Agent(ctx, "agt-a"); err != nil || got.Name != "王经纪" || got.Capacity != 5 {
		t.Fatalf("Agent(agt-a) = %+v, %v", got, err)
	}
	if _, err := s.Agent(ctx, "agt-x"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("Agent(unknown) = %v, want not found", err)
	}
	page, total, err := s.Agents(ctx, 1, 1)
	if err != nil || total != 3 || len(page) != 1 || page[0].ID != "agt-b" {
		t.Fatalf("Agents(1, 1) = %+v of %d, %v; want agt-b of 3", page, total, err)
	}
	all, _, err := s.Agents(ctx, 0, 0)
	if err != nil || len(all) != 3 || all[0].ID != "agt-a" || all[2].ID != "agt-c" {
		t.Fatalf("Agents(0, 0) = %+v, %v; want all three in id order", all, err)
	}

	// Loads count demands with open entries; deleting an agent unassigns its open entries only.
	d1, d2 := demand("d1", "open", 1), demand("d2", "open", 2)
	must(t, errOf(s.Put(ctx, d1)))
	must(t, errOf(s.Put(ctx, d2)))
	saved, err := s.SaveMatches(ctx, domain.MatchBatch{Demand: d1, AgentID: "agt-a", Entries: []*domain.MatchEntry{pair("a1", 0.9), pair("a2", 0.8)}})
	must(t, err)
	must(t, errOf(s.SaveMatches(ctx, domain.MatchBatch{Demand: d2, AgentID: "agt-a", Entries: []*domain.MatchEntry{pair("a1", 0.7)}})))
	must(t, errOf(s.SaveMatches(ctx, domain.MatchBatch{Demand: demand("d3", "open", 3), AgentID: "agt-b", Entries: []*domain.MatchEntry{pair("a1", 0.7)}})))
	if loads, err := s.AgentLoads(ctx); err != nil || !maps.Equal(loads, map[string]int{"agt-a": 2}) {
		t.Fatalf("AgentLoads = %v, %v; want agt-a: 2 (d3 is not stored, so its list is not)", loads, err)
	}
	if got, err := s.DemandAgent(ctx, "d1"); err != nil || got != "agt-a" {
		t.Fatalf("DemandAgent(d1) = %q, %v; want agt-a", got, err)
	}
	if got, err := s.DemandAgent(ctx, "d9"); err != nil || got != "" {
		t.Fatalf("DemandAgent(d9) = %q, %v; want none", got, err)
	}
	signed := saved[1].ID
	must(t, errOf(s.UpdateEntry(ctx, signed, func(e *domain.MatchEntry) error { e.Status = domain.StatusSigned; return nil })))
	must(t, s.DeleteAgent(ctx, "agt-a"))
	if err := s.DeleteAgent(ctx, "agt-a"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("DeleteAgent twice = %v, want not found", err)
	}
	es, _, err := s.Entries(ctx, domain.EntryFilter{}, 0, 0)
	must(t, err)
	for _, e := range es {
		if want := map[bool]string{true: "agt-a", false: ""}[e.ID == signed]; e.AgentID != want {
			t.Errorf("entry %s (%s) after its agent was deleted: agent %q, want %q", e.ID, e.Status, e.AgentID, want)
		}
	}
	if loads, err := s.AgentLoads(ctx); err != nil || len(loads) != 0 {
		t.Fatalf("AgentLoads after the delete = %v, %v; want none", loads, err)
	}
	if _, total, _ := s.Agents(ctx, 0, 0); total != 2 {
		t.Fatalf("agents after the delete = %d, want 2", total)
	}
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
	dl, total, err := s.Deliveries(ctx, "agt-1", 0, 10)
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

// Deliveries are due by next_at, then id; an attempt moves them on; the log pages newest first.
func testDeliveries(t *testing.T, b Backend) {
	ctx := context.Background()
	s, _ := open(t, b)
	if _, ok, err := s.NextDelivery(ctx); err != nil || ok {
		t.Fatalf("NextDelivery of a new store = %v, %v; want none", ok, err)
	}
	for i, agent := range []string{"agt-1", "agt-2", "agt-1"} {
		d := demand("d"+string(rune('1'+i)), "open", i)
		must(t, errOf(s.Put(ctx, d)))
		must(t, errOf(s.SaveMatches(ctx, domain.MatchBatch{Demand: d, AgentID: agent, Entries: []*domain.MatchEntry{pair("a1", 0.9)},
			Alert: func(agentID string, _ []*domain.MatchEntry) (*domain.Delivery, error) {
				return &domain.Delivery{AgentID: agentID, URL: "https://agent.example/" + agentID, Event: "match.assigned", Body: json.RawMessage(`{"n":1}`)}, nil
			}})))
	}
	all, total, err := s.Deliveries(ctx, "", 0, 10)
	if err != nil || total != 3 || len(all) != 3 || all[0].ID <= all[1].ID || all[1].ID <= all[2].ID {
		t.Fatalf("Deliveries = %+v of %d, %v; want 3, newest first", all, total, err)
	}
	first := all[2]
	if first.AgentID != "agt-1" || string(first.Body) != `{"n":1}` || first.Attempts != 0 || first.Status != domain.DeliveryPending ||
		!first.NextAt.Equal(first.CreatedAt) {
		t.Fatalf("first delivery = %+v", first)
	}
	if _, total, _ := s.Deliveries(ctx, "agt-1", 0, 10); total != 2 {
		t.Fatalf("agt-1's deliveries = %d, want 2", total)
	}
	if page, _, _ := s.Deliveries(ctx, "", 0, 0); len(page) != 0 {
		t.Fatalf("Deliveries(limit 0) = %d, want none", len(page))
	}
	next, ok, err := s.NextDelivery(ctx)
	if err != nil || !ok || !next.Equal(first.NextAt) {
		t.Fatalf("NextDelivery = %v, %v, %v; want %v", next, ok, err, first.NextAt)
	}
	due, err := s.DueDeliveries(ctx, time.Now().Add(time.Minute), 2)
	if err != nil || len(due) != 2 || due[0].ID != first.ID || due[1].ID != all[1].ID {
		t.Fatalf("DueDeliveries(2) = %+v, %v; want the two oldest", due, err)
	}
	if due, err := s.DueDeliveries(ctx, first.CreatedAt.Add(-time.Second), 10); err != nil || len(due) != 0 {
		t.Fatalf("DueDeliveries before any is due = %+v, %v", due, err)
	}

	later := first.NextAt.Add(time.Hour).Truncate(time.Second).Add(123456789) // nanoseconds kept
	must(t, s.RecordAttempt(ctx, first.ID, domain.DeliveryPending, 502, "bad gateway", later))
	must(t, s.RecordAttempt(ctx, all[1].ID, domain.DeliveryDelivered, 200, "", time.Now()))
	all, _, _ = s.Deliveries(ctx, "", 0, 10)
	if got := all[2]; got.Attempts != 1 || got.LastCode != 502 || got.LastError != "bad gateway" || !got.NextAt.Equal(later) ||
		got.UpdatedAt.Before(got.CreatedAt) {
		t.Fatalf("after an attempt = %+v", got)
	}
	due, err = s.DueDeliveries(ctx, time.Now().Add(time.Minute), 10)
	if err != nil || len(due) != 1 || due[0].ID != all[0].ID {
		t.Fatalf("DueDeliveries after the attempts = %+v, %v; want only the newest", due, err)
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
