package cli_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/lawvillage/lawvillage/internal/apptest"
	"github.com/lawvillage/lawvillage/internal/cli"
	"github.com/lawvillage/lawvillage/internal/core"
	"github.com/lawvillage/lawvillage/internal/postgres"
	"github.com/lawvillage/lawvillage/internal/regionimport"
	"github.com/lawvillage/lawvillage/internal/review"
	"github.com/lawvillage/lawvillage/internal/testenv"
)

// TestReviewExportCommand runs `lawvillage export review` against a district
// whose review is evaluated: 4 villages, 3 titled, at most one may keep its
// title under the 43% cap, so two are eliminated (the later titles).
func TestReviewExportCommand(t *testing.T) {
	url := testenv.DatabaseURL(t)
	t.Setenv("LV_DATABASE_URL", url)
	db, err := postgres.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := core.WithActor(context.Background(), core.System("test"))
	if _, err := regionimport.Import(ctx, db, strings.NewReader(apptest.TwoTownsCSV), nil); err != nil {
		t.Fatal(err)
	}
	if err := db.AsSystem(ctx, func(tx *postgres.Tx) error {
		_, err := tx.Exec(`INSERT INTO titles (village_id, level, batch, year)
			SELECT id, 'provincial', b, 2000 + b FROM regions JOIN (VALUES ('320117001201', 3), ('320117100201', 5), ('320117100202', 9)) x(c, b)
			ON x.c = regions.code`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	svc := &review.Service{DB: db}
	revs, err := svc.Open(ctx, "320117", 2026)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.AdvanceReview(ctx, postgres.AdvanceReview{ReviewID: revs[0].ID, To: core.StageFirstReview}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Evaluate(ctx, "320117", 2026); err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	run := func(args ...string) (int, string) {
		var out, errw bytes.Buffer
		code := cli.Main(context.Background(), append([]string{"export"}, args...), &out, &errw)
		return code, out.String() + errw.String()
	}
	csvPath := filepath.Join(dir, "a2.csv")
	if code, msg := run("review", "--area", "320117", "--year", "2026", "--table", "2", "--format", "csv", "--out", csvPath); code != 0 {
		t.Fatalf("exit %d: %s", code, msg)
	}
	data, err := os.ReadFile(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(data, []byte("\ufeff")) {
		t.Fatalf("no BOM: % x", data[:3])
	}
	recs, err := csv.NewReader(bytes.NewReader(data[3:])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range recs[3:] {
		got = append(got, r[0]+" "+r[3]+" "+r[5])
	}
	want := []string{"1 320117100201 末位淘汰（创建率超过上限）", "2 320117100202 末位淘汰（创建率超过上限）"}
	if !slices.Equal(got, want) {
		t.Fatalf("附件2 rows %q", got)
	}

	xlsxPath := filepath.Join(dir, "a4.xlsx")
	if code, msg := run("review", "--area", "320117", "--year", "2026", "--table", "4", "--out", xlsxPath); code != 0 {
		t.Fatalf("exit %d: %s", code, msg)
	}
	x, err := excelize.OpenFile(xlsxPath)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	rows, _ := x.GetRows("附件4")
	if len(rows) != 4 || rows[3][3] != "320117001201" {
		t.Fatalf("附件4 rows %q", rows)
	}
	// The city's table: the same rows with the district's name.
	cityPath := filepath.Join(dir, "city-a2.csv")
	if code, msg := run("review", "--area", "3201", "--year", "2026", "--table", "2", "--format", "csv", "--out", cityPath); code != 0 {
		t.Fatalf("exit %d: %s", code, msg)
	}
	data, err = os.ReadFile(cityPath)
	if err != nil {
		t.Fatal(err)
	}
	recs, err = csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\ufeff")))).ReadAll()
	if err != nil || len(recs) != 5 || recs[2][1] != "所属县(市、区)" || !slices.Equal(recs[4][:4], []string{"2", "溧水区", "白马镇", "石头寨村委会"}) {
		t.Fatalf("city 附件2 %q: %v", recs, err)
	}
	if code, msg := run("review", "--area", "320117", "--year", "2026", "--table", "5"); code != 1 || !strings.Contains(msg, "summary") {
		t.Fatalf("bad table: exit %d: %s", code, msg)
	}
	if code, msg := run("review", "--area", "320199", "--year", "2026", "--table", "3", "--out", filepath.Join(dir, "x.csv")); code != 1 || !strings.Contains(msg, "not found") {
		t.Fatalf("unknown area: exit %d: %s", code, msg)
	}
}
