package objectstore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lawvillage/lawvillage/internal/core"
)

func TestRoundTripStreamedUnknownSize(t *testing.T) {
	s := newTestStore(t, "")
	ctx := context.Background()
	const size = 20 << 20
	const key = "village/110101001001/2026-05/evidence-1"

	want := sha256.New()
	src := io.TeeReader(&patternReader{n: size, state: 0x9e3779b97f4a7c15}, want)
	info, err := s.Put(ctx, key, src, -1, "application/pdf")
	if err != nil {
		t.Fatalf("Put: %v", err)
	}
	if info.Key != key || info.Size != size || info.ContentType != "application/pdf" || info.ETag == "" {
		t.Fatalf("Put info = %+v", info)
	}
	// 20 MiB in 8 MiB parts is a 3-part multipart upload: S3 ETags say so.
	if !strings.HasSuffix(info.ETag, "-3") {
		t.Errorf("ETag %q: want a 3-part multipart upload", info.ETag)
	}

	st, err := s.Stat(ctx, key)
	if err != nil {
		t.Fatalf("Stat: %v", err)
	}
	if st.Size != size || st.ContentType != "application/pdf" || st.ETag != info.ETag || st.LastModified.IsZero() {
		t.Fatalf("Stat = %+v, put %+v", st, info)
	}
	if d := time.Since(st.LastModified); d < -time.Minute || d > 5*time.Minute {
		t.Errorf("LastModified %v is not recent", st.LastModified)
	}

	rc, oinfo, err := s.Open(ctx, key)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	got := sha256.New()
	n, err := io.Copy(got, rc)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if err := rc.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if n != size || !bytes.Equal(got.Sum(nil), want.Sum(nil)) {
		t.Fatalf("read %d bytes, sha256 differs: %v", n, !bytes.Equal(got.Sum(nil), want.Sum(nil)))
	}
	if oinfo.Size != size || oinfo.ContentType != "application/pdf" {
		t.Errorf("Open info = %+v", oinfo)
	}

	// A small object of known size, and List with a prefix.
	if _, err := s.Put(ctx, "village/110101001001/2026-06/x", strings.NewReader("hello"), 5, ""); err != nil {
		t.Fatalf("Put small: %v", err)
	}
	if _, err := s.Put(ctx, "other/y", strings.NewReader("y"), 1, "text/plain"); err != nil {
		t.Fatalf("Put other: %v", err)
	}
	var keys []string
	for li, err := range s.List(ctx, "village/") {
		if err != nil {
			t.Fatalf("List: %v", err)
		}
		keys = append(keys, li.Key)
		if li.Key == key && (li.Size != size || li.LastModified.IsZero()) {
			t.Errorf("List info = %+v", li)
		}
	}
	if strings.Join(keys, ",") != key+",village/110101001001/2026-06/x" {
		t.Fatalf("List(village/) = %v", keys)
	}
	// Stopping early must be fine.
	for range s.List(ctx, "") {
		break
	}

	if err := s.Remove(ctx, key); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	if err := s.Remove(ctx, key); err != nil {
		t.Fatalf("Remove again: %v", err)
	}
	_, err = s.Stat(ctx, key)
	wantCode(t, err, core.ENOTFOUND)
	_, _, err = s.Open(ctx, key)
	wantCode(t, err, core.ENOTFOUND)
	if ce := core.AsError(err); ce.Zh == "" || ce.En == "" {
		t.Errorf("not-found message is not bilingual: %+v", ce)
	}
}

func TestPutKnownSizeMismatch(t *testing.T) {
	s := newTestStore(t, "")
	// The reader is shorter than the declared size: the upload must fail
	// and leave no object behind.
	_, err := s.Put(context.Background(), "short", strings.NewReader("abc"), 10, "text/plain")
	if err == nil {
		t.Fatal("Put with short reader succeeded")
	}
	_, err = s.Stat(context.Background(), "short")
	wantCode(t, err, core.ENOTFOUND)
}

func TestEnsureBucketConcurrentAndPing(t *testing.T) {
	e := getTestEnv(t)
	bucket := freshBucket(t)
	cfg := Config{Endpoint: e.endpoint, AccessKey: e.accessKey, SecretKey: e.secretKey, Bucket: bucket}
	first, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dropBucket(t, first) })
	ctx := context.Background()

	// Before the bucket exists, Ping says the storage is not usable.
	wantCode(t, first.Ping(ctx), core.EUNAVAILABLE)

	// Several replicas create it at the same time.
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Go(func() {
			s, err := New(cfg)
			if err != nil {
				errs[i] = err
				return
			}
			errs[i] = s.EnsureBucket(ctx)
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("replica %d: EnsureBucket: %v", i, err)
		}
	}
	if err := first.EnsureBucket(ctx); err != nil {
		t.Fatalf("EnsureBucket again: %v", err)
	}
	if err := first.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
}

// swapHost returns endpoint with 127.0.0.1 and localhost swapped: another
// name for the same server, to prove URLs are signed for PublicEndpoint.
func swapHost(endpoint string) string {
	host, port, err := net.SplitHostPort(endpoint)
	if err != nil {
		return endpoint
	}
	switch host {
	case "127.0.0.1":
		return net.JoinHostPort("localhost", port)
	case "localhost":
		return net.JoinHostPort("127.0.0.1", port)
	}
	return endpoint
}

func TestPresignPostEnforcedByServer(t *testing.T) {
	e := getTestEnv(t)
	public := swapHost(e.endpoint)
	s := newTestStore(t, public)
	ctx := context.Background()
	const key = "uploads/2026/abc.jpg"
	policy := PostPolicy{Key: key, ContentType: "image/jpeg", MinSize: 10, MaxSize: 1024, Expires: 10 * time.Minute}
	target, fields, err := s.PresignPost(ctx, policy)
	if err != nil {
		t.Fatalf("PresignPost: %v", err)
	}
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	if u.Host != public {
		t.Fatalf("URL host %q, want the public endpoint %q", u.Host, public)
	}
	if fields["key"] != key || fields["Content-Type"] != "image/jpeg" || fields["policy"] == "" || fields["x-amz-signature"] == "" {
		t.Fatalf("fields = %v", fields)
	}
	with := func(k, v string) map[string]string {
		m := make(map[string]string, len(fields))
		for fk, fv := range fields {
			m[fk] = fv
		}
		m[k] = v
		return m
	}
	without := func(k string) map[string]string {
		m := with(k, "")
		delete(m, k)
		return m
	}
	good := bytes.Repeat([]byte{0xff}, 512)

	rejected := []struct {
		name     string
		fields   map[string]string
		content  []byte
		status   int
		s3Code   string
		leftover string // key that must not exist afterwards
	}{
		{"wrong content type", with("Content-Type", "text/html"), good, http.StatusForbidden, "AccessDenied", key},
		{"missing content type", without("Content-Type"), good, http.StatusForbidden, "AccessDenied", key},
		{"extra field", with("Content-Disposition", "inline"), good, http.StatusForbidden, "AccessDenied", key},
		{"wrong key", with("key", "uploads/2026/other.jpg"), good, http.StatusForbidden, "AccessDenied", "uploads/2026/other.jpg"},
		{"too large", fields, bytes.Repeat([]byte{1}, 1025), http.StatusBadRequest, "EntityTooLarge", key},
		{"too small", fields, []byte("tiny"), http.StatusBadRequest, "EntityTooSmall", key},
		{"tampered signature", with("x-amz-signature", strings.Repeat("0", 64)), good, http.StatusForbidden, "SignatureDoesNotMatch", key},
	}
	for _, tc := range rejected {
		t.Run(tc.name, func(t *testing.T) {
			status, body := postForm(t, target, tc.fields, tc.content)
			t.Logf("status %d body %s", status, body)
			if status != tc.status || !strings.Contains(body, "<Code>"+tc.s3Code+"</Code>") {
				t.Fatalf("got %d %s, want %d %s", status, body, tc.status, tc.s3Code)
			}
			_, err := s.Stat(ctx, tc.leftover)
			wantCode(t, err, core.ENOTFOUND)
		})
	}

	status, body := postForm(t, target, fields, good)
	if status != http.StatusNoContent && status != http.StatusCreated {
		t.Fatalf("good upload: %d %s", status, body)
	}
	st, err := s.Stat(ctx, key)
	if err != nil {
		t.Fatalf("Stat after POST: %v", err)
	}
	if st.Size != int64(len(good)) || st.ContentType != "image/jpeg" {
		t.Fatalf("Stat after POST = %+v", st)
	}

	// An expired policy is refused.
	short := policy
	short.Key = "uploads/2026/late.jpg"
	short.Expires = time.Second
	target2, fields2, err := s.PresignPost(ctx, short)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(2100 * time.Millisecond)
	status, body = postForm(t, target2, fields2, good)
	t.Logf("expired: status %d body %s", status, body)
	if status != http.StatusForbidden {
		t.Fatalf("expired policy: %d %s", status, body)
	}

	// Bad policies never reach the server.
	for _, bad := range []PostPolicy{
		{ContentType: "image/jpeg", MaxSize: 1, Expires: time.Minute},
		{Key: "k", MaxSize: 1, Expires: time.Minute},
		{Key: "k", ContentType: "image/jpeg", MaxSize: 0, Expires: time.Minute},
		{Key: "k", ContentType: "image/jpeg", MinSize: 5, MaxSize: 4, Expires: time.Minute},
		{Key: "k", ContentType: "image/jpeg", MaxSize: 1},
	} {
		if _, _, err := s.PresignPost(ctx, bad); err == nil {
			t.Errorf("PresignPost(%+v) succeeded", bad)
		}
	}
}

func TestPresignGet(t *testing.T) {
	e := getTestEnv(t)
	public := swapHost(e.endpoint)
	s := newTestStore(t, public)
	ctx := context.Background()
	content := []byte("%PDF-1.4 sign-in sheet")
	if _, err := s.Put(ctx, "ev/1", bytes.NewReader(content), int64(len(content)), "application/pdf"); err != nil {
		t.Fatal(err)
	}
	const name = `村民议事会 签到表 "5月".pdf`
	target, err := s.PresignGet(ctx, "ev/1", name, 5*time.Minute)
	if err != nil {
		t.Fatalf("PresignGet: %v", err)
	}
	u, _ := url.Parse(target)
	if u.Host != public {
		t.Fatalf("URL host %q, want %q", u.Host, public)
	}
	resp, err := http.Get(target)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.Equal(got, content) {
		t.Fatalf("GET: %d %q", resp.StatusCode, got)
	}
	cd := resp.Header.Get("Content-Disposition")
	wantCD := `attachment; filename="_____ ___ _5__.pdf"; filename*=UTF-8''%E6%9D%91%E6%B0%91%E8%AE%AE%E4%BA%8B%E4%BC%9A%20%E7%AD%BE%E5%88%B0%E8%A1%A8%20%225%E6%9C%88%22.pdf`
	if cd != wantCD {
		t.Fatalf("Content-Disposition\n got %s\nwant %s", cd, wantCD)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/pdf" {
		t.Errorf("Content-Type %q", ct)
	}

	// Without a name there is no Content-Disposition override.
	plain, err := s.PresignGet(ctx, "ev/1", "", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	resp, err = http.Get(plain)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Disposition") != "" {
		t.Fatalf("plain GET: %d %q", resp.StatusCode, resp.Header.Get("Content-Disposition"))
	}

	// A tampered URL is refused by the server.
	q := u.Query()
	q.Set("response-content-disposition", "attachment; filename=evil.exe")
	u.RawQuery = q.Encode()
	resp, err = http.Get(u.String())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("tampered URL: %d", resp.StatusCode)
	}
}

func TestContentDisposition(t *testing.T) {
	for name, want := range map[string]string{
		"report.pdf":   `attachment; filename="report.pdf"; filename*=UTF-8''report.pdf`,
		"a b/c\\d.xls": `attachment; filename="a b_c_d.xls"; filename*=UTF-8''a%20b%2Fc%5Cd.xls`,
		"签到.jpg":       `attachment; filename="__.jpg"; filename*=UTF-8''%E7%AD%BE%E5%88%B0.jpg`,
	} {
		if got := ContentDisposition(name); got != want {
			t.Errorf("ContentDisposition(%q)\n got %s\nwant %s", name, got, want)
		}
	}
}

// TestDownServer: every operation against a closed port fails fast with
// EUNAVAILABLE and keeps the network cause reachable.
func TestDownServer(t *testing.T) {
	s, err := New(Config{Endpoint: closedAddr(t), AccessKey: "k", SecretKey: "secret-key", Bucket: "lv-down"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ops := map[string]func() error{
		"Ping":         func() error { return s.Ping(ctx) },
		"EnsureBucket": func() error { return s.EnsureBucket(ctx) },
		"Put known": func() error {
			_, err := s.Put(ctx, "k", strings.NewReader("abc"), 3, "text/plain")
			return err
		},
		"Put unknown": func() error {
			_, err := s.Put(ctx, "k", &patternReader{n: 1 << 20, state: 1}, -1, "text/plain")
			return err
		},
		"Stat":   func() error { _, err := s.Stat(ctx, "k"); return err },
		"Open":   func() error { _, _, err := s.Open(ctx, "k"); return err },
		"Remove": func() error { return s.Remove(ctx, "k") },
		"List": func() error {
			for _, err := range s.List(ctx, "") {
				return err
			}
			return errors.New("List yielded nothing")
		},
	}
	for name, op := range ops {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			err := op()
			took := time.Since(start)
			t.Logf("%s took %v: %v", name, took, err)
			wantCode(t, err, core.EUNAVAILABLE)
			if took > 4*time.Second {
				t.Errorf("took %v, want a few seconds at most", took)
			}
			if !errors.Is(err, syscall.ECONNREFUSED) {
				t.Errorf("cause not reachable with errors.Is: %v", err)
			}
			ce := core.AsError(err)
			if ce.Zh != "文件存储暂不可用，请稍后重试" || ce.En != "file storage is unavailable, try again later" {
				t.Errorf("message = %q / %q", ce.Zh, ce.En)
			}
		})
	}
}

// TestHungServer: a server that accepts connections but never answers makes
// the interactive operations fail within their timeouts.
func TestHungServer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	s, err := New(Config{Endpoint: ln.Addr().String(), AccessKey: "k", SecretKey: "secret-key", Bucket: "lv-hung"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for name, c := range map[string]struct {
		op    func() error
		limit time.Duration
	}{
		"Ping": {func() error { return s.Ping(ctx) }, pingTimeout + time.Second},
		"Stat": {func() error { _, err := s.Stat(ctx, "k"); return err }, opTimeout + time.Second},
		"Open": {func() error { _, _, err := s.Open(ctx, "k"); return err }, opTimeout + time.Second},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			err := c.op()
			took := time.Since(start)
			t.Logf("took %v: %v", took, err)
			wantCode(t, err, core.EUNAVAILABLE)
			if took > c.limit {
				t.Errorf("took %v, want at most %v", took, c.limit)
			}
		})
	}
}

func TestCallerCancelIsNotUnavailable(t *testing.T) {
	s := newTestStore(t, "")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := s.Stat(ctx, "k")
	if err == nil || !errors.Is(err, context.Canceled) {
		t.Fatalf("Stat with canceled ctx: %v", err)
	}
	if core.ErrorCode(err) == core.EUNAVAILABLE {
		t.Fatalf("a canceled caller is not a storage outage: %v", err)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	if _, err := New(Config{Bucket: "b"}); err == nil {
		t.Error("New without endpoint succeeded")
	}
	if _, err := New(Config{Endpoint: "127.0.0.1:9000"}); err == nil {
		t.Error("New without bucket succeeded")
	}
	s, err := New(Config{Endpoint: "127.0.0.1:9000", Bucket: "lv-b", AccessKey: "a", SecretKey: "secret-key", PublicEndpoint: "https://files.example.org/"})
	if err != nil {
		t.Fatal(err)
	}
	// Presigning needs no network: the endpoint here is not even running.
	got, err := s.PresignGet(context.Background(), "k", "x.pdf", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(got, "https://files.example.org/lv-b/k?") {
		t.Fatalf("PresignGet = %s", got)
	}
}
