// Package testenv gives tests a fresh, migrated PostgreSQL database and an
// S3 bucket on the real servers started by `lawvillage devstack exec` (which
// `make test` runs), or on the servers named by the LV_TEST_* variables.
package testenv

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	_ "github.com/lib/pq" // the PostgreSQL driver

	"github.com/lawvillage/lawvillage/internal/postgres"
	"github.com/lawvillage/lawvillage/migrations"
)

// Env reads a required test variable or fails the test with what to do.
func Env(t testing.TB, name string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		t.Fatalf("%s is not set: run the tests with `make test` (it starts PostgreSQL and MinIO), "+
			"or set the LV_TEST_* variables to servers of your own", name)
	}
	return v
}

// templateName is the name of the migrated template database for the current
// set of migrations, so a change of migrations builds a new one.
func templateName() string {
	h := sha256.New()
	entries, _ := fs.ReadDir(migrations.FS, ".")
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	for _, n := range names {
		b, _ := fs.ReadFile(migrations.FS, n)
		h.Write([]byte(n))
		h.Write(b)
	}
	return "lv_tmpl_" + hex.EncodeToString(h.Sum(nil))[:16]
}

func randomName(prefix string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// withDatabase returns u with its database name replaced.
func withDatabase(t testing.TB, u, db string) string {
	t.Helper()
	p, err := url.Parse(u)
	if err != nil {
		t.Fatalf("bad database url: %v", err)
	}
	p.Path = "/" + db
	return p.String()
}

// DatabaseURL creates a fresh database (owned by the application role, with
// every migration applied) and returns its URL; it is dropped when the test ends.
func DatabaseURL(t testing.TB) string {
	t.Helper()
	admin := Env(t, "LV_TEST_PG_ADMIN_URL")
	app := Env(t, "LV_TEST_DATABASE_URL")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	adb, err := sql.Open("postgres", admin)
	if err != nil {
		t.Fatal(err)
	}
	defer adb.Close()
	conn, err := adb.Conn(ctx)
	if err != nil {
		t.Fatalf("connect to test cluster: %v", err)
	}
	defer conn.Close()
	// One template per migration set, built once under an advisory lock
	// (test packages run in parallel processes).
	tmpl := templateName()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(4242)`); err != nil {
		t.Fatal(err)
	}
	var exists bool
	if err := conn.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, tmpl).Scan(&exists); err != nil {
		t.Fatal(err)
	}
	if !exists {
		if _, err := conn.ExecContext(ctx, fmt.Sprintf(`CREATE DATABASE %s OWNER lawvillage`, tmpl)); err != nil {
			_, _ = conn.ExecContext(ctx, `SELECT pg_advisory_unlock(4242)`)
			t.Fatalf("create template: %v", err)
		}
		db, err := postgres.Open(ctx, withDatabase(t, app, tmpl))
		if err == nil {
			err = db.Migrate(ctx, slog.New(slog.DiscardHandler))
			db.Close()
		}
		if err != nil {
			_, _ = conn.ExecContext(ctx, fmt.Sprintf(`DROP DATABASE IF EXISTS %s`, tmpl))
			_, _ = conn.ExecContext(ctx, `SELECT pg_advisory_unlock(4242)`)
			t.Fatalf("migrate template: %v", err)
		}
	}
	name := randomName("lv_test_")
	_, err = conn.ExecContext(ctx, fmt.Sprintf(`CREATE DATABASE %s TEMPLATE %s OWNER lawvillage`, name, tmpl))
	_, _ = conn.ExecContext(ctx, `SELECT pg_advisory_unlock(4242)`)
	if err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		db, err := sql.Open("postgres", admin)
		if err != nil {
			return
		}
		defer db.Close()
		_, _ = db.Exec(fmt.Sprintf(`DROP DATABASE IF EXISTS %s WITH (FORCE)`, name))
	})
	return withDatabase(t, app, name)
}

// DB opens a fresh migrated database for the test (see DatabaseURL).
func DB(t testing.TB) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(context.Background(), DatabaseURL(t))
	if err != nil {
		t.Fatalf("open test database: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// BucketName returns a fresh bucket name for a test (S3 naming rules).
func BucketName(prefix string) string {
	return strings.ToLower(randomName("lv-" + prefix + "-"))
}

// S3Config returns the test S3 server's settings with a fresh bucket name.
func S3Config(t testing.TB) (endpoint, accessKey, secretKey, bucket string) {
	t.Helper()
	return Env(t, "LV_TEST_S3_ENDPOINT"), Env(t, "LV_TEST_S3_ACCESS_KEY"), Env(t, "LV_TEST_S3_SECRET_KEY"), BucketName("t")
}

// Quiet is a logger that drops everything (tests assert on results, not logs).
var Quiet = slog.New(slog.DiscardHandler)
