// Package cli implements lawvillage's subcommands. Each reads its flags,
// opens what it needs through internal/app and reports progress on stderr.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/lawvillage/lawvillage/internal/app"
	"github.com/lawvillage/lawvillage/internal/config"
	"github.com/lawvillage/lawvillage/internal/core"
	"github.com/lawvillage/lawvillage/internal/devstack"
	"github.com/lawvillage/lawvillage/internal/postgres"
	"github.com/lawvillage/lawvillage/internal/recordimport"
	"github.com/lawvillage/lawvillage/internal/regionimport"
)

type command struct {
	summary string
	run     func(ctx context.Context, args []string, out, errw io.Writer) error
}

func commands() map[string]command {
	return map[string]command{
		"run":      {"start a local PostgreSQL and MinIO under .data/, load the demo district, and serve", runDev},
		"serve":    {"serve the API and run the scheduler (configured by LV_* variables)", serve},
		"migrate":  {"apply database migrations", migrate},
		"import":   {"import data: `import regions FILE.csv`, `import records KIND FILE`", importCmd},
		"token":    {"manage access tokens: create, revoke, list", tokenCmd},
		"jobs":     {"scheduled jobs: `jobs list`, `jobs run NAME [--period P]`", jobsCmd},
		"devstack": {"`devstack exec -- CMD...`: run CMD with a private PostgreSQL and MinIO", devstackCmd},
		"gen":      {"generate a synthetic district, city or province (Jiangsu scale) into an empty database", genCmd},
		"export":   {"export the review tables (附件2/3/4) as xlsx or csv", exportCmd},
	}
}

// Main runs the subcommand named by args[0] and returns the exit code.
func Main(ctx context.Context, args []string, out, errw io.Writer) int {
	cmds := commands()
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(errw, cmds)
		return 2
	}
	c, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(errw, "lawvillage: unknown command %q\n\n", args[0])
		usage(errw, cmds)
		return 2
	}
	if err := c.run(ctx, args[1:], out, errw); err != nil {
		var ec exitCode
		if errors.As(err, &ec) {
			return int(ec)
		}
		if errors.Is(err, flag.ErrHelp) {
			return 2
		}
		fmt.Fprintf(errw, "lawvillage %s: %v\n", args[0], err)
		if e := core.AsError(err); e != nil {
			for _, d := range e.Details {
				fmt.Fprintf(errw, "  row %d", d.Row)
				if d.Column != "" {
					fmt.Fprintf(errw, " [%s]", d.Column)
				}
				fmt.Fprintf(errw, ": %s / %s\n", d.Zh, d.En)
			}
		}
		return 1
	}
	return 0
}

type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

func usage(w io.Writer, cmds map[string]command) {
	fmt.Fprintln(w, "usage: lawvillage COMMAND [flags]\n\ncommands:")
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-9s %s\n", n, cmds[n].summary)
	}
}

// open reads the environment and opens the platform's parts.
func open(ctx context.Context, migrate bool) (*app.Main, error) {
	cfg, err := config.FromEnv()
	if err != nil {
		return nil, err
	}
	return app.Open(ctx, cfg, app.NewLogger(cfg), migrate)
}

func serve(ctx context.Context, args []string, out, errw io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	noMigrate := fs.Bool("no-migrate", false, "do not apply pending migrations at start")
	if err := fs.Parse(args); err != nil {
		return err
	}
	m, err := open(ctx, !*noMigrate)
	if err != nil {
		return err
	}
	defer m.Close()
	return m.Serve(ctx, nil)
}

func migrate(ctx context.Context, args []string, out, errw io.Writer) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 && fs.Arg(0) != "up" {
		return fmt.Errorf("only `migrate` or `migrate up` is supported")
	}
	cfg, err := config.FromEnv()
	if err != nil {
		return err
	}
	if cfg.DatabaseURL == "" {
		return fmt.Errorf("LV_DATABASE_URL is not set")
	}
	db, err := postgres.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Migrate(ctx, app.NewLogger(cfg)); err != nil {
		return err
	}
	fmt.Fprintln(out, "migrations applied")
	return nil
}

func importCmd(ctx context.Context, args []string, out, errw io.Writer) error {
	usage := fmt.Errorf("usage: lawvillage import regions FILE.csv | lawvillage import records KIND FILE.xlsx|FILE.csv")
	if len(args) < 2 {
		return usage
	}
	var kind core.RecordKind
	var path string
	switch {
	case args[0] == "regions" && len(args) == 2:
		path = args[1]
	case args[0] == "records" && len(args) == 3:
		k, err := core.ParseRecordKind(args[1])
		if err != nil {
			return err
		}
		kind, path = k, args[2]
	default:
		return usage
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	m, err := open(ctx, true)
	if err != nil {
		return err
	}
	defer m.Close()
	start := time.Now()
	ctx = core.WithActor(ctx, core.System("cli:import"))
	var res postgres.ImportResult
	if args[0] == "regions" {
		res, err = regionimport.Import(ctx, m.DB, f, func(stage string) {
			fmt.Fprintf(errw, "[%6.2fs] %s\n", time.Since(start).Seconds(), stage)
		})
	} else {
		fmt.Fprintf(errw, "importing %s records from %s...\n", args[1], filepath.Base(path))
		res, err = recordimport.Import(ctx, m.DB, kind, f)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "imported %s: %d inserted, %d updated, %d unchanged (%.2fs)\n",
		filepath.Base(path), res.Inserted, res.Updated, res.Unchanged, time.Since(start).Seconds())
	return nil
}

func tokenCmd(ctx context.Context, args []string, out, errw io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: lawvillage token create|revoke|list ...")
	}
	sub, args := args[0], args[1:]
	fs := flag.NewFlagSet("token "+sub, flag.ContinueOnError)
	role := fs.String("role", "", "role: "+roleList())
	scope := fs.String("scope", "", "division code of the scope")
	name := fs.String("name", "", "a name for the token (a post, not a person's name)")
	expires := fs.Duration("expires", 0, "lifetime, e.g. 2160h (default: no expiry)")
	all := fs.Bool("all", false, "list revoked tokens too")
	if err := fs.Parse(args); err != nil {
		return err
	}
	m, err := open(ctx, true)
	if err != nil {
		return err
	}
	defer m.Close()
	ctx = core.WithActor(ctx, core.System("cli:token"))
	switch sub {
	case "create":
		r, err := core.ParseRole(*role)
		if err != nil {
			return fmt.Errorf("--role: %v (one of %s)", err, roleList())
		}
		var exp *time.Time
		if *expires > 0 {
			t := time.Now().Add(*expires)
			exp = &t
		}
		t, secret, err := m.DB.CreateToken(ctx, postgres.NewToken{Name: *name, Role: r, ScopeCode: *scope, ExpiresAt: exp})
		if err != nil {
			return err
		}
		fmt.Fprintf(errw, "token %d created: role %s, scope %s; the secret is shown only now:\n", t.ID, t.Role, *scope)
		fmt.Fprintln(out, secret)
	case "revoke":
		if fs.NArg() != 1 {
			return fmt.Errorf("usage: lawvillage token revoke ID")
		}
		var id int64
		if _, err := fmt.Sscan(fs.Arg(0), &id); err != nil {
			return fmt.Errorf("token id: %v", err)
		}
		if _, err := m.DB.RevokeToken(ctx, id); err != nil {
			return err
		}
		fmt.Fprintf(out, "token %d revoked\n", id)
	case "list":
		ts, err := m.DB.Tokens(ctx, *all)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "%-5s %-18s %-10s %-28s %s\n", "ID", "ROLE", "HINT", "NAME", "STATE")
		for _, t := range ts {
			state := "active"
			if t.RevokedAt != nil {
				state = "revoked " + t.RevokedAt.Format(time.RFC3339)
			} else if t.ExpiresAt != nil {
				state = "expires " + t.ExpiresAt.Format(time.RFC3339)
			}
			fmt.Fprintf(out, "%-5d %-18s %-10s %-28s %s\n", t.ID, t.Role, t.Hint+"…", t.Name, state)
		}
	default:
		return fmt.Errorf("unknown token command %q (create, revoke, list)", sub)
	}
	return nil
}

func roleList() string {
	names := make([]string, len(core.Roles))
	for i, r := range core.Roles {
		names[i] = string(r)
	}
	return strings.Join(names, ", ")
}

func jobsCmd(ctx context.Context, args []string, out, errw io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: lawvillage jobs list | jobs run NAME [--period P]")
	}
	m, err := open(ctx, true)
	if err != nil {
		return err
	}
	defer m.Close()
	switch args[0] {
	case "list":
		for _, n := range m.Runner.Names() {
			j := m.Runner.Jobs[n]
			sched := j.Cron
			if j.Every > 0 {
				sched = "every " + j.Every.String()
			}
			fmt.Fprintf(out, "%-22s %-18s %s\n", n, sched, j.Description)
		}
		return nil
	case "run":
		fs := flag.NewFlagSet("jobs run", flag.ContinueOnError)
		p := fs.String("period", "", "period: 2026-05, 2026-Q2 or 2026")
		if len(args) < 2 {
			return fmt.Errorf("usage: lawvillage jobs run NAME [--period P]")
		}
		if err := fs.Parse(args[2:]); err != nil {
			return err
		}
		start := time.Now()
		fmt.Fprintf(errw, "running %s %s...\n", args[1], *p)
		rows, err := m.Runner.RunNow(ctx, args[1], *p)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "%s done: %d rows in %.2fs\n", args[1], rows, time.Since(start).Seconds())
		return nil
	}
	return fmt.Errorf("unknown jobs command %q (list, run)", args[0])
}

func devstackCmd(ctx context.Context, args []string, out, errw io.Writer) error {
	fs := flag.NewFlagSet("devstack", flag.ContinueOnError)
	dir := fs.String("dir", ".data/test", "where the private servers keep their data")
	if len(args) == 0 || args[0] != "exec" {
		return fmt.Errorf("usage: lawvillage devstack exec [--dir DIR] -- CMD [ARGS...]")
	}
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	argv := fs.Args()
	if len(argv) == 0 {
		return fmt.Errorf("usage: lawvillage devstack exec [--dir DIR] -- CMD [ARGS...]")
	}
	code, err := devstack.Exec(ctx, devstack.StackOptions{Dir: *dir, Log: errw}, argv)
	if err != nil {
		return err
	}
	if code != 0 {
		return exitCode(code)
	}
	return nil
}
