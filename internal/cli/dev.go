package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/lawvillage/lawvillage/internal/app"
	"github.com/lawvillage/lawvillage/internal/config"
	"github.com/lawvillage/lawvillage/internal/core"
	"github.com/lawvillage/lawvillage/internal/demo"
	"github.com/lawvillage/lawvillage/internal/devstack"
	"github.com/lawvillage/lawvillage/internal/period"
	"github.com/lawvillage/lawvillage/internal/postgres"
)

// runDev is `make run`: a private PostgreSQL and MinIO under .data/, the
// migrations, the demo district on first start, an admin token, and the
// server with its scheduler, until Ctrl-C stops everything.
func runDev(ctx context.Context, args []string, out, errw io.Writer) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	dir := fs.String("dir", ".data", "where the local servers keep their data")
	fresh := fs.Bool("fresh", false, "delete the local data and start over")
	pgPort := fs.Int("pg-port", 54329, "PostgreSQL port on 127.0.0.1")
	s3Port := fs.Int("s3-port", 59000, "MinIO port on 127.0.0.1")
	noDemo := fs.Bool("no-demo", false, "do not load the demo district")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *fresh {
		fmt.Fprintf(errw, "removing %s (--fresh)\n", *dir)
		if err := removeData(*dir); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		return err
	}
	start := time.Now()
	stack, err := devstack.Up(ctx, devstack.StackOptions{Dir: *dir, PGPort: *pgPort, S3Port: *s3Port, Log: errw})
	if err != nil {
		return err
	}
	defer func() {
		fmt.Fprintln(errw, "stopping PostgreSQL and MinIO")
		if err := stack.Down(); err != nil {
			fmt.Fprintf(errw, "stop: %v\n", err)
		}
	}()
	for _, kv := range stack.Env() {
		k, v, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "LV_TEST_") {
			continue
		}
		if os.Getenv(k) == "" || k == "LV_DATABASE_URL" || strings.HasPrefix(k, "LV_S3_") {
			os.Setenv(k, v)
		}
	}
	if os.Getenv("LV_LOG_FORMAT") == "" {
		os.Setenv("LV_LOG_FORMAT", "text")
	}
	cfg, err := config.FromEnv()
	if err != nil {
		return err
	}
	m, err := app.Open(ctx, cfg, app.NewLogger(cfg), true)
	if err != nil {
		return err
	}
	defer m.Close()
	if !*noDemo {
		loaded, err := demo.Load(ctx, m.DB, m.Evidence, time.Now(), errw)
		if err != nil {
			return fmt.Errorf("load demo: %w", err)
		}
		if loaded {
			// Compute this year's metrics at once, so dashboards have data
			// before the first scheduled runs.
			for _, run := range demoRuns(time.Now()) {
				if _, err := m.Runner.RunNow(ctx, run[0], run[1]); err != nil {
					return fmt.Errorf("demo metrics (%s %s): %w", run[0], run[1], err)
				}
			}
			fmt.Fprintln(errw, "demo: metrics and alerts of this year computed")
		}
	}
	token, err := devToken(ctx, m.DB, filepath.Join(*dir, "dev-admin-token"))
	if err != nil {
		return err
	}
	return m.Serve(ctx, func(addr string) {
		scheme := "http"
		if cfg.TLSCertFile != "" {
			scheme = "https"
		}
		base := scheme + "://" + addr
		fmt.Fprintf(out, `
lawvillage is running (started in %.1fs). Ctrl-C stops everything.
  GraphQL:   %s/graphql
  GraphiQL:  %s/#token=%s
  metrics:   %s/metrics   health: %s/healthz   ready: %s/readyz
  admin token (province 32, also in %s):
    %s
  try: curl -s %s/graphql -H 'Authorization: Bearer %s' -H 'Content-Type: application/json' \
         -d '{"query":"{ region(code:\"%s\") { name villages { totalCount } } }"}'
`, time.Since(start).Seconds(), base, base, token, base, base, base, filepath.Join(*dir, "dev-admin-token"), token,
			base, token, demo.DistrictCode)
	})
}

// devToken reuses the token saved in path while it still works, else issues
// a province-wide admin token for the demo and saves it (mode 0600).
func devToken(ctx context.Context, db *postgres.DB, path string) (string, error) {
	if b, err := os.ReadFile(path); err == nil {
		secret := strings.TrimSpace(string(b))
		if _, err := db.Authenticate(ctx, secret); err == nil {
			return secret, nil
		}
	}
	ctx = core.WithActor(ctx, core.System("make run"))
	_, secret, err := db.CreateToken(ctx, postgres.NewToken{Name: "demo admin (make run)", Role: core.RoleProvinceOfficial, ScopeCode: "32"})
	if err != nil {
		return "", fmt.Errorf("issue the demo admin token: %w", err)
	}
	if err := os.WriteFile(path, []byte(secret+"\n"), 0o600); err != nil {
		return "", err
	}
	return secret, nil
}

// removeData deletes the local data folder, following the PostgreSQL data
// symlink the dev stack may have made (when the folder is not reachable by the
// postgres user, its data lives under /var/tmp).
func removeData(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		if e.Type()&os.ModeSymlink != 0 {
			if target, err := filepath.EvalSymlinks(p); err == nil && strings.HasPrefix(target, "/var/tmp/lawvillage-") {
				if err := os.RemoveAll(target); err != nil {
					return err
				}
			}
		}
	}
	return os.RemoveAll(dir)
}

// demoRuns lists the jobs that compute the current year so far: each finished
// month and quarter, and the outcomes of the month, quarter and year.
func demoRuns(now time.Time) [][2]string {
	var runs [][2]string
	cur := period.Of(period.Month, now)
	for m := period.M(cur.Year, 1); m.Before(cur); m = m.Next() {
		runs = append(runs, [2]string{"monthly-duties", m.String()})
	}
	q := period.Of(period.Quarter, now)
	for p := period.Q(q.Year, 1); p.Before(q); p = p.Next() {
		runs = append(runs, [2]string{"quarterly-culture", p.String()})
	}
	return append(runs, [2]string{"daily-outcomes", cur.String()})
}
