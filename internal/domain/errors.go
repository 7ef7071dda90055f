// Package domain holds techmatch's record types, their validation and the error codes shared by every layer.
package domain

import (
	"errors"
	"fmt"
)

// Code classifies an error for callers; the HTTP layer maps each code to one status.
type Code string

const (
	CodeInvalid          Code = "invalid_argument"
	CodeUnauthenticated  Code = "unauthenticated"
	CodePermissionDenied Code = "permission_denied"
	CodeNotFound         Code = "not_found"
	CodeConflict         Code = "conflict"
	CodeTooLarge         Code = "too_large"
	CodeRateLimited      Code = "rate_limited"
	CodeUnavailable      Code = "unavailable"
	CodeInternal         Code = "internal"
)

// Error is an error meant to be shown to the caller: a code, a message and, for bad input, the field.
type Error struct {
	Code    Code
	Message string
	Field   string
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s (field %s)", e.Code, e.Message, e.Field)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Errorf builds an *Error with a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid builds an invalid_argument error naming field.
func Invalid(field, format string, args ...any) *Error {
	return &Error{Code: CodeInvalid, Field: field, Message: fmt.Sprintf(format, args...)}
}

// ErrNotFound is wrapped by stores when a record does not exist.
var ErrNotFound = &Error{Code: CodeNotFound, Message: "不存在"}

// ErrUnavailable is wrapped by stores when storage is out of service for now (disk full,
// locked, an I/O error): nothing was written, and a retry may succeed. Each store decides
// which of its engine's errors these are.
var ErrUnavailable = &Error{Code: CodeUnavailable, Message: "存储暂不可用，未写入任何内容，请稍后重试"}

// ErrorCode returns the code of err, or CodeInternal for errors that are not *Error.
func ErrorCode(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// AsError returns err as *Error when it is one.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}
