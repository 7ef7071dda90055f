package main_test

import (
	"testing"
)

// TestProfileWeightsBounded: a weight must be a number in [0, 1000] and one must be positive.
// Weights whose sum overflows to +Inf made every score 0 (score = Σ wᵢ·fᵢ / Σ wᵢ); such a
// profile is refused by PUT and by preview, naming the weight, and the stored profile stays.
func TestProfileWeightsBounded(t *testing.T) {
	s := startServer(t, "", nil)
	before := s.do("GET", "/v1/profiles/default", nil, adminKey)
	if before.Status != 200 {
		t.Fatalf("get default: %d %s", before.Status, before.Body)
	}
	cases := []struct {
		name, body, field string
	}{
		{"sum overflows", `{"weights":{"text":1e308,"field":1e308}}`, "weights.field"},
		{"one huge weight", `{"weights":{"text":1e300}}`, "weights.text"},
		{"just above the bound", `{"weights":{"region":1000.5}}`, "weights.region"},
		{"negative", `{"weights":{"quality":-0.1}}`, "weights.quality"},
		{"all zero", `{"weights":{"text":0,"field":0,"region":0,"maturity":0,"budget":0,"mode":0,"freshness":0,"quality":0}}`, "weights"},
		{"beyond float64", `{"weights":{"text":1e400}}`, "weights"}, // the decoder names the map, not its key
	}
	for _, c := range cases {
		t.Run("put "+c.name, func(t *testing.T) {
			r := s.do("PUT", "/v1/profiles/default", c.body, adminKey)
			if r.Status != 400 {
				t.Fatalf("%d %s; want 400", r.Status, r.Body)
			}
			if code, field := r.errorField(t); code != "invalid_argument" || field != c.field {
				t.Errorf("code %q field %q, want invalid_argument %q: %s", code, field, c.field, r.Body)
			}
		})
		t.Run("preview "+c.name, func(t *testing.T) {
			r := s.do("POST", "/v1/profiles/preview", `{"candidate":`+c.body+`,"sample":1}`, adminKey)
			if r.Status != 400 {
				t.Fatalf("%d %s; want 400", r.Status, r.Body)
			}
			if _, field := r.errorField(t); field != "candidate."+c.field {
				t.Errorf("field %q, want %q: %s", field, "candidate."+c.field, r.Body)
			}
		})
	}
	if after := s.do("GET", "/v1/profiles/default", nil, adminKey); string(after.Body) != string(before.Body) {
		t.Errorf("a refused change altered the profile:\nbefore %s\nafter  %s", before.Body, after.Body)
	}
	if r := s.do("PUT", "/v1/profiles/bounded", `{"weights":{"text":1000,"field":1000,"region":1000,"maturity":1000,"budget":1000,"mode":1000,"freshness":1000,"quality":1000}}`, adminKey); r.Status != 200 {
		t.Errorf("weights at the bound: %d %s; want 200", r.Status, r.Body)
	}
}
