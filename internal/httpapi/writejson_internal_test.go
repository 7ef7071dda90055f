package httpapi

// An internal test: once inputs are bounded no route hands writeJSON a value it cannot encode,
// so its failure path is reached here directly.

import (
	"encoding/json"
	"math"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"
)

// TestWriteJSONFailureHasAnErrorBody: a value JSON cannot hold (+Inf, a year past 9999) is a 500
// with the internal error body naming the request id, and the error is attached for logging.
func TestWriteJSONFailureHasAnErrorBody(t *testing.T) {
	w := httptest.NewRecorder()
	c, _ := gin.CreateTestContext(w)
	c.Request = httptest.NewRequest("GET", "/v1/stats", nil)
	c.Set("request_id", "req-1")
	writeJSON(c, 200, map[string]float64{"signed_amount": math.Inf(1)})
	var body errorBody
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || w.Code != 500 || body.Error.Code != "internal" || body.Error.Message != "服务器内部错误；请求编号 req-1" {
		t.Fatalf("%d %q (%v); want 500 with the internal error body", w.Code, w.Body, err)
	}
	if len(c.Errors) != 1 {
		t.Errorf("%d errors attached, want 1 for the log", len(c.Errors))
	}
}
