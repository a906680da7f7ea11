package faults

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lawvillage/lawvillage/internal/gen"
	"github.com/lawvillage/lawvillage/internal/testenv"
)

// buildBinary builds the lawvillage command into a temporary folder.
func buildBinary(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root not found at %s: %v", root, err)
	}
	bin := filepath.Join(t.TempDir(), "lawvillage")
	start := time.Now()
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	t.Logf("built %s in %v", bin, time.Since(start).Round(time.Millisecond))
	return bin
}

// importEnv is the environment of a lawvillage process on the test's
// database and S3 server (and nothing else of ours).
func importEnv(t *testing.T, dbURL string) []string {
	endpoint, ak, sk, bucket := testenv.S3Config(t)
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "LV_") {
			env = append(env, kv)
		}
	}
	return append(env, "LV_DATABASE_URL="+dbURL, "LV_S3_ENDPOINT="+endpoint, "LV_S3_ACCESS_KEY="+ak,
		"LV_S3_SECRET_KEY="+sk, "LV_S3_BUCKET="+bucket, "LV_LOG_LEVEL=warn", "LV_SCHEDULER=false")
}

// TestFaultImportKilled starts `lawvillage import regions` on a province
// listing (23,608 regions) and kills it (SIGKILL) while it writes, after it
// has written three of the five levels in its transaction. The database then
// holds no region at all (all or nothing), and importing the file again
// completes with every row, each once.
func TestFaultImportKilled(t *testing.T) {
	bin := buildBinary(t)
	dbURL := testenv.DatabaseURL(t)
	env := importEnv(t, dbURL)
	admin := testAdmin(t, dbURL)

	regions := gen.Province(7, gen.JiangsuScale())
	file := filepath.Join(t.TempDir(), "province.csv")
	var buf bytes.Buffer
	if err := gen.WriteCSV(&buf, regions); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "import", "regions", file)
	cmd.Env = env
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var seen []string
	killed := false
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		line := sc.Text()
		seen = append(seen, line)
		if strings.Contains(line, "level 3 written") {
			// The transaction holds the first three levels; levels 4 and 5
			// (23,490 rows) are being written.
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatalf("kill: %v", err)
			}
			killed = true
			break
		}
	}
	err = cmd.Wait()
	t.Logf("import output before the kill: %q", seen)
	if !killed {
		t.Fatalf("the import ended (%v, stdout %q) before it reached level 3", err, stdout.String())
	}
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("the import was not killed: %v (stdout %q)", err, stdout.String())
	}

	if n := scalar[int](t, admin, `SELECT count(*) FROM regions`); n != 0 {
		t.Fatalf("%d regions stored after the import was killed, want none", n)
	}
	// The killed client's session ends and its transaction rolls back.
	deadline := time.Now().Add(30 * time.Second)
	for scalar[int](t, admin, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND usename = 'lawvillage'`) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the killed import's session is still there: %v",
				rowSet(t, admin, `SELECT state, left(query, 60) FROM pg_stat_activity WHERE datname = current_database() AND usename = 'lawvillage'`))
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n := scalar[int](t, admin, `SELECT count(*) FROM regions`); n != 0 {
		t.Fatalf("%d regions stored after the killed import's session ended, want none", n)
	}

	// Importing again completes, with every row once.
	again := exec.CommandContext(ctx, bin, "import", "regions", file)
	again.Env = env
	out, err := again.CombinedOutput()
	if err != nil {
		t.Fatalf("import again: %v\n%s", err, out)
	}
	if !regexp.MustCompile(`: 23608 inserted, 0 updated, 0 unchanged`).Match(out) {
		t.Errorf("second import said: %s", out)
	}
	if n := scalar[int](t, admin, `SELECT count(*) FROM regions`); n != len(regions) {
		t.Errorf("%d regions stored, want %d", n, len(regions))
	}
	if n := scalar[int](t, admin, `SELECT count(DISTINCT code) FROM regions`); n != len(regions) {
		t.Errorf("%d distinct codes, want %d", n, len(regions))
	}
	t.Logf("second import: %s", strings.TrimSpace(lastLine(string(out))))
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}
