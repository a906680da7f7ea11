package devstack

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/lawvillage/lawvillage/internal/core"
)

// testLog sends progress lines to the test log.
type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Helper()
	l.t.Log(time.Now().Format("15:04:05.000"), strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// removeShadowAfter removes, at the end of the test, the /var/tmp folder that
// holds the cluster of pgDir when the postgres user could not reach pgDir.
func removeShadowAfter(t *testing.T, pgDir string) {
	abs, err := filepath.Abs(pgDir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(shadowDir(abs)) })
}

// openDB opens url and pings it.
func openDB(t *testing.T, u string) *sql.DB {
	t.Helper()
	db, err := sql.Open("postgres", u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Ping(); err != nil {
		t.Fatalf("connect %s: %v", u, err)
	}
	return db
}

// withDB returns u with its database replaced by name.
func withDB(t *testing.T, u, name string) string {
	t.Helper()
	p, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	p.Path = "/" + name
	return p.String()
}

// portClosed reports whether nothing accepts connections at addr any more.
func portClosed(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return true
	}
	c.Close()
	return false
}

// TestStack starts the whole stack in a folder that (as root) the postgres
// user cannot enter, uses both servers, restarts PostgreSQL on the same data
// and stops everything.
func TestStack(t *testing.T) {
	ctx := context.Background()
	// t.TempDir is mode 0700: as root, the postgres user cannot enter it,
	// which is the situation of a repo cloned under /root in CI.
	dir := filepath.Join(t.TempDir(), "stack")
	removeShadowAfter(t, filepath.Join(dir, "pg"))
	log := testLog{t}

	st, err := Up(ctx, StackOptions{Dir: dir, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Down() })

	pgDir := filepath.Join(dir, "pg")
	fi, err := os.Lstat(pgDir)
	if err != nil {
		t.Fatal(err)
	}
	isLink := fi.Mode()&os.ModeSymlink != 0
	if os.Geteuid() == 0 {
		if !isLink {
			t.Errorf("as root with an unreachable parent, %s should be a symlink to %s", pgDir, shadowDir(pgDir))
		} else if target, _ := os.Readlink(pgDir); target != shadowDir(pgDir) {
			t.Errorf("%s -> %s, want %s", pgDir, target, shadowDir(pgDir))
		}
	} else if isLink {
		t.Errorf("not root: %s should be a plain folder", pgDir)
	}
	if _, err := os.Stat(filepath.Join(dir, "postgres.log")); err != nil {
		t.Errorf("postgres log: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "minio.log")); err != nil {
		t.Errorf("minio log: %v", err)
	}

	// The environment names every variable, with this stack's values.
	env := map[string]string{}
	for _, kv := range st.Env() {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	for _, k := range []string{"LV_DATABASE_URL", "LV_S3_ENDPOINT", "LV_S3_ACCESS_KEY", "LV_S3_SECRET_KEY", "LV_S3_USE_TLS",
		"LV_TEST_PG_ADMIN_URL", "LV_TEST_DATABASE_URL", "LV_TEST_S3_ENDPOINT", "LV_TEST_S3_ACCESS_KEY", "LV_TEST_S3_SECRET_KEY", "LV_MINIO_BIN"} {
		if env[k] == "" {
			t.Errorf("Env() lacks %s", k)
		}
	}
	if env["LV_S3_USE_TLS"] != "false" || env["LV_DATABASE_URL"] != st.PG.URL() || env["LV_TEST_PG_ADMIN_URL"] != st.PG.AdminURL() ||
		env["LV_S3_ENDPOINT"] != st.S3.Endpoint() || env["LV_S3_ACCESS_KEY"] != DevS3AccessKey || env["LV_S3_SECRET_KEY"] != DevS3SecretKey {
		t.Errorf("Env() = %v", st.Env())
	}

	// The app role connects and is neither superuser nor BYPASSRLS.
	app := openDB(t, st.PG.URL())
	var who string
	var super, bypass bool
	if err := app.QueryRow(`SELECT current_user, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user`).Scan(&who, &super, &bypass); err != nil {
		t.Fatal(err)
	}
	if who != "lawvillage" || super || bypass {
		t.Errorf("app role: user %s superuser=%v bypassrls=%v", who, super, bypass)
	}
	// Passwords are checked: the wrong one is refused.
	bad := strings.Replace(st.PG.URL(), ":lawvillage@", ":wrong@", 1)
	if db, _ := sql.Open("postgres", bad); db.Ping() == nil {
		t.Errorf("a wrong password was accepted")
	} else {
		db.Close()
	}
	// TCP only: no Unix socket anywhere usual.
	for _, d := range []string{"/var/run/postgresql", "/tmp"} {
		if _, err := os.Stat(fmt.Sprintf("%s/.s.PGSQL.%d", d, st.PG.Port())); err == nil {
			t.Errorf("found a Unix socket in %s", d)
		}
	}

	// A database created later (as testenv does) has ltree, usable by the app role.
	admin := openDB(t, st.PG.AdminURL())
	if _, err := admin.Exec(`CREATE DATABASE lv_devstack_new OWNER lawvillage`); err != nil {
		t.Fatal(err)
	}
	fresh := openDB(t, withDB(t, st.PG.URL(), "lv_devstack_new"))
	var isAncestor bool
	if err := fresh.QueryRow(`SELECT 'a.b'::ltree @> 'a.b.c'::ltree`).Scan(&isAncestor); err != nil || !isAncestor {
		t.Errorf("ltree in a new database: %v %v", isAncestor, err)
	}
	fresh.Close()

	// MinIO answers its health check and takes an object with the dev keys.
	resp, err := http.Get("http://" + st.S3.Endpoint() + "/minio/health/ready")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("MinIO health: %s", resp.Status)
	}
	s3, err := minio.New(st.S3.Endpoint(), &minio.Options{Creds: credentials.NewStaticV4(DevS3AccessKey, DevS3SecretKey, "")})
	if err != nil {
		t.Fatal(err)
	}
	if err := s3.MakeBucket(ctx, "devstack-test", minio.MakeBucketOptions{}); err != nil {
		t.Fatal(err)
	}
	body := []byte("hello")
	if _, err := s3.PutObject(ctx, "devstack-test", "a.txt", bytes.NewReader(body), int64(len(body)), minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	obj, err := s3.GetObject(ctx, "devstack-test", "a.txt", minio.GetObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(obj)
	if err != nil || string(got) != "hello" {
		t.Errorf("object: %q %v", got, err)
	}

	// Data written before a restart is there after it.
	if _, err := app.Exec(`CREATE TABLE kept (x int); INSERT INTO kept VALUES (42)`); err != nil {
		t.Fatal(err)
	}
	app.Close()
	admin.Close()

	// A second server on the same data is refused with a clear error.
	if pg2, err := StartPostgres(ctx, PostgresOptions{DataDir: pgDir, Log: log}); err == nil {
		pg2.Stop()
		t.Fatal("a second server started on a data folder in use")
	} else if core.ErrorCode(err) != core.EUNAVAILABLE || !strings.Contains(err.Error(), "already using") {
		t.Errorf("second server: %v", err)
	}

	// Stop is clean: no error, the port is closed, postmaster.pid is gone.
	pgAddr := fmt.Sprintf("127.0.0.1:%d", st.PG.Port())
	if err := st.PG.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if !portClosed(pgAddr) {
		t.Errorf("PostgreSQL still listens on %s after Stop", pgAddr)
	}
	realDir, err := filepath.EvalSymlinks(pgDir)
	if err != nil {
		t.Fatal(err)
	}
	pidFile := filepath.Join(realDir, "postmaster.pid")
	if _, err := os.Stat(pidFile); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("postmaster.pid after a clean stop: %v", err)
	}

	// A postmaster.pid naming a PID that is now some other program (common
	// in containers after a crash) must not block a start.
	stale := fmt.Sprintf("%d\n%s\n0\n%d\n\n127.0.0.1\n0 0\nready\n", os.Getpid(), realDir, st.PG.Port())
	if err := os.WriteFile(pidFile, []byte(stale), 0o600); err != nil {
		t.Fatal(err)
	}
	pg, err := StartPostgres(ctx, PostgresOptions{DataDir: pgDir, Log: log})
	if err != nil {
		t.Fatalf("restart over a stale postmaster.pid: %v", err)
	}
	defer pg.Stop()
	checkKept(t, pg)

	// A crash (SIGKILL of the postmaster) leaves its own postmaster.pid;
	// the next start recovers, with the data.
	if err := pg.proc.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-pg.proc.done
	if _, err := os.Stat(pidFile); err != nil {
		t.Fatalf("no postmaster.pid after a crash: %v", err)
	}
	pg, err = StartPostgres(ctx, PostgresOptions{DataDir: pgDir, Log: log})
	if err != nil {
		t.Fatalf("restart after a crash: %v", err)
	}
	defer pg.Stop()
	checkKept(t, pg)
	if err := pg.Stop(); err != nil {
		t.Errorf("Stop after restart: %v", err)
	}

	s3Addr := st.S3.Endpoint()
	if err := st.Down(); err != nil { // PostgreSQL is stopped already: Down must still be clean
		t.Errorf("Down: %v", err)
	}
	if !portClosed(s3Addr) {
		t.Errorf("MinIO still listens on %s after Down", s3Addr)
	}
}

// checkKept checks that table kept still holds its row.
func checkKept(t *testing.T, pg *Postgres) {
	t.Helper()
	var x int
	if err := openDB(t, pg.URL()).QueryRow(`SELECT x FROM kept`).Scan(&x); err != nil || x != 42 {
		t.Errorf("after restart: x=%d err=%v", x, err)
	}
}

// TestPostgresReachableDir runs the cluster straight in the requested folder
// when the postgres user can reach it (no symlink).
func TestPostgresReachableDir(t *testing.T) {
	base, err := os.MkdirTemp("", "lv-devstack-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	pgDir := filepath.Join(base, "pg")
	pg, err := StartPostgres(context.Background(), PostgresOptions{DataDir: pgDir, Log: testLog{t}})
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Stop()
	fi, err := os.Lstat(pgDir)
	if err != nil {
		t.Fatal(err)
	}
	if !fi.IsDir() || fi.Mode().Perm() != 0o700 {
		t.Errorf("%s: mode %v, want a folder with mode 0700", pgDir, fi.Mode())
	}
	var super bool
	if err := openDB(t, pg.URL()).QueryRow(`SELECT rolsuper FROM pg_roles WHERE rolname = current_user`).Scan(&super); err != nil || super {
		t.Errorf("app role superuser=%v err=%v", super, err)
	}
	if err := pg.Stop(); err != nil {
		t.Errorf("Stop: %v", err)
	}
}

// TestExec runs a command with the stack up, sees the environment and exit
// code, and finds the servers stopped afterwards.
func TestExec(t *testing.T) {
	t.Setenv("LV_TEST_DATABASE_URL", "")
	t.Setenv("LV_TEST_S3_ENDPOINT", "")
	dir := filepath.Join(t.TempDir(), "stack")
	removeShadowAfter(t, filepath.Join(dir, "pg"))
	out := filepath.Join(t.TempDir(), "seen")
	script := `test "$LV_S3_USE_TLS" = false || exit 1
printf '%s\n%s\n' "$LV_S3_ENDPOINT" "$LV_DATABASE_URL" > "$OUT"
exit 7`
	t.Setenv("OUT", out)
	code, err := Exec(context.Background(), StackOptions{Dir: dir, Log: testLog{t}}, []string{"sh", "-c", script})
	if err != nil || code != 7 {
		t.Fatalf("Exec = %d, %v; want 7, nil", code, err)
	}
	seen, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(seen)), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[1], "postgres://lawvillage:") {
		t.Fatalf("the command saw %q", seen)
	}
	dbURL, err := url.Parse(lines[1])
	if err != nil {
		t.Fatal(err)
	}
	for _, addr := range []string{lines[0], dbURL.Host} {
		if !portClosed(addr) {
			t.Errorf("%s still open after Exec", addr)
		}
	}
}

// TestExecUsesGivenServices starts nothing when the test services are named
// in the environment.
func TestExecUsesGivenServices(t *testing.T) {
	t.Setenv("LV_TEST_DATABASE_URL", "postgres://elsewhere/db")
	t.Setenv("LV_TEST_S3_ENDPOINT", "elsewhere:9000")
	dir := filepath.Join(t.TempDir(), "stack")
	code, err := Exec(context.Background(), StackOptions{Dir: dir}, []string{"sh", "-c", `test "$LV_TEST_S3_ENDPOINT" = elsewhere:9000 && kill -TERM $$`})
	if err != nil || code != 128+15 {
		t.Errorf("Exec = %d, %v; want 143, nil", code, err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Exec created %s although the services were given", dir)
	}
}

// TestFindPostgresBin finds initdb and postgres.
func TestFindPostgresBin(t *testing.T) {
	dir, err := FindPostgresBin()
	if err != nil {
		t.Fatal(err)
	}
	if !hasPostgresServer(dir) {
		t.Errorf("%s lacks initdb or postgres", dir)
	}
}

// TestUpFailsCleanly: when PostgreSQL cannot start (its port is taken), Up
// reports why, quoting the server log, and stops the MinIO it had started.
func TestUpFailsCleanly(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	s3Port, err := FreePort()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "stack")
	removeShadowAfter(t, filepath.Join(dir, "pg"))
	st, err := Up(context.Background(), StackOptions{
		Dir: dir, PGPort: busy.Addr().(*net.TCPAddr).Port, S3Port: s3Port, Log: testLog{t},
	})
	if err == nil {
		st.Down()
		t.Fatal("Up succeeded on a taken port")
	}
	if core.ErrorCode(err) != core.EUNAVAILABLE || !strings.Contains(err.Error(), "could not bind") {
		t.Errorf("Up error lacks the code or the log's reason: %v", err)
	}
	t.Log(err)
	if !portClosed(fmt.Sprintf("127.0.0.1:%d", s3Port)) {
		t.Errorf("MinIO still runs after Up failed")
	}
}

// TestCancelledStartRecovers: a start cancelled half-way (a Ctrl-C during
// the first initdb) leaves nothing that blocks the next start.
func TestCancelledStartRecovers(t *testing.T) {
	pgDir := filepath.Join(t.TempDir(), "stack", "pg")
	removeShadowAfter(t, pgDir)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if pg, err := StartPostgres(ctx, PostgresOptions{DataDir: pgDir, Log: testLog{t}}); err == nil {
		pg.Stop()
		t.Fatal("the start was not cancelled")
	} else if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("cancelled start: %v", err)
	}
	pg, err := StartPostgres(context.Background(), PostgresOptions{DataDir: pgDir, Log: testLog{t}})
	if err != nil {
		t.Fatalf("start after a cancelled one: %v", err)
	}
	if err := pg.Stop(); err != nil {
		t.Errorf("Stop: %v", err)
	}
}
