package review_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lawvillage/lawvillage/internal/core"
	"github.com/lawvillage/lawvillage/internal/postgres"
	"github.com/lawvillage/lawvillage/internal/regionimport"
)

func day(m time.Month, d int) time.Time { return time.Date(2026, m, d, 0, 0, 0, 0, time.UTC) }

func div(m time.Month, d int, doc string) postgres.DivisionInput {
	return postgres.DivisionInput{EffectiveOn: day(m, d), DecisionDocument: doc}
}

func (f *fixture) queryStrings(q string, args ...any) []string {
	f.t.Helper()
	var out []string
	f.must(f.db.AsSystem(f.sys, func(tx *postgres.Tx) error { return tx.Select(&out, q, args...) }))
	return out
}

func rulesOf(rs []*core.TitleRuling, ids map[string]int64, code string) []string {
	var out []string
	for _, r := range rs {
		if r.VillageID == ids[code] {
			out = append(out, r.Rule)
		}
	}
	return out
}

// TestDivisionAdjustmentsInTheReview: in 高淳区 (ten villages, 201-204
// titled) a titled village is renamed on 15 June and two villages (one
// titled) are merged into a titled one on 1 July; a titled village of 溧水区
// moves to 高淳区 on 1 August; an untitled one is split on 1 September. The
// history answers "as of a date", the dissolved villages leave the lists,
// counts and creation rates, and the 2026 review applies C1-C3: the renamed
// and merged-away titles are cancelled, the merged-into and moved titles are
// kept and ranked in their new district, and the province's confirmation
// cancels the titles and marks the rulings decided.
func TestDivisionAdjustmentsInTheReview(t *testing.T) {
	f := newFixture(t)
	revs, err := f.svc.Open(city, "3201", 2026)
	f.must(err)
	lishui, gc := revs[0], revs[1]
	gcv := func(n int) string {
		return "3201180012" + []string{"01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12"}[n-1]
	}

	// Bad input: nothing is written.
	_, err = f.db.RenameVillage(town(1), postgres.RenameVillage{DivisionInput: div(6, 15, "高政复〔2026〕12号"), VillageCode: code(1), Name: "x"})
	wantCode(t, err, core.EFORBIDDEN) // towns do not record adjustments
	for _, c := range []struct {
		name string
		ctx  context.Context
		in   postgres.RenameVillage
		want core.Code
	}{
		{"future date", gaochun, postgres.RenameVillage{DivisionInput: div(12, 1, "d"), VillageCode: gcv(2), Name: "芮家村"}, core.EINVALID},
		{"too far back", gaochun, postgres.RenameVillage{DivisionInput: postgres.DivisionInput{EffectiveOn: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), DecisionDocument: "d"}, VillageCode: gcv(2), Name: "芮家村"}, core.EINVALID},
		{"no document", gaochun, postgres.RenameVillage{DivisionInput: div(6, 15, " "), VillageCode: gcv(2), Name: "芮家村"}, core.EINVALID},
		{"same name", gaochun, postgres.RenameVillage{DivisionInput: div(6, 15, "d"), VillageCode: gcv(2), Name: "淳溪02村"}, core.EINVALID},
		{"not a village code", gaochun, postgres.RenameVillage{DivisionInput: div(6, 15, "d"), VillageCode: "320118001", Name: "芮家村"}, core.EINVALID},
		{"out of scope", gaochun, postgres.RenameVillage{DivisionInput: div(6, 15, "d"), VillageCode: code(1), Name: "芮家村"}, core.ENOTFOUND},
	} {
		_, err := f.db.RenameVillage(c.ctx, c.in)
		if core.ErrorCode(err) != c.want {
			t.Fatalf("%s: want %s, got %v", c.name, c.want, err)
		}
	}
	if n := f.queryStrings(`SELECT id::text FROM division_changes`); len(n) != 0 {
		t.Fatalf("rejected adjustments left %d changes", len(n))
	}

	// 15 June: 淳溪02村 is renamed 芮家村 (C2: its title is to be cancelled).
	res, err := f.db.RenameVillage(gaochun, postgres.RenameVillage{DivisionInput: div(6, 15, "高政复〔2026〕12号"), VillageCode: gcv(2), Name: "芮家村"})
	f.must(err)
	if res.Change.Kind != core.DivisionRename || len(res.Rulings) != 1 || res.Rulings[0].Rule != "C2" ||
		!strings.Contains(res.Rulings[0].Note, "原名称已不存在") {
		t.Fatalf("rename: %+v %+v", res.Change, res.Rulings)
	}
	// 1 July: 淳溪04村 (titled) and 淳溪05村 merge into 淳溪03村 (titled), name and territory kept.
	res, err = f.db.MergeVillages(gaochun, postgres.MergeVillages{DivisionInput: div(7, 1, "高政复〔2026〕15号"),
		SourceCodes: []string{gcv(4), gcv(5)}, TargetCode: gcv(3)})
	f.must(err)
	if got := rulesOf(res.Rulings, f.ids, gcv(3)); !slices.Equal(got, []string{"C1"}) {
		t.Fatalf("merge target rulings %v", got)
	}
	if got := rulesOf(res.Rulings, f.ids, gcv(4)); !slices.Equal(got, []string{"C2"}) || len(res.Rulings) != 2 {
		t.Fatalf("merge rulings %+v", res.Rulings)
	}
	_, err = f.db.MergeVillages(gaochun, postgres.MergeVillages{DivisionInput: div(7, 2, "d"), SourceCodes: []string{gcv(4)}, TargetCode: gcv(6)})
	wantCode(t, err, core.EINVALID) // already dissolved
	// The households of the merged villages now belong to 淳溪03村.
	if hs := f.queryStrings(`SELECT h.code FROM households h WHERE h.village_id = $1 ORDER BY h.code`, f.ids[gcv(3)]); !slices.Equal(hs,
		[]string{"H1", "H2", "H3", "淳溪04村-H1", "淳溪04村-H2", "淳溪04村-H3"}) {
		t.Fatalf("households after the merge %v", hs)
	}
	// 1 August: 溧水区's village k=60 moves to 高淳区 as 320118001211: only the city may (both districts).
	mv := postgres.MoveVillage{DivisionInput: div(8, 1, "苏政复〔2026〕30号"), VillageCode: code(60), TownCode: "320118001", NewCode: gcv(11)}
	_, err = f.db.MoveVillage(district, mv)
	wantCode(t, err, core.ENOTFOUND) // the district cannot see the other district's town
	_, err = f.db.MoveVillage(city, postgres.MoveVillage{DivisionInput: mv.DivisionInput, VillageCode: code(60), TownCode: "320118001", NewCode: "320117006299"})
	wantCode(t, err, core.EINVALID) // the new code must lie under the new town
	res, err = f.db.MoveVillage(city, mv)
	f.must(err)
	f.ids[gcv(11)] = f.ids[code(60)]
	if got := rulesOf(res.Rulings, f.ids, code(60)); !slices.Equal(got, []string{"C3", "C1"}) {
		t.Fatalf("move rulings %v", got)
	}
	// Importing the old listing again does not bring the retired code back.
	_, err = regionimport.Import(f.sys, f.db, strings.NewReader(csvListing()), nil)
	wantCode(t, err, core.EIMPORT)
	if rows := core.AsError(err).Details; len(rows) != 1 || !strings.Contains(rows[0].En, "code "+code(60)+" was retired on 2026-08-01") {
		t.Fatalf("re-import: %+v", core.AsError(err).Details)
	}
	// The district evaluates before the split, so that the split makes the evaluation stale.
	_, err = f.db.AdvanceReview(gaochun, postgres.AdvanceReview{ReviewID: gc.ID, To: core.StageFirstReview})
	f.must(err)
	_, err = f.svc.Evaluate(gaochun, "320118", 2026)
	f.must(err)
	// 1 September: 淳溪06村 (untitled) is split: 淳溪12村 is created, 06 continues.
	res, err = f.db.SplitVillage(gaochun, postgres.SplitVillage{DivisionInput: div(9, 1, "高政复〔2026〕20号"), VillageCode: gcv(6),
		Parts: []postgres.NewVillage{{Code: gcv(12), Name: "淳溪12村"}}, SourceContinues: true})
	f.must(err)
	if len(res.Rulings) != 0 || len(res.Change.Details.Regions) != 2 || res.Change.Details.Regions[1].Role != "created" {
		t.Fatalf("split %+v %+v", res.Change.Details, res.Rulings)
	}
	_, err = f.db.SplitVillage(gaochun, postgres.SplitVillage{DivisionInput: div(9, 1, "d"), VillageCode: gcv(7),
		Parts: []postgres.NewVillage{{Code: gcv(12), Name: "重复"}}, SourceContinues: true})
	wantCode(t, err, core.ECONFLICT) // the code is taken

	// History: what was 320118001202 called, and where did k=60 belong, when.
	v2 := f.ids[gcv(2)]
	for _, c := range []struct {
		date time.Time
		name string
	}{{day(6, 14), "淳溪02村"}, {day(6, 15), "芮家村"}, {day(11, 1), "芮家村"}} {
		v, err := f.db.RegionVersionAsOf(gaochun, v2, c.date)
		f.must(err)
		if v == nil || v.Name != c.name || v.ParentName != "淳溪街道" {
			t.Fatalf("%s as of %s: %+v", gcv(2), c.date.Format(time.DateOnly), v)
		}
	}
	moved := f.ids[code(60)]
	old, err := f.db.RegionVersionByCodeAsOf(city, code(60), day(7, 31))
	f.must(err)
	now, err := f.db.RegionVersionByCodeAsOf(city, gcv(11), day(8, 1))
	f.must(err)
	gone, err := f.db.RegionVersionByCodeAsOf(city, code(60), day(8, 1))
	f.must(err)
	if old == nil || old.RegionID != moved || old.ParentName != "白马镇" || now == nil || now.RegionID != moved ||
		now.ParentName != "淳溪街道" || gone != nil {
		t.Fatalf("move history: %+v / %+v / %+v", old, now, gone)
	}
	// 溧水区 still sees the village as it was before the move, and no longer after.
	if v, err := f.db.RegionVersionByCodeAsOf(district, code(60), day(7, 31)); err != nil || v == nil {
		t.Fatalf("溧水区 as of 31 July: %v %v", v, err)
	}
	if _, err := f.db.RegionByCode(district, gcv(11)); core.ErrorCode(err) != core.ENOTFOUND {
		t.Fatalf("溧水区 sees the moved village now: %v", err)
	}
	vs, _, err := f.db.VillagesAsOf(gaochun, "32.3201.320118", day(6, 30), postgres.Page{First: 100})
	f.must(err)
	if len(vs) != 10 || vs[1].Name != "芮家村" {
		t.Fatalf("villages of 高淳区 on 30 June: %d", len(vs))
	}
	vs, _, err = f.db.VillagesAsOf(gaochun, "32.3201.320118", day(9, 1), postgres.Page{First: 100})
	f.must(err)
	var names []string
	for _, v := range vs {
		names = append(names, v.Code)
	}
	if !slices.Equal(names, []string{gcv(1), gcv(2), gcv(3), gcv(6), gcv(7), gcv(8), gcv(9), gcv(10), gcv(11), gcv(12)}) {
		t.Fatalf("villages of 高淳区 on 1 September: %v", names)
	}
	// Lists and counts leave the dissolved out (unless asked).
	if n, err := f.db.CountVillages(gaochun, "32.3201.320118", postgres.VillageFilter{}); err != nil || n != 10 {
		t.Fatalf("count %d %v", n, err)
	}
	if n, err := f.db.CountVillages(gaochun, "32.3201.320118", postgres.VillageFilter{IncludeDissolved: true}); err != nil || n != 12 {
		t.Fatalf("count with dissolved %d %v", n, err)
	}
	// The title history shows the rulings.
	if ev := f.queryStrings(`SELECT e.action || ' ' || e.reason FROM title_events e JOIN titles t ON t.id = e.title_id
		WHERE t.village_id = $1 ORDER BY e.id`, v2); len(ev) != 1 || !strings.HasPrefix(ev[0], "division_ruling C2：") {
		t.Fatalf("title events %v", ev)
	}

	// The evaluation is stale: the split came after it.
	_, err = f.db.AdvanceReview(gaochun, postgres.AdvanceReview{ReviewID: gc.ID, To: core.StageCityReview})
	if core.ErrorCode(err) != core.EINVALID || !strings.Contains(err.Error(), "区划调整") {
		t.Fatalf("advance after an adjustment: %v", err)
	}
	ev, err := f.svc.Evaluate(gaochun, "320118", 2026)
	f.must(err)
	gc = ev[0]
	// 10 villages now; titled: 201, 202 (renamed), 203, 204 (merged away), 211 (moved in).
	if *gc.VillagesTotal != 10 || *gc.Titled != 5 || *gc.Kept != 3 || *gc.Cancelled != 2 || *gc.Revoked != 0 || *gc.RateAfter != 0.3 ||
		*gc.RateBefore != 0.4 { // the merged-away village's title is reviewed but no longer counts in the rate
		t.Fatalf("高淳区 %+v", summary(gc))
	}
	rs := f.results(gaochun, gc.ID, postgres.ResultFilter{})
	got := map[string]string{}
	for _, r := range rs {
		rank := ""
		if r.RankDistrict != nil {
			rank = " #" + string(rune('0'+*r.RankDistrict))
		}
		got[r.VillageCode] = r.Recommendation + " " + strings.Join(r.Causes, ",") + rank
	}
	want := map[string]string{gcv(1): "keep  #1", gcv(11): "keep  #2", gcv(3): "keep  #3", gcv(2): "cancel C2", gcv(4): "cancel C2"}
	if len(got) != len(want) {
		t.Fatalf("results %v", got)
	}
	for c, w := range want {
		if got[c] != w {
			t.Fatalf("results %v, want %v", got, want)
		}
	}
	for _, r := range rs {
		if r.VillageCode == gcv(4) && !strings.Contains(r.Explanation, "并入淳溪03村（320118001203）") {
			t.Fatalf("explanation %s", r.Explanation)
		}
	}
	std, err := f.db.StandardResults(gaochun, gc.ID, moved)
	f.must(err)
	var c3 *core.StandardResult
	for _, s := range std {
		if s.Standard == "C3" {
			c3 = s
		}
	}
	if c3 == nil || c3.Result != "pass" || !slices.Equal(c3.Sources, []string{"division"}) || !strings.Contains(c3.Note, "苏政复〔2026〕30号") {
		t.Fatalf("C3 of the moved village %+v", c3)
	}
	// 溧水区 has lost the village: 119 villages, 59 titled.
	_, err = f.db.AdvanceReview(district, postgres.AdvanceReview{ReviewID: lishui.ID, To: core.StageFirstReview})
	f.must(err)
	ev, err = f.svc.Evaluate(district, "320117", 2026)
	f.must(err)
	if *ev[0].VillagesTotal != 119 || *ev[0].Titled != 59 {
		t.Fatalf("溧水区 %+v", summary(ev[0]))
	}

	// Through the stages to the province's confirmation.
	for _, c := range []string{gcv(1), gcv(3), gcv(11)} {
		f.check(gaochun, gc.ID, c, nil)
	}
	_, err = f.svc.Evaluate(gaochun, "320118", 2026)
	f.must(err)
	_, err = f.db.AdvanceReview(gaochun, postgres.AdvanceReview{ReviewID: gc.ID, To: core.StageCityReview})
	f.must(err)
	_, err = f.db.AdvanceReview(city, postgres.AdvanceReview{ReviewID: gc.ID, To: core.StageProvinceEvaluation})
	f.must(err)
	_, n, err := f.db.ConfirmReview(province, postgres.ConfirmReview{ReviewID: gc.ID, DecisionDocument: "苏司〔2026〕2号", DecidedOn: day(11, 15)})
	f.must(err)
	if n != 2 {
		t.Fatalf("confirm changed %d titles", n)
	}
	st := f.queryStrings(`SELECT r.code || ' ' || t.status FROM titles t JOIN regions r ON r.id = t.village_id
		WHERE r.code LIKE '320118%' ORDER BY r.code`)
	if !slices.Equal(st, []string{gcv(1) + " retained", gcv(2) + " cancelled", gcv(3) + " retained", gcv(4) + " cancelled", gcv(11) + " retained"}) {
		t.Fatalf("titles after confirmation %v", st)
	}
	open := f.queryStrings(`SELECT rule FROM title_division_rulings WHERE review_id IS NULL`)
	if len(open) != 0 {
		t.Fatalf("rulings not marked decided: %v", open)
	}
	// Every adjustment left an audit record of the change and of each region.
	audits := f.queryStrings(`SELECT action FROM audit_log WHERE action LIKE 'division.%' ORDER BY id`)
	if !slices.Equal(audits, []string{"division.rename", "division.merge", "division.move", "division.split"}) {
		t.Fatalf("audit %v", audits)
	}
	if n := f.queryStrings(`SELECT object_id::text FROM audit_log WHERE action = 'region.adjust'`); len(n) != 1+3+1+2 {
		t.Fatalf("region audit records %d", len(n))
	}
}
