package worklist_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/techmatch/techmatch/internal/domain"
	"github.com/techmatch/techmatch/internal/store"
	"github.com/techmatch/techmatch/internal/worklist"
)

func TestSignatureCoversTheTimestamp(t *testing.T) {
	secret, body := []byte("s3cr3t-for-tests"), []byte(`{"event":"demand.closed"}`)
	now := time.Unix(1_800_000_000, 0)
	ts := strconv.FormatInt(now.Unix(), 10)
	sig := worklist.Sign(secret, ts, body)
	if err := worklist.Verify(secret, body, ts, sig, now.Add(4*time.Minute)); err != nil {
		t.Errorf("a fresh call: %v", err)
	}
	for name, c := range map[string]struct {
		ts, sig string
		body    []byte
		now     time.Time
	}{
		"another timestamp":         {strconv.FormatInt(now.Unix()+1, 10), sig, body, now},
		"another body":              {ts, sig, []byte(`{"event":"x"}`), now},
		"replayed after 6 minutes":  {ts, sig, body, now.Add(6 * time.Minute)},
		"from 6 minutes in future":  {ts, sig, body, now.Add(-6 * time.Minute)},
		"the body's signature only": {ts, bodyOnly(secret, body), body, now},
	} {
		if err := worklist.Verify(secret, c.body, c.ts, c.sig, c.now); err == nil {
			t.Errorf("%s: verified", name)
		}
	}
}

// bodyOnly is the signature of the body alone, as calls were signed before the timestamp.
func bodyOnly(secret, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// hookReceiver keeps the calls it gets and fails the first failFirst.
type hookReceiver struct {
	mu        sync.Mutex
	failFirst int
	calls     []*http.Request
	bodies    [][]byte
}

func (h *hookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	defer h.mu.Unlock()
	h.calls, h.bodies = append(h.calls, r), append(h.bodies, b)
	if len(h.calls) <= h.failFirst {
		http.Error(w, "down", http.StatusBadGateway)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *hookReceiver) got() ([]*http.Request, [][]byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]*http.Request(nil), h.calls...), append([][]byte(nil), h.bodies...)
}

// TestAnnouncedChangesAreDeliveredSignedAndRedeliverable: a move of an entry, queued by the
// store with the change, reaches the holder's receiver as matches.status_changed, signed with
// the timestamp of the attempt; a failed delivery redelivered gets one more attempt.
func TestAnnouncedChangesAreDeliveredSignedAndRedeliverable(t *testing.T) {
	ctx := context.Background()
	rc := &hookReceiver{failFirst: 1}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "techmatch.db"), store.WithAnnouncer(worklist.Announcements{}))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	secret := []byte("hook-secret-for-tests")
	hooks := worklist.NewWebhooks(st, worklist.WebhookOptions{Secret: secret, MaxAttempts: 1, AllowPrivate: true})
	svc := worklist.NewService(st, nil).WithAlerts(hooks)

	if _, err := st.PutAgent(ctx, &domain.Agent{ID: "ag", Name: "经纪人", Capacity: 3, WebhookURL: srv.URL + "/hook"}); err != nil {
		t.Fatal(err)
	}
	d := &domain.Demand{Meta: domain.Meta{ID: "d-1"}, Title: "锂电池正极材料", Status: "open"}
	a := &domain.Achievement{}
	a.ID, a.Title, a.Status = "a-1", "高镍正极材料", "active"
	for _, r := range []domain.Record{d, a} {
		if _, err := st.Put(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	es, err := st.SaveMatches(ctx, domain.MatchBatch{Demand: d, AgentID: "ag",
		Entries: []*domain.MatchEntry{{SupplyKind: domain.Achievements, SupplyID: "a-1", SupplyTitle: a.Title, DemandTitle: d.Title, Score: 0.7}}})
	if err != nil || len(es) != 1 {
		t.Fatalf("SaveMatches: %v, %v", es, err)
	}
	if _, err := svc.Update(ctx, es[0].ID, domain.EntryUpdate{Status: domain.StatusContacted, Note: "已电话联系"}, "agent:ag"); err != nil {
		t.Fatal(err)
	}
	if err := hooks.DeliverDue(ctx); err != nil {
		t.Fatal(err)
	}
	ds, _, err := st.Deliveries(ctx, domain.DeliveryFilter{}, 0, 10)
	if err != nil || len(ds) != 1 || ds[0].Status != domain.DeliveryFailed || ds[0].LastCode != http.StatusBadGateway {
		t.Fatalf("after a failed attempt with max_attempts 1: %+v, %v", ds, err)
	}
	if _, err := svc.Redeliver(ctx, ds[0].ID); err != nil {
		t.Fatal(err)
	}
	if err := hooks.DeliverDue(ctx); err != nil {
		t.Fatal(err)
	}
	if ds, _, _ = st.Deliveries(ctx, domain.DeliveryFilter{}, 0, 10); ds[0].Status != domain.DeliveryDelivered || ds[0].Attempts != 2 {
		t.Errorf("after the redelivery: %+v, want delivered at the second attempt", ds[0])
	}

	calls, bodies := rc.got()
	if len(calls) != 2 {
		t.Fatalf("receiver got %d calls, want 2", len(calls))
	}
	for i, r := range calls {
		ts := r.Header.Get(worklist.TimestampHeader)
		if err := worklist.Verify(secret, bodies[i], ts, r.Header.Get(worklist.SignatureHeader), time.Now()); err != nil {
			t.Errorf("call %d: %v", i, err)
		}
		if ev := r.Header.Get("X-Techmatch-Event"); ev != worklist.EventStatusChanged {
			t.Errorf("call %d: event %q", i, ev)
		}
	}
	var al worklist.StatusChangedAlert
	if err := json.Unmarshal(bodies[1], &al); err != nil {
		t.Fatal(err)
	}
	if al.AgentID != "ag" || al.DemandID != "d-1" || al.Entry.ID != es[0].ID || al.From != "new" || al.To != "contacted" ||
		al.By != "agent:ag" || al.Note != "已电话联系" || al.Entry.Title != a.Title {
		t.Errorf("body %+v", al)
	}
}
