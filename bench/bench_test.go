// Package bench holds the platform's benchmarks (`make bench`) and the tests
// that pin their cost model: the dashboard queries send a constant number of
// SQL statements, whatever the page size.
package bench

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/lawvillage/lawvillage/internal/apptest"
	"github.com/lawvillage/lawvillage/internal/core"
	"github.com/lawvillage/lawvillage/internal/gen"
	"github.com/lawvillage/lawvillage/internal/postgres"
	"github.com/lawvillage/lawvillage/internal/regionimport"
	"github.com/lawvillage/lawvillage/internal/testenv"
)

// district loads one district of towns × per villages, 40% titled, with a
// year of lectures, board updates and culture activities for every village.
func district(tb testing.TB, towns, per int) (*apptest.Env, string) {
	tb.Helper()
	env := apptest.New(tb)
	var b strings.Builder
	b.WriteString("code,name,parent_code\n32,江苏省,\n3201,南京市,32\n320117,溧水区,3201\n")
	for t := 1; t <= towns; t++ {
		tc := fmt.Sprintf("320117%03d", t)
		fmt.Fprintf(&b, "%s,第%d镇,320117\n", tc, t)
		for v := 1; v <= per; v++ {
			fmt.Fprintf(&b, "%s%03d,第%d镇%d村委会,%s\n", tc, 200+v, t, v, tc)
		}
	}
	env.ImportCSV(tb, b.String())
	err := env.DB.AsSystem(env.System, func(tx *postgres.Tx) error {
		if _, err := tx.Exec(`INSERT INTO titles (village_id, level, batch, year)
			SELECT id, 'provincial', 1 + (id % 14), 2005 + (id % 14) FROM regions WHERE level = 5 AND id % 5 < 2`); err != nil {
			return err
		}
		_, err := tx.Exec(`INSERT INTO activities (village_id, kind, occurred_on, title)
			SELECT r.id, k.kind, make_date(2026, m, 1 + (r.id % 27)::int), k.kind || ' ' || m
			FROM regions r, generate_series(1, 10) m,
			     (VALUES ('lecture'), ('board_update'), ('culture_activity')) k(kind)
			WHERE r.level = 5`)
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	// Statistics, as autovacuum would gather them on a live database.
	if err := env.DB.AsSystem(env.System, func(tx *postgres.Tx) error {
		_, err := tx.Exec(`ANALYZE`)
		return err
	}); err != nil {
		tb.Fatal(err)
	}
	return env, env.Token(tb, core.RoleDistrictAdmin, "320117")
}

const villagePage = `query($first: Int!) { region(code: "320117") { villages(first: $first) { totalCount
  pageInfo { hasNextPage endCursor }
  nodes { code name kind householdCount town { name }
    provincialTitle { batch year status }
    activityCounts(period: "2026") { lecture boardUpdate cultureActivity total } } } } }`

// statements runs the query once and returns how many SQL statements it sent.
func statements(tb testing.TB, env *apptest.Env, token string, first int) int64 {
	tb.Helper()
	before := postgres.StatementsSent()
	res := env.Do(tb, token, villagePage, map[string]any{"first": first})
	var out struct {
		Region struct {
			Villages struct {
				TotalCount int
				Nodes      []struct{ Code string }
			}
		}
	}
	res.Decode(tb, &out)
	if len(out.Region.Villages.Nodes) != first {
		tb.Fatalf("got %d villages, want %d", len(out.Region.Villages.Nodes), first)
	}
	return postgres.StatementsSent() - before
}

// TestVillagePageStatementsConstant pins the N+1 rule: a page of 10 villages
// and a page of 100 send the same number of statements.
func TestVillagePageStatementsConstant(t *testing.T) {
	env, token := district(t, 20, 15)
	statements(t, env, token, 1) // the token's first use also records last_used_at
	small := statements(t, env, token, 10)
	large := statements(t, env, token, 100)
	if small != large {
		t.Fatalf("statements grow with the page: %d for 10 villages, %d for 100", small, large)
	}
	t.Logf("statements per village page: %d", large)
}

// BenchmarkDistrictVillagePage: a page of 100 of a district's 300 villages,
// with titles, town and activity counts, through the HTTP handler.
func BenchmarkDistrictVillagePage(b *testing.B) {
	env, token := district(b, 20, 15)
	statements(b, env, token, 1)
	var stmts int64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		stmts = statements(b, env, token, 100)
	}
	b.ReportMetric(float64(stmts), "statements/op")
}

// BenchmarkDistrictDutyStatus: which duties each of 100 villages did in a year.
func BenchmarkDistrictDutyStatus(b *testing.B) {
	env, token := district(b, 20, 15)
	q := `{ region(code: "320117") { dutyStatus(period: "2026", first: 100) { totalCount nodes { village { code }
		lectureMonths { done due } cultureQuarters { done due } boardMonths { done } responsibilityList } } } }`
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res := env.Do(b, token, q, nil)
		if len(res.Errors) > 0 {
			b.Fatal(res.Errors)
		}
	}
}

// BenchmarkImportProvince imports a generated 23,608-row province listing
// into an empty database (the statistics-bureau file of a province like Jiangsu).
func BenchmarkImportProvince(b *testing.B) {
	var buf bytes.Buffer
	if err := gen.WriteCSV(&buf, gen.Province(7, gen.JiangsuScale())); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	ctx := core.WithActor(context.Background(), core.System("bench"))
	b.SetBytes(int64(len(data)))
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		db := testenv.DB(b)
		b.StartTimer()
		res, err := regionimport.Import(ctx, db, bytes.NewReader(data), nil)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(res.Inserted), "rows/op")
	}
}

// BenchmarkReimportProvince re-imports the same listing: nothing changes.
func BenchmarkReimportProvince(b *testing.B) {
	var buf bytes.Buffer
	if err := gen.WriteCSV(&buf, gen.Province(7, gen.JiangsuScale())); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	ctx := core.WithActor(context.Background(), core.System("bench"))
	db := testenv.DB(b)
	if _, err := regionimport.Import(ctx, db, bytes.NewReader(data), nil); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := regionimport.Import(ctx, db, bytes.NewReader(data), nil)
		if err != nil || res.Inserted+res.Updated != 0 {
			b.Fatalf("%+v %v", res, err)
		}
	}
}
