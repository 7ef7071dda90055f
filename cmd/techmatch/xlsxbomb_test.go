package main_test

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// expandingWorkbook is a valid .xlsx whose worksheet holds a 标题 header and rows rows of the
// same title: a few hundred KiB zipped, about 170 bytes a row unzipped.
func expandingWorkbook(t testing.TB, rows int) []byte {
	t.Helper()
	buf, err := excelize.NewFile().WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range zr.File {
		w, err := zw.Create(f.Name)
		if err != nil {
			t.Fatal(err)
		}
		if f.Name != "xl/worksheets/sheet1.xml" {
			rc, _ := f.Open()
			_, _ = io.Copy(w, rc)
			rc.Close()
			continue
		}
		bw := &bytes.Buffer{}
		bw.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`)
		bw.WriteString(`<row r="1"><c r="A1" t="inlineStr"><is><t>标题</t></is></c></row>`)
		row := `<row><c t="inlineStr"><is><t>` + strings.Repeat("锂电池固态电解质", 5) + `</t></is></c></row>`
		for i := range rows {
			bw.WriteString(row)
			if i%10000 == 0 {
				_, _ = w.Write(bw.Bytes())
				bw.Reset()
			}
		}
		bw.WriteString(`</sheetData></worksheet>`)
		_, _ = w.Write(bw.Bytes())
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// peakRSS is the process's peak resident memory in KiB (VmHWM), 0 when unknown.
func peakRSS(pid int) int {
	data, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return n
		}
	}
	return 0
}

// TestXLSXBombIsRefused: a workbook of about 2 MB that unzips to ~300 MB, past the default
// http.max_xlsx_unzipped_bytes (256 MiB), is refused with a 400 naming the limit, before any
// row is read.
func TestXLSXBombIsRefused(t *testing.T) {
	s := startServer(t, "", nil)
	data := expandingWorkbook(t, 1_800_000)
	t.Logf("workbook: %d bytes zipped", len(data))
	before := peakRSS(s.cmd.Process.Pid)
	req, _ := http.NewRequest("POST", s.URL+"/v1/achievements/import", bytes.NewReader(data))
	req.Header.Set("Authorization", "Bearer "+adminKey)
	req.Header.Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	t.Logf("server peak RSS %d → %d KiB", before, peakRSS(s.cmd.Process.Pid))
	var e struct {
		Error struct{ Code, Message, Field string }
	}
	_ = json.Unmarshal(body, &e)
	if resp.StatusCode != 400 || e.Error.Field != "file" || !strings.Contains(e.Error.Message, "268435456 bytes") || !strings.Contains(e.Error.Message, "http.max_xlsx_unzipped_bytes") {
		t.Fatalf("answer %d %s; want 400 on file naming the 268435456-byte limit and its setting", resp.StatusCode, body)
	}
	var list struct{ Total int }
	s.do("GET", "/v1/achievements?size=1", nil, adminKey).decode(t, &list)
	if list.Total != 0 {
		t.Errorf("%d achievements stored from a refused workbook", list.Total)
	}
}
