package httpapi

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/gin-gonic/gin"
)

// importBody is an import's request body under deadlines of its own instead of the server's
// read timeout, which covers a whole request: each read may wait ImportIdleTimeout for the
// next bytes, and the whole body must be in within ImportTimeout. The answer's write deadline
// moves past the cap accordingly. On a connection without deadlines (tests' recorders) it
// reads the body as it is.
type importBody struct {
	r    io.Reader
	rc   *http.ResponseController
	idle time.Duration
	cap  time.Duration
	end  time.Time
	ok   bool // deadlines can be set
}

func (s *Server) importBody(c *gin.Context) *importBody {
	b := &importBody{
		r:    http.MaxBytesReader(c.Writer, c.Request.Body, s.cfg.MaxImportBytes),
		rc:   http.NewResponseController(c.Writer),
		idle: s.cfg.ImportIdleTimeout,
		cap:  s.cfg.ImportTimeout,
		end:  time.Now().Add(s.cfg.ImportTimeout),
	}
	b.ok = b.rc.SetReadDeadline(b.next()) == nil
	if b.ok && s.cfg.WriteTimeout > 0 {
		_ = b.rc.SetWriteDeadline(b.end.Add(s.cfg.WriteTimeout))
	}
	return b
}

func (b *importBody) next() time.Time {
	if d := time.Now().Add(b.idle); d.Before(b.end) {
		return d
	}
	return b.end
}

func (b *importBody) Read(p []byte) (int, error) {
	if b.ok {
		_ = b.rc.SetReadDeadline(b.next())
	}
	return b.r.Read(p)
}

// cutReason says, in words for the caller, why the body stopped before its end; false for an
// error that is not about the body (the caller's error then stands as it is). The error
// itself, which names the connection's addresses, is for the log only.
func (b *importBody) cutReason(err error) (string, bool) {
	var mb *http.MaxBytesError
	switch {
	case errors.As(err, &mb):
		return fmt.Sprintf("请求体超过 %d 字节（http.max_import_bytes）", mb.Limit), true
	case errors.Is(err, os.ErrDeadlineExceeded) && !time.Now().Before(b.end):
		return fmt.Sprintf("请求体未在 %s 内传完（http.import_timeout）", b.cap), true
	case errors.Is(err, os.ErrDeadlineExceeded):
		return fmt.Sprintf("%s 内没有收到数据（http.import_idle_timeout）", b.idle), true
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, http.ErrBodyReadAfterClose), errors.As(err, new(*net.OpError)):
		return "请求体传完之前连接已断开", true
	}
	return "", false
}
