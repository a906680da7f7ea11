package objectstore

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lawvillage/lawvillage/internal/core"
)

// minioProc is a MinIO server this test runs itself.
type minioProc struct {
	t       *testing.T
	bin     string
	dataDir string
	addr    string
	console string
	logPath string
	cmd     *exec.Cmd
}

const (
	ownUser   = "lawvillage-test"
	ownSecret = "lawvillage-test-secret"
)

func (m *minioProc) start() {
	m.t.Helper()
	logf, err := os.OpenFile(m.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		m.t.Fatal(err)
	}
	cmd := exec.Command(m.bin, "server", m.dataDir, "--address", m.addr, "--console-address", m.console, "--quiet")
	cmd.Env = append(os.Environ(),
		"MINIO_ROOT_USER="+ownUser,
		"MINIO_ROOT_PASSWORD="+ownSecret,
		"MINIO_BROWSER=off",
		"MINIO_UPDATE=off",
	)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		m.t.Fatalf("start %s: %v", m.bin, err)
	}
	logf.Close()
	m.cmd = cmd
}

// stop kills the server (as a crash would) and waits for it to exit.
func (m *minioProc) stop() {
	if m.cmd == nil {
		return
	}
	_ = m.cmd.Process.Kill()
	_ = m.cmd.Wait()
	m.cmd = nil
}

func (m *minioProc) log() string {
	b, _ := os.ReadFile(m.logPath)
	return string(b)
}

// waitReady retries f until it succeeds or 60 s pass.
func (m *minioProc) waitReady(what string, f func() error) {
	m.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			m.t.Fatalf("MinIO not ready (%s): %v\nlog:\n%s", what, err, m.log())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestServerStopAndRestart runs its own MinIO, stops it after a successful
// Put, shows that Put then fails fast with EUNAVAILABLE, restarts it on the
// same data directory and finds the earlier object intact.
func TestServerStopAndRestart(t *testing.T) {
	bin := os.Getenv("LV_MINIO_BIN")
	if bin == "" {
		t.Fatal("run via make test: LV_MINIO_BIN must name the minio binary")
	}
	dir := t.TempDir()
	m := &minioProc{
		t: t, bin: bin,
		dataDir: filepath.Join(dir, "data"),
		addr:    closedAddr(t),
		console: closedAddr(t),
		logPath: filepath.Join(dir, "minio.log"),
	}
	t.Cleanup(m.stop) // runs before TempDir removal
	m.start()

	s, err := New(Config{Endpoint: m.addr, AccessKey: ownUser, SecretKey: ownSecret, Bucket: "lv-restart"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	m.waitReady("EnsureBucket", func() error { return s.EnsureBucket(ctx) })

	content := bytes.Repeat([]byte("签到表 sign-in sheet\n"), 1000)
	if _, err := s.Put(ctx, "ev/before", bytes.NewReader(content), int64(len(content)), "text/plain"); err != nil {
		t.Fatalf("Put while up: %v", err)
	}

	m.stop()

	start := time.Now()
	_, err = s.Put(ctx, "ev/during", strings.NewReader("lost"), -1, "text/plain")
	took := time.Since(start)
	t.Logf("Put while down took %v: %v", took, err)
	wantCode(t, err, core.EUNAVAILABLE)
	if took > 4*time.Second {
		t.Errorf("Put while down took %v", took)
	}
	_, err = s.Stat(ctx, "ev/before")
	wantCode(t, err, core.EUNAVAILABLE)
	wantCode(t, s.Ping(ctx), core.EUNAVAILABLE)

	m.start()
	m.waitReady("Ping", func() error { return s.Ping(ctx) })

	st, err := s.Stat(ctx, "ev/before")
	if err != nil {
		t.Fatalf("Stat after restart: %v", err)
	}
	if st.Size != int64(len(content)) || st.ContentType != "text/plain" {
		t.Fatalf("Stat after restart = %+v", st)
	}
	rc, _, err := s.Open(ctx, "ev/before")
	if err != nil {
		t.Fatalf("Open after restart: %v", err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || !bytes.Equal(got, content) {
		t.Fatalf("content after restart: %d bytes, %v", len(got), err)
	}
	_, err = s.Stat(ctx, "ev/during")
	wantCode(t, err, core.ENOTFOUND)
	if _, err := s.Put(ctx, "ev/after", strings.NewReader("ok"), 2, "text/plain"); err != nil {
		t.Fatalf("Put after restart: %v", err)
	}
}
