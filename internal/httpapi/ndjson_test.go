package httpapi_test

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/techmatch/techmatch/internal/domain"
	"github.com/techmatch/techmatch/internal/httpapi"
)

func TestParseNDJSON(t *testing.T) {
	tests := []struct {
		name         string
		in           string
		wantAccepted []int
		wantRejected []int
	}{
		{"empty", "", nil, nil},
		{"blank lines skipped", "\n\n  \n", nil, nil},
		{"good and bad", `{"id":"a","title":"锂电池"}` + "\n" + `{"id":"b"}` + "\n" + `not json` + "\n" + `{"title":"无 id 也行"}`, []int{1, 4}, []int{2, 3}},
		{"crlf and no final newline", "{\"title\":\"甲\"}\r\n{\"title\":\"乙\"}", []int{1, 2}, nil},
		{"unknown field", `{"title":"x","color":"red"}`, nil, []int{1}},
		{"invalid utf-8", "{\"title\":\"\xff\"}", nil, []int{1}},
		{"two values on a line", `{"title":"a"}{"title":"b"}`, nil, []int{1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var acc, rej []int
			_, err := httpapi.ParseNDJSON(strings.NewReader(tt.in), domain.Achievements,
				func(line int, _ domain.Record) { acc = append(acc, line) },
				func(r httpapi.Rejected) { rej = append(rej, r.Line) })
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(acc, tt.wantAccepted) || !slices.Equal(rej, tt.wantRejected) {
				t.Fatalf("accepted lines %v, rejected %v; want %v and %v", acc, rej, tt.wantAccepted, tt.wantRejected)
			}
		})
	}
}

// FuzzParseNDJSON: whatever the bytes, the parser never panics, reports each non-blank line
// exactly once, in order, and accepts only records that are valid and survive a round trip.
func FuzzParseNDJSON(f *testing.F) {
	for _, seed := range []string{
		`{"id":"a","title":"锂电池正极材料","trl":6,"stage":"中试","keywords":["锂电池"]}`,
		"{\"title\":\"x\"}\n\n{\"title\":\"y\",\"price\":{\"min\":1,\"max\":2}}\r\n",
		`{"title":"x","trl":"six"}`,
		`{"title":"\u0000"}`,
		"[1,2,3]\nnull\n\"str\"\n",
		`{"title":"a","contact":{"phone":"13812345678"}}`,
	} {
		f.Add([]byte(seed), uint8(0))
	}
	f.Fuzz(func(t *testing.T, data []byte, kindPick uint8) {
		k := domain.AllKinds[int(kindPick)%len(domain.AllKinds)]
		lines := 0
		for _, l := range bytes.Split(data, []byte("\n")) {
			if len(bytes.TrimSpace(l)) > 0 {
				lines++
			}
		}
		seen, last := 0, 0
		_, err := httpapi.ParseNDJSON(bytes.NewReader(data), k,
			func(line int, rec domain.Record) {
				seen++
				if line <= last {
					t.Fatalf("line %d reported after line %d", line, last)
				}
				last = line
				if err := rec.Validate(); err != nil {
					t.Fatalf("line %d accepted but invalid: %v", line, err)
				}
				body, err := json.Marshal(rec)
				if err != nil {
					t.Fatalf("line %d accepted but does not encode: %v", line, err)
				}
				if _, err := domain.DecodeRecord(k, body); err != nil {
					t.Fatalf("line %d accepted but its encoding %s is rejected: %v", line, body, err)
				}
			},
			func(r httpapi.Rejected) {
				seen++
				if r.Line <= last {
					t.Fatalf("line %d reported after line %d", r.Line, last)
				}
				last = r.Line
				if r.Error == "" {
					t.Fatalf("line %d rejected without a reason", r.Line)
				}
			})
		if err != nil {
			t.Fatalf("reading from memory failed: %v", err)
		}
		if seen != lines {
			t.Fatalf("%d non-blank lines, %d reported", lines, seen)
		}
	})
}
