package sheet

import (
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
				return nil, nil, domain.Invalid("header", "header row: %v", pe.Err)
			}
			rows = append(rows, Row{Line: pe.StartLine, Err: domain.Invalid("", "unreadable CSV row: %v", pe.Err)})
			continue
		}
		if err != nil {
			return header, rows, fmt.Errorf("sheet: read csv: %w", err)
		}
		for i, c := range rec {
			if !utf8.ValidString(c) {
				rec[i] = strings.ToValidUTF8(c, "\uFFFD")
				if !first {
					err = domain.Invalid("", "cell %d is not UTF-8 text; save the file as CSV UTF-8", i+1)
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
			return header, rows, domain.Errorf(domain.CodeTooLarge, "more than %d rows; split the file", MaxRows)
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
		return nil, nil, domain.Invalid("header", "the table is empty: want a header row and data rows")
	}
	return header, rows, nil
}

// ReadXLSX reads the first worksheet of an .xlsx workbook. sizeLimit bounds the unzipped
// size, so a small zip bomb cannot fill the memory.
func ReadXLSX(r io.Reader, sizeLimit int64) (header []string, rows []Row, err error) {
	f, err := excelize.OpenReader(r, excelize.Options{UnzipSizeLimit: sizeLimit, UnzipXMLSizeLimit: min(sizeLimit, 16<<20)})
	if err != nil {
		return nil, nil, domain.Invalid("file", "not a readable .xlsx workbook: %v", err)
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, nil, domain.Invalid("file", "the workbook has no worksheet")
	}
	it, err := f.Rows(sheets[0])
	if err != nil {
		return nil, nil, domain.Invalid("file", "worksheet %q: %v", sheets[0], err)
	}
	defer it.Close()
	for line := 1; it.Next(); line++ {
		cells, err := it.Columns()
		if err != nil {
			if header == nil {
				return nil, nil, domain.Invalid("header", "header row: %v", err)
			}
			rows = append(rows, Row{Line: line, Err: domain.Invalid("", "unreadable row: %v", err)})
			continue
		}
		if header == nil {
			if blank(cells) {
				continue // leading empty rows above the header
			}
			header = cells
			continue
		}
		if len(rows) >= MaxRows {
			return header, rows, domain.Errorf(domain.CodeTooLarge, "more than %d rows; split the file", MaxRows)
		}
		if !blank(cells) {
			rows = append(rows, Row{Line: line, Cells: cells})
		}
	}
	if err := it.Error(); err != nil {
		return header, rows, domain.Invalid("file", "worksheet %q: %v", sheets[0], err)
	}
	if header == nil {
		return nil, nil, domain.Invalid("header", "the worksheet is empty: want a header row and data rows")
	}
	return header, rows, nil
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

// Records reads a whole table of kind k into rows whose cells became record JSON, ready for
// domain.DecodeRecord; rows that fail carry their error.
func Records(k domain.Kind, f Format, data []byte, sizeLimit int64) ([]Row, [][]byte, error) {
	var header []string
	var rows []Row
	var err error
	switch f {
	case CSV:
		header, rows, err = ReadCSV(bytes.NewReader(data))
	case XLSX:
		header, rows, err = ReadXLSX(bytes.NewReader(data), sizeLimit)
	default:
		return nil, nil, domain.Invalid("format", "unknown table format %q", f)
	}
	if err != nil {
		return nil, nil, err
	}
	h, err := ParseHeader(k, header)
	if err != nil {
		return nil, nil, err
	}
	out := make([][]byte, len(rows))
	for i := range rows {
		if rows[i].Err != nil {
			continue
		}
		out[i], rows[i].Err = h.Record(rows[i].Cells)
	}
	return rows, out, nil
}
