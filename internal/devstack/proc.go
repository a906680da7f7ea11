package devstack

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// proc is a started server process; done is closed when it has exited.
type proc struct {
	name    string // "PostgreSQL" or "MinIO", for messages
	cmd     *exec.Cmd
	done    chan struct{}
	waitErr error // the result of cmd.Wait, valid once done is closed
}

// startProc starts cmd and watches for its exit.
func startProc(name string, cmd *exec.Cmd) (*proc, error) {
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &proc{name: name, cmd: cmd, done: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// exited reports whether the process has exited.
func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// exitErr describes an exit that happened before stop was called.
func (p *proc) exitErr() error {
	if p.waitErr == nil {
		return fmt.Errorf("%s exited unexpectedly (status 0)", p.name)
	}
	return fmt.Errorf("%s exited unexpectedly: %v", p.name, p.waitErr)
}

// stop sends sig, waits up to grace for the exit, then kills the process
// group. It returns nil when the process exited cleanly because of sig.
func (p *proc) stop(sig syscall.Signal, grace time.Duration) error {
	if p.exited() {
		return p.exitErr()
	}
	if err := p.cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("devstack: signal %s: %w", p.name, err)
	}
	timer := time.NewTimer(grace)
	defer timer.Stop()
	select {
	case <-p.done:
		if p.waitErr != nil {
			return fmt.Errorf("devstack: %s stopped with an error: %v", p.name, p.waitErr)
		}
		return nil
	case <-timer.C:
		// The server runs in its own process group: kill its helpers too.
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		_ = p.cmd.Process.Kill()
		<-p.done
		return fmt.Errorf("devstack: %s did not stop within %s of %s; killed it", p.name, grace, sig)
	}
}

// serverAttr returns the process attributes of a server child: its own
// process group (so a Ctrl-C at the terminal reaches only us, and we stop the
// servers in order), the given credential (nil = ours), and, on Linux, a
// signal it receives if we die without stopping it.
func serverAttr(cred *syscall.Credential, deathSig syscall.Signal) *syscall.SysProcAttr {
	a := &syscall.SysProcAttr{Setpgid: true, Credential: cred}
	setDeathSignal(a, deathSig)
	return a
}

// openLog opens (appending) a server log file and returns it with its
// current size, so that an error can quote just this run's lines.
func openLog(path string) (*os.File, int64, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, 0, fmt.Errorf("devstack: open log %s: %w", path, err)
	}
	off, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("devstack: open log %s: %w", path, err)
	}
	return f, off, nil
}

// logTail returns the last n lines written to the log at path since offset
// from, indented for inclusion in an error message.
func logTail(path string, from int64, n int) string {
	const maxRead = 64 << 10
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size()-from > maxRead {
		from = fi.Size() - maxRead
	}
	if _, err := f.Seek(from, io.SeekStart); err != nil {
		return ""
	}
	data, _ := io.ReadAll(io.LimitReader(f, maxRead))
	text := strings.TrimRight(string(data), "\n")
	if text == "" {
		return ""
	}
	lines := strings.Split(text, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return "\n  | " + strings.Join(lines, "\n  | ")
}

// filterEnv returns env without the variables whose names start with one of
// the prefixes.
func filterEnv(env []string, prefixes ...string) []string {
	out := make([]string, 0, len(env))
next:
	for _, kv := range env {
		for _, p := range prefixes {
			if strings.HasPrefix(kv, p) {
				continue next
			}
		}
		out = append(out, kv)
	}
	return out
}
