package main_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/techmatch/techmatch/internal/sheet/sheettest"
)

// expandingWorkbook is sheettest.ExpandingWorkbook, failing t on an error.
func expandingWorkbook(t testing.TB, rows int) []byte {
	t.Helper()
	data, err := sheettest.ExpandingWorkbook(rows)
	if err != nil {
		t.Fatal(err)
	}
	return data
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
	if resp.StatusCode != 400 || e.Error.Field != "file" || !strings.Contains(e.Error.Message, "268435456 字节") || !strings.Contains(e.Error.Message, "http.max_xlsx_unzipped_bytes") {
		t.Fatalf("answer %d %s; want 400 on file naming the 268435456-byte limit and its setting", resp.StatusCode, body)
	}
	var list struct{ Total int }
	s.do("GET", "/v1/achievements?size=1", nil, adminKey).decode(t, &list)
	if list.Total != 0 {
		t.Errorf("%d achievements stored from a refused workbook", list.Total)
	}
}
