package httpapi

import (
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"path"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/techmatch/techmatch/internal/domain"
	"github.com/techmatch/techmatch/internal/sheet"
)

// tableTypes are the Content-Types of table uploads.
var tableTypes = map[string]sheet.Format{
	"text/csv":        sheet.CSV,
	"application/csv": sheet.CSV,
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": sheet.XLSX,
}

// importTable handles an import that is a CSV or XLSX table, sent as the body with its
// Content-Type or as the `file` field of a multipart form; it reports false, having done
// nothing, for any other body (NDJSON). Row numbers are reported as `line`, the header being row 1.
func (s *Server) importTable(c *gin.Context, k domain.Kind, body *importBody) bool {
	ct, params, _ := mime.ParseMediaType(c.GetHeader("Content-Type"))
	format, isTable := tableTypes[ct]
	if !isTable && ct != "multipart/form-data" {
		return false
	}
	var data []byte
	var err error
	if isTable {
		data, err = io.ReadAll(body)
	} else {
		format, data, err = formFile(body, params["boundary"])
	}
	if err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			err = domain.Errorf(domain.CodeTooLarge, "上传文件超过 %d 字节（http.max_import_bytes）", mb.Limit)
		} else if reason, cut := body.cutReason(err); cut {
			s.log.WarnContext(c, "table import cut", "kind", k, "err", err, "request_id", requestID(c))
			err = domain.Invalid("file", "上传中断：%s；未保存任何内容", reason)
		} else if _, ok := domain.AsError(err); !ok {
			err = domain.Invalid("file", "无法读取上传内容：%v", err)
		}
		s.fail(c, err)
		return true
	}
	im := s.newImporter(c)
	last := 0
	err = sheet.EachRecord(k, format, data, s.cfg.MaxXLSXUnzippedBytes, func(r sheet.Row, rec []byte) {
		last = r.Line
		switch {
		case r.Err != nil:
			im.reject(r.Line, "", errorText(r.Err))
		case rec != nil:
			im.add(k, r.Line, rec)
		}
	})
	if err != nil && last == 0 {
		s.fail(c, err) // the table was refused before any row: nothing is stored
		return true
	}
	if err != nil {
		im.flush()
		im.cut(last+1, errorText(err))
	}
	im.finish(k)
	return true
}

// formFile reads the multipart field `file`, whose name must end .csv or .xlsx.
func formFile(body io.Reader, boundary string) (sheet.Format, []byte, error) {
	if boundary == "" {
		return "", nil, domain.Invalid("file", "multipart 请求体缺少 boundary")
	}
	mr := multipart.NewReader(body, boundary)
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return "", nil, domain.Invalid("file", "表单中没有装着 .csv 或 .xlsx 文件的 `file` 字段")
		}
		if err != nil {
			return "", nil, err // the body's own error, or the form's, which names no address
		}
		if part.FormName() != "file" {
			continue
		}
		var f sheet.Format
		switch strings.ToLower(path.Ext(part.FileName())) {
		case ".csv":
			f = sheet.CSV
		case ".xlsx":
			f = sheet.XLSX
		default:
			return "", nil, domain.Invalid("file", "文件 %q：应为 .csv 或 .xlsx 文件", part.FileName())
		}
		data, err := io.ReadAll(part)
		if err != nil {
			return "", nil, err
		}
		return f, data, nil
	}
}
