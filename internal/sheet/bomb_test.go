package sheet_test

import (
	"strings"
	"testing"

	"github.com/techmatch/techmatch/internal/domain"
	"github.com/techmatch/techmatch/internal/sheet"
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
	if !ok || e.Code != domain.CodeInvalid || e.Field != "file" || !strings.Contains(e.Message, "4194304 字节") || !strings.Contains(e.Message, "http.max_xlsx_unzipped_bytes") {
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
