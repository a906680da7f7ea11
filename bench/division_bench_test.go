package bench

import (
	"bytes"
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lawvillage/lawvillage/internal/core"
	"github.com/lawvillage/lawvillage/internal/gen"
	"github.com/lawvillage/lawvillage/internal/postgres"
	"github.com/lawvillage/lawvillage/internal/regionimport"
	"github.com/lawvillage/lawvillage/internal/testenv"
)

// BenchmarkDivisionProvince measures division adjustments and the history
// queries on a Jiangsu-sized province (22,000 villages, 46% titled), as the
// province official (row-level security included): a merge of two villages
// with their households, a move across districts, a village's history, the
// villages of a city as of a date, and the province's count as of a date.
func BenchmarkDivisionProvince(b *testing.B) {
	var buf bytes.Buffer
	if err := gen.WriteCSV(&buf, gen.Province(7, gen.JiangsuScale())); err != nil {
		b.Fatal(err)
	}
	sys := core.WithActor(context.Background(), core.System("bench"))
	db := testenv.DB(b)
	if _, err := regionimport.Import(sys, db, &buf, nil); err != nil {
		b.Fatal(err)
	}
	type village struct {
		ID       int64  `db:"id"`
		Code     string `db:"code"`
		TownCode string `db:"town_code"`
		CityPath string `db:"city_path"`
	}
	var vs []village
	if err := db.AsSystem(sys, func(tx *postgres.Tx) error {
		for _, q := range []string{
			`INSERT INTO titles (village_id, level, batch, year) SELECT id, 'provincial', 1 + id % 14, 2004 + id % 14 FROM regions WHERE level = 5 AND id % 100 < 46`,
			`INSERT INTO households (village_id, code) SELECT v.id, 'H' || n FROM regions v, generate_series(1, 20) n WHERE v.level = 5`,
			`ANALYZE`,
		} {
			if _, err := tx.Exec(q); err != nil {
				return err
			}
		}
		return tx.Select(&vs, `SELECT v.id, v.code, t.code AS town_code, subpath(v.path, 0, 2)::text AS city_path
			FROM regions v JOIN regions t ON t.id = v.parent_id WHERE v.level = 5 ORDER BY v.code`)
	}); err != nil {
		b.Fatal(err)
	}
	ctx := core.WithActor(context.Background(), &core.Actor{Name: "province", Role: core.RoleProvinceOfficial, ScopeCode: "32", ScopePath: "32"})
	var n atomic.Int64
	sctx := postgres.WithStatementCounter(ctx, &n)
	in := postgres.DivisionInput{EffectiveOn: time.Now().UTC().Truncate(24 * time.Hour), DecisionDocument: "bench"}
	next := 0 // villages are used once each
	take := func() village { next++; return vs[next*7%len(vs)] }
	b.Run("merge", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			src, dst := take(), take()
			n.Store(0)
			if _, err := db.MergeVillages(sctx, postgres.MergeVillages{DivisionInput: in, SourceCodes: []string{src.Code}, TargetCode: dst.Code}); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(n.Load()), "statements/op")
		}
	})
	b.Run("move", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			v, to := take(), take()
			for to.TownCode[:6] == v.Code[:6] { // another district
				to = take()
			}
			n.Store(0)
			if _, err := db.MoveVillage(sctx, postgres.MoveVillage{DivisionInput: in, VillageCode: v.Code, TownCode: to.TownCode,
				NewCode: to.TownCode + "9" + v.Code[10:]}); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(n.Load()), "statements/op")
		}
	})
	v := vs[len(vs)/2]
	b.Run("history", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			h, err := db.VersionsByRegions(ctx, []int64{v.ID})
			if err != nil || len(h[0]) == 0 {
				b.Fatal(h, err)
			}
		}
	})
	yesterday := time.Now().UTC().AddDate(0, 0, -1)
	b.Run("city villages as of", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			rows, _, err := db.VillagesAsOf(ctx, v.CityPath, yesterday, postgres.Page{First: 100})
			if err != nil || len(rows) != 100 {
				b.Fatal(len(rows), err)
			}
		}
	})
	b.Run("province villages count", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			c, err := db.CountVillages(ctx, "32", postgres.VillageFilter{})
			if err != nil || c < len(vs)-100 {
				b.Fatal(c, err)
			}
		}
	})
	b.Run("province count as of", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			c, err := db.CountVillagesAsOf(ctx, "32", yesterday)
			if err != nil || c != len(vs) {
				b.Fatal(c, err)
			}
		}
	})
}
