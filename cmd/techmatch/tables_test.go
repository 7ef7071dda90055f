package main_test

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// upload posts body with a Content-Type to an import route.
func (s *server) upload(path, contentType string, body []byte) response {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "POST", s.URL+path, bytes.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Authorization", "Bearer "+adminKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return response{Status: resp.StatusCode, Header: resp.Header, Body: data}
}

type importReport struct {
	Accepted int
	Rejected []struct {
		Line  int
		ID    string
		Error string
	}
}

func xlsxOf(t *testing.T, rows [][]any) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, row := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &row); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestTableImportAndExport(t *testing.T) {
	s := startServer(t, "", nil, worklistEnv...)
	s.mustDo("PUT", "/v1/profiles/default", map[string]any{"params": map[string]any{"list_threshold": 0.3}, "note": "test"}, 200)

	// CSV with Chinese headers, as Excel saves it (BOM, CRLF), with bad rows among good ones.
	csv := "\ufeff编号,标题,摘要,关键词,领域,地区,单位,TRL,转化方式,价格下限（万元）,价格上限（万元）\r\n" +
		"c-1,硫化物固态电解质公斤级制备技术,高安全性锂离子电池固态电解质及制备工艺，用于动力电池,固态电解质；锂离子电池、电池安全,新材料/电池材料,320100,金陵理工大学,6,许可；转让,40,60\r\n" +
		"c-2,坏的成熟度,摘要,电池,新材料/电池材料,320100,某大学,高,许可,1,2\r\n" +
		",,只有摘要没有标题,,,,,,,,\r\n" +
		"c-4,地区写成了没有的地名,摘要,电池,新材料/电池材料,火星,某大学,5,许可,1,2\r\n" +
		"c-5,氧化物固态电解质薄膜技术,用于动力电池的高安全性固态电解质,固态电解质,新材料/电池材料,320100,金陵理工大学,7,license,20,30\r\n"
	var rep importReport
	r := s.upload("/v1/achievements/import", "text/csv; charset=utf-8", []byte(csv))
	r.decode(t, &rep)
	if r.Status != 200 || rep.Accepted != 2 || len(rep.Rejected) != 3 {
		t.Fatalf("csv import: %d %s", r.Status, r.Body)
	}
	for i, want := range []struct {
		line  int
		field string
	}{{3, "trl"}, {4, "title"}, {5, "region"}} {
		if got := rep.Rejected[i]; got.Line != want.line || !strings.HasPrefix(got.Error, want.field) {
			t.Errorf("rejected[%d] = %+v, want line %d about %s", i, got, want.line, want.field)
		}
	}
	var c1 struct {
		Keywords      []string `json:"keywords"`
		TransferModes []string `json:"transfer_modes"`
		TRL           int      `json:"trl"`
		Price         struct{ Min, Max float64 }
	}
	s.mustDo("GET", "/v1/achievements/c-1", nil, 200).decode(t, &c1)
	if strings.Join(c1.Keywords, "|") != "固态电解质|锂离子电池|电池安全" || strings.Join(c1.TransferModes, "|") != "license|transfer" || c1.TRL != 6 || c1.Price.Max != 60 {
		t.Errorf("c-1 read back as %+v", c1)
	}
	if r := s.upload("/v1/achievements/import", "text/csv", []byte("标题,颜色\nx,红\n")); r.Status != 400 {
		t.Errorf("unknown column: %d %s, want 400", r.Status, r.Body)
	} else if _, f := r.errorField(t); f != "header" {
		t.Errorf("unknown column names field %q, want header", f)
	}

	// XLSX uploaded as a multipart form, with English and Chinese headers mixed.
	book := xlsxOf(t, [][]any{
		{"id", "标题", "description", "关键词", "领域", "地区", "企业", "预算上限", "最低TRL"},
		{"x-1", "高安全性锂离子电池固态电解质技术", "需要高安全性锂离子电池固态电解质及制备工艺，用于动力电池", "固态电解质；锂离子电池", "新材料/电池材料", "320100", "测试新能源有限公司", 200, 3},
		{"x-2", "", "没有标题", "", "", "", "", "", ""},
	})
	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	fw, _ := mw.CreateFormFile("file", "需求.xlsx")
	fw.Write(book)
	mw.Close()
	r = s.upload("/v1/demands/import", mw.FormDataContentType(), form.Bytes())
	r.decode(t, &rep)
	if r.Status != 200 || rep.Accepted != 1 || len(rep.Rejected) != 1 || rep.Rejected[0].Line != 3 {
		t.Fatalf("xlsx import: %d %s", r.Status, r.Body)
	}

	// The agent's list round-trips through XLSX and CSV exports.
	s.mustDo("POST", "/v1/agents", map[string]any{"id": "all", "name": "全省", "capacity": 10}, 201)
	s.mustDo("PUT", "/v1/demands/x-1", batteryDemand("x-1", "320100"), 200) // a change re-matches it now that an agent exists
	es := entriesOf(t, s, "x-1", 2)
	eventually(t, "entries assigned", func() bool {
		var p entryPage
		s.mustDo("GET", "/v1/agents/all/matches", nil, 200).decode(t, &p)
		return p.Total == len(es)
	})
	r = s.mustDo("GET", "/v1/agents/all/matches?format=xlsx", nil, 200)
	if cd := r.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") || !strings.Contains(cd, ".xlsx") {
		t.Errorf("Content-Disposition %q", cd)
	}
	f, err := excelize.OpenReader(bytes.NewReader(r.Body))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(f.GetSheetList()[0])
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(es)+1 || rows[0][0] != "编号" || rows[0][5] != "供给" || rows[0][7] != "状态" {
		t.Fatalf("xlsx export: %d rows, header %v", len(rows), rows[0])
	}
	got := map[string]bool{}
	for _, row := range rows[1:] {
		got[row[4]] = true
		if row[1] != "x-1" || row[7] != "新推荐" {
			t.Errorf("xlsx row %v", row)
		}
	}
	if !got["c-1"] || !got["c-5"] {
		t.Errorf("xlsx export lists %v, want c-1 and c-5", got)
	}
	r = s.mustDo("GET", "/v1/agents/all/matches?format=csv", nil, 200)
	if !bytes.HasPrefix(r.Body, []byte("\ufeff编号,需求编号")) || bytes.Count(r.Body, []byte("\n")) != len(es)+1 {
		t.Errorf("csv export:\n%s", r.Body)
	}
	if r := s.do("GET", "/v1/agents/all/matches?format=pdf", nil, adminKey); r.Status != 400 {
		t.Errorf("format=pdf: %d, want 400", r.Status)
	}
}

// TestImportCommandReadsEveryFormat runs `techmatch import` on an NDJSON file and a CSV table
// against a running server: each file read in its own format, rejected lines and rows named by
// file and number, and no rejected line run into the progress bar when both share a terminal.
func TestImportCommandReadsEveryFormat(t *testing.T) {
	s := startServer(t, "", nil, worklistEnv...)
	dir := t.TempDir()
	ndjson := filepath.Join(dir, "成果.ndjson")
	lines := `{"id":"n-1","title":"硫化物固态电解质公斤级制备技术","region":"320100"}
{"id":"n-2","title":"","region":"320100"}
{"id":"n-3","title":"钠离子电池正极材料","region":"350200"}
`
	table := filepath.Join(dir, "成果表.CSV")
	csv := "\ufeff编号,标题,摘要,地区,TRL\r\n" +
		"c-1,氧化物固态电解质薄膜技术,用于动力电池,320100,7\r\n" +
		"c-2,坏的成熟度,摘要,320100,高\r\n" +
		"c-3,锂电池回收工艺,湿法回收,320500,6\r\n"
	if err := os.WriteFile(ndjson, []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(table, []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(binPath, "import", "--kind", "achievements", "--server", s.URL, "--key", adminKey, ndjson, table)
	out, err := cmd.CombinedOutput() // one stream, as on a terminal
	if err == nil {
		t.Errorf("import with rejected lines exited 0:\n%s", out)
	}
	text := string(out)
	for _, want := range []string{ndjson + ":2: n-2 title", table + ":3: trl", "accepted 4, rejected 2"} {
		i := strings.Index(text, want)
		if i < 0 {
			t.Errorf("import output lacks %q:\n%q", want, text)
			continue
		}
		if i > 0 && text[i-1] != '\n' && text[i-1] != '\r' {
			t.Errorf("%q runs into what came before it:\n%q", want, text)
		}
	}
	for _, id := range []string{"n-1", "n-3", "c-1", "c-3"} {
		s.mustDo("GET", "/v1/achievements/"+id, nil, 200)
	}
}
