package sheet_test

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/techmatch/techmatch/internal/domain"
	"github.com/techmatch/techmatch/internal/sheet"
)

func TestParseHeader(t *testing.T) {
	tests := []struct {
		name   string
		kind   domain.Kind
		header []string
		field  string // "" when the header is accepted
	}{
		{"chinese", domain.Achievements, []string{"标题", "摘要", "关键词", "领域", "地区", "单位", "TRL", "阶段", "转化方式", "价格下限（万元）"}, ""},
		{"english", domain.Patents, []string{"title", "patent_no", "legal_status", "open_license", "license_fee"}, ""},
		{"mixed with blanks and spaces", domain.Demands, []string{" 标 题 ", "", "Budget.Max", "最低TRL"}, ""},
		{"unknown column", domain.Achievements, []string{"标题", "颜色"}, "header"},
		{"repeated field", domain.Achievements, []string{"标题", "title"}, "header"},
		{"no title", domain.Achievements, []string{"摘要"}, "header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := sheet.ParseHeader(tt.kind, tt.header)
			if tt.field == "" && err != nil {
				t.Fatalf("err %v", err)
			}
			if tt.field != "" {
				if e, ok := domain.AsError(err); !ok || e.Field != tt.field {
					t.Fatalf("err %v, want field %s", err, tt.field)
				}
			}
		})
	}
}

func TestRecord(t *testing.T) {
	header := []string{"编号", "标题", "描述", "关键词", "转化方式", "TRL", "价格上限", "单位类型", "开放许可"}
	tests := []struct {
		name  string
		kind  domain.Kind
		cells []string
		json  string // want, "" when an error naming field is wanted
		field string
	}{
		{"supply row", domain.Patents, []string{"p1", "电池", "摘要文字", "固态电解质；锂电池、安全,安全", "许可；转让", "6", "80", "高校", "是"},
			`{"id":"p1","keywords":["固态电解质","锂电池","安全"],"license_fee":null,"open_license":true,"org_type":"university","price":{"max":80},"summary":"摘要文字","title":"电池","transfer_modes":["license","transfer"],"trl":6}`, ""},
		{"excel writes 6.0", domain.Achievements, []string{"a1", "电池", "", "", "", "6.0", "", "", ""}, `{"id":"a1","title":"电池","trl":6}`, ""},
		{"bad trl", domain.Achievements, []string{"a1", "电池", "", "", "", "高", "", "", ""}, "", "trl"},
		{"bad price", domain.Achievements, []string{"a1", "电池", "", "", "", "", "八十", "", ""}, "", "price.max"},
		{"bad bool", domain.Patents, []string{"a1", "电池", "", "", "", "", "", "", "也许"}, "", "open_license"},
		{"cell beyond the header", domain.Achievements, []string{"a1", "电池", "", "", "", "", "", "", "", "多余"}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := sheet.ParseHeader(tt.kind, header)
			if err != nil && tt.kind != domain.Achievements {
				t.Fatal(err)
			}
			if h == nil {
				h, _ = sheet.ParseHeader(domain.Patents, header)
			}
			got, err := h.Record(tt.cells)
			if tt.json == "" {
				if err == nil {
					t.Fatalf("no error for %v: %s", tt.cells, got)
				}
				if e, ok := domain.AsError(err); !ok || e.Field != tt.field {
					t.Fatalf("err %v, want field %q", err, tt.field)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := strings.Replace(tt.json, `"license_fee":null,`, "", 1)
			if string(got) != want {
				t.Errorf("got  %s\nwant %s", got, want)
			}
		})
	}
}

func TestReadCSVReportsRowsAndBadRows(t *testing.T) {
	data := "\ufeff标题,TRL\r\n好的,5\r\n\r\n坏的,\"未闭合\r\n"
	header, rows, err := sheet.ReadCSV(strings.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if header[0] != "标题" {
		t.Errorf("header %q: the byte-order mark must go", header)
	}
	if len(rows) == 0 || rows[0].Line != 2 || rows[0].Cells[1] != "5" {
		t.Fatalf("rows %v", rows)
	}
}

func TestWriteEntriesRoundTrip(t *testing.T) {
	deal := 12.5
	entries := []*domain.MatchEntry{
		{ID: "m1", DemandID: "d1", SupplyKind: domain.Patents, SupplyID: "p1", SupplyTitle: "=HYPERLINK(\"x\")", Score: 0.8123, Status: "signed", DealAmount: &deal, Reasons: []string{"同城", "可许可"}},
		{ID: "m2", DemandID: "d1", SupplyKind: domain.Achievements, SupplyID: "a1", Score: 0.6, Status: "rejected", Reason: "price"},
	}
	var buf bytes.Buffer
	if err := sheet.WriteEntries(&buf, sheet.XLSX, entries); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := f.GetRows(f.GetSheetList()[0])
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || strings.Join(rows[0], ",") != strings.Join(sheet.EntryHeader, ",") {
		t.Fatalf("rows %v", rows)
	}
	if rows[1][3] != "专利" || rows[1][7] != "已签约" || rows[1][9] != "12.5" || rows[2][8] != "价格不合" || rows[1][11] != "同城；可许可" {
		t.Errorf("rows %v", rows[1:])
	}

	buf.Reset()
	if err := sheet.WriteEntries(&buf, sheet.CSV, entries); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(buf.String(), "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 || recs[1][5] != "'=HYPERLINK(\"x\")" {
		t.Errorf("csv %q: a formula-like cell must be defused", recs)
	}
}
