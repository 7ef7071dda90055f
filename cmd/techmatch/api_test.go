package main_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

func achievement(id, title string) map[string]any {
	return map[string]any{
		"id": id, "title": title,
		"summary":  "采用原位聚合固态电解质，室温离子电导率达到1.2 mS/cm，针刺不起火，适用于动力锂离子电池。",
		"keywords": []string{"固态电解质", "锂离子电池"}, "fields": []string{"新材料/电池材料"},
		"region": "320100", "org": "测试大学", "org_type": "university", "stage": "中试",
		"transfer_modes": []string{"license", "transfer"}, "price": map[string]any{"min": 50, "max": 80},
		"market":  map[string]any{"investor_interest": 2, "deals": 1},
		"contact": map[string]any{"name": "王工", "phone": "13812345678", "email": "wang@example.com"},
	}
}

func TestCRUDEveryKind(t *testing.T) {
	s := startServer(t, "", nil)
	records := map[string]map[string]any{
		"achievements": achievement("a-1", "固态电解质材料"),
		"patents": {"id": "p-1", "title": "一种固态电解质的制备方法", "patent_no": "CN202310000001.1", "patent_type": "invention",
			"legal_status": "granted", "ipc": []string{"H01M10/0562"}, "filed_at": "2023-01-02", "granted_at": "2024-05-06", "open_license": true, "license_fee": 5},
		"experts": {"id": "e-1", "title": "李明", "summary": "长期从事固态电池研究", "titles": []string{"教授"},
			"research_areas": []string{"固态电池"}, "available_for": []string{"consulting", "secondment"}, "achievement_ids": []string{"a-1"}},
		"demands": {"id": "d-1", "title": "动力电池固态电解质", "description": "寻求高安全固态电解质技术", "region": "320100",
			"enterprise": "某某新能源", "budget": map[string]any{"min": 100, "max": 200}, "min_trl": 5, "accept_modes": []string{"license"},
			"deadline": "2099-06-30", "challenge": map[string]any{"bounty": 500, "deadline": "2099-03-01"}},
	}
	for kind, rec := range records {
		t.Run(kind, func(t *testing.T) {
			id := rec["id"].(string)
			r := s.do("POST", "/v1/"+kind, rec, adminKey)
			if r.Status != http.StatusCreated {
				t.Fatalf("create: %d %s", r.Status, r.Body)
			}
			var got map[string]any
			r.decode(t, &got)
			if got["rev"] != 1.0 || got["created_at"] == nil || got["updated_at"] == nil {
				t.Errorf("server fields not set: %s", r.Body)
			}
			r = s.do("GET", "/v1/"+kind+"/"+id, nil, adminKey)
			if r.Status != 200 || !strings.Contains(string(r.Body), rec["title"].(string)) {
				t.Fatalf("get: %d %s", r.Status, r.Body)
			}
			rec2 := map[string]any{}
			for k, v := range rec {
				rec2[k] = v
			}
			rec2["title"] = rec["title"].(string) + "（修订）"
			r = s.do("PUT", "/v1/"+kind+"/"+id, rec2, adminKey)
			if r.Status != 200 {
				t.Fatalf("replace: %d %s", r.Status, r.Body)
			}
			r.decode(t, &got)
			if got["rev"] != 2.0 {
				t.Errorf("rev after replace = %v, want 2", got["rev"])
			}
			r = s.do("GET", "/v1/"+kind+"?page=1&size=10", nil, adminKey) // demands are not public
			var list struct {
				Total, Page, Size int
				Items             []map[string]any
			}
			r.decode(t, &list)
			if r.Status != 200 || list.Total != 1 || len(list.Items) != 1 || list.Size != 10 {
				t.Fatalf("list: %d %s", r.Status, r.Body)
			}
			r = s.do("DELETE", "/v1/"+kind+"/"+id, nil, adminKey)
			if r.Status != http.StatusNoContent {
				t.Fatalf("delete: %d %s", r.Status, r.Body)
			}
			if r = s.do("GET", "/v1/"+kind+"/"+id, nil, adminKey); r.Status != 404 {
				t.Fatalf("get after delete: %d", r.Status)
			}
			if r = s.do("DELETE", "/v1/"+kind+"/"+id, nil, adminKey); r.Status != 404 {
				t.Fatalf("second delete: %d", r.Status)
			}
		})
	}
	t.Run("server makes an id", func(t *testing.T) {
		r := s.do("POST", "/v1/achievements", map[string]any{"title": "无编号成果"}, adminKey)
		var got map[string]any
		r.decode(t, &got)
		if r.Status != 201 || got["id"] == "" || got["status"] != "active" {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
	})
	t.Run("contacts masked for anonymous", func(t *testing.T) {
		s.do("POST", "/v1/achievements", achievement("a-mask", "掩码测试"), adminKey)
		r := s.do("GET", "/v1/achievements/a-mask", nil, "")
		if !strings.Contains(string(r.Body), "138****5678") || strings.Contains(string(r.Body), "13812345678") {
			t.Errorf("anonymous read not masked: %s", r.Body)
		}
		r = s.do("GET", "/v1/achievements/a-mask", nil, adminKey)
		if !strings.Contains(string(r.Body), "13812345678") {
			t.Errorf("admin read masked: %s", r.Body)
		}
	})
}

func TestBadInput(t *testing.T) {
	s := startServer(t, "", nil)
	cases := []struct {
		name, path, body string
		status           int
		field            string
	}{
		{"unknown field", "/v1/achievements", `{"title":"x","colour":"red"}`, 400, "colour"},
		{"wrong type", "/v1/achievements", `{"title":"x","trl":"high"}`, 400, "trl"},
		{"wrong type in list", "/v1/achievements", `{"title":"x","keywords":"a,b"}`, 400, "keywords"},
		{"truncated", "/v1/achievements", `{"title":"x","summary":"abc`, 400, ""},
		{"invalid utf-8", "/v1/achievements", "{\"title\":\"\xff\xfe\"}", 400, ""},
		{"trailing data", "/v1/achievements", `{"title":"x"} {"title":"y"}`, 400, ""},
		{"empty body", "/v1/achievements", ``, 400, ""},
		{"missing title", "/v1/achievements", `{"summary":"x"}`, 400, "title"},
		{"trl out of range", "/v1/achievements", `{"title":"x","trl":12}`, 400, "trl"},
		{"unknown stage", "/v1/achievements", `{"title":"x","stage":"量产"}`, 400, "stage"},
		{"bad region", "/v1/achievements", `{"title":"x","region":"火星"}`, 400, "region"},
		{"price min > max", "/v1/achievements", `{"title":"x","price":{"min":90,"max":10}}`, 400, "price"},
		{"unknown mode", "/v1/achievements", `{"title":"x","transfer_modes":["gift"]}`, 400, "transfer_modes[0]"},
		{"bad id", "/v1/achievements", `{"id":"a b/c","title":"x"}`, 400, "id"},
		{"control character", "/v1/achievements", `{"title":"x\u0007y"}`, 400, "title"},
		{"bad org type", "/v1/achievements", `{"title":"x","org_type":"company"}`, 400, "org_type"},
		{"bad patent status", "/v1/patents", `{"title":"x","legal_status":"alive"}`, 400, "legal_status"},
		{"bad date", "/v1/patents", `{"title":"x","filed_at":"2023/01/02"}`, 400, "filed_at"},
		{"bad availability", "/v1/experts", `{"title":"x","available_for":["lunch"]}`, 400, "available_for[0]"},
		{"budget min > max", "/v1/demands", `{"title":"x","budget":{"min":300,"max":200}}`, 400, "budget"},
		{"bad demand status", "/v1/demands", `{"title":"x","status":"done"}`, 400, "status"},
		{"bad min_trl", "/v1/demands", `{"title":"x","min_trl":0.5}`, 400, "min_trl"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := s.do("POST", c.path, c.body, adminKey)
			if r.Status != c.status {
				t.Fatalf("status %d, want %d: %s", r.Status, c.status, r.Body)
			}
			code, field := r.errorField(t)
			if code != "invalid_argument" || field != c.field {
				t.Errorf("code %q field %q, want invalid_argument %q: %s", code, field, c.field, r.Body)
			}
		})
	}
	// Nothing of the above was written.
	r := s.do("GET", "/v1/achievements", nil, "")
	if !strings.Contains(string(r.Body), `"total":0`) {
		t.Errorf("bad input left records behind: %s", r.Body)
	}

	t.Run("auth", func(t *testing.T) {
		if r := s.do("POST", "/v1/achievements", `{"title":"x"}`, ""); r.Status != 401 {
			t.Errorf("no key: %d", r.Status)
		}
		if r := s.do("POST", "/v1/achievements", `{"title":"x"}`, "wrong"); r.Status != 401 {
			t.Errorf("wrong key: %d", r.Status)
		}
		if code, _ := s.do("DELETE", "/v1/achievements/x", nil, "").errorField(t); code != "unauthenticated" {
			t.Errorf("code %q", code)
		}
	})
	t.Run("path and body ids differ", func(t *testing.T) {
		r := s.do("PUT", "/v1/achievements/a-1", `{"id":"a-2","title":"x"}`, adminKey)
		if _, f := r.errorField(t); r.Status != 400 || f != "id" {
			t.Errorf("%d %s", r.Status, r.Body)
		}
	})
	t.Run("too large", func(t *testing.T) {
		big := fmt.Sprintf(`{"title":"x","summary":"%s"}`, strings.Repeat("长", 1<<19))
		r := s.do("POST", "/v1/achievements", big, adminKey)
		if code, _ := r.errorField(t); r.Status != 413 || code != "too_large" {
			t.Errorf("%d %s", r.Status, r.Body)
		}
	})
	t.Run("query params", func(t *testing.T) {
		for _, q := range []string{"size=0", "size=1000", "page=abc", "trl_min=10", "mode=gift", "kind=demands", "region=火星", "q=" + strings.Repeat("长", 600)} {
			if r := s.do("GET", "/v1/search?"+q, nil, ""); r.Status != 400 {
				t.Errorf("%s: %d %s", q, r.Status, r.Body)
			}
		}
		for _, q := range []string{`q=%22%2B%2D%3A%28%29%2A%3F%7E%5E`, "q=title%3Ax+AND+y", "q=%5B%5D%7B%7D%5C%2F"} {
			if r := s.do("GET", "/v1/search?"+q, nil, ""); r.Status != 200 {
				t.Errorf("query syntax characters %s: %d %s", q, r.Status, r.Body)
			}
		}
	})
	t.Run("unknown route and method", func(t *testing.T) {
		if r := s.do("GET", "/v1/nothing", nil, ""); r.Status != 404 {
			t.Errorf("%d", r.Status)
		}
		if r := s.do("PATCH", "/v1/achievements", nil, ""); r.Status == 200 || r.Status >= 500 {
			t.Errorf("%d", r.Status)
		}
	})
}

func TestImportReportsBadLines(t *testing.T) {
	s := startServer(t, "", nil)
	var b strings.Builder
	for i := 1; i <= 2000; i++ {
		switch {
		case i == 7:
			b.WriteString(`{"id":"bad-7","title":"x","trl":42}` + "\n")
		case i == 8:
			b.WriteString(`{"id":"bad-8", "title": ` + "\n")
		case i == 9:
			b.WriteString("\n")
		case i == 10:
			b.WriteString(`{"id":"bad-10","title":"x","whatever":1}` + "\n")
		default:
			fmt.Fprintf(&b, `{"id":"imp-%04d","title":"批量导入成果 %d 号：储能电池热管理","summary":"第%d条"}`+"\n", i, i, i)
		}
	}
	r := s.do("POST", "/v1/achievements/import", b.String(), adminKey)
	var rep struct {
		Accepted int
		Rejected []struct {
			Line  int
			ID    string
			Error string
		}
	}
	r.decode(t, &rep)
	if r.Status != 200 || rep.Accepted != 1996 || len(rep.Rejected) != 3 {
		t.Fatalf("import: %d accepted %d rejected %+v", r.Status, rep.Accepted, rep.Rejected)
	}
	want := map[int]string{7: "bad-7", 8: "", 10: "bad-10"}
	for _, rj := range rep.Rejected {
		if id, ok := want[rj.Line]; !ok || id != rj.ID || rj.Error == "" {
			t.Errorf("rejected %+v", rj)
		}
	}
	if !strings.Contains(rep.Rejected[0].Error, "trl") {
		t.Errorf("line 7 error does not name trl: %q", rep.Rejected[0].Error)
	}
	eventually(t, "imported records searchable", func() bool {
		r := s.do("GET", "/v1/search?q=储能电池热管理&size=1", nil, "")
		var ans struct{ Total int }
		r.decode(t, &ans)
		return ans.Total == 1996
	})
	if r := s.do("POST", "/v1/achievements/import", "{}", ""); r.Status != 401 {
		t.Errorf("import without key: %d", r.Status)
	}
}
