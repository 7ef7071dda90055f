package main_test

import (
	"fmt"
	"strings"
	"testing"
)

// TestHostileInput sends malformed, oversized and adversarial input to every kind of route.
// Each answer is a 4xx with a message (naming the field where there is one) or a correct
// answer; never a 5xx. The server is still healthy and consistent afterwards.
func TestHostileInput(t *testing.T) {
	s := startServer(t, "", nil)
	manyKeywords := `{"title":"x","keywords":[` + strings.TrimSuffix(strings.Repeat(`"锂",`, 100_000), ",") + `]}`
	manyShort := `{"title":"x","keywords":[` + strings.TrimSuffix(strings.Repeat(`"a",`, 1000), ",") + `]}`
	deep := strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000)
	manyIDs := `{"demand_ids":[` + strings.TrimSuffix(strings.Repeat(`"d",`, 200_000), ",") + `]}`
	cases := []struct {
		name, method, path, body string
		want                     int // 0: any answer below 500
		field                    string
	}{
		{"100k keywords", "POST", "/v1/achievements", manyKeywords, 413, ""},
		{"1000 keywords", "POST", "/v1/achievements", manyShort, 400, "keywords"},
		{"deeply nested JSON", "POST", "/v1/achievements", deep, 400, ""},
		{"deeply nested in a field", "POST", "/v1/demands", `{"title":"x","budget":` + strings.Repeat(`{"min":`, 5000) + `1` + strings.Repeat("}", 5000) + `}`, 400, ""},
		{"array instead of object", "POST", "/v1/patents", `[{"title":"x"}]`, 400, ""},
		{"null body", "POST", "/v1/experts", `null`, 400, "title"},
		{"number overflow", "POST", "/v1/achievements", `{"title":"x","trl":1e400}`, 400, "trl"},
		{"int overflow", "POST", "/v1/achievements", `{"title":"x","market":{"deals":99999999999999999999}}`, 400, "market.deals"},
		{"negative signal", "POST", "/v1/achievements", `{"title":"x","market":{"deals":-1}}`, 400, ""},
		{"NaN-like string number", "POST", "/v1/achievements", `{"title":"x","price":{"min":"NaN"}}`, 400, "price.min"},
		{"NUL in title", "POST", "/v1/achievements", `{"title":"a\u0000b"}`, 400, "title"},
		{"raw control byte", "POST", "/v1/achievements", "{\"title\":\"a\x01b\"}", 400, ""},
		{"bidi override", "POST", "/v1/achievements", `{"title":"a\u202eb"}`, 0, ""},
		{"lone surrogate escape", "POST", "/v1/achievements", `{"title":"\ud800"}`, 0, ""},
		{"duplicate keys", "POST", "/v1/achievements", `{"title":"x","title":"y"}`, 0, ""},
		{"enum as number", "POST", "/v1/patents", `{"title":"x","patent_type":1}`, 400, "patent_type"},
		{"enum with case", "POST", "/v1/patents", `{"title":"x","patent_type":"Invention"}`, 400, "patent_type"},
		{"bool as string", "POST", "/v1/patents", `{"title":"x","open_license":"yes"}`, 400, "open_license"},
		{"title too long", "POST", "/v1/achievements", `{"title":"` + strings.Repeat("长", 600) + `"}`, 400, "title"},
		{"huge id", "PUT", "/v1/achievements/" + strings.Repeat("a", 300), `{"title":"x"}`, 400, "id"},
		{"id with escapes", "GET", "/v1/achievements/%00%ff", "", 404, ""},
		{"ad-hoc match, wrong type", "POST", "/v1/match", `{"title":["x"]}`, 400, "title"},
		{"ad-hoc match, not JSON", "POST", "/v1/match", `title=x`, 400, ""},
		{"ad-hoc match, bad limit", "POST", "/v1/match?limit=1e9", `{"title":"x"}`, 400, "limit"},
		{"ad-hoc match, unknown profile", "POST", "/v1/match?profile=../../etc", `{"title":"锂电池"}`, 400, "profile"},
		{"preview with 200k ids", "POST", "/v1/profiles/preview", manyIDs, 0, ""},
		{"profile weights wrong type", "PUT", "/v1/profiles/default", `{"weights":{"text":"high"}}`, 400, ""},
		{"profile negative weight", "PUT", "/v1/profiles/default", `{"weights":{"text":-1}}`, 400, ""},
		{"profile name traversal", "PUT", "/v1/profiles/..%2F..%2Fx", `{"weights":{"text":1}}`, 0, ""},
		{"key with unknown role", "POST", "/v1/keys", `{"role":"superuser","subject":"x"}`, 400, "role"},
		{"import: one huge line", "POST", "/v1/achievements/import", `{"title":"` + strings.Repeat("长", 200_000) + `"}`, 200, ""},
		{"import: binary", "POST", "/v1/achievements/import", "\x00\x01\x02\xff\xfe\n\x89PNG\r\n", 200, ""},
		{"search: invalid UTF-8", "GET", "/v1/search?q=%ff%fe", "", 400, "q"},
		{"search: control characters", "GET", "/v1/search?q=%00%07%1b%5B31m", "", 0, ""},
		{"search: query syntax", "GET", "/v1/search?q=" + urlEscape(`title:* AND +"x" -y ~2 ^9 /.*/ [a TO z] {}`), "", 200, ""},
		{"search: only stop words", "GET", "/v1/search?q=" + urlEscape("的 了 吗"), "", 200, ""},
		{"search: huge page", "GET", "/v1/search?page=999999999999", "", 400, "page"},
		{"search: negative size", "GET", "/v1/search?size=-5", "", 400, "size"},
		{"search: repeated params", "GET", "/v1/search?kind=achievements&kind=patents,experts&kind=", "", 200, ""},
		{"list: huge size", "GET", "/v1/achievements?size=100000", "", 400, "size"},
		{"match: limit not a number", "GET", "/v1/demands/x/matches?limit=ten", "", 404, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := s.do(c.method, c.path, c.body, adminKey)
			if r.Status >= 500 || (c.want != 0 && r.Status != c.want) {
				t.Fatalf("%s %s: %d %.300s; want %d", c.method, c.path[:min(len(c.path), 80)], r.Status, r.Body, c.want)
			}
			if r.Status >= 400 {
				if _, field := r.errorField(t); c.field != "" && field != c.field {
					t.Errorf("field %q, want %q: %s", field, c.field, r.Body)
				}
			}
		})
	}
	if r := s.do("GET", "/readyz", nil, ""); r.Status != 200 {
		t.Fatalf("not ready after hostile input: %d %s", r.Status, r.Body)
	}
	s.stop()
	if out, err := runCLI(t, s.DataDir, "check"); err != nil {
		t.Fatalf("check: %v\n%s", err, out)
	}
}

func urlEscape(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}
