package objectstore

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
)

// PresignPost returns the URL and the form fields of a browser upload by
// HTTP POST (multipart/form-data: every field, then the "file" part last).
// The policy makes the storage server reject any other key, any other
// Content-Type field and any file outside [MinSize, MaxSize]. The URL is for
// PublicEndpoint when one is configured. No request is sent to the server.
func (s *Store) PresignPost(ctx context.Context, p PostPolicy) (string, map[string]string, error) {
	switch {
	case p.Key == "":
		return "", nil, errors.New("objectstore: presign post: empty key")
	case strings.TrimSpace(p.ContentType) == "":
		return "", nil, errors.New("objectstore: presign post: empty content type")
	case p.MaxSize <= 0 || p.MinSize < 0 || p.MinSize > p.MaxSize:
		return "", nil, fmt.Errorf("objectstore: presign post: bad size range [%d, %d]", p.MinSize, p.MaxSize)
	case p.Expires < time.Second || p.Expires > maxPresignValid:
		return "", nil, fmt.Errorf("objectstore: presign post: expiry %s outside 1s..7d", p.Expires)
	}
	pp := minio.NewPostPolicy()
	for _, err := range []error{
		pp.SetBucket(s.bucket),
		pp.SetKey(p.Key),
		pp.SetContentType(p.ContentType),
		pp.SetContentLengthRange(p.MinSize, p.MaxSize),
		pp.SetExpires(time.Now().UTC().Add(p.Expires)),
	} {
		if err != nil {
			return "", nil, fmt.Errorf("objectstore: presign post: %w", err)
		}
	}
	u, fields, err := s.signer.PresignedPostPolicy(ctx, pp)
	if err != nil {
		return "", nil, s.fail(ctx, "presign-post", p.Key, err)
	}
	return u.String(), fields, nil
}

// PresignGet returns a URL that downloads key for expires. When
// downloadName is set, the response carries a Content-Disposition naming the
// file (see ContentDisposition). The URL is for PublicEndpoint when one is
// configured. No request is sent to the server.
func (s *Store) PresignGet(ctx context.Context, key, downloadName string, expires time.Duration) (string, error) {
	if key == "" {
		return "", errors.New("objectstore: presign get: empty key")
	}
	if expires < time.Second || expires > maxPresignValid {
		return "", fmt.Errorf("objectstore: presign get: expiry %s outside 1s..7d", expires)
	}
	params := url.Values{}
	if downloadName != "" {
		params.Set("response-content-disposition", ContentDisposition(downloadName))
	}
	u, err := s.signer.PresignedGetObject(ctx, s.bucket, key, expires, params)
	if err != nil {
		return "", s.fail(ctx, "presign-get", key, err)
	}
	return u.String(), nil
}

// ContentDisposition returns an "attachment" Content-Disposition value for
// filename: an ASCII fallback in filename= and the exact UTF-8 name in
// filename*= (RFC 6266, RFC 5987), so Chinese names survive in browsers.
func ContentDisposition(filename string) string {
	var ascii, ext strings.Builder
	for _, r := range filename {
		switch {
		case r < 0x20 || r >= 0x7f || r == '"' || r == '\\' || r == '/':
			ascii.WriteByte('_')
		default:
			ascii.WriteRune(r)
		}
	}
	const hex = "0123456789ABCDEF"
	for _, b := range []byte(filename) {
		if isAttrChar(b) {
			ext.WriteByte(b)
		} else {
			ext.WriteByte('%')
			ext.WriteByte(hex[b>>4])
			ext.WriteByte(hex[b&0xf])
		}
	}
	return `attachment; filename="` + ascii.String() + `"; filename*=UTF-8''` + ext.String()
}

// isAttrChar reports whether b may appear unescaped in an RFC 5987 value.
func isAttrChar(b byte) bool {
	switch {
	case 'a' <= b && b <= 'z', 'A' <= b && b <= 'Z', '0' <= b && b <= '9':
		return true
	}
	return strings.IndexByte("!#$&+-.^_`|~", b) >= 0
}
