package httpapi

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/techmatch/techmatch/internal/domain"
)

// statusOf maps each domain error code to one HTTP status; the only place that does.
var statusOf = map[domain.Code]int{
	domain.CodeInvalid:          http.StatusBadRequest,
	domain.CodeUnauthenticated:  http.StatusUnauthorized,
	domain.CodePermissionDenied: http.StatusForbidden,
	domain.CodeNotFound:         http.StatusNotFound,
	domain.CodeConflict:         http.StatusConflict,
	domain.CodeTooLarge:         http.StatusRequestEntityTooLarge,
	domain.CodeRateLimited:      http.StatusTooManyRequests,
	domain.CodeUnavailable:      http.StatusServiceUnavailable,
	domain.CodeInternal:         http.StatusInternalServerError,
}

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    domain.Code `json:"code"`
	Message string      `json:"message"`
	Field   string      `json:"field,omitempty"`
}

// fail writes err as the API's error body. Errors that are not *domain.Error are internal:
// logged here, once, with the request id, and shown to the caller without detail.
func (s *Server) fail(c *gin.Context, err error) {
	e, ok := domain.AsError(err)
	var maxBytes *http.MaxBytesError
	switch {
	case errors.As(err, &maxBytes):
		e = domain.Errorf(domain.CodeTooLarge, "请求体超过 %d 字节", maxBytes.Limit)
	case ok && e.Code == domain.CodeUnavailable:
		// The store's own words may name files; the caller gets the code's message.
		s.log.ErrorContext(c.Request.Context(), "unavailable", "err", err, "request_id", requestID(c))
	case !ok || e.Code == domain.CodeInternal:
		s.log.ErrorContext(c.Request.Context(), "internal error", "err", err, "request_id", requestID(c), "path", c.FullPath())
		e = domain.Errorf(domain.CodeInternal, "服务器内部错误；请求编号 %s", requestID(c))
	}
	if e.Code == domain.CodeRateLimited && c.Writer.Header().Get("Retry-After") == "" {
		c.Header("Retry-After", "1")
	}
	c.Abort()
	writeJSON(c, statusOf[e.Code], errorBody{errorDetail{Code: e.Code, Message: e.Message, Field: e.Field}})
}
