package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/lawvillage/lawvillage/internal/config"
	"github.com/lawvillage/lawvillage/internal/core"
	"github.com/lawvillage/lawvillage/internal/postgres"
	"github.com/lawvillage/lawvillage/internal/review"
)

// exportCmd writes a review table (附件2, 附件3, 附件4 or the summary) as .xlsx or .csv.
func exportCmd(ctx context.Context, args []string, out, errw io.Writer) error {
	const usage = "usage: lawvillage export review --area CODE --year YEAR --table 2|3|4|summary [--format xlsx|csv] [--out FILE]"
	if len(args) == 0 || args[0] != "review" {
		return fmt.Errorf("%s", usage)
	}
	fs := flag.NewFlagSet("export review", flag.ContinueOnError)
	fs.SetOutput(errw)
	area := fs.String("area", "", "division code of the district, or of a city or province for one table of all its districts (any area for the summary)")
	year := fs.Int("year", time.Now().Year(), "review year")
	table := fs.String("table", "", "2 (附件2 revocations), 3 (附件3 cancellations), 4 (附件4 top ten) or summary")
	format := fs.String("format", "xlsx", "xlsx or csv (UTF-8 with BOM)")
	outPath := fs.String("out", "", "file to write (default: the table's Chinese name in the current directory)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 || *area == "" || *table == "" {
		return fmt.Errorf("%s", usage)
	}
	t, err := review.ParseTable(*table)
	if err != nil {
		return err
	}
	f, err := review.ParseFormat(*format)
	if err != nil {
		return err
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
	ctx = core.WithActor(ctx, core.System("cli:export"))
	name, data, err := (&review.Service{DB: db}).File(ctx, *area, *year, t, f)
	if err != nil {
		return err
	}
	path := *outPath
	if path == "" {
		path = name
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(out, "wrote %s (%d bytes)\n", path, len(data))
	return nil
}
