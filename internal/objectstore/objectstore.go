// Package objectstore keeps evidence files in an S3 bucket. It speaks plain S3
// (through minio-go), so MinIO can be replaced by any other S3 server.
package objectstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// Timeouts and limits. A down server must fail within a few seconds.
const (
	dialTimeout     = 2 * time.Second    // TCP connect to the S3 server
	headerTimeout   = 30 * time.Second   // wait for response headers once a request is sent
	opTimeout       = 5 * time.Second    // whole metadata operation (stat, remove, first byte of a GET)
	bucketTimeout   = 10 * time.Second   // EnsureBucket
	pingTimeout     = 2 * time.Second    // Ping, for /readyz
	maxRetries      = 3                  // attempts per request, including the first
	partSize        = 8 << 20            // multipart part size: bounds memory per upload
	maxPresignValid = 7 * 24 * time.Hour // longest validity S3 accepts for a V4 signature
	defaultRegion   = "us-east-1"        // used when Config.Region is empty
	defaultType     = "application/octet-stream"
)

// Config is the connection to the S3 server.
type Config struct {
	Endpoint  string // host:port of the S3 server as this process reaches it
	AccessKey string
	SecretKey string
	Bucket    string
	Region    string // defaults to us-east-1; set so presigning needs no network round trip
	UseTLS    bool
	// PublicEndpoint is the optional host:port browsers use to reach the S3
	// server; presigned URLs are signed for it. It may also be a full
	// http:// or https:// URL base, which then decides the scheme.
	PublicEndpoint string
}

// Info describes a stored object.
type Info struct {
	Key          string
	Size         int64
	ContentType  string // empty in List results (S3 listings do not carry it)
	ETag         string // without quotes
	LastModified time.Time
}

// PostPolicy describes a browser upload by presigned POST. The storage server
// itself enforces the key, the exact Content-Type and the size range.
type PostPolicy struct {
	Key         string
	ContentType string
	MinSize     int64 // bytes, inclusive
	MaxSize     int64 // bytes, inclusive; must be > 0
	Expires     time.Duration
}

// Interface is what the evidence service needs from the object store.
type Interface interface {
	// EnsureBucket creates the bucket when it is missing.
	EnsureBucket(ctx context.Context) error
	// Ping checks that the storage answers and the bucket exists.
	Ping(ctx context.Context) error
	// Put streams r into key; size is -1 when unknown.
	Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) (Info, error)
	// Stat returns the object's metadata.
	Stat(ctx context.Context, key string) (Info, error)
	// Open returns the object's content; the caller closes it.
	Open(ctx context.Context, key string) (io.ReadCloser, Info, error)
	// Remove deletes the object; a missing object is not an error.
	Remove(ctx context.Context, key string) error
	// List yields the objects whose key starts with prefix, in key order.
	List(ctx context.Context, prefix string) iter.Seq2[Info, error]
	// PresignPost returns the URL and form fields of a browser upload.
	PresignPost(ctx context.Context, p PostPolicy) (url string, fields map[string]string, err error)
	// PresignGet returns a download URL that names the file downloadName.
	PresignGet(ctx context.Context, key, downloadName string, expires time.Duration) (string, error)
}

var _ Interface = (*Store)(nil)

// Store is an object store on one S3 bucket. It is safe for concurrent use.
type Store struct {
	client *minio.Client // talks to Endpoint
	signer *minio.Client // signs browser-facing URLs (PublicEndpoint, or client)
	bucket string
}

// New returns a Store for cfg. It does not contact the server.
func New(cfg Config) (*Store, error) {
	if cfg.Endpoint == "" {
		return nil, errors.New("objectstore: endpoint is empty")
	}
	if cfg.Bucket == "" {
		return nil, errors.New("objectstore: bucket is empty")
	}
	if cfg.Region == "" {
		cfg.Region = defaultRegion
	}
	client, err := newClient(cfg, cfg.Endpoint, cfg.UseTLS)
	if err != nil {
		return nil, err
	}
	s := &Store{client: client, signer: client, bucket: cfg.Bucket}
	if cfg.PublicEndpoint != "" {
		host, secure := cfg.PublicEndpoint, cfg.UseTLS
		switch {
		case strings.HasPrefix(host, "https://"):
			host, secure = strings.TrimPrefix(host, "https://"), true
		case strings.HasPrefix(host, "http://"):
			host, secure = strings.TrimPrefix(host, "http://"), false
		}
		host = strings.TrimSuffix(host, "/")
		if s.signer, err = newClient(cfg, host, secure); err != nil {
			return nil, fmt.Errorf("objectstore: public endpoint: %w", err)
		}
	}
	return s, nil
}

// newClient builds a minio-go client for endpoint with short dial timeouts
// and few retries, so an unreachable server fails fast.
func newClient(cfg Config, endpoint string, secure bool) (*minio.Client, error) {
	tr, err := minio.DefaultTransport(secure)
	if err != nil {
		return nil, fmt.Errorf("objectstore: transport: %w", err)
	}
	tr.DialContext = (&net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}).DialContext
	tr.TLSHandshakeTimeout = 5 * time.Second
	tr.ResponseHeaderTimeout = headerTimeout
	tr.ExpectContinueTimeout = time.Second
	c, err := minio.New(endpoint, &minio.Options{
		Creds:        credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure:       secure,
		Transport:    tr,
		Region:       cfg.Region,
		BucketLookup: minio.BucketLookupPath,
		MaxRetries:   maxRetries,
	})
	if err != nil {
		return nil, fmt.Errorf("objectstore: client for %q: %w", endpoint, err)
	}
	return c, nil
}

// Bucket returns the bucket name.
func (s *Store) Bucket() string { return s.bucket }

// EnsureBucket creates the bucket when it is missing. It is idempotent and
// safe when several replicas run it at once.
func (s *Store) EnsureBucket(ctx context.Context) error {
	octx, cancel := context.WithTimeout(ctx, bucketTimeout)
	defer cancel()
	ok, err := s.client.BucketExists(octx, s.bucket)
	if err != nil {
		return s.fail(ctx, "ensure-bucket", "", err)
	}
	if ok {
		return nil
	}
	err = s.client.MakeBucket(octx, s.bucket, minio.MakeBucketOptions{})
	if err == nil {
		return nil
	}
	// Another replica may have created it between our check and our create.
	switch minio.ToErrorResponse(err).Code {
	case minio.BucketAlreadyOwnedByYou, minio.BucketAlreadyExists:
		if ok, err2 := s.client.BucketExists(octx, s.bucket); err2 == nil && ok {
			return nil
		}
	}
	return s.fail(ctx, "ensure-bucket", "", err)
}

// Ping checks that the server answers within a short time and the bucket exists.
func (s *Store) Ping(ctx context.Context) error {
	octx, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()
	ok, err := s.client.BucketExists(octx, s.bucket)
	if err != nil {
		return s.fail(ctx, "ping", "", err)
	}
	if !ok {
		return &Error{Op: "ping", User: unavailable(), Err: fmt.Errorf("bucket %q does not exist", s.bucket)}
	}
	return nil
}

// Put streams r into key. size is the exact length, or -1 when unknown; then
// the upload goes in parts of 8 MiB, so memory stays bounded. There is no
// overall timeout (uploads may be slow), but a down server fails fast.
// LastModified of the result is zero: S3 does not report it on upload.
func (s *Store) Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) (Info, error) {
	if contentType == "" {
		contentType = defaultType
	}
	if size < -1 {
		size = -1
	}
	up, err := s.client.PutObject(ctx, s.bucket, key, r, size, minio.PutObjectOptions{
		ContentType: contentType,
		PartSize:    partSize,
	})
	if err != nil {
		return Info{}, s.fail(ctx, "put", key, err)
	}
	return Info{Key: key, Size: up.Size, ContentType: contentType, ETag: up.ETag, LastModified: up.LastModified}, nil
}

// Stat returns the metadata of key; a missing object is core.ENOTFOUND.
func (s *Store) Stat(ctx context.Context, key string) (Info, error) {
	octx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	oi, err := s.client.StatObject(octx, s.bucket, key, minio.StatObjectOptions{})
	if err != nil {
		return Info{}, s.fail(ctx, "stat", key, err)
	}
	return toInfo(oi), nil
}

// Open returns the content of key with one GET. The server must start
// answering within a few seconds; reading the body afterwards is bounded only
// by ctx. The caller must Close the reader. A missing object is core.ENOTFOUND.
func (s *Store) Open(ctx context.Context, key string) (io.ReadCloser, Info, error) {
	octx, cancel := context.WithCancel(ctx)
	timer := time.AfterFunc(opTimeout, cancel)
	body, oi, _, err := minio.Core{Client: s.client}.GetObject(octx, s.bucket, key, minio.GetObjectOptions{})
	if !timer.Stop() && ctx.Err() == nil {
		// The deadline passed before the headers arrived (or just after).
		if body != nil {
			_ = body.Close()
		}
		cancel()
		return nil, Info{}, s.fail(ctx, "open", key,
			fmt.Errorf("no answer within %s: %w (%w)", opTimeout, context.DeadlineExceeded, err))
	}
	if err != nil {
		cancel()
		return nil, Info{}, s.fail(ctx, "open", key, err)
	}
	if oi.Key == "" {
		oi.Key = key
	}
	return &objectReader{s: s, ctx: ctx, key: key, body: body, cancel: cancel}, toInfo(oi), nil
}

// objectReader maps read errors of an object body to storage errors.
type objectReader struct {
	s      *Store
	ctx    context.Context
	key    string
	body   io.ReadCloser
	cancel context.CancelFunc
}

func (r *objectReader) Read(p []byte) (int, error) {
	n, err := r.body.Read(p)
	if err != nil && err != io.EOF {
		err = r.s.fail(r.ctx, "read", r.key, err)
	}
	return n, err
}

func (r *objectReader) Close() error {
	err := r.body.Close()
	r.cancel()
	return err
}

// Remove deletes key. Removing a missing object succeeds.
func (s *Store) Remove(ctx context.Context, key string) error {
	octx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	err := s.client.RemoveObject(octx, s.bucket, key, minio.RemoveObjectOptions{})
	if err != nil && minio.ToErrorResponse(err).Code != minio.NoSuchKey {
		return s.fail(ctx, "remove", key, err)
	}
	return nil
}

// List yields every object whose key starts with prefix, in key order, with
// ContentType left empty. On failure it yields one error and stops.
func (s *Store) List(ctx context.Context, prefix string) iter.Seq2[Info, error] {
	return func(yield func(Info, error) bool) {
		lctx, cancel := context.WithCancel(ctx)
		defer cancel()
		for oi := range s.client.ListObjectsIter(lctx, s.bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
			if oi.Err != nil {
				yield(Info{}, s.fail(ctx, "list", prefix, oi.Err))
				return
			}
			if !yield(toInfo(oi), nil) {
				return
			}
		}
	}
}

func toInfo(oi minio.ObjectInfo) Info {
	return Info{
		Key:          oi.Key,
		Size:         oi.Size,
		ContentType:  oi.ContentType,
		ETag:         strings.Trim(oi.ETag, `"`),
		LastModified: oi.LastModified,
	}
}

// httpStatusUnavailable reports whether an S3 error response means the
// server (not the request) is in trouble.
func httpStatusUnavailable(status int) bool {
	return status >= http.StatusInternalServerError || status == http.StatusTooManyRequests || status == http.StatusRequestTimeout
}
