package devstack

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"sync/atomic"
	"syscall"

	"github.com/lawvillage/lawvillage/internal/core"
)

// Exec runs argv with the dev stack up: it starts the stack, runs argv with
// our environment plus Stack.Env and our stdin/stdout/stderr, forwards
// SIGINT and SIGTERM to it (and sends it SIGTERM when ctx ends), always
// stops the stack afterwards, and returns argv's exit code (128+N when
// signal N ended it).
//
// When LV_TEST_DATABASE_URL and LV_TEST_S3_ENDPOINT are both set already, the
// user has named their own services: Exec starts nothing and just runs argv.
func Exec(ctx context.Context, opts StackOptions, argv []string) (exitCode int, err error) {
	if len(argv) == 0 {
		return 2, core.Errorf(core.EINVALID, "没有给出要运行的命令。", "no command to run was given")
	}
	log := newSyncWriter(opts.Log)

	// Catch the signals from the start, so that a Ctrl-C while the servers
	// start (or MinIO builds) stops them instead of leaving them behind.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)

	env := os.Environ()
	if os.Getenv("LV_TEST_DATABASE_URL") != "" && os.Getenv("LV_TEST_S3_ENDPOINT") != "" {
		logf(log, "LV_TEST_DATABASE_URL and LV_TEST_S3_ENDPOINT are set: using those services, starting none")
		return run(ctx, argv, env, sigs)
	}

	upCtx, cancelUp := context.WithCancel(ctx)
	var interrupted atomic.Bool
	upDone, watcherDone := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(watcherDone)
		select {
		case sig := <-sigs:
			interrupted.Store(true)
			logf(log, "%s: stopping the dev stack", sig)
			cancelUp()
		case <-upDone:
		}
	}()
	st, err := Up(upCtx, opts)
	close(upDone)
	<-watcherDone
	cancelUp()
	if err != nil {
		if interrupted.Load() {
			return 130, core.Errorf(core.EUNAVAILABLE, "启动开发环境时被中断。", "interrupted while starting the dev stack")
		}
		return 1, err
	}
	if interrupted.Load() { // the signal came just as Up finished
		return 130, errors.Join(errors.New("devstack: interrupted"), st.Down())
	}
	defer func() {
		if downErr := st.Down(); downErr != nil {
			err = errors.Join(err, downErr)
		}
	}()
	return run(ctx, argv, append(env, st.Env()...), sigs)
}

// run runs argv with env and our stdio, forwarding the signals that arrive
// on sigs (and SIGTERM when ctx ends), and returns its exit code.
func run(ctx context.Context, argv, env []string, sigs <-chan os.Signal) (int, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = env
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	// Same process group as us (a Ctrl-C at the terminal reaches it
	// directly too), but it must not outlive us.
	cmd.SysProcAttr = &syscall.SysProcAttr{}
	setDeathSignal(cmd.SysProcAttr, syscall.SIGTERM)
	if err := cmd.Start(); err != nil {
		return 127, fmt.Errorf("devstack: run %s: %w", argv[0], err)
	}
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	ctxDone := ctx.Done()
	for {
		select {
		case sig := <-sigs:
			_ = cmd.Process.Signal(sig)
		case <-ctxDone:
			_ = cmd.Process.Signal(syscall.SIGTERM)
			ctxDone = nil // once is enough
		case err := <-waited:
			var ee *exec.ExitError
			if err == nil {
				return 0, nil
			}
			if !errors.As(err, &ee) {
				return 1, fmt.Errorf("devstack: run %s: %w", argv[0], err)
			}
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				return 128 + int(ws.Signal()), nil
			}
			return ee.ExitCode(), nil
		}
	}
}
