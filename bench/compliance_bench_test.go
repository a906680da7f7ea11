package bench

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/lawvillage/lawvillage/internal/core"
	"github.com/lawvillage/lawvillage/internal/gen"
	"github.com/lawvillage/lawvillage/internal/metrics"
	"github.com/lawvillage/lawvillage/internal/period"
	"github.com/lawvillage/lawvillage/internal/postgres"
	"github.com/lawvillage/lawvillage/internal/testenv"
)

// benchScales are the scales of BenchmarkCompliance: LV_BENCH_SCALES, default
// district and city (province: 22,000 villages and 22 million households
// take several minutes to generate; add it with LV_BENCH_SCALES=district,city,province).
func benchScales() []string {
	if s := os.Getenv("LV_BENCH_SCALES"); s != "" {
		return strings.Split(s, ",")
	}
	return []string{gen.ScaleDistrict, gen.ScaleCity}
}

// The floors: one hand-written aggregate reading the same rows as a run,
// writing nothing. A job should stay within about twice its floor.
const dailyFloor = `
WITH m AS (SELECT village_id, count(*) FILTER (WHERE outcome = 'success') s, count(*) c FROM mediation_cases
           WHERE outcome <> 'pending' AND concluded_on BETWEEN $1 AND $2 GROUP BY 1),
     s AS (SELECT village_id, kind, sum(positive) p, sum(respondents) r FROM surveys WHERE surveyed_on BETWEEN $1 AND $2 GROUP BY 1, 2),
     h AS (SELECT village_id, group_id, count(*) n, count(*) FILTER (WHERE model_household_year <= $3) model,
                  count(*) FILTER (WHERE wechat_member) wechat FROM households WHERE deleted_at IS NULL GROUP BY 1, 2),
     g AS (SELECT g.village_id, count(*) FILTER (WHERE EXISTS (SELECT 1 FROM legal_savvy_persons p WHERE p.grid_id = g.id)) covered, count(*) n
           FROM grids g GROUP BY 1),
     i AS (SELECT village_id, kind, count(*) n FROM incidents WHERE deleted_at IS NULL AND occurred_on BETWEEN $1 AND $2 GROUP BY 1, 2),
     t AS (SELECT village_id FROM titles WHERE level = 'provincial' AND status = 'retained'),
     c AS (SELECT village_id, count(DISTINCT kind) n FROM culture_carriers GROUP BY 1),
     a AS (SELECT DISTINCT village_id FROM legal_advisers WHERE active_from <= $2 AND (active_to IS NULL OR active_to >= $2))
SELECT (SELECT count(*) FROM m) + (SELECT count(*) FROM s) + (SELECT count(*) FROM h) + (SELECT count(*) FROM g)
     + (SELECT count(*) FROM i) + (SELECT count(*) FROM t) + (SELECT count(*) FROM c) + (SELECT count(*) FROM a)`

const monthlyFloor = `
SELECT count(*) FROM (SELECT village_id, kind, count(DISTINCT date_trunc('month', occurred_on))
  FROM activities WHERE deleted_at IS NULL AND kind IN ('lecture', 'board_update') AND occurred_on BETWEEN $1 AND $2
  GROUP BY 1, 2) x`

// BenchmarkCompliance measures, at each scale, a full daily run and a monthly
// run beside their floors, and the latency of the dashboard queries that read
// the snapshots (region metrics; a five-year monthly series).
func BenchmarkCompliance(b *testing.B) {
	for _, scale := range benchScales() {
		b.Run(scale, func(b *testing.B) {
			db := testenv.DB(b)
			ctx := core.WithActor(context.Background(), core.System("bench"))
			stats, err := gen.Load(ctx, db, gen.LoadOptions{Scale: scale, Seed: 1, Years: 5}, nil)
			if err != nil {
				b.Fatal(err)
			}
			b.Logf("%s", strings.TrimSpace(stats.Summary()))
			area, err := db.RegionByCode(ctx, stats.Area)
			if err != nil {
				b.Fatal(err)
			}
			now := time.Now()
			c := &metrics.Computer{DB: db, Now: func() time.Time { return now }}
			year := period.Of(period.Year, now)
			month := period.Of(period.Month, now).Prev()
			floor := func(q string, args ...any) func(b *testing.B) {
				return func(b *testing.B) {
					for i := 0; i < b.N; i++ {
						var n int64
						if err := db.AsSystem(ctx, func(tx *postgres.Tx) error { return tx.Get(&n, q, args...) }); err != nil {
							b.Fatal(err)
						}
					}
				}
			}
			run := func(p period.Period, fams ...metrics.Family) func(b *testing.B) {
				return func(b *testing.B) {
					for i := 0; i < b.N; i++ {
						if _, err := c.Compute(ctx, p, fams, 0); err != nil {
							b.Fatal(err)
						}
					}
				}
			}
			b.Run("daily-run", run(year, metrics.FamilyOutcomes))
			b.Run("daily-floor", floor(dailyFloor, year.FirstDay().String(), year.LastDay().String(), year.Year))
			b.Run("monthly-run", run(month, metrics.FamilyMonthly))
			b.Run("monthly-floor", floor(monthlyFloor, month.FirstDay().String(), month.LastDay().String()))

			// Five years of monthly snapshots for the series query.
			from := month.Add(-59)
			for p := from; p.Compare(month) <= 0; p = p.Next() {
				if _, err := c.Compute(ctx, p, []metrics.Family{metrics.FamilyMonthly}, 0); err != nil {
					b.Fatal(err)
				}
			}
			if err := db.AsSystem(ctx, func(tx *postgres.Tx) error { _, err := tx.Exec(`ANALYZE`); return err }); err != nil {
				b.Fatal(err)
			}
			reader := core.WithActor(context.Background(), &core.Actor{TokenID: 1, Name: "bench", Role: core.RoleAnalystReadonly,
				ScopeID: area.ID, ScopeCode: area.Code, ScopePath: area.Path})
			b.Run("region-metrics-query", func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					if _, err := db.RegionMetrics(reader, area.ID, year.String()); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("five-year-series-query", func(b *testing.B) {
				ps, _ := period.Range(from, month)
				keys := make([]string, 0, 2*len(ps))
				for _, p := range ps {
					keys = append(keys, p.String(), p.SameLastYear().String())
				}
				for i := 0; i < b.N; i++ {
					rows, err := db.MetricSeries(reader, area.ID, "lecture_months", keys)
					if err != nil || len(rows) < 59 {
						b.Fatal(fmt.Sprint(len(rows), err))
					}
				}
			})
		})
	}
}
