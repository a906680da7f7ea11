package devstack

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/lib/pq"

	"github.com/lawvillage/lawvillage/internal/core"
)

const (
	pgReadyTimeout = 30 * time.Second // how long a start may take
	pgStopGrace    = 30 * time.Second // how long a fast shutdown may take before SIGKILL

	// superuserPasswordFile holds the generated password of the superuser
	// `postgres`, inside the data directory (mode 0600).
	superuserPasswordFile = "lawvillage-superuser-password"

	// shadowPrefix names the folder that holds the cluster when the requested
	// data directory cannot be reached by the OS user postgres (see prepareDataDir).
	shadowPrefix = "/var/tmp/lawvillage-pg-"
)

// FindPostgresBin returns the folder holding the PostgreSQL server programs
// (initdb, postgres): the one on PATH, else the newest /usr/lib/postgresql/*/bin.
func FindPostgresBin() (dir string, err error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		if hasPostgresServer(filepath.Dir(p)) {
			return filepath.Dir(p), nil
		}
	}
	// Debian and Ubuntu keep the server programs off PATH, one folder per version.
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return pgDirVersion(dirs[i]) > pgDirVersion(dirs[j]) })
	for _, d := range dirs {
		if hasPostgresServer(d) {
			return d, nil
		}
	}
	return "", core.Errorf(core.EUNAVAILABLE,
		"未找到 PostgreSQL 服务器程序（initdb、postgres），PATH 和 /usr/lib/postgresql/*/bin 中都没有。请安装：Debian/Ubuntu 执行 `apt-get install postgresql`（需要含 ltree 扩展的 contrib），Fedora 执行 `dnf install postgresql-server postgresql-contrib`，macOS 执行 `brew install postgresql@15`。",
		"PostgreSQL server programs (initdb, postgres) were not found on PATH or in /usr/lib/postgresql/*/bin. Install them: Debian/Ubuntu `apt-get install postgresql` (includes the contrib extension ltree), Fedora `dnf install postgresql-server postgresql-contrib`, macOS `brew install postgresql@15`.")
}

// hasPostgresServer reports whether dir holds executable initdb and postgres.
func hasPostgresServer(dir string) bool {
	for _, name := range []string{"initdb", "postgres"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
			return false
		}
	}
	return true
}

// pgDirVersion returns the major version in /usr/lib/postgresql/<v>/bin, or 0.
func pgDirVersion(dir string) float64 {
	v, _ := strconv.ParseFloat(filepath.Base(filepath.Dir(dir)), 64)
	return v
}

// PostgresOptions says where a private PostgreSQL keeps its data and listens.
type PostgresOptions struct {
	DataDir string    // cluster folder; created (initdb) on first use; the log goes to DataDir/../postgres.log
	Port    int       // port on 127.0.0.1; 0 picks a free one
	Log     io.Writer // progress lines for the user; nil discards them
}

// Postgres is a running private PostgreSQL server.
type Postgres struct {
	dataDir   string // as requested (absolute); may be a symlink to realDir
	realDir   string // the folder the server really uses
	logPath   string
	port      int
	adminPass string
	log       io.Writer
	proc      *proc

	stopOnce sync.Once
	stopErr  error
}

// runAs is the OS account that runs initdb and postgres.
type runAs struct {
	cred     *syscall.Credential // nil: the current user
	uid, gid int
	name     string
}

// postgresAccount returns the account to run PostgreSQL as: the current user,
// or, when that is root (which PostgreSQL refuses), the OS user postgres.
func postgresAccount() (*runAs, error) {
	if os.Geteuid() != 0 {
		return &runAs{uid: os.Geteuid(), gid: os.Getegid(), name: "current user"}, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, core.Errorf(core.EUNAVAILABLE,
			"以 root 运行时 PostgreSQL 必须以系统用户 postgres 运行，但该用户不存在。请安装 postgresql 软件包（会创建该用户），或以普通用户运行。",
			"PostgreSQL refuses to run as root, and there is no OS user `postgres` to run it as. Install the postgresql package (which creates that user) or run as an ordinary user.")
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &runAs{
		cred: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}},
		uid:  uid, gid: gid, name: "postgres",
	}, nil
}

// StartPostgres starts a private PostgreSQL on 127.0.0.1 (creating the
// cluster on first use), waits until it accepts connections and makes sure
// the role and database `lawvillage` and the ltree extension exist.
func StartPostgres(ctx context.Context, opts PostgresOptions) (*Postgres, error) {
	log := newSyncWriter(opts.Log)
	if opts.DataDir == "" {
		return nil, errors.New("devstack: PostgresOptions.DataDir is empty")
	}
	bin, err := FindPostgresBin()
	if err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(opts.DataDir)
	if err != nil {
		return nil, fmt.Errorf("devstack: %w", err)
	}
	port := opts.Port
	if port == 0 {
		if port, err = FreePort(); err != nil {
			return nil, err
		}
	}
	as, err := postgresAccount()
	if err != nil {
		return nil, err
	}
	realDir, err := prepareDataDir(abs, as, log)
	if err != nil {
		return nil, err
	}
	p := &Postgres{
		dataDir: abs, realDir: realDir, port: port, log: log,
		logPath: filepath.Join(filepath.Dir(abs), "postgres.log"),
	}
	logFile, logStart, err := openLog(p.logPath)
	if err != nil {
		return nil, err
	}
	defer logFile.Close() // the server keeps its own copy of the descriptor
	// failed reports a failed step; the log's last lines go at the end of
	// the English half, which Error() prints last.
	failed := func(zhWhat, enWhat string, err error) error {
		if ctx.Err() != nil { // cancelled by the caller: not the server's fault
			return fmt.Errorf("devstack: PostgreSQL %s: %w", enWhat, ctx.Err())
		}
		return &core.Error{Code: core.EUNAVAILABLE,
			Zh: fmt.Sprintf("PostgreSQL %s失败：%v（日志：%s）", zhWhat, err, p.logPath),
			En: fmt.Sprintf("PostgreSQL %s failed: %v (log: %s)%s", enWhat, err, p.logPath, logTail(p.logPath, logStart, 15)),
		}
	}

	if _, err := os.Stat(filepath.Join(realDir, "PG_VERSION")); errors.Is(err, os.ErrNotExist) {
		logf(log, "creating a PostgreSQL cluster in %s (first run)", abs)
		if err := initdb(ctx, bin, realDir, as, logFile); err != nil {
			return nil, failed("初始化（initdb）", "initdb", err)
		}
	}
	pass, err := os.ReadFile(filepath.Join(realDir, superuserPasswordFile))
	if err != nil {
		return nil, core.Errorf(core.EUNAVAILABLE,
			"%s 中的 PostgreSQL 集群不完整或不是由 devstack 创建的（缺少 %s）。请删除该目录后重试。",
			"the PostgreSQL cluster in %s is incomplete or was not made by devstack (%s is missing); remove that folder and try again",
			abs, superuserPasswordFile)
	}
	p.adminPass = strings.TrimSpace(string(pass))
	if err := clearStalePID(realDir, abs, log); err != nil {
		return nil, err
	}

	logf(log, "starting PostgreSQL (%s) on 127.0.0.1:%d, log %s", bin, port, p.logPath)
	launch := func() error {
		cmd := exec.Command(filepath.Join(bin, "postgres"),
			"-D", realDir,
			"-p", strconv.Itoa(port),
			"-c", "listen_addresses=127.0.0.1",
			"-c", "unix_socket_directories=", // TCP only: no socket in /var/run or /tmp
			"-c", "password_encryption=scram-sha-256",
			"-c", "max_connections=200", // room for many test packages at once
		)
		cmd.Dir = "/" // our working directory may be unreadable for the postgres user
		cmd.Env = pgEnv()
		cmd.Stdout, cmd.Stderr = logFile, logFile
		cmd.SysProcAttr = serverAttr(as.cred, syscall.SIGINT) // SIGINT = fast shutdown
		var err error
		if p.proc, err = startProc("PostgreSQL", cmd); err != nil {
			return err
		}
		if err := p.waitReady(ctx); err != nil {
			// Not p.Stop: its once must stay unused for the server that succeeds.
			_ = p.proc.stop(syscall.SIGINT, pgStopGrace)
			return err
		}
		return nil
	}
	// After a crash the old server's backends may hold its shared memory for a
	// moment: PostgreSQL refuses to start until they have gone, so wait for them.
	for attempt := 0; ; attempt++ {
		err := launch()
		if err == nil {
			break
		}
		if attempt < 20 && ctx.Err() == nil && strings.Contains(logTail(p.logPath, logStart, 15), "pre-existing shared memory block") {
			logf(log, "the previous server's processes are still exiting; retrying")
			time.Sleep(500 * time.Millisecond)
			if err := clearStalePID(realDir, abs, log); err != nil {
				return nil, err
			}
			continue
		}
		return nil, failed("启动", "start", err)
	}
	if err := p.setup(ctx); err != nil {
		_ = p.Stop()
		return nil, failed("设置", "setup", err)
	}
	logf(log, "PostgreSQL ready: %s", p.URL())
	return p, nil
}

// pgEnv is our environment without PG* variables, which could redirect initdb.
func pgEnv() []string {
	return append(filterEnv(os.Environ(), "PG", "LC_", "LANG="), "LANG=C")
}

// initdb creates a cluster in dir: UTF8, locale C, superuser postgres with a
// generated password, SCRAM password authentication for every TCP connection.
func initdb(ctx context.Context, bin, dir string, as *runAs, logFile *os.File) error {
	pass := make([]byte, 18)
	if _, err := rand.Read(pass); err != nil {
		return err
	}
	password := hex.EncodeToString(pass)

	// initdb reads the password from a file; the postgres user must be able
	// to read it, and the data folder's parent is known to be reachable.
	pw, err := os.CreateTemp(filepath.Dir(dir), ".lawvillage-pgpass-*")
	if err != nil {
		return err
	}
	defer os.Remove(pw.Name())
	if _, err := pw.WriteString(password + "\n"); err != nil {
		pw.Close()
		return err
	}
	if err := pw.Close(); err != nil {
		return err
	}
	if err := os.Chown(pw.Name(), as.uid, as.gid); err != nil {
		return err
	}

	cmd := exec.CommandContext(ctx, filepath.Join(bin, "initdb"),
		"-D", dir,
		"-U", "postgres",
		"--pwfile="+pw.Name(),
		"--auth=scram-sha-256",
		"--encoding=UTF8",
		"--locale=C",
	)
	cmd.Dir = "/"
	cmd.Env = pgEnv()
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: as.cred}
	// On cancel, SIGINT lets initdb remove what it made, so the next start
	// begins afresh instead of finding half a cluster.
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 10 * time.Second
	if err := cmd.Run(); err != nil {
		return err
	}
	pf := filepath.Join(dir, superuserPasswordFile)
	if err := os.WriteFile(pf, []byte(password+"\n"), 0o600); err != nil {
		return err
	}
	return os.Chown(pf, as.uid, as.gid)
}

// shadowDir is where the cluster of data directory abs really lives when the
// postgres user cannot reach abs: a folder named by a hash of abs.
func shadowDir(abs string) string {
	sum := sha256.Sum256([]byte(abs))
	return shadowPrefix + hex.EncodeToString(sum[:])[:12]
}

// prepareDataDir makes sure the cluster folder exists, belongs to the account
// that runs PostgreSQL and has mode 0700, and returns its real path.
//
// As root, PostgreSQL runs as the OS user postgres, which often cannot reach
// a folder under /root (where CI clones the repo). Then the cluster lives in
// shadowDir(abs) and abs becomes a symlink to it, reused on later starts.
func prepareDataDir(abs string, as *runAs, log io.Writer) (string, error) {
	parent := filepath.Dir(abs)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return "", fmt.Errorf("devstack: create %s: %w", parent, err)
	}
	real := abs
	if fi, err := os.Lstat(abs); err == nil && fi.Mode()&os.ModeSymlink != 0 {
		// A symlink from an earlier start (or made by the user): follow it.
		target, err := os.Readlink(abs)
		if err != nil {
			return "", fmt.Errorf("devstack: %w", err)
		}
		if !filepath.IsAbs(target) {
			target = filepath.Join(parent, target)
		}
		real = filepath.Clean(target)
		if strings.HasPrefix(real, shadowPrefix) {
			// /var/tmp may have been cleaned since: start afresh there.
			if err := makeShadow(real, as); err != nil {
				return "", err
			}
		}
	} else if as.cred != nil && !canTraverse(as, parent) {
		real = shadowDir(abs)
		if err == nil { // abs exists as a real folder: only an empty one may go
			if err := os.Remove(abs); err != nil {
				return "", core.Errorf(core.EUNAVAILABLE,
					"系统用户 postgres 无法进入 %s，且 %s 已存在且不为空。请删除它，或把仓库放在 postgres 可访问的位置。",
					"the OS user postgres cannot reach %s, and %s already exists and is not empty; remove it, or keep the repo where postgres can reach it",
					parent, abs)
			}
		}
		if err := makeShadow(real, as); err != nil {
			return "", err
		}
		if err := os.Symlink(real, abs); err != nil {
			return "", fmt.Errorf("devstack: %w", err)
		}
		logf(log, "the OS user postgres cannot reach %s: keeping the cluster in %s (symlinked from %s)", parent, real, abs)
	}

	if err := os.Mkdir(real, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return "", fmt.Errorf("devstack: create %s: %w", real, err)
	}
	fi, err := os.Stat(real)
	if err != nil {
		return "", fmt.Errorf("devstack: %w", err)
	}
	if !fi.IsDir() {
		return "", fmt.Errorf("devstack: %s is not a folder", real)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != as.uid {
		// Only take over a folder that holds no cluster yet.
		if _, err := os.Stat(filepath.Join(real, "PG_VERSION")); err == nil {
			return "", core.Errorf(core.EUNAVAILABLE,
				"%s 中的 PostgreSQL 集群属于另一个用户（uid %d），而服务器要以 %s 运行。请删除该目录后重试。",
				"the PostgreSQL cluster in %s belongs to another user (uid %d) but the server runs as %s; remove that folder and try again",
				real, st.Uid, as.name)
		}
		if err := os.Chown(real, as.uid, as.gid); err != nil {
			return "", fmt.Errorf("devstack: %w", err)
		}
	}
	// PostgreSQL refuses a data folder that others can read.
	if err := os.Chmod(real, 0o700); err != nil {
		return "", fmt.Errorf("devstack: %w", err)
	}
	if as.cred != nil && !canTraverse(as, real) {
		return "", core.Errorf(core.EUNAVAILABLE,
			"系统用户 postgres 无法进入 %s。", "the OS user postgres cannot reach %s", real)
	}
	return real, nil
}

// makeShadow creates dir (under world-writable /var/tmp) for the postgres user,
// refusing anything there that is not a plain folder of that user or root.
func makeShadow(dir string, as *runAs) error {
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("devstack: create %s: %w", dir, err)
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("devstack: %w", err)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !fi.IsDir() || (ok && int(st.Uid) != as.uid && st.Uid != 0) {
		return fmt.Errorf("devstack: %s exists but is not a folder of %s; remove it", dir, as.name)
	}
	return os.Chown(dir, as.uid, as.gid)
}

// canTraverse reports whether the account as can enter dir, by asking the
// system as that account (mode bits alone miss ACLs and parent folders).
func canTraverse(as *runAs, dir string) bool {
	test := "/usr/bin/test"
	if _, err := os.Stat(test); err != nil {
		test = "/bin/test"
	}
	cmd := exec.Command(test, "-x", dir)
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: as.cred}
	return cmd.Run() == nil
}

// clearStalePID removes a postmaster.pid left by a crashed server, and
// returns an error if the server it names is still running.
func clearStalePID(realDir, abs string, log io.Writer) error {
	pidFile := filepath.Join(realDir, "postmaster.pid")
	data, err := os.ReadFile(pidFile)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("devstack: %w", err)
	}
	first, _, _ := strings.Cut(string(data), "\n")
	pid, _ := strconv.Atoi(strings.TrimSpace(first))
	if pid > 0 && postmasterRunning(pid, realDir, abs) {
		return core.Errorf(core.EUNAVAILABLE,
			"已有一个 PostgreSQL 服务器（PID %d）在使用 %s。请先停止它（kill -INT %d），或使用另一个数据目录。",
			"a PostgreSQL server (PID %d) is already using %s; stop it first (kill -INT %d) or use another data folder",
			pid, abs, pid)
	}
	logf(log, "removing stale %s (PID %d is not a running PostgreSQL)", pidFile, pid)
	if err := os.Remove(pidFile); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("devstack: %w", err)
	}
	return nil
}

// postmasterRunning reports whether process pid exists and may be a server
// of this cluster. A PID reused by an unrelated program (common in
// containers after a crash) does not count.
func postmasterRunning(pid int, dirs ...string) bool {
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return true // no /proc (macOS): assume the worst
	}
	args := strings.Split(strings.TrimRight(string(cmdline), "\x00"), "\x00")
	if len(args) > 0 && strings.HasPrefix(filepath.Base(args[0]), "postgres") {
		return true
	}
	for _, d := range dirs {
		if strings.Contains(string(cmdline), d) {
			return true
		}
	}
	return false
}

// waitReady polls the server until it accepts the superuser's connection.
func (p *Postgres) waitReady(ctx context.Context) error {
	db, err := sql.Open("postgres", p.adminURLFor("postgres")+"&connect_timeout=2")
	if err != nil {
		return err
	}
	defer db.Close()
	deadline := time.Now().Add(pgReadyTimeout)
	for {
		pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		err = db.PingContext(pctx)
		cancel()
		if err == nil {
			return nil
		}
		var pqErr *pq.Error
		if errors.As(err, &pqErr) && pqErr.Code.Class() == "28" { // bad password: retrying won't help
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not ready after %s: %v", pgReadyTimeout, err)
		}
		select {
		case <-p.proc.done:
			return p.proc.exitErr()
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// setup creates, if missing, the app role and database and the ltree
// extension in template1 (so every later database has it) and in lawvillage.
// The role's attributes and password are reset on every start.
func (p *Postgres) setup(ctx context.Context) error {
	if err := p.asSuperuser(ctx, "postgres", func(db *sql.DB) error {
		var exists bool
		if err := db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)`, appRole).Scan(&exists); err != nil {
			return err
		}
		verb := "CREATE"
		if exists {
			verb = "ALTER"
		}
		_, err := db.ExecContext(ctx, fmt.Sprintf(`%s ROLE %s LOGIN PASSWORD '%s' NOSUPERUSER NOBYPASSRLS CREATEDB`,
			verb, pq.QuoteIdentifier(appRole), appPassword))
		return err
	}); err != nil {
		return err
	}
	// template1 first: CREATE DATABASE copies it, and fails while anyone
	// (us included) is connected to it, so that connection is closed here.
	if err := p.asSuperuser(ctx, "template1", createLtree(ctx)); err != nil {
		return err
	}
	if err := p.asSuperuser(ctx, "postgres", func(db *sql.DB) error {
		var exists bool
		if err := db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, appDatabase).Scan(&exists); err != nil {
			return err
		}
		if exists {
			return nil
		}
		_, err := db.ExecContext(ctx, fmt.Sprintf(`CREATE DATABASE %s OWNER %s`,
			pq.QuoteIdentifier(appDatabase), pq.QuoteIdentifier(appRole)))
		return err
	}); err != nil {
		return err
	}
	return p.asSuperuser(ctx, appDatabase, createLtree(ctx))
}

// createLtree returns a step that installs the ltree extension.
func createLtree(ctx context.Context) func(*sql.DB) error {
	return func(db *sql.DB) error {
		if _, err := db.ExecContext(ctx, `CREATE EXTENSION IF NOT EXISTS ltree`); err != nil {
			return fmt.Errorf("%w (the ltree extension is in PostgreSQL's contrib package: on Debian `apt-get install postgresql`, elsewhere postgresql-contrib)", err)
		}
		return nil
	}
}

// asSuperuser runs fn on a connection of the superuser to database dbname.
func (p *Postgres) asSuperuser(ctx context.Context, dbname string, fn func(*sql.DB) error) error {
	db, err := sql.Open("postgres", p.adminURLFor(dbname))
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if err := fn(db); err != nil {
		return fmt.Errorf("database %s: %w", dbname, err)
	}
	return nil
}

// pgURL builds a connection URL to this server.
func (p *Postgres) pgURL(userName, password, dbname string) string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword(userName, password),
		Host:     fmt.Sprintf("127.0.0.1:%d", p.port),
		Path:     "/" + dbname,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

// adminURLFor is the superuser's URL for database dbname.
func (p *Postgres) adminURLFor(dbname string) string {
	return p.pgURL("postgres", p.adminPass, dbname)
}

// URL is the connection URL of the app role to database lawvillage.
func (p *Postgres) URL() string { return p.pgURL(appRole, appPassword, appDatabase) }

// AdminURL is the connection URL of the superuser postgres to database postgres.
func (p *Postgres) AdminURL() string { return p.adminURLFor("postgres") }

// Port is the TCP port the server listens on at 127.0.0.1.
func (p *Postgres) Port() int { return p.port }

// LogPath is the server's log file.
func (p *Postgres) LogPath() string { return p.logPath }

// Stop shuts the server down (fast shutdown: SIGINT), waits for it, and kills
// it if it is not gone within 30 s. Later calls return the first result.
func (p *Postgres) Stop() error {
	p.stopOnce.Do(func() {
		if p.proc == nil {
			return
		}
		if !p.proc.exited() {
			logf(p.log, "stopping PostgreSQL on 127.0.0.1:%d", p.port)
		}
		p.stopErr = p.proc.stop(syscall.SIGINT, pgStopGrace)
	})
	return p.stopErr
}
