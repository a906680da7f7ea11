package objectstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"syscall"

	"github.com/minio/minio-go/v7"

	"github.com/lawvillage/lawvillage/internal/core"
)

// Error is a storage failure: User is the application error shown to users,
// Err the underlying cause kept for logs. errors.As(err, &*core.Error) finds
// User, and errors.Is/As also see through to Err.
type Error struct {
	Op   string      // the operation: put, stat, open, read, remove, list, ping, ensure-bucket
	Key  string      // the object key or list prefix, may be empty
	User *core.Error // what users see
	Err  error       // the cause
}

// Error returns the user message followed by the operation and the cause.
func (e *Error) Error() string {
	s := e.User.Error() + " (objectstore " + e.Op
	if e.Key != "" {
		s += " " + fmt.Sprintf("%q", e.Key)
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s + ")"
}

// Unwrap returns the application error and the cause.
func (e *Error) Unwrap() []error {
	if e.Err == nil {
		return []error{e.User}
	}
	return []error{e.User, e.Err}
}

// unavailable is the error users see when the storage server cannot be reached.
func unavailable() *core.Error {
	return core.Errorf(core.EUNAVAILABLE, "文件存储暂不可用，请稍后重试", "file storage is unavailable, try again later")
}

// notFound is the error users see for a missing object.
func notFound() *core.Error {
	return core.Errorf(core.ENOTFOUND, "未找到文件", "file not found")
}

// fail turns a minio-go error into an *Error with the right code. ctx is the
// caller's context: when the caller gave up, its error is returned wrapped,
// since the storage is not at fault.
func (s *Store) fail(ctx context.Context, op, key string, err error) error {
	if err == nil {
		return nil
	}
	var se *Error
	if errors.As(err, &se) {
		return err
	}
	if ctx.Err() != nil {
		return fmt.Errorf("objectstore %s %q: %w (%w)", op, key, ctx.Err(), err)
	}
	switch {
	case isNotFound(err):
		return &Error{Op: op, Key: key, User: notFound(), Err: err}
	case isUnavailable(err):
		return &Error{Op: op, Key: key, User: unavailable(), Err: err}
	}
	return &Error{Op: op, Key: key, User: core.Errorf(core.EINTERNAL, "文件存储出错", "file storage error"), Err: err}
}

func isNotFound(err error) bool {
	var er minio.ErrorResponse
	return errors.As(err, &er) && (er.Code == minio.NoSuchKey || er.Code == "NoSuchVersion")
}

// isUnavailable reports whether err means the server is down, unreachable,
// overloaded or not set up (bucket missing).
func isUnavailable(err error) bool {
	var er minio.ErrorResponse
	if errors.As(err, &er) {
		switch er.Code {
		case minio.NoSuchBucket, "ServiceUnavailable", "SlowDown", "SlowDownRead", "SlowDownWrite",
			"RequestTimeout", "InternalError", "XMinioServerNotInitialized", "XMinioStorageFull":
			return true
		}
		return httpStatusUnavailable(er.StatusCode)
	}
	if minio.IsNetworkOrHostDown(err, false) {
		return true
	}
	var ne net.Error
	var ue *url.Error
	return errors.As(err, &ne) || errors.As(err, &ue) ||
		errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, net.ErrClosed)
}
