package sheet_test

import (
	"archive/zip"
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/techmatch/techmatch/internal/domain"
	"github.com/techmatch/techmatch/internal/sheet"
)

// expandingWorkbook is a valid .xlsx whose first worksheet holds a 标题 header and rows rows
// of the same long title: a few KiB zipped, about 170 bytes a row unzipped.
func expandingWorkbook(t testing.TB, rows int) []byte {
	t.Helper()
	base := excelize.NewFile()
	buf, err := base.WriteToBuffer()
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
		io.WriteString(w, `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`)
		io.WriteString(w, `<row r="1"><c r="A1" t="inlineStr"><is><t>标题</t></is></c></row>`)
		row := `<row><c t="inlineStr"><is><t>` + strings.Repeat("锂电池固态电解质", 5) + `</t></is></c></row>`
		for range rows {
			io.WriteString(w, row)
		}
		io.WriteString(w, `</sheetData></worksheet>`)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// TestWorkbookExpandingPastTheLimitIsRefused: a small upload that unzips past the limit is
// refused before a row is read, naming the limit; under it, its rows are all read (the
// worksheet, larger than what is held in memory, from a temporary file, row by row).
func TestWorkbookExpandingPastTheLimitIsRefused(t *testing.T) {
	data := expandingWorkbook(t, 40_000) // ~6.8 MB unzipped
	if len(data) > 256<<10 {
		t.Fatalf("the workbook is %d bytes zipped; want a small upload", len(data))
	}
	_, _, err := sheet.Records(domain.Achievements, sheet.XLSX, data, 4<<20)
	e, ok := domain.AsError(err)
	if !ok || e.Code != domain.CodeInvalid || e.Field != "file" || !strings.Contains(e.Message, "4194304 bytes") || !strings.Contains(e.Message, "http.max_xlsx_unzipped_bytes") {
		t.Fatalf("error %v; want invalid_argument on file naming the 4194304-byte limit and its setting", err)
	}
	n := 0
	err = sheet.EachRecord(domain.Achievements, sheet.XLSX, data, 16<<20, func(r sheet.Row, rec []byte) {
		if r.Err == nil && rec != nil {
			n++
		}
	})
	if err != nil || n != 40_000 {
		t.Fatalf("under the limit: %d rows, %v; want 40000", n, err)
	}
}
