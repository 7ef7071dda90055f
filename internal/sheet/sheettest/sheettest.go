// Package sheettest makes workbooks for tests of table imports.
package sheettest

import (
	"archive/zip"
	"bufio"
	"bytes"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"
)

// ExpandingWorkbook is a valid .xlsx whose first worksheet holds a 标题 header and rows rows
// of the same long title: small zipped, about 170 bytes a row unzipped (a zip bomb at
// millions of rows).
func ExpandingWorkbook(rows int) ([]byte, error) {
	buf, err := excelize.NewFile().WriteToBuffer()
	if err != nil {
		return nil, err
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range zr.File {
		w, err := zw.Create(f.Name)
		if err != nil {
			return nil, err
		}
		if f.Name != "xl/worksheets/sheet1.xml" {
			rc, err := f.Open()
			if err != nil {
				return nil, err
			}
			_, err = io.Copy(w, rc)
			rc.Close()
			if err != nil {
				return nil, err
			}
			continue
		}
		bw := bufio.NewWriterSize(w, 1<<20)
		bw.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`)
		bw.WriteString(`<row r="1"><c r="A1" t="inlineStr"><is><t>标题</t></is></c></row>`)
		row := `<row><c t="inlineStr"><is><t>` + strings.Repeat("锂电池固态电解质", 5) + `</t></is></c></row>`
		for range rows {
			bw.WriteString(row)
		}
		bw.WriteString(`</sheetData></worksheet>`)
		if err := bw.Flush(); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}
