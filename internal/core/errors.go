// Package core holds lawvillage's domain types, error codes and the interfaces
// of its services, in the users' own terms (region, village, title, activity,
// evidence, period). It imports no storage or transport package.
package core

import (
	"errors"
	"fmt"
	"io"
	"strconv"
)

// Code is a stable, machine-readable error code shown to API users.
type Code string

// Error codes. They are part of the API contract: never rename one.
const (
	ENOTFOUND        Code = "NOT_FOUND"       // the object does not exist or is outside the caller's scope
	EINVALID         Code = "INVALID"         // the input is malformed or breaks a rule
	ECONFLICT        Code = "CONFLICT"        // the object changed or already exists
	EUNAUTHENTICATED Code = "UNAUTHENTICATED" // no valid token
	EFORBIDDEN       Code = "FORBIDDEN"       // the caller's role may not do this
	EUNAVAILABLE     Code = "UNAVAILABLE"     // a dependency (database, object storage) is down
	ETOOLARGE        Code = "TOO_LARGE"       // an upload or request is over its limit
	EINTERNAL        Code = "INTERNAL"        // a fault; details are logged, never shown

	EINVALIDPERIOD Code = "INVALID_PERIOD"  // a period string is not 2026-05, 2026-Q2 or 2026
	EINVALIDCODE   Code = "INVALID_CODE"    // a division code is malformed
	EINVALIDCURSOR Code = "INVALID_CURSOR"  // a pagination cursor is malformed
	EIMPORT        Code = "IMPORT_REJECTED" // an import file was rejected; see the row errors
	EFILETYPE      Code = "FILE_TYPE_NOT_ALLOWED"
	ECHECKSUM      Code = "CHECKSUM_MISMATCH"
	EDUPLICATE     Code = "DUPLICATE"

	// Abuse limits: a request refused before it runs.
	EQUERYTOOLARGE    Code = "QUERY_TOO_LARGE"        // the query document has too many tokens
	EQUERYTOODEEP     Code = "QUERY_TOO_DEEP"         // selections are nested too deeply
	ETOOMANYALIASES   Code = "TOO_MANY_ALIASES"       // too many aliased fields
	EQUERYTOOCOMPLEX  Code = "QUERY_TOO_COMPLEX"      // the query's cost is over the limit
	ERATELIMITED      Code = "RATE_LIMITED"           // too many requests; retry after Retry-After
	ETOOMANYSUBS      Code = "TOO_MANY_SUBSCRIPTIONS" // too many subscriptions on one websocket
	EINTROSPECTIONOFF Code = "INTROSPECTION_DISABLED" // schema introspection is turned off
)

// Error is an application error with a code and a message in Chinese and English.
// Field, when set, names the input field at fault (as a GraphQL path).
type Error struct {
	Code    Code
	Zh      string
	En      string
	Field   []string
	Details []RowError // for imports: every bad row
}

// RowError is one bad row of an import file.
type RowError struct {
	Row    int    // 1-based line number in the file, header is row 1
	Column string // column name as in the header, may be empty
	Zh     string
	En     string
}

func (e *Error) Error() string {
	if e.Zh == "" {
		return e.En
	}
	return e.Zh + " / " + e.En
}

// Errorf builds an *Error. zh and en are the Chinese and English messages; args
// are applied to both with fmt.Sprintf.
func Errorf(code Code, zh, en string, args ...any) *Error {
	return &Error{Code: code, Zh: fmt.Sprintf(zh, args...), En: fmt.Sprintf(en, args...)}
}

// WithField returns a copy of e naming the input field at fault.
func (e *Error) WithField(path ...string) *Error {
	c := *e
	c.Field = path
	return &c
}

// ErrorCode returns the code of an application error, or EINTERNAL for any other error.
func ErrorCode(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	if err == nil {
		return ""
	}
	return EINTERNAL
}

// AsError returns err as an *Error, or nil when it is not an application error.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}

// NotFound is the error for a missing object; outside-scope objects get the
// same error. what is a short noun, used in both messages.
func NotFound(what string) *Error {
	return &Error{Code: ENOTFOUND, Zh: "未找到" + what, En: what + " not found"}
}

// MarshalGQL writes the code as a GraphQL enum.
func (c Code) MarshalGQL(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(string(c))) }

// UnmarshalGQL reads the code from a GraphQL enum.
func (c *Code) UnmarshalGQL(v any) error {
	s, _ := v.(string)
	*c = Code(s)
	return nil
}
