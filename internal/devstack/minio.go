package devstack

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/lawvillage/lawvillage/internal/core"
)

// MinioVersion is the version of github.com/minio/minio that devstack builds
// when no minio binary is given (LV_MINIO_BIN) or found on PATH.
const MinioVersion = "v0.0.0-20260212201848-7aac2a2c5b7c"

const (
	minioModule       = "github.com/minio/minio"
	minioReadyTimeout = 30 * time.Second
	minioStopGrace    = 15 * time.Second
)

// MinioOptions says where a private MinIO keeps its data, listens, and which
// root credentials it has.
type MinioOptions struct {
	DataDir   string    // object folder; the log goes to DataDir/../minio.log
	Port      int       // S3 port on 127.0.0.1; 0 picks a free one
	AccessKey string    // root user; empty means DevS3AccessKey
	SecretKey string    // root password (8+ characters); empty means DevS3SecretKey
	Log       io.Writer // progress lines for the user; nil discards them
}

// Minio is a running private MinIO server.
type Minio struct {
	bin       string
	port      int
	accessKey string
	secretKey string
	logPath   string
	log       io.Writer
	proc      *proc

	stopOnce sync.Once
	stopErr  error
}

// MinioBin returns the minio server binary to use: $LV_MINIO_BIN, else
// `minio` on PATH, else the copy in the user cache folder, which it builds
// there with `go install` the first time (about 3 minutes).
func MinioBin(ctx context.Context, log io.Writer) (string, error) {
	if p := os.Getenv("LV_MINIO_BIN"); p != "" {
		fi, err := os.Stat(p)
		if err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
			return "", core.Errorf(core.EUNAVAILABLE,
				"LV_MINIO_BIN=%s 不是可执行文件。", "LV_MINIO_BIN=%s is not an executable file", p)
		}
		return filepath.Abs(p)
	}
	if p, err := exec.LookPath("minio"); err == nil {
		return filepath.Abs(p)
	}
	p, err := minioCachePath()
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(p); err == nil {
		return p, nil
	}
	if err := installMinio(ctx, p, newSyncWriter(log)); err != nil {
		return "", err
	}
	return p, nil
}

// minioCachePath is <user cache dir>/lawvillage/minio/<MinioVersion>/minio.
func minioCachePath() (string, error) {
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("devstack: no user cache folder for the MinIO build (set LV_MINIO_BIN): %w", err)
	}
	return filepath.Join(cache, "lawvillage", "minio", MinioVersion, "minio"), nil
}

// installMinio builds MinIO with `go install` into a fresh folder next to
// dest and then moves the binary to dest, so that a run that is interrupted,
// or two runs at once, never leave a half-written binary there.
func installMinio(ctx context.Context, dest string, log io.Writer) error {
	goCmd, err := exec.LookPath("go")
	if err != nil {
		return core.Errorf(core.EUNAVAILABLE,
			"找不到 minio 服务器程序，也没有 Go 工具链来构建它。请安装 Go，或把 LV_MINIO_BIN 设为 minio 可执行文件的路径。",
			"no minio server binary was found, and there is no Go toolchain to build one; install Go, or set LV_MINIO_BIN to a minio executable")
	}
	dir := filepath.Dir(dest)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("devstack: %w", err)
	}
	tmp, err := os.MkdirTemp(dir, ".install-")
	if err != nil {
		return fmt.Errorf("devstack: %w", err)
	}
	defer os.RemoveAll(tmp)

	logf(log, "building MinIO %s once into %s (about 3 minutes; later runs reuse it)", MinioVersion, dest)
	start := time.Now()
	cmd := exec.CommandContext(ctx, goCmd, "install", minioModule+"@"+MinioVersion)
	cmd.Dir = tmp // outside any module, so no go.mod or go.work gets in the way
	cmd.Env = append(os.Environ(), "GOBIN="+tmp, "GOWORK=off")
	out, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("devstack: go install: %w", err)
	}

	// Copy the go command's lines to the user and keep the last ones for an
	// error; say every 30 s that the build is still going.
	var last []string
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			fmt.Fprintf(log, "  %s\n", sc.Text())
			if last = append(last, sc.Text()); len(last) > 20 {
				last = last[1:]
			}
		}
		_, _ = io.Copy(io.Discard, out) // a line too long for the scanner
	}()
	tick := time.NewTicker(30 * time.Second)
	defer tick.Stop()
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	var runErr error
wait:
	for {
		select {
		case runErr = <-waited:
			break wait
		case <-tick.C:
			logf(log, "still building MinIO (%s so far)", time.Since(start).Round(time.Second))
		}
	}
	pw.Close()
	<-copied
	if runErr != nil && ctx.Err() != nil {
		return fmt.Errorf("devstack: building MinIO: %w", ctx.Err())
	}
	if runErr != nil {
		return core.Errorf(core.EUNAVAILABLE,
			"构建 MinIO 失败（go install %s@%s）：%v\n%s\n可以把 LV_MINIO_BIN 设为已有的 minio 可执行文件。",
			"building MinIO failed (go install %s@%s): %v\n%s\nYou can set LV_MINIO_BIN to an existing minio executable instead.",
			minioModule, MinioVersion, runErr, strings.Join(last, "\n"))
	}
	if err := os.Rename(filepath.Join(tmp, "minio"), dest); err != nil {
		return fmt.Errorf("devstack: install MinIO: %w", err)
	}
	logf(log, "MinIO built in %s: %s", time.Since(start).Round(time.Second), dest)
	return nil
}

// StartMinio starts a private MinIO on 127.0.0.1 (building the binary first
// if needed, see MinioBin) and waits until it reports ready.
func StartMinio(ctx context.Context, opts MinioOptions) (*Minio, error) {
	log := newSyncWriter(opts.Log)
	if opts.DataDir == "" {
		return nil, errors.New("devstack: MinioOptions.DataDir is empty")
	}
	bin, err := MinioBin(ctx, log)
	if err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(opts.DataDir)
	if err != nil {
		return nil, fmt.Errorf("devstack: %w", err)
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return nil, fmt.Errorf("devstack: create %s: %w", abs, err)
	}
	m := &Minio{
		bin: bin, port: opts.Port, accessKey: opts.AccessKey, secretKey: opts.SecretKey, log: log,
		logPath: filepath.Join(filepath.Dir(abs), "minio.log"),
	}
	if m.accessKey == "" {
		m.accessKey = DevS3AccessKey
	}
	if m.secretKey == "" {
		m.secretKey = DevS3SecretKey
	}
	if m.port == 0 {
		if m.port, err = FreePort(); err != nil {
			return nil, err
		}
	}
	consolePort, err := FreePort()
	if err != nil {
		return nil, err
	}
	logFile, logStart, err := openLog(m.logPath)
	if err != nil {
		return nil, err
	}
	defer logFile.Close() // the server keeps its own copy of the descriptor
	// failed reports a failed start; the log's last lines go at the end of
	// the English half, which Error() prints last.
	failed := func(err error) error {
		if ctx.Err() != nil { // cancelled by the caller: not the server's fault
			return fmt.Errorf("devstack: MinIO start: %w", ctx.Err())
		}
		return &core.Error{Code: core.EUNAVAILABLE,
			Zh: fmt.Sprintf("MinIO 启动失败：%v（日志：%s）", err, m.logPath),
			En: fmt.Sprintf("MinIO failed to start: %v (log: %s)%s", err, m.logPath, logTail(m.logPath, logStart, 15)),
		}
	}

	logf(log, "starting MinIO (%s) on 127.0.0.1:%d, log %s", bin, m.port, m.logPath)
	cmd := exec.Command(bin, "server", abs,
		"--address", fmt.Sprintf("127.0.0.1:%d", m.port),
		"--console-address", fmt.Sprintf("127.0.0.1:%d", consolePort),
		// Keep MinIO's certs folder next to its data instead of ~/.minio.
		"--certs-dir", filepath.Join(filepath.Dir(abs), "minio-certs"),
	)
	cmd.Dir = filepath.Dir(abs)
	cmd.Env = append(filterEnv(os.Environ(), "MINIO_"),
		"MINIO_ROOT_USER="+m.accessKey,
		"MINIO_ROOT_PASSWORD="+m.secretKey,
		"MINIO_BROWSER=off", // no web console
		"MINIO_UPDATE=off",
	)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = serverAttr(nil, syscall.SIGTERM)
	if m.proc, err = startProc("MinIO", cmd); err != nil {
		return nil, failed(err)
	}
	if err := m.waitReady(ctx); err != nil {
		_ = m.Stop()
		return nil, failed(err)
	}
	logf(log, "MinIO ready: http://%s", m.Endpoint())
	return m, nil
}

// waitReady polls GET /minio/health/ready until it answers 200.
func (m *Minio) waitReady(ctx context.Context) error {
	client := &http.Client{Timeout: 2 * time.Second}
	url := "http://" + m.Endpoint() + "/minio/health/ready"
	deadline := time.Now().Add(minioReadyTimeout)
	var lastErr error
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("GET %s: %s", url, resp.Status)
		}
		lastErr = err
		if time.Now().After(deadline) {
			return fmt.Errorf("not ready after %s: %v", minioReadyTimeout, lastErr)
		}
		select {
		case <-m.proc.done:
			return m.proc.exitErr()
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Endpoint is the server's host:port.
func (m *Minio) Endpoint() string { return fmt.Sprintf("127.0.0.1:%d", m.port) }

// BinPath is the minio binary the server runs.
func (m *Minio) BinPath() string { return m.bin }

// AccessKey is the root user of the server.
func (m *Minio) AccessKey() string { return m.accessKey }

// SecretKey is the root password of the server.
func (m *Minio) SecretKey() string { return m.secretKey }

// LogPath is the server's log file.
func (m *Minio) LogPath() string { return m.logPath }

// Stop shuts the server down (SIGTERM), waits for it, and kills it if it is
// not gone within 15 s. Later calls return the first result.
func (m *Minio) Stop() error {
	m.stopOnce.Do(func() {
		if m.proc == nil {
			return
		}
		if !m.proc.exited() {
			logf(m.log, "stopping MinIO on %s", m.Endpoint())
		}
		m.stopErr = m.proc.stop(syscall.SIGTERM, minioStopGrace)
	})
	return m.stopErr
}
