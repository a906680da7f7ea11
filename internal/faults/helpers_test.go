package faults

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/lib/pq" // the PostgreSQL driver

	"github.com/lawvillage/lawvillage/internal/apptest"
	"github.com/lawvillage/lawvillage/internal/devstack"
	"github.com/lawvillage/lawvillage/internal/postgres"
	"github.com/lawvillage/lawvillage/internal/testenv"
)

// cluster is a private PostgreSQL server of one test, which the test may
// restart on the same data folder and port.
type cluster struct {
	t    *testing.T
	dir  string
	port int

	mu sync.Mutex
	pg *devstack.Postgres
}

// shadowPrefix is where devstack keeps a cluster the OS user postgres cannot
// reach in its requested folder (t.TempDir is 0700 and owned by root).
const shadowPrefix = "/var/tmp/lawvillage-pg-"

// startCluster starts a private PostgreSQL (initdb on first use) and stops it,
// removing its data, when the test ends.
func startCluster(t *testing.T) *cluster {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "pg")
	port, err := devstack.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	c := &cluster{t: t, dir: dir, port: port}
	start := time.Now()
	if c.pg, err = devstack.StartPostgres(context.Background(), devstack.PostgresOptions{DataDir: dir, Port: port}); err != nil {
		t.Fatalf("start private PostgreSQL: %v", err)
	}
	t.Logf("private PostgreSQL on port %d started in %v", port, time.Since(start).Round(time.Millisecond))
	t.Cleanup(func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.pg != nil {
			_ = c.pg.Stop()
		}
		if target, err := os.Readlink(dir); err == nil && strings.HasPrefix(target, shadowPrefix) {
			_ = os.RemoveAll(target)
		}
	})
	return c
}

// restart stops the server (fast shutdown: every session is terminated) and
// starts it again on the same data and port, returning how long it was down.
func (c *cluster) restart() (time.Duration, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	start := time.Now()
	if err := c.pg.Stop(); err != nil {
		return 0, fmt.Errorf("stop: %w", err)
	}
	pg, err := devstack.StartPostgres(context.Background(), devstack.PostgresOptions{DataDir: c.dir, Port: c.port})
	if err != nil {
		c.pg = nil
		return time.Since(start), fmt.Errorf("start again: %w", err)
	}
	c.pg = pg
	return time.Since(start), nil
}

// appURL is the app role's URL to the database (default: lawvillage).
func (c *cluster) appURL(dbname string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return withDatabase(c.t, c.pg.URL(), dbname)
}

// admin opens a superuser connection pool to the database.
func (c *cluster) admin(dbname string) *sql.DB {
	c.t.Helper()
	c.mu.Lock()
	u := withDatabase(c.t, c.pg.AdminURL(), dbname)
	c.mu.Unlock()
	db, err := sql.Open("postgres", u)
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { db.Close() })
	return db
}

// withDatabase returns the URL u with its database replaced.
func withDatabase(t testing.TB, u, dbname string) string {
	t.Helper()
	if dbname == "" {
		return u
	}
	p, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	p.Path = "/" + dbname
	return p.String()
}

// withParam returns the URL u with a query parameter added.
func withParam(t testing.TB, u, key, value string) string {
	t.Helper()
	p, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	q := p.Query()
	q.Set(key, value)
	p.RawQuery = q.Encode()
	return p.String()
}

// databaseName is the database a URL names.
func databaseName(t testing.TB, u string) string {
	t.Helper()
	p, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimPrefix(p.Path, "/")
}

// testAdmin opens a superuser pool on the shared test cluster, connected to
// the database of the app URL u.
func testAdmin(t testing.TB, u string) *sql.DB {
	t.Helper()
	db, err := sql.Open("postgres", withDatabase(t, testenv.Env(t, "LV_TEST_PG_ADMIN_URL"), databaseName(t, u)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// openMigrated opens the database at u and applies the migrations.
func openMigrated(t testing.TB, u string) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(context.Background(), u)
	if err != nil {
		t.Fatalf("open %s: %v", u, err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(context.Background(), testenv.Quiet); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return db
}

// rowSet runs a query whose columns are all scanned as text and returns its
// rows as sorted strings (a multiset: duplicates stay), for comparing tables.
func rowSet(t testing.TB, db *sql.DB, query string, args ...any) []string {
	t.Helper()
	rows, err := db.Query(query, args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		parts := make([]string, len(cols))
		for i, v := range vals {
			parts[i] = "∅"
			if v.Valid {
				parts[i] = v.String
			}
		}
		out = append(out, strings.Join(parts, "|"))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

// scalar runs a query returning one value.
func scalar[T any](t testing.TB, db *sql.DB, query string, args ...any) T {
	t.Helper()
	var v T
	if err := db.QueryRow(query, args...).Scan(&v); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return v
}

// diff describes how two sorted row sets differ (at most a few lines each way).
func diff(a, b []string) string {
	in := func(xs []string) map[string]int {
		m := map[string]int{}
		for _, x := range xs {
			m[x]++
		}
		return m
	}
	ma, mb := in(a), in(b)
	var onlyA, onlyB []string
	for k, n := range ma {
		for i := mb[k]; i < n; i++ {
			onlyA = append(onlyA, k)
		}
	}
	for k, n := range mb {
		for i := ma[k]; i < n; i++ {
			onlyB = append(onlyB, k)
		}
	}
	sort.Strings(onlyA)
	sort.Strings(onlyB)
	if len(onlyA) > 5 {
		onlyA = append(onlyA[:5], "…")
	}
	if len(onlyB) > 5 {
		onlyB = append(onlyB[:5], "…")
	}
	return fmt.Sprintf("only in the first (%d rows): %v; only in the second (%d rows): %v", len(a), onlyA, len(b), onlyB)
}

// gqlClient posts GraphQL requests from any goroutine (apptest's helpers fail
// the test, which only the test's own goroutine may do).
type gqlClient struct {
	url string
	hc  *http.Client
}

func newClient(e *apptest.Env) *gqlClient {
	return &gqlClient{url: e.Server.URL + "/graphql", hc: &http.Client{Timeout: 60 * time.Second}}
}

// do sends one request; err is a transport failure or a body that is not JSON.
func (c *gqlClient) do(token, query string, vars map[string]any) (*apptest.Response, error) {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, c.url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, err
	}
	out := &apptest.Response{Status: res.StatusCode}
	if err := json.Unmarshal(b, out); err != nil {
		return nil, fmt.Errorf("HTTP %d, not JSON: %s", res.StatusCode, b)
	}
	return out, nil
}

// userError is one entry of a payload's userErrors.
type userError struct {
	Field     []string `json:"field"`
	Message   string   `json:"message"`
	MessageEn string   `json:"messageEn"`
	Code      string   `json:"code"`
}

// payload decodes the mutation's payload from a response into out; it
// returns false when the response has no data for it.
func payload(r *apptest.Response, mutation string, out any) bool {
	var data map[string]json.RawMessage
	if len(r.Data) == 0 || json.Unmarshal(r.Data, &data) != nil || len(data[mutation]) == 0 || string(data[mutation]) == "null" {
		return false
	}
	return json.Unmarshal(data[mutation], out) == nil
}

// globalID builds the API's opaque ID of an object (base64url of "Type:id").
func globalID(typ, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(typ + ":" + id))
}
