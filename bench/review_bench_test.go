package bench

import (
	"bytes"
	"context"
	"sync/atomic"
	"testing"

	"github.com/lawvillage/lawvillage/internal/core"
	"github.com/lawvillage/lawvillage/internal/gen"
	"github.com/lawvillage/lawvillage/internal/postgres"
	"github.com/lawvillage/lawvillage/internal/regionimport"
	"github.com/lawvillage/lawvillage/internal/review"
	"github.com/lawvillage/lawvillage/internal/testenv"
)

// BenchmarkReviewEvaluateProvince evaluates the yearly review of every
// district of a Jiangsu-sized province at once (22,000 villages, about 46%
// titled): the standards of every titled village from its metric snapshots,
// household registry and inspection findings, the recommendations, scores,
// ranks in district and city, and elimination under the 43% cap. The number
// of SQL statements does not grow with the villages.
func BenchmarkReviewEvaluateProvince(b *testing.B) {
	var buf bytes.Buffer
	if err := gen.WriteCSV(&buf, gen.Province(7, gen.JiangsuScale())); err != nil {
		b.Fatal(err)
	}
	ctx := core.WithActor(context.Background(), core.System("bench"))
	db := testenv.DB(b)
	if _, err := regionimport.Import(ctx, db, &buf, nil); err != nil {
		b.Fatal(err)
	}
	setup := []string{
		`INSERT INTO titles (village_id, level, batch, year)
		 SELECT id, 'provincial', 1 + id % 14, 2004 + id % 14 FROM regions WHERE level = 5 AND id % 100 < 46`,
		`INSERT INTO households (village_id, code, has_family_rule)
		 SELECT t.village_id, 'H' || n, n < 3 OR t.village_id % 50 <> 0 FROM titles t, generate_series(1, 3) n`,
		// The review year's metrics of every titled village: lectures vary, a few outcomes fail.
		`INSERT INTO metric_snapshots (metric, region_id, period, numerator, denominator, value, threshold, comparator, status, setting_from, computed_at)
		 SELECT m.metric, t.village_id, m.period, m.num, m.den, m.num / m.den, m.threshold, '>=',
		        CASE WHEN m.num >= m.threshold * m.den THEN 'met' ELSE 'not_met' END, '2000-01-01', now()
		 FROM titles t CROSS JOIN LATERAL (VALUES
		   ('lecture_months', '2026', (t.village_id % 6)::numeric, 5::numeric, 1::numeric),
		   ('board_months', '2026', 5, 5, 1), ('culture_quarters', '2026', 2, 2, 1), ('responsibility_list', '2026', 1, 1, 1),
		   ('volunteer_coverage', '2026', 3, 3, 1), ('mediation_success', '2026', CASE WHEN t.village_id % 97 = 0 THEN 8 ELSE 10 END, 10, 0.9),
		   ('safety', '2026', 99, 100, 0.95), ('deliberation_satisfaction', '2026', 45, 50, 0.9), ('legal_savvy_coverage', '2026', 4, 4, 1),
		   ('wechat_coverage', '2026', 3, 3, 1), ('lawsuits_declining', '2026', 1, 1, 1), ('constitution_day', '2025', 1, 1, 1),
		   ('culture_carrier_kinds', '2026', 5, 1, 5), ('legal_adviser', '2026', 1, 1, 1)
		 ) AS m(metric, period, num, den, threshold)`,
		`INSERT INTO metric_snapshots (metric, region_id, period, numerator, denominator, value, threshold, comparator, status, setting_from, computed_at)
		 SELECT k, t.village_id, '2026', 0, NULL, 0, 0, '=0', 'met', '2000-01-01', now()
		 FROM titles t, unnest(ARRAY['civil_to_criminal', 'extreme_violence']) k`,
		`ANALYZE`,
	}
	if err := db.AsSystem(ctx, func(tx *postgres.Tx) error {
		for _, q := range setup {
			if _, err := tx.Exec(q); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	svc := &review.Service{DB: db}
	revs, err := svc.Open(ctx, "32", 2026)
	if err != nil {
		b.Fatal(err)
	}
	// The districts' on-site checks: five inspection standards per titled village.
	if err := db.AsSystem(ctx, func(tx *postgres.Tx) error {
		if _, err := tx.Exec(`UPDATE reviews SET stage = 'first_review'`); err != nil {
			return err
		}
		_, err := tx.Exec(`INSERT INTO review_findings (review_id, village_id, standard, result, stage, recorded_by)
			SELECT rv.id, t.village_id, s, CASE WHEN s = 'B1' AND t.village_id % 89 = 0 THEN 'fail' ELSE 'pass' END, 'first_review', 'bench'
			FROM reviews rv JOIN regions d ON d.id = rv.region_id JOIN regions v ON v.path <@ d.path AND v.level = 5
			JOIN titles t ON t.village_id = v.id, unnest(ARRAY['B1', 'B2', 'B3', 'B5', 'B8']) s`)
		return err
	}); err != nil {
		b.Fatal(err)
	}
	var n atomic.Int64
	sctx := postgres.WithStatementCounter(ctx, &n)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		n.Store(0)
		out, err := svc.Evaluate(sctx, "32", 2026)
		if err != nil {
			b.Fatal(err)
		}
		titled, kept, eliminated := 0, 0, 0
		for _, r := range out {
			titled, kept, eliminated = titled+*r.Titled, kept+*r.Kept, eliminated+*r.Eliminated
		}
		if len(out) != len(revs) || titled < 9000 || kept == 0 || eliminated == 0 {
			b.Fatalf("%d reviews, %d titled, %d kept, %d eliminated", len(out), titled, kept, eliminated)
		}
		b.ReportMetric(float64(titled), "villages/op")
		b.ReportMetric(float64(n.Load()), "statements/op")
	}
}
