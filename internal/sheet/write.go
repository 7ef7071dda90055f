package sheet

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/techmatch/techmatch/internal/domain"
)

// EntryHeader is the header row of an exported match list, in Chinese for the agents who read it.
var EntryHeader = []string{"编号", "需求编号", "需求", "类型", "供给编号", "供给", "匹配度", "状态", "拒绝原因", "成交金额（万元）", "备注", "推荐理由", "经纪人", "创建时间", "更新时间"}

// StatusNames are the Chinese names of entry statuses.
var StatusNames = map[string]string{
	domain.StatusNew: "新推荐", domain.StatusContacted: "已联系", domain.StatusNegotiating: "洽谈中",
	domain.StatusSigned: "已签约", domain.StatusRejected: "已拒绝", domain.StatusWithdrawn: "已撤回",
}

// ReasonNames are the Chinese names of rejection reasons.
var ReasonNames = map[string]string{
	domain.RejectNotRelevant: "不相关", domain.RejectTooEarly: "技术尚早", domain.RejectPrice: "价格不合",
	domain.RejectMode: "合作方式不合", domain.RejectAlreadySolved: "需求已解决", domain.RejectOther: "其他",
}

var kindNames = map[domain.Kind]string{domain.Achievements: "成果", domain.Patents: "专利", domain.Experts: "专家"}

func entryRow(e *domain.MatchEntry) []string {
	deal := ""
	if e.DealAmount != nil {
		deal = strconv.FormatFloat(*e.DealAmount, 'f', -1, 64)
	}
	return []string{
		e.ID, e.DemandID, e.DemandTitle, kindNames[e.SupplyKind], e.SupplyID, e.SupplyTitle,
		strconv.FormatFloat(e.Score, 'f', 4, 64), StatusNames[e.Status], ReasonNames[e.Reason], deal, e.Note,
		strings.Join(e.Reasons, "；"), e.AgentID,
		e.CreatedAt.Local().Format(time.DateTime), e.UpdatedAt.Local().Format(time.DateTime),
	}
}

// WriteEntries writes entries as a table in format f.
func WriteEntries(w io.Writer, f Format, entries []*domain.MatchEntry) error {
	switch f {
	case CSV:
		// The byte-order mark makes Excel read the file as UTF-8 instead of the local code page.
		if _, err := io.WriteString(w, "\ufeff"); err != nil {
			return err
		}
		cw := csv.NewWriter(w)
		if err := cw.Write(EntryHeader); err != nil {
			return err
		}
		for _, e := range entries {
			if err := cw.Write(guardFormula(entryRow(e))); err != nil {
				return err
			}
		}
		cw.Flush()
		return cw.Error()
	case XLSX:
		return writeXLSX(w, entries)
	}
	return domain.Invalid("format", "format 应为 csv 或 xlsx，收到 %q", f)
}

// guardFormula keeps a cell that starts like a formula from running as one when the CSV is
// opened in a spreadsheet (CSV injection): titles and notes come from outside.
func guardFormula(row []string) []string {
	for i, c := range row {
		if c != "" && strings.ContainsRune("=+-@", rune(c[0])) {
			row[i] = "'" + c
		}
	}
	return row
}

func writeXLSX(w io.Writer, entries []*domain.MatchEntry) error {
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "匹配清单"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	put := func(row int, cells []string) error {
		vals := make([]any, len(cells))
		for i, c := range cells {
			vals[i] = c
		}
		cell, err := excelize.CoordinatesToCellName(1, row)
		if err != nil {
			return err
		}
		return sw.SetRow(cell, vals)
	}
	if err := put(1, EntryHeader); err != nil {
		return err
	}
	for i, e := range entries {
		row := entryRow(e)
		vals := make([]any, len(row))
		for j, c := range row {
			vals[j] = c
		}
		vals[6] = e.Score // numbers stay numbers, so the sheet can sort and sum them
		if e.DealAmount != nil {
			vals[9] = *e.DealAmount
		}
		cell, err := excelize.CoordinatesToCellName(1, i+2)
		if err != nil {
			return err
		}
		if err := sw.SetRow(cell, vals); err != nil {
			return fmt.Errorf("sheet: row %d: %w", i+2, err)
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	_, err = f.WriteTo(w)
	return err
}
