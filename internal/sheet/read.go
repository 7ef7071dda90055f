package sheet

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"github.com/techmatch/techmatch/internal/domain"
)

// MaxRows bounds the data rows read from one table.
const MaxRows = 200000

// ReadCSV reads a CSV table: the header row and the data rows. A UTF-8 byte-order mark (as
// Excel writes) is dropped; a row that cannot be parsed is returned with its error, and
// reading goes on with the next one.
func ReadCSV(r io.Reader) (header []string, rows []Row, err error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.ReuseRecord = false
	first := true
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line := 0
		if err == nil && len(rec) > 0 {
			line, _ = cr.FieldPos(0) // only valid for a record just read
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			if first {
				return nil, nil, domain.Invalid("header", "表头行：%v", pe.Err)
			}
			rows = append(rows, Row{Line: pe.StartLine, Err: domain.Invalid("", "无法读取的 CSV 行：%v", pe.Err)})
			continue
		}
		if err != nil {
			return header, rows, fmt.Errorf("sheet: read csv: %w", err)
		}
		for i, c := range rec {
			if !utf8.ValidString(c) {
				rec[i] = strings.ToValidUTF8(c, "\uFFFD")
				if !first {
					err = domain.Invalid("", "第 %d 格不是 UTF-8 文本；请把文件另存为 CSV UTF-8", i+1)
				}
			}
		}
		if first {
			if len(rec) > 0 {
				rec[0] = strings.TrimPrefix(rec[0], "\ufeff")
			}
			header, first = rec, false
			continue
		}
		if len(rows) >= MaxRows {
			return header, rows, domain.Errorf(domain.CodeTooLarge, "超过 %d 行；请拆分文件", MaxRows)
		}
		if err != nil {
			rows = append(rows, Row{Line: line, Err: err})
			continue
		}
		if !blank(rec) {
			rows = append(rows, Row{Line: line, Cells: rec})
		}
	}
	if first {
		return nil, nil, domain.Invalid("header", "表格为空：应有一行表头和若干数据行")
	}
	return header, rows, nil
}

// xmlInMemory is the size past which a worksheet or the shared strings are unzipped to a
// temporary file and read from there, instead of being held in memory.
const xmlInMemory = 4 << 20

// maxInMemory bounds the parts of a workbook held in memory while it is read: every part but
// the worksheets and shared strings larger than xmlInMemory.
const maxInMemory = 32 << 20

// checkUnzipped refuses a workbook whose zip entries would unzip to more than limit bytes in
// all, or to more than maxInMemory in the parts held in memory. The sizes are the entries'
// own; the zip reader stops any entry that unzips past its stated size.
func checkUnzipped(data []byte, limit int64) error {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return domain.Invalid("file", "不是可读取的 .xlsx 工作簿：%v", err)
	}
	var total, inMemory uint64
	for _, f := range zr.File {
		size := f.UncompressedSize64
		if size > uint64(limit) || total+size > uint64(limit) {
			return domain.Invalid("file", "工作簿解压后超过 %d 字节，超出 .xlsx 上传允许展开的上限（http.max_xlsx_unzipped_bytes）；请拆分或改用 CSV 导入", limit)
		}
		total += size
		name := strings.ToLower(strings.ReplaceAll(f.Name, "\\", "/"))
		if size <= xmlInMemory || !(strings.HasPrefix(name, "xl/worksheets/sheet") || name == "xl/sharedstrings.xml") {
			inMemory += size
		}
	}
	if inMemory > maxInMemory {
		return domain.Invalid("file", "工作簿中大工作表以外的部分解压后超过 %d 字节；请只保留一个工作表、去掉图片，或改用 CSV 导入", maxInMemory)
	}
	return nil
}

// eachXLSXRow reads the first worksheet of an .xlsx workbook row by row: the header row to
// onHeader, then each data row to onRow, so that memory holds one row at a time. A workbook
// that would unzip to more than sizeLimit bytes is refused before anything is read.
func eachXLSXRow(data []byte, sizeLimit int64, onHeader func([]string) error, onRow func(Row)) error {
	if err := checkUnzipped(data, sizeLimit); err != nil {
		return err
	}
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{UnzipSizeLimit: sizeLimit, UnzipXMLSizeLimit: min(sizeLimit, xmlInMemory)})
	if err != nil {
		return domain.Invalid("file", "不是可读取的 .xlsx 工作簿：%v", err)
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return domain.Invalid("file", "工作簿中没有工作表")
	}
	it, err := f.Rows(sheets[0])
	if err != nil {
		return domain.Invalid("file", "工作表 %q：%v", sheets[0], err)
	}
	defer it.Close()
	header, n := false, 0
	for line := 1; it.Next(); line++ {
		cells, err := it.Columns()
		switch {
		case err != nil && !header:
			return domain.Invalid("header", "表头行：%v", err)
		case !header && blank(cells):
			continue // leading empty rows above the header
		case !header:
			if err := onHeader(cells); err != nil {
				return err
			}
			header = true
			continue
		case n >= MaxRows:
			return domain.Errorf(domain.CodeTooLarge, "超过 %d 行；请拆分文件", MaxRows)
		case err != nil:
			n++
			onRow(Row{Line: line, Err: domain.Invalid("", "无法读取的行：%v", err)})
		case !blank(cells):
			n++
			onRow(Row{Line: line, Cells: cells})
		}
	}
	if err := it.Error(); err != nil {
		return domain.Invalid("file", "工作表 %q：%v", sheets[0], err)
	}
	if !header {
		return domain.Invalid("header", "工作表为空：应有一行表头和若干数据行")
	}
	return nil
}

func blank(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// Format is a table file format.
type Format string

// The table formats accepted on import and offered on export.
const (
	CSV  Format = "csv"
	XLSX Format = "xlsx"
)

// ContentTypes of the formats.
var ContentTypes = map[Format]string{
	CSV:  "text/csv; charset=utf-8",
	XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

// EachRecord reads a table of kind k and calls fn with each data row, in order, and its cells
// as record JSON, ready for domain.DecodeRecord (nil when the row failed: row.Err says why).
// An XLSX worksheet is read row by row; a workbook that would unzip to more than sizeLimit
// bytes is refused before any row is read. Rows already given to fn stand when a later error
// (such as too many rows) ends the table.
func EachRecord(k domain.Kind, f Format, data []byte, sizeLimit int64, fn func(Row, []byte)) error {
	var h *Header
	onHeader := func(cells []string) error {
		var err error
		h, err = ParseHeader(k, cells)
		return err
	}
	onRow := func(r Row) {
		var rec []byte
		if r.Err == nil {
			rec, r.Err = h.Record(r.Cells)
		}
		fn(r, rec)
	}
	switch f {
	case CSV:
		header, rows, err := ReadCSV(bytes.NewReader(data))
		if err != nil {
			return err
		}
		if err := onHeader(header); err != nil {
			return err
		}
		for _, r := range rows {
			onRow(r)
		}
		return nil
	case XLSX:
		return eachXLSXRow(data, sizeLimit, onHeader, onRow)
	}
	return domain.Invalid("format", "未知表格格式 %q", f)
}

// Records is EachRecord gathered: every row and its record JSON.
func Records(k domain.Kind, f Format, data []byte, sizeLimit int64) ([]Row, [][]byte, error) {
	var rows []Row
	var out [][]byte
	err := EachRecord(k, f, data, sizeLimit, func(r Row, rec []byte) {
		rows = append(rows, r)
		out = append(out, rec)
	})
	if err != nil {
		return nil, nil, err
	}
	return rows, out, nil
}
