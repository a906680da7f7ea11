// Command lawvillage is the democracy-and-rule-of-law demonstration village
// platform: one binary with subcommands (run, serve, migrate, import, token,
// jobs, devstack). See README.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/lawvillage/lawvillage/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
