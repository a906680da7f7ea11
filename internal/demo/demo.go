// Package demo loads a demonstration district (fictional names, realistic
// shape) into an empty database for `make run`: its hierarchy, titles in
// several batches, this year's activities and a few evidence files.
package demo

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math/rand/v2"
	"time"

	"github.com/lawvillage/lawvillage/internal/core"
	"github.com/lawvillage/lawvillage/internal/evidence"
	"github.com/lawvillage/lawvillage/internal/gen"
	"github.com/lawvillage/lawvillage/internal/period"
	"github.com/lawvillage/lawvillage/internal/postgres"
	"github.com/lawvillage/lawvillage/internal/regionimport"
)

// DistrictCode is the demo district's division code.
const DistrictCode = "320117"

// Load fills an empty database with the demo district. It reports progress to
// out, does nothing when regions already exist, and tells whether it loaded.
func Load(ctx context.Context, db *postgres.DB, ev *evidence.Service, now time.Time, out io.Writer) (bool, error) {
	ctx = core.WithActor(ctx, core.System("demo"))
	if _, err := db.RegionByCode(ctx, "32"); err == nil {
		return false, nil
	}
	return true, load(ctx, db, ev, now, out)
}

func load(ctx context.Context, db *postgres.DB, ev *evidence.Service, now time.Time, out io.Writer) error {
	var buf bytes.Buffer
	if err := gen.WriteCSV(&buf, gen.DemoDistrict(1)); err != nil {
		return err
	}
	res, err := regionimport.Import(ctx, db, &buf, nil)
	if err != nil {
		return fmt.Errorf("demo hierarchy: %w", err)
	}
	fmt.Fprintf(out, "demo: %d regions loaded\n", res.Inserted)
	district, err := db.RegionByCode(ctx, DistrictCode)
	if err != nil {
		return err
	}
	var villages []*core.Region
	after := ""
	for {
		page, more, err := db.Villages(ctx, district.Path, postgres.VillageFilter{}, postgres.Page{First: 100, After: after})
		if err != nil {
			return err
		}
		villages = append(villages, page...)
		if !more {
			break
		}
		after = page[len(page)-1].Code
	}
	rng := rand.New(rand.NewPCG(2026, 1))
	titled, acts, files := 0, 0, 0
	today := period.DateOf(now)
	for i, v := range villages {
		hh := 300 + rng.IntN(1500)
		if _, err := db.UpdateVillage(ctx, v.ID, nil, nil, &hh); err != nil {
			return err
		}
		for g := 1; g <= 2+rng.IntN(4); g++ {
			if _, err := db.AddGrid(ctx, v.ID, fmt.Sprintf("第%d网格", g)); err != nil {
				return err
			}
			if _, err := db.AddVillagerGroup(ctx, v.ID, fmt.Sprintf("第%d村民小组", g)); err != nil {
				return err
			}
		}
		if rng.IntN(100) < 40 { // a little under the 43% cap
			batch := 1 + rng.IntN(14)
			year := 2004 + batch + rng.IntN(2)
			if year > now.Year() {
				year = now.Year()
			}
			doc := fmt.Sprintf("苏法宣〔%d〕%d号", year, 10+rng.IntN(80))
			if _, err := db.AwardTitle(ctx, postgres.AwardTitle{VillageID: v.ID, Level: core.TitleProvincial,
				Batch: &batch, Year: year, DecisionDocument: &doc}); err != nil {
				return err
			}
			titled++
		}
		// This year's activities so far; most villages are diligent, a few are not.
		diligence := 50 + rng.IntN(51)
		for m := 1; m <= int(today.Month); m++ {
			for _, kind := range []core.ActivityKind{core.ActivityLecture, core.ActivityBoardUpdate} {
				if rng.IntN(100) >= diligence {
					continue
				}
				day := 1 + rng.IntN(28)
				if m == int(today.Month) && day > today.Day {
					continue
				}
				title := "法治讲座：民法典进农家"
				if kind == core.ActivityBoardUpdate {
					title = fmt.Sprintf("法治宣传栏%d月更新", m)
				}
				a, err := db.RecordActivity(ctx, v.ID, postgres.ActivityInput{Kind: kind,
					Date: time.Date(today.Year, time.Month(m), day, 0, 0, 0, 0, time.UTC), Title: title,
					Place: "村民活动中心", Organiser: "村法律明白人", Participants: ptr(20 + rng.IntN(60))})
				if err != nil {
					return err
				}
				acts++
				// Evidence for the first villages only, to keep the first start quick.
				if i < 12 && ev != nil {
					if _, err := ev.Upload(ctx, a.ID, evidence.File{Name: "签到表.png", Size: -1,
						Body: bytes.NewReader(signInSheet(a.ID))}, ""); err != nil {
						return fmt.Errorf("demo evidence: %w", err)
					}
					files++
				}
			}
		}
	}
	if err := records(ctx, db, district.Path, today.Year); err != nil {
		return fmt.Errorf("demo records: %w", err)
	}
	fmt.Fprintf(out, "demo: %d villages, %d provincial titles, %d activities, %d evidence files, and their records\n", len(villages), titled, acts, files)
	return nil
}

// records gives every demo village a small household registry, legal-savvy
// persons, mediation cases and safety surveys for the year, in a few set-based
// statements, so the compliance metrics have something to show. The values
// are fictional and vary by village so that some villages fall short.
func records(ctx context.Context, db *postgres.DB, path string, year int) error {
	return db.AsSystem(ctx, func(tx *postgres.Tx) error {
		stmts := []string{
			`INSERT INTO households (village_id, code, group_id, grid_id, head_name, phone, model_household_year, has_family_rule, wechat_member)
			 SELECT v.id, lpad(i::text, 4, '0'), g.id, gr.id, '户主' || lpad(i::text, 4, '0'), '',
			        CASE WHEN i % 16 = 0 OR (v.id % 7 <> 0 AND i % 19 = 0) THEN $2::int - 1 END, i % 12 <> 0, v.id % 5 = 0 OR i % 25 <> 0
			 FROM regions v CROSS JOIN generate_series(1, 40) i
			 JOIN LATERAL (SELECT id FROM villager_groups WHERE village_id = v.id ORDER BY name OFFSET (i % 2) LIMIT 1) g ON true
			 JOIN LATERAL (SELECT id FROM grids WHERE village_id = v.id ORDER BY name OFFSET (i % 2) LIMIT 1) gr ON true
			 WHERE v.level = 5 AND v.path <@ $1::ltree`,
			`INSERT INTO legal_savvy_persons (village_id, grid_id, name, active_from)
			 SELECT g.village_id, g.id, '明白人' || g.id, make_date($2::int, 1, 1) FROM grids g
			 JOIN regions v ON v.id = g.village_id WHERE v.path <@ $1::ltree AND (g.id % 9 <> 0)`,
			`INSERT INTO mediation_cases (village_id, case_no, received_on, concluded_on, outcome)
			 SELECT v.id, $2::text || '-' || i, make_date($2::int, 1 + i % 10, 5), make_date($2::int, 1 + i % 10, 20),
			        CASE WHEN i % (8 + v.id % 5) = 0 THEN 'failure' ELSE 'success' END
			 FROM regions v CROSS JOIN generate_series(1, 12) i
			 WHERE v.level = 5 AND v.path <@ $1::ltree AND make_date($2::int, 1 + i % 10, 20) <= (now() AT TIME ZONE 'Asia/Shanghai')::date`,
			`INSERT INTO surveys (village_id, kind, period, surveyed_on, respondents, positive)
			 SELECT v.id, 'safety', $2::text || '-Q' || q, make_date($2::int, q * 3 - 1, 15), 100, 93 + (v.id + q) % 7
			 FROM regions v CROSS JOIN generate_series(1, 3) q
			 WHERE v.level = 5 AND v.path <@ $1::ltree AND make_date($2::int, q * 3 - 1, 15) <= (now() AT TIME ZONE 'Asia/Shanghai')::date`,
		}
		for _, q := range stmts {
			if _, err := tx.Exec(q, path, year); err != nil {
				return err
			}
		}
		return nil
	})
}

func ptr[T any](v T) *T { return &v }

// signInSheet draws a small distinct PNG standing in for a photographed sign-in sheet.
func signInSheet(seed int64) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for y := 0; y < 48; y++ {
		for x := 0; x < 64; x++ {
			img.Set(x, y, color.RGBA{uint8(200 + seed%50), uint8(x * 3), uint8(y * 4), 255})
		}
	}
	var b bytes.Buffer
	_ = png.Encode(&b, img)
	return b.Bytes()
}
