// Package apptest runs the whole platform in-process for integration tests:
// a fresh PostgreSQL database, a fresh bucket on the real MinIO, and the HTTP
// handler behind an httptest server. Helpers issue tokens, load a small
// hierarchy and send GraphQL requests as a front end would.
package apptest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/lawvillage/lawvillage/internal/app"
	"github.com/lawvillage/lawvillage/internal/config"
	"github.com/lawvillage/lawvillage/internal/core"
	"github.com/lawvillage/lawvillage/internal/postgres"
	"github.com/lawvillage/lawvillage/internal/regionimport"
	"github.com/lawvillage/lawvillage/internal/testenv"
)

// Env is a running platform for one test.
type Env struct {
	*app.Main
	Server *httptest.Server
	System context.Context // a context acting as the system (sees everything)
}

// Options adjust the platform under test.
type Options struct {
	S3Endpoint  string               // another S3 server (e.g. one the test stops); default: the test MinIO
	DatabaseURL string               // a migrated database of the test's own (e.g. a private cluster it restarts); default: a fresh test database
	Configure   func(*config.Config) // adjusts the configuration (e.g. small limits) before the platform starts
}

// New starts the platform on a fresh database and bucket.
func New(t testing.TB, opts ...Options) *Env {
	t.Helper()
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	endpoint, ak, sk, bucket := testenv.S3Config(t)
	if o.S3Endpoint != "" {
		endpoint = o.S3Endpoint
	}
	dbURL := o.DatabaseURL
	if dbURL == "" {
		dbURL = testenv.DatabaseURL(t)
	}
	cfg := config.Config{ListenAddr: "127.0.0.1:0", DatabaseURL: dbURL, S3Endpoint: endpoint,
		S3AccessKey: ak, S3SecretKey: sk, S3Bucket: bucket, S3Region: "us-east-1", GraphiQL: true, Introspection: true,
		MaxUploadBytes: 60 << 20, ShutdownTimeout: 5 * time.Second,
		// The query and body limits are the production defaults (zero values);
		// the rate limit and the websocket ping are generous so that no test
		// is throttled or loses a client that does not answer pings.
		RateLimitPerMinute: 1000000, RateLimitBurst: 100000, WSPingInterval: 10 * time.Minute}
	if o.Configure != nil {
		o.Configure(&cfg)
	}
	log := testenv.Quiet
	if os.Getenv("LV_TEST_LOG") != "" { // show the server's logs while debugging a test
		log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	m, err := app.Open(context.Background(), cfg, log, false)
	if err != nil {
		t.Fatalf("open platform: %v", err)
	}
	srv := httptest.NewServer(m.Handler())
	t.Cleanup(func() {
		srv.Close()
		m.Close()
	})
	return &Env{Main: m, Server: srv, System: core.WithActor(context.Background(), core.System("test"))}
}

// ImportCSV loads a region listing as the system.
func (e *Env) ImportCSV(t testing.TB, csv string) postgres.ImportResult {
	t.Helper()
	res, err := regionimport.Import(e.System, e.DB, strings.NewReader(csv), nil)
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	return res
}

// Token issues a token of the role scoped to the division code and returns its secret.
func (e *Env) Token(t testing.TB, role core.Role, scope string) string {
	t.Helper()
	_, secret, err := e.DB.CreateToken(e.System, postgres.NewToken{Name: string(role) + "@" + scope, Role: role, ScopeCode: scope})
	if err != nil {
		t.Fatalf("token: %v", err)
	}
	return secret
}

// Response is a GraphQL response document.
type Response struct {
	Status int
	Data   json.RawMessage `json:"data"`
	Errors []struct {
		Message    string         `json:"message"`
		Path       []any          `json:"path"`
		Extensions map[string]any `json:"extensions"`
	} `json:"errors"`
}

// Code returns the code of the first error ("" when none).
func (r *Response) Code() string {
	if len(r.Errors) == 0 {
		return ""
	}
	c, _ := r.Errors[0].Extensions["code"].(string)
	return c
}

// Decode unmarshals data into v, failing the test on errors in the response.
func (r *Response) Decode(t testing.TB, v any) {
	t.Helper()
	if len(r.Errors) > 0 {
		t.Fatalf("graphql errors: %+v", r.Errors)
	}
	if err := json.Unmarshal(r.Data, v); err != nil {
		t.Fatalf("decode %s: %v", r.Data, err)
	}
}

// Do sends a GraphQL POST with the token ("" for none).
func (e *Env) Do(t testing.TB, token, query string, vars map[string]any) *Response {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, e.Server.URL+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return e.send(t, req)
}

func (e *Env) send(t testing.TB, req *http.Request) *Response {
	t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("request: %v", err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	out := &Response{Status: res.StatusCode}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatalf("response %d is not JSON: %s", res.StatusCode, b)
	}
	return out
}

// Upload sends a GraphQL multipart request (graphql-multipart-request-spec)
// with one file bound to the variable path (e.g. "variables.input.file").
func (e *Env) Upload(t testing.TB, token, query string, vars map[string]any, path, filename string, content []byte) *Response {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	ops, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	_ = w.WriteField("operations", string(ops))
	m, _ := json.Marshal(map[string][]string{"0": {path}})
	_ = w.WriteField("map", string(m))
	fw, _ := w.CreateFormFile("0", filename)
	_, _ = fw.Write(content)
	_ = w.Close()
	req, _ := http.NewRequest(http.MethodPost, e.Server.URL+"/graphql", &buf)
	req.Header.Set("Content-Type", w.FormDataContentType())
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return e.send(t, req)
}

// TwoTownsCSV is a small hierarchy: one district with two towns of two villages each.
const TwoTownsCSV = `code,name,parent_code
32,江苏省,
3201,南京市,32
320117,溧水区,3201
320117001,永阳街道,320117
320117100,白马镇,320117
320117001001,东门社区居委会,320117001
320117001201,秋湖村委会,320117001
320117100201,白马村委会,320117100
320117100202,石头寨村委会,320117100
`
