// Package devstack starts the private PostgreSQL and MinIO servers that
// `make run` and `make test` use on a developer's machine or in CI, without
// Docker: both run as child processes on 127.0.0.1 with their data in a
// folder of the work tree, and stop when the command that started them ends.
//
// Everything here is for development only: the credentials below are fixed,
// public and must never be used for a real deployment.
package devstack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
)

// Dev-only credentials of the private MinIO. They are public (they are in
// the source) and protect nothing but a server bound to 127.0.0.1.
const (
	DevS3AccessKey = "lawvillage"
	DevS3SecretKey = "lawvillage-dev-secret"
)

// Dev-only role, password and database of the private PostgreSQL, as used by
// the application (not a superuser, no BYPASSRLS).
const (
	appRole     = "lawvillage"
	appPassword = "lawvillage"
	appDatabase = "lawvillage"
)

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("devstack: find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// StackOptions says where the dev stack keeps its data and which ports it uses.
type StackOptions struct {
	Dir    string    // data folder; PostgreSQL uses Dir/pg, MinIO Dir/minio, logs go to Dir
	PGPort int       // PostgreSQL port on 127.0.0.1; 0 picks a free one
	S3Port int       // MinIO port on 127.0.0.1; 0 picks a free one
	Log    io.Writer // progress lines for the user; nil discards them
}

// Stack is a running private PostgreSQL and MinIO.
type Stack struct {
	PG *Postgres
	S3 *Minio
}

// Up starts PostgreSQL and MinIO side by side and returns when both are ready.
// If either fails, whatever did start is stopped again.
func Up(ctx context.Context, opts StackOptions) (*Stack, error) {
	if opts.Dir == "" {
		return nil, errors.New("devstack: StackOptions.Dir is empty")
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("devstack: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("devstack: create %s: %w", dir, err)
	}
	log := newSyncWriter(opts.Log)

	// A failure of one server cancels the start of the other, so that a
	// broken PostgreSQL does not make the user wait for a MinIO build.
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg           sync.WaitGroup
		pg           *Postgres
		s3           *Minio
		pgErr, s3Err error
	)
	wg.Go(func() {
		pg, pgErr = StartPostgres(ctx, PostgresOptions{DataDir: filepath.Join(dir, "pg"), Port: opts.PGPort, Log: log})
		if pgErr != nil {
			cancel()
		}
	})
	wg.Go(func() {
		s3, s3Err = StartMinio(ctx, MinioOptions{
			DataDir: filepath.Join(dir, "minio"), Port: opts.S3Port,
			AccessKey: DevS3AccessKey, SecretKey: DevS3SecretKey, Log: log,
		})
		if s3Err != nil {
			cancel()
		}
	})
	wg.Wait()

	if pgErr == nil && s3Err == nil {
		return &Stack{PG: pg, S3: s3}, nil
	}
	if pg != nil {
		_ = pg.Stop()
	}
	if s3 != nil {
		_ = s3.Stop()
	}
	// Leave out the "context canceled" of the server we cancelled ourselves
	// because the other one failed.
	var errs []error
	for _, e := range []error{pgErr, s3Err} {
		if e != nil && !(errors.Is(e, context.Canceled) && parent.Err() == nil) {
			errs = append(errs, e)
		}
	}
	if len(errs) == 0 {
		errs = []error{pgErr, s3Err}
	}
	return nil, errors.Join(errs...)
}

// Env returns the KEY=VALUE settings that point the application and its tests
// at this stack.
func (s *Stack) Env() []string {
	return []string{
		"LV_DATABASE_URL=" + s.PG.URL(),
		"LV_S3_ENDPOINT=" + s.S3.Endpoint(),
		"LV_S3_ACCESS_KEY=" + s.S3.AccessKey(),
		"LV_S3_SECRET_KEY=" + s.S3.SecretKey(),
		"LV_S3_USE_TLS=false",
		"LV_TEST_PG_ADMIN_URL=" + s.PG.AdminURL(),
		"LV_TEST_DATABASE_URL=" + s.PG.URL(),
		"LV_TEST_S3_ENDPOINT=" + s.S3.Endpoint(),
		"LV_TEST_S3_ACCESS_KEY=" + s.S3.AccessKey(),
		"LV_TEST_S3_SECRET_KEY=" + s.S3.SecretKey(),
		"LV_MINIO_BIN=" + s.S3.BinPath(),
	}
}

// Down stops both servers; it may be called more than once.
func (s *Stack) Down() error {
	var errs []error
	if s.PG != nil {
		errs = append(errs, s.PG.Stop())
	}
	if s.S3 != nil {
		errs = append(errs, s.S3.Stop())
	}
	return errors.Join(errs...)
}

// logf writes one progress line for the user.
func logf(w io.Writer, format string, args ...any) {
	fmt.Fprintf(w, "devstack: "+format+"\n", args...)
}

// syncWriter serialises writes from the goroutines that report progress.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

// newSyncWriter wraps w (nil means discard) for concurrent use.
func newSyncWriter(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	if _, ok := w.(*syncWriter); ok || w == io.Discard {
		return w
	}
	return &syncWriter{w: w}
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
