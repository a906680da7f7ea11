package graph

import (
	"bytes"
	"encoding/base64"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/lawvillage/lawvillage/internal/core"
)

// Global IDs are opaque to clients: base64url("Type:id").

func globalID(typ string, id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(typ + ":" + strconv.FormatInt(id, 10)))
}

// parseID decodes a global ID into its type and number.
func parseID(gid string) (string, int64, error) {
	bad := core.Errorf(core.ENOTFOUND, "ID 无效或对象不存在", "invalid ID or no such object")
	b, err := base64.RawURLEncoding.DecodeString(gid)
	if err != nil {
		return "", 0, bad
	}
	typ, num, ok := strings.Cut(string(b), ":")
	if !ok {
		return "", 0, bad
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n <= 0 {
		return "", 0, bad
	}
	return typ, n, nil
}

// idOf decodes a global ID that must be of the type; field names the input
// field for the error.
func idOf(gid, typ string, field ...string) (int64, error) {
	t, n, err := parseID(gid)
	if err != nil || t != typ {
		return 0, core.Errorf(core.ENOTFOUND, "ID 无效或对象不存在", "invalid ID or no such object").WithField(field...)
	}
	return n, nil
}

// Cursors are opaque too: base64url of a key the store understands.

func encodeCursor(key string) string {
	return base64.RawURLEncoding.EncodeToString([]byte("c1:" + key))
}

func decodeCursor(c *string) (string, error) {
	if c == nil || *c == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(*c)
	// Keys are database text: valid UTF-8 without NUL (PostgreSQL refuses anything else).
	if err != nil || !strings.HasPrefix(string(b), "c1:") || !utf8.Valid(b) || bytes.IndexByte(b, 0) >= 0 {
		return "", core.Errorf(core.EINVALIDCURSOR, "分页游标无效", "invalid cursor").WithField("after")
	}
	return string(b[3:]), nil
}

// MaxFirst caps every connection's page size.
const MaxFirst = 100

func pageSize(first *int, def int) (int, error) {
	if first == nil {
		return def, nil
	}
	if *first < 0 || *first > MaxFirst {
		return 0, core.Errorf(core.EINVALID, "first 应在 0 到 %d 之间", "first must be between 0 and %d", MaxFirst).WithField("first")
	}
	return *first, nil
}
