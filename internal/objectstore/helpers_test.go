package objectstore

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/lawvillage/lawvillage/internal/core"
)

// testEnv is the S3 server the tests use, from the LV_TEST_S3_* variables.
type testEnv struct {
	endpoint, accessKey, secretKey string
}

func getTestEnv(t testing.TB) testEnv {
	t.Helper()
	e := testEnv{
		endpoint:  os.Getenv("LV_TEST_S3_ENDPOINT"),
		accessKey: os.Getenv("LV_TEST_S3_ACCESS_KEY"),
		secretKey: os.Getenv("LV_TEST_S3_SECRET_KEY"),
	}
	if e.endpoint == "" || e.accessKey == "" || e.secretKey == "" {
		t.Fatal("run via make test: LV_TEST_S3_ENDPOINT, LV_TEST_S3_ACCESS_KEY and LV_TEST_S3_SECRET_KEY must point at a real S3 server (lawvillage devstack exec)")
	}
	return e
}

// freshBucket returns a bucket name no other test uses.
func freshBucket(t testing.TB) string {
	t.Helper()
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "lv-test-" + hex.EncodeToString(b)
}

// newTestStore returns a Store on a fresh bucket (created), removed with its
// objects when the test ends. public is the optional PublicEndpoint.
func newTestStore(t *testing.T, public string) *Store {
	t.Helper()
	e := getTestEnv(t)
	s, err := New(Config{
		Endpoint: e.endpoint, AccessKey: e.accessKey, SecretKey: e.secretKey,
		Bucket: freshBucket(t), PublicEndpoint: public,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := s.EnsureBucket(ctx); err != nil {
		t.Fatalf("EnsureBucket: %v", err)
	}
	t.Cleanup(func() { dropBucket(t, s) })
	return s
}

// dropBucket removes every object (and unfinished upload) and the bucket.
func dropBucket(t testing.TB, s *Store) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for info, err := range s.List(ctx, "") {
		if err != nil {
			t.Errorf("cleanup list: %v", err)
			return
		}
		if err := s.Remove(ctx, info.Key); err != nil {
			t.Errorf("cleanup remove %s: %v", info.Key, err)
		}
	}
	for up := range s.client.ListIncompleteUploads(ctx, s.bucket, "", true) {
		if up.Err == nil {
			_ = s.client.RemoveIncompleteUpload(ctx, s.bucket, up.Key)
		}
	}
	if err := s.client.RemoveBucket(ctx, s.bucket); err != nil && minio.ToErrorResponse(err).Code != minio.NoSuchBucket {
		t.Errorf("cleanup remove bucket %s: %v", s.bucket, err)
	}
}

// wantCode fails the test unless err carries the application error code.
func wantCode(t testing.TB, err error, code core.Code) {
	t.Helper()
	if err == nil {
		t.Fatalf("want error %s, got nil", code)
	}
	var ce *core.Error
	if !errors.As(err, &ce) {
		t.Fatalf("want *core.Error %s, got %T: %v", code, err, err)
	}
	if ce.Code != code {
		t.Fatalf("want code %s, got %s: %v", code, ce.Code, err)
	}
}

// closedAddr returns a 127.0.0.1 address nothing listens on.
func closedAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// patternReader yields n pseudo-random bytes; it is not seekable, so minio-go
// cannot know its size.
type patternReader struct {
	n     int64
	state uint64
}

func (r *patternReader) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > r.n {
		p = p[:r.n]
	}
	for i := range p {
		r.state ^= r.state << 13
		r.state ^= r.state >> 7
		r.state ^= r.state << 17
		p[i] = byte(r.state)
	}
	r.n -= int64(len(p))
	return len(p), nil
}

// postForm sends a multipart/form-data POST with fields then the file part,
// as a browser would, and returns the status and body.
func postForm(t testing.TB, target string, fields map[string]string, content []byte) (int, string) {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	for k, v := range fields {
		if err := w.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	fw, err := w.CreateFormFile("file", "upload.bin")
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(content)
	w.Close()
	req, err := http.NewRequest(http.MethodPost, target, &body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", w.FormDataContentType())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", target, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
