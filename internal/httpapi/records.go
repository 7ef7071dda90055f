package httpapi

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/techmatch/techmatch/internal/domain"
)

// readBody reads the request body up to limit bytes; more is a too_large error.
func readBody(c *gin.Context, limit int64) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, limit))
	if err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			return nil, domain.Errorf(domain.CodeTooLarge, "请求体超过 %d 字节", limit)
		}
		return nil, domain.Invalid("", "读取请求体失败：%v", err)
	}
	return body, nil
}

// present prepares a record for a caller: contacts masked unless the caller may see them.
func present(p Principal, r domain.Record) domain.Record {
	if !p.SeesContactsOf(r) {
		domain.MaskContact(r)
	}
	return r
}

func (s *Server) create(k domain.Kind) gin.HandlerFunc {
	return func(c *gin.Context) {
		s.write(c, k, "")
	}
}

func (s *Server) replace(k domain.Kind) gin.HandlerFunc {
	return func(c *gin.Context) {
		s.write(c, k, c.Param("id"))
	}
}

// write creates or replaces one record; pathID, when set, must agree with the body's id.
func (s *Server) write(c *gin.Context, k domain.Kind, pathID string) {
	if pathID != "" && !domain.ValidID(pathID) {
		s.fail(c, domain.InvalidID("id", pathID))
		return
	}
	body, err := readBody(c, s.cfg.MaxBodyBytes)
	if err != nil {
		s.fail(c, err)
		return
	}
	rec, err := domain.DecodeRecord(k, body)
	if err != nil {
		s.fail(c, err)
		return
	}
	meta := rec.GetMeta()
	switch {
	case pathID != "" && meta.ID == "":
		meta.ID = pathID
	case pathID != "" && meta.ID != pathID:
		s.fail(c, domain.Invalid("id", "请求体中的编号 %q 与路径中的编号 %q 不一致", meta.ID, pathID))
		return
	}
	created, err := s.records.put(c, principal(c), rec)
	if err != nil {
		s.fail(c, err)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	writeJSON(c, status, present(principal(c), rec))
}

func (s *Server) get(k domain.Kind) gin.HandlerFunc {
	return func(c *gin.Context) {
		rec, err := s.records.get(c, principal(c), k, c.Param("id"))
		if err != nil {
			s.fail(c, err)
			return
		}
		writeJSON(c, http.StatusOK, present(principal(c), rec))
	}
}

// notFound gives a store's not-found error a message that names the record.
func notFound(err error, k domain.Kind, id string) error {
	if errors.Is(err, domain.ErrNotFound) {
		return domain.Errorf(domain.CodeNotFound, "%s %q 不存在", thing(string(k)), id)
	}
	return err
}

func (s *Server) delete(k domain.Kind) gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := s.records.delete(c, principal(c), k, c.Param("id")); err != nil {
			s.fail(c, err)
			return
		}
		c.Status(http.StatusNoContent)
	}
}

type listAnswer struct {
	Total int             `json:"total"`
	Page  int             `json:"page"`
	Size  int             `json:"size"`
	Items []domain.Record `json:"items"`
}

func (s *Server) list(k domain.Kind) gin.HandlerFunc {
	return func(c *gin.Context) {
		page, size, err := s.page(c)
		if err != nil {
			s.fail(c, err)
			return
		}
		p := principal(c)
		items, total, err := s.records.list(c, p, k, (page-1)*size, size)
		if err != nil {
			s.fail(c, err)
			return
		}
		for _, r := range items {
			present(p, r)
		}
		if items == nil {
			items = []domain.Record{}
		}
		writeJSON(c, http.StatusOK, listAnswer{Total: total, Page: page, Size: size, Items: items})
	}
}

// Rejected is one import line that was not accepted.
type Rejected struct {
	Line  int    `json:"line"`
	ID    string `json:"id,omitempty"`
	Error string `json:"error"`
}

// ImportReport answers a bulk import.
type ImportReport struct {
	Accepted int        `json:"accepted"`
	Rejected []Rejected `json:"rejected"`
	// Cut is set when the body stopped before its end: the lines before Cut.Line were
	// processed (Accepted of them stored), that line and the rest were not read.
	Cut *Cut `json:"cut,omitempty"`
}

// Cut says where and why an import's body stopped.
type Cut struct {
	Line   int    `json:"line"`
	Reason string `json:"reason"`
}

const importBatch = 500

type pendingLine struct {
	line int
	id   string
	rec  domain.Record
}

// importer stores accepted records in batches and keeps the report; NDJSON and table
// imports share it, so both report alike.
type importer struct {
	s     *Server
	c     *gin.Context
	rep   ImportReport
	batch []pendingLine
}

func (s *Server) newImporter(c *gin.Context) *importer {
	return &importer{s: s, c: c, rep: ImportReport{Rejected: []Rejected{}}}
}

// add decodes and validates one record; a bad one is reported and never stops the others.
func (im *importer) add(k domain.Kind, line int, data []byte) {
	rec, err := domain.DecodeRecord(k, data)
	if err != nil {
		im.reject(line, guessID(data), errorText(err))
		return
	}
	im.accept(line, rec)
}

// accept queues a valid record, storing the batch when it is full.
func (im *importer) accept(line int, rec domain.Record) {
	im.batch = append(im.batch, pendingLine{line: line, id: rec.GetMeta().ID, rec: rec})
	if len(im.batch) >= importBatch {
		im.flush()
	}
}

func (im *importer) reject(line int, id, msg string) {
	im.rep.Rejected = append(im.rep.Rejected, Rejected{Line: line, ID: id, Error: msg})
}

func (im *importer) flush() {
	if len(im.batch) == 0 {
		return
	}
	recs := make([]domain.Record, len(im.batch))
	for i, p := range im.batch {
		recs[i] = p.rec
	}
	// Lines that arrived are stored even when the client is gone or its body was cut: the
	// request's context ends with the connection, and what was read must not be lost with it.
	if err := im.s.records.putBatch(context.WithoutCancel(im.c.Request.Context()), recs); err != nil {
		im.s.log.WarnContext(im.c, "import batch failed", "err", err, "lines", len(im.batch), "request_id", requestID(im.c))
		for _, p := range im.batch {
			im.reject(p.line, p.id, "未保存："+storageMessage(im.c, err))
		}
	} else {
		im.rep.Accepted += len(im.batch)
	}
	im.batch = im.batch[:0]
}

// finish stores the last batch, adds the import's summary to the audit log (each stored
// record has its own entry already, written with it) and answers the report.
func (im *importer) finish(k domain.Kind) {
	im.flush()
	summary := fmt.Sprintf("accepted %d, rejected %d", im.rep.Accepted, len(im.rep.Rejected))
	if im.rep.Cut != nil {
		summary += fmt.Sprintf(", cut at line %d: %s", im.rep.Cut.Line, im.rep.Cut.Reason)
	}
	if err := im.s.Store.Audit(context.WithoutCancel(im.c.Request.Context()), "import", k, "", summary); err != nil {
		im.s.log.WarnContext(im.c, "import summary not audited", "err", err, "request_id", requestID(im.c))
	}
	writeJSON(im.c, http.StatusOK, im.rep)
}

// importRecords takes NDJSON, one record per line, or a CSV or XLSX table (see importTable);
// a bad line is reported and never stops the good ones.
func (s *Server) importRecords(k domain.Kind) gin.HandlerFunc {
	return func(c *gin.Context) {
		body := s.importBody(c)
		if s.importTable(c, k, body) {
			return
		}
		im := s.newImporter(c)
		line, err := ParseNDJSON(bufio.NewReaderSize(body, 64<<10), k, im.accept, func(rj Rejected) { im.reject(rj.Line, rj.ID, rj.Error) })
		if err != nil {
			im.flush()
			reason, ok := body.cutReason(err)
			if !ok {
				reason = "读取请求体失败"
			}
			s.log.WarnContext(c, "import cut", "kind", k, "line", line, "accepted", im.rep.Accepted, "err", err, "request_id", requestID(c))
			im.cut(line, reason)
		}
		im.finish(k)
	}
}

// cut ends the report of an import whose body stopped at line.
func (im *importer) cut(line int, reason string) {
	im.rep.Cut = &Cut{Line: line, Reason: reason}
	im.reject(line, "", fmt.Sprintf("导入在这一行中断：%s；之前的行已处理（保存 %d 条），这一行及之后的未读取", reason, im.rep.Accepted))
}

// storageMessage says why a batch was not stored without the store's own words, which may
// name files; the error is logged with the request id.
func storageMessage(c *gin.Context, err error) string {
	if domain.ErrorCode(err) == domain.CodeUnavailable {
		return "存储暂不可用，请稍后重试"
	}
	return "服务器内部错误；请求编号 " + requestID(c)
}

// errorText renders a validation error for an import report: field and message.
func errorText(err error) string {
	if e, ok := domain.AsError(err); ok {
		if e.Field != "" {
			return e.Field + ": " + e.Message
		}
		return e.Message
	}
	return err.Error()
}

// guessID pulls the id out of a rejected line, when it has one, so the report can name it.
func guessID(line []byte) string {
	var v struct {
		ID any `json:"id"`
	}
	if json.Unmarshal(line, &v) == nil {
		if s, ok := v.ID.(string); ok && len(s) <= 128 {
			return s
		}
	}
	return ""
}
