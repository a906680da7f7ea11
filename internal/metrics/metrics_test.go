package metrics_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/lawvillage/lawvillage/internal/core"
	"github.com/lawvillage/lawvillage/internal/metrics"
	"github.com/lawvillage/lawvillage/internal/period"
	"github.com/lawvillage/lawvillage/internal/postgres"
	"github.com/lawvillage/lawvillage/internal/regionimport"
	"github.com/lawvillage/lawvillage/internal/testenv"
)

const villagesCSV = `code,name,parent_code
32,江苏省,
3201,南京市,32
320117,溧水区,3201
320117001,永阳街道,320117
320117100,白马镇,320117
320117001001,甲社区居委会,320117001
320117001201,乙村委会,320117001
320117100201,丙村委会,320117100
320117100202,丁村委会,320117100
`

type fixture struct {
	t   *testing.T
	db  *postgres.DB
	ctx context.Context
	ids map[string]int64 // village letter -> id
}

func newFixture(t *testing.T) *fixture {
	db := testenv.DB(t)
	ctx := core.WithActor(context.Background(), core.System("test"))
	if _, err := regionimport.Import(ctx, db, strings.NewReader(villagesCSV), nil); err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, db: db, ctx: ctx, ids: map[string]int64{}}
	for letter, code := range map[string]string{"A": "320117001001", "B": "320117001201", "C": "320117100201", "D": "320117100202"} {
		r, err := db.RegionByCode(ctx, code)
		if err != nil {
			t.Fatal(err)
		}
		f.ids[letter] = r.ID
	}
	// Most cases count activities without evidence; one case turns the rule back on.
	f.exec(`INSERT INTO settings (key, valid_from, value) VALUES ('activity.requires_evidence', '2000-01-02', 'false')`)
	return f
}

func (f *fixture) exec(q string, args ...any) {
	f.t.Helper()
	if err := f.db.AsSystem(f.ctx, func(tx *postgres.Tx) error { _, err := tx.Exec(q, args...); return err }); err != nil {
		f.t.Fatalf("%s: %v", q, err)
	}
}

// compute runs the families for the period with the clock at now.
func (f *fixture) compute(p string, now time.Time, fams ...metrics.Family) metrics.Result {
	f.t.Helper()
	c := &metrics.Computer{DB: f.db, Now: func() time.Time { return now }}
	res, err := c.Compute(f.ctx, period.MustParse(p), fams, 0)
	if err != nil {
		f.t.Fatalf("compute %s: %v", p, err)
	}
	return res
}

type snap struct {
	Num    float64  `db:"numerator"`
	Den    *float64 `db:"denominator"`
	Value  *float64 `db:"value"`
	Thr    float64  `db:"threshold"`
	Status string   `db:"status"`
}

func (f *fixture) snap(metric, code, p string) snap {
	f.t.Helper()
	var s snap
	if err := f.db.AsSystem(f.ctx, func(tx *postgres.Tx) error {
		return tx.Get(&s, `SELECT s.numerator, s.denominator, s.value, s.threshold, s.status FROM metric_snapshots s
			JOIN regions r ON r.id = s.region_id WHERE s.metric = $1 AND r.code = $2 AND s.period = $3`, metric, code, p)
	}); err != nil {
		f.t.Fatalf("snapshot %s %s %s: %v", metric, code, p, err)
	}
	return s
}

func (f *fixture) want(metric, code, p string, num float64, den float64, status string) {
	f.t.Helper()
	s := f.snap(metric, code, p)
	gotDen := -1.0
	if s.Den != nil {
		gotDen = *s.Den
	}
	if s.Num != num || gotDen != den || s.Status != status {
		f.t.Errorf("%s %s %s: got %v/%v %s, want %v/%v %s", metric, code, p, s.Num, gotDen, s.Status, num, den, status)
	}
	if status == "no_data" && s.Value != nil {
		f.t.Errorf("%s %s %s: no data must have no value, got %v", metric, code, p, *s.Value)
	}
}

func shanghai(y int, m time.Month, d int) time.Time {
	return time.Date(y, m, d, 12, 0, 0, 0, period.Location())
}

func (f *fixture) cases(village string, success, failure, pending int, concluded string) {
	for i := 0; i < success+failure+pending; i++ {
		outcome, conc := "success", &concluded
		if i >= success {
			outcome = "failure"
		}
		if i >= success+failure {
			outcome, conc = "pending", nil
		}
		f.exec(`INSERT INTO mediation_cases (village_id, case_no, received_on, concluded_on, outcome)
			VALUES ($1, $2, $3::date - 10, $4::date, $5)`, f.ids[village], village+concluded+string(rune('a'+i)), concluded, conc, outcome)
	}
}

func TestMediationSuccess(t *testing.T) {
	f := newFixture(t)
	f.cases("A", 9, 1, 0, "2026-05-10") // exactly 90%
	f.cases("B", 8, 2, 0, "2026-05-10") // 80%
	f.cases("D", 0, 0, 3, "2026-05-10") // only pending: no data
	f.compute("2026-Q2", shanghai(2026, 7, 15), metrics.FamilyOutcomes)
	f.want("mediation_success", "320117001001", "2026-Q2", 9, 10, "met")
	f.want("mediation_success", "320117001201", "2026-Q2", 8, 10, "not_met")
	f.want("mediation_success", "320117100201", "2026-Q2", 0, 0, "no_data")
	f.want("mediation_success", "320117100202", "2026-Q2", 0, 0, "no_data")
	// Areas pool the cases: 17/20 in the first town and the district.
	f.want("mediation_success", "320117001", "2026-Q2", 17, 20, "not_met")
	f.want("mediation_success", "320117100", "2026-Q2", 0, 0, "no_data")
	f.want("mediation_success", "320117", "2026-Q2", 17, 20, "not_met")
	// Cases concluded in another period do not count.
	f.compute("2026-Q1", shanghai(2026, 7, 15), metrics.FamilyOutcomes)
	f.want("mediation_success", "320117001001", "2026-Q1", 0, 0, "no_data")
}

func TestSurveysAtThreshold(t *testing.T) {
	f := newFixture(t)
	f.exec(`INSERT INTO surveys (village_id, kind, period, surveyed_on, respondents, positive) VALUES
		($1, 'safety', '2026-Q2', '2026-06-01', 100, 95), ($2, 'safety', '2026-Q2', '2026-06-01', 100, 94),
		($1, 'deliberation_satisfaction', '2026', '2026-06-02', 50, 45)`, f.ids["A"], f.ids["B"])
	f.compute("2026-Q2", shanghai(2026, 7, 15), metrics.FamilyOutcomes)
	f.want("safety", "320117001001", "2026-Q2", 95, 100, "met")
	f.want("safety", "320117001201", "2026-Q2", 94, 100, "not_met")
	f.want("safety", "320117100201", "2026-Q2", 0, 0, "no_data")
	f.want("deliberation_satisfaction", "320117001001", "2026-Q2", 45, 50, "met")
	f.want("safety", "320117001", "2026-Q2", 189, 200, "not_met")
}

func TestHouseholdsAndGrids(t *testing.T) {
	f := newFixture(t)
	f.exec(`INSERT INTO villager_groups (village_id, name) VALUES ($1, '一组'), ($1, '二组')`, f.ids["A"])
	f.exec(`INSERT INTO grids (village_id, name) VALUES ($1, '一网格'), ($1, '二网格'), ($2, '一网格')`, f.ids["A"], f.ids["B"])
	// A: 20 households, 10 per group; one model household (in group 一组) named in 2025:
	// 5% of the village (met), but group 二组 has none (not every group meets it).
	f.exec(`INSERT INTO households (village_id, code, group_id, model_household_year, wechat_member)
		SELECT $1, 'h' || i, (SELECT id FROM villager_groups WHERE village_id = $1 AND name = CASE WHEN i <= 10 THEN '一组' ELSE '二组' END),
		       CASE WHEN i = 1 THEN 2025 END, i <= 19
		FROM generate_series(1, 20) i`, f.ids["A"])
	f.exec(`INSERT INTO household_volunteer_years (household_id, village_id, year)
		SELECT id, village_id, 2026 FROM households WHERE village_id = $1`, f.ids["A"])
	f.exec(`INSERT INTO legal_savvy_persons (village_id, grid_id, name, active_from)
		SELECT $1, id, '某', '2020-01-01' FROM grids WHERE village_id = $1 AND name = '一网格'`, f.ids["A"])
	f.exec(`INSERT INTO legal_savvy_persons (village_id, grid_id, name, active_from, active_to)
		SELECT $1, id, '某', '2020-01-01', '2025-12-31' FROM grids WHERE village_id = $1`, f.ids["B"])
	f.compute("2026", shanghai(2026, 12, 31), metrics.FamilyOutcomes, metrics.FamilyYearly)
	f.want("model_households", "320117001001", "2026", 1, 20, "met")
	f.want("model_household_groups", "320117001001", "2026", 1, 2, "not_met")
	f.want("wechat_coverage", "320117001001", "2026", 19, 20, "not_met")
	f.want("volunteer_coverage", "320117001001", "2026", 20, 20, "met")
	f.want("legal_savvy_coverage", "320117001001", "2026", 1, 2, "not_met")
	f.want("legal_savvy_coverage", "320117001201", "2026", 0, 1, "not_met") // the person left before the period
	f.want("legal_savvy_coverage", "320117100201", "2026", 0, 0, "no_data") // a village without grids
	f.want("model_households", "320117100201", "2026", 0, 0, "no_data")
	// A model household named later does not count for an earlier year.
	f.compute("2024", shanghai(2026, 12, 31), metrics.FamilyOutcomes)
	f.want("model_households", "320117001001", "2024", 0, 20, "not_met")
}

func (f *fixture) activity(village, kind, date string) {
	f.exec(`INSERT INTO activities (village_id, kind, occurred_on, title) VALUES ($1, $2, $3, 'x')`, f.ids[village], kind, date)
}

func TestDutiesAcrossBoundaries(t *testing.T) {
	f := newFixture(t)
	for _, d := range []string{"2026-04-03", "2026-05-09", "2026-06-30"} {
		f.activity("A", "lecture", d)
	}
	f.activity("B", "lecture", "2026-04-03")
	f.activity("B", "lecture", "2026-04-20") // two in one month count once
	f.activity("B", "lecture", "2026-06-01")
	f.activity("C", "lecture", "2025-12-31") // the year boundary
	f.activity("C", "lecture", "2026-01-01")
	f.activity("D", "lecture", "2024-02-29") // a leap day
	f.compute("2026-Q2", shanghai(2026, 7, 15), metrics.FamilyMonthly)
	f.want("lecture_months", "320117001001", "2026-Q2", 3, 3, "met")
	f.want("lecture_months", "320117001201", "2026-Q2", 2, 3, "not_met")
	f.want("lecture_months", "320117001", "2026-Q2", 1, 2, "not_met") // villages that met it / villages due
	f.compute("2025-12", shanghai(2026, 7, 15), metrics.FamilyMonthly)
	f.want("lecture_months", "320117100201", "2025-12", 1, 1, "met")
	f.compute("2025-Q4", shanghai(2026, 7, 15), metrics.FamilyMonthly)
	f.want("lecture_months", "320117100201", "2025-Q4", 1, 3, "not_met")
	f.compute("2026-01", shanghai(2026, 7, 15), metrics.FamilyMonthly)
	f.want("lecture_months", "320117100201", "2026-01", 1, 1, "met")
	f.compute("2024-02", shanghai(2026, 7, 15), metrics.FamilyMonthly)
	f.want("lecture_months", "320117100202", "2024-02", 1, 1, "met")
	// A year in progress: only the months begun so far are due.
	f.compute("2026", shanghai(2026, 7, 15), metrics.FamilyMonthly)
	f.want("lecture_months", "320117001001", "2026", 3, 7, "not_met")
	// Evidence required (the default rule): activities without evidence do not count.
	f.exec(`DELETE FROM settings WHERE key = 'activity.requires_evidence' AND valid_from = '2000-01-02'`)
	f.compute("2026-Q2", shanghai(2026, 7, 15), metrics.FamilyMonthly)
	f.want("lecture_months", "320117001001", "2026-Q2", 0, 3, "not_met")
}

func TestCreationRateAndZeroEvents(t *testing.T) {
	f := newFixture(t)
	f.exec(`INSERT INTO titles (village_id, level, batch, year) VALUES ($1, 'provincial', 3, 2008), ($2, 'provincial', 9, 2015)`, f.ids["A"], f.ids["C"])
	f.exec(`INSERT INTO incidents (village_id, kind, occurred_on, source_department) VALUES ($1, 'extreme_violence', '2026-03-02', '公安局')`, f.ids["D"])
	res := f.compute("2026", shanghai(2026, 7, 15), metrics.FamilyOutcomes)
	f.want("creation_rate", "320117", "2026", 2, 4, "not_met") // 50% > 43%
	f.want("creation_rate", "320117001", "2026", 1, 2, "not_met")
	f.want("creation_rate", "32", "2026", 2, 4, "not_met")
	f.want("extreme_violence", "320117100202", "2026", 1, -1, "not_met")
	f.want("extreme_violence", "320117001001", "2026", 0, -1, "met")
	f.want("extreme_violence", "320117", "2026", 1, -1, "not_met")
	// Alerts: the district's, city's and province's creation rate, D's
	// critical event, and, since no village here has recorded a culture
	// carrier or a legal adviser, culture_carrier_kinds and legal_adviser of
	// each of the four villages.
	if res.Alerts.Raised != 12 {
		t.Errorf("raised %d alerts, want 12 (creation rate of 320117, 3201, 32; extreme violence of D; 4 villages × carriers, adviser)", res.Alerts.Raised)
	}
	var sev string
	_ = f.db.AsSystem(f.ctx, func(tx *postgres.Tx) error {
		return tx.Get(&sev, `SELECT severity FROM alerts WHERE rule = 'extreme_violence' AND region_id = $1`, f.ids["D"])
	})
	if sev != "critical" {
		t.Errorf("extreme violence severity %q", sev)
	}
	// Revoking a title brings the district under the cap; the alert resolves.
	f.exec(`UPDATE titles SET status = 'revoked' WHERE village_id = $1`, f.ids["C"])
	res = f.compute("2026", shanghai(2026, 7, 15), metrics.FamilyOutcomes)
	f.want("creation_rate", "320117", "2026", 1, 4, "met")
	if res.Alerts.Resolved != 3 {
		t.Errorf("resolved %d, want 3", res.Alerts.Resolved)
	}
}

func TestIdempotentAndAlertLifecycle(t *testing.T) {
	f := newFixture(t)
	f.cases("B", 8, 2, 0, "2026-05-10")
	now := shanghai(2026, 7, 15)
	first := f.compute("2026-Q2", now, metrics.FamilyOutcomes)
	if first.Rows == 0 || first.Alerts.Raised == 0 {
		t.Fatalf("first run wrote nothing: %+v", first)
	}
	again := f.compute("2026-Q2", now.Add(time.Hour), metrics.FamilyOutcomes)
	if again.Rows != 0 || again.Alerts != (metrics.AlertChanges{}) {
		t.Fatalf("a re-run changed something: %+v", again)
	}
	count := func(q string, args ...any) int {
		var n int
		_ = f.db.AsSystem(f.ctx, func(tx *postgres.Tx) error { return tx.Get(&n, q, args...) })
		return n
	}
	if n := count(`SELECT count(*) FROM alerts WHERE rule = 'mediation_success' AND region_id = $1`, f.ids["B"]); n != 1 {
		t.Fatalf("%d mediation alerts for B", n)
	}
	// Late records make B pass: the alert resolves by itself.
	f.cases("B", 10, 0, 0, "2026-06-10") // 18/20 = 90%
	res := f.compute("2026-Q2", now.Add(2*time.Hour), metrics.FamilyOutcomes)
	if res.Alerts.Resolved != 1 {
		t.Fatalf("want B's alert resolved, got %+v", res.Alerts)
	}
	// It fails again: the same alert reopens, with its history kept.
	f.cases("B", 0, 5, 0, "2026-06-11")
	res = f.compute("2026-Q2", now.Add(3*time.Hour), metrics.FamilyOutcomes)
	if res.Alerts.Reopened != 1 || res.Alerts.Raised != 0 {
		t.Fatalf("want one reopened alert, got %+v", res.Alerts)
	}
	if n := count(`SELECT count(*) FROM alert_events e JOIN alerts a ON a.id = e.alert_id WHERE a.rule = 'mediation_success' AND a.region_id = $1`, f.ids["B"]); n != 3 {
		t.Fatalf("want raised, resolved, reopened events; got %d", n)
	}
}

func TestThresholdHistory(t *testing.T) {
	f := newFixture(t)
	f.cases("A", 17, 3, 0, "2026-06-20") // 85%
	f.cases("A", 17, 3, 0, "2026-07-05")
	// From July the district decides 80% is enough.
	f.exec(`INSERT INTO settings (key, valid_from, value) VALUES ('threshold.mediation_success', '2026-07-01T00:00:00+08:00', '0.80')`)
	f.compute("2026-06", shanghai(2026, 8, 1), metrics.FamilyOutcomes)
	f.compute("2026-07", shanghai(2026, 8, 1), metrics.FamilyOutcomes)
	june, july := f.snap("mediation_success", "320117001001", "2026-06"), f.snap("mediation_success", "320117001001", "2026-07")
	if june.Thr != 0.9 || june.Status != "not_met" || july.Thr != 0.8 || july.Status != "met" {
		t.Fatalf("june %+v, july %+v", june, july)
	}
	// Recomputing June later keeps June's setting.
	f.compute("2026-06", shanghai(2026, 9, 1), metrics.FamilyOutcomes)
	if again := f.snap("mediation_success", "320117001001", "2026-06"); again.Thr != 0.9 {
		t.Fatalf("june recomputed with %v", again.Thr)
	}
}

func TestLawsuitsDeclining(t *testing.T) {
	f := newFixture(t)
	f.exec(`INSERT INTO lawsuits (village_id, year, civil, administrative) VALUES
		($1, 2023, 9, 1), ($1, 2024, 6, 1), ($1, 2025, 4, 0),
		($2, 2023, 5, 0), ($2, 2024, 5, 0), ($2, 2025, 3, 0),
		($3, 2024, 5, 0), ($3, 2025, 3, 0)`, f.ids["A"], f.ids["B"], f.ids["C"])
	f.compute("2026", shanghai(2026, 7, 1), metrics.FamilyYearly)
	f.want("lawsuits_declining", "320117001001", "2026", 1, 1, "met")
	f.want("lawsuits_declining", "320117001201", "2026", 0, 1, "not_met") // flat, not declining
	f.want("lawsuits_declining", "320117100201", "2026", 0, 0, "no_data") // a year missing
}

func (f *fixture) carriers(village string, kinds ...string) {
	f.t.Helper()
	for i, k := range kinds {
		f.exec(`INSERT INTO culture_carriers (village_id, kind, name) VALUES ($1, $2, $3)`, f.ids[village], k, k+string(rune('a'+i)))
	}
}

// value is the snapshot's value (-1 for none).
func (f *fixture) value(metric, code, p string) (float64, float64) {
	f.t.Helper()
	s := f.snap(metric, code, p)
	if s.Value == nil {
		return -1, s.Thr
	}
	return *s.Value, s.Thr
}

func TestCultureCarrierKinds(t *testing.T) {
	f := newFixture(t)
	// A: exactly five kinds (a second board is the same kind).
	f.carriers("A", "courtyard", "square", "corridor", "board", "screen", "board")
	// B: four kinds.
	f.carriers("B", "courtyard", "square", "park", "library")
	// C: four kinds and two carriers of kind other: the others make one kind, so five.
	f.carriers("C", "courtyard", "square", "corridor", "board", "other", "other")
	// D: no carrier recorded: 0 kinds, not met (not "no data": the position must exist).
	f.compute("2026-Q2", shanghai(2026, 7, 15), metrics.FamilyOutcomes)
	f.want("culture_carrier_kinds", "320117001001", "2026-Q2", 5, 1, "met")
	f.want("culture_carrier_kinds", "320117001201", "2026-Q2", 4, 1, "not_met")
	f.want("culture_carrier_kinds", "320117100201", "2026-Q2", 5, 1, "met")
	f.want("culture_carrier_kinds", "320117100202", "2026-Q2", 0, 1, "not_met")
	// A village's value is the number of kinds, against the threshold 5.
	if v, thr := f.value("culture_carrier_kinds", "320117001201", "2026-Q2"); v != 4 || thr != 5 {
		t.Errorf("B: value %v threshold %v, want 4 and 5", v, thr)
	}
	// Areas: villages with at least 5 kinds over villages; met only when all are (threshold 1).
	f.want("culture_carrier_kinds", "320117001", "2026-Q2", 1, 2, "not_met")
	f.want("culture_carrier_kinds", "320117100", "2026-Q2", 1, 2, "not_met")
	f.want("culture_carrier_kinds", "320117", "2026-Q2", 2, 4, "not_met")
	if v, thr := f.value("culture_carrier_kinds", "320117", "2026-Q2"); v != 0.5 || thr != 1 {
		t.Errorf("district: value %v threshold %v, want 0.5 and 1", v, thr)
	}
	// B and D breach; A and C do not.
	var alerted []string
	_ = f.db.AsSystem(f.ctx, func(tx *postgres.Tx) error {
		return tx.Select(&alerted, `SELECT r.code FROM alerts a JOIN regions r ON r.id = a.region_id
			WHERE a.rule = 'culture_carrier_kinds' AND a.period = '2026-Q2' AND a.state = 'open' ORDER BY r.code`)
	})
	if strings.Join(alerted, ",") != "320117001201,320117100202" {
		t.Errorf("alerts for %v, want B and D", alerted)
	}
	// From July carriers of kind other no longer count: C drops to 4 kinds in
	// the third quarter, while the second quarter, recomputed, keeps its rule.
	f.exec(`INSERT INTO settings (key, valid_from, value) VALUES ('interpret.culture_carrier_other_counts', '2026-07-01T00:00:00+08:00', 'false')`)
	f.compute("2026-Q3", shanghai(2026, 10, 15), metrics.FamilyOutcomes)
	f.want("culture_carrier_kinds", "320117100201", "2026-Q3", 4, 1, "not_met")
	f.compute("2026-Q2", shanghai(2026, 10, 15), metrics.FamilyOutcomes)
	f.want("culture_carrier_kinds", "320117100201", "2026-Q2", 5, 1, "met")
	// The threshold is a setting with history too: at 4 kinds from 2027, B meets it.
	f.exec(`INSERT INTO settings (key, valid_from, value) VALUES ('threshold.culture_carrier_kinds', '2027-01-01T00:00:00+08:00', '4')`)
	f.compute("2027-01", shanghai(2027, 2, 1), metrics.FamilyOutcomes)
	f.want("culture_carrier_kinds", "320117001201", "2027-01", 4, 1, "met")
	f.want("culture_carrier_kinds", "320117001", "2027-01", 2, 2, "met")
}

func TestLegalAdviserInOffice(t *testing.T) {
	f := newFixture(t)
	adviser := func(village, from string, to any) {
		f.exec(`INSERT INTO legal_advisers (village_id, name, firm, active_from, active_to) VALUES ($1, '王律师', '某律师事务所', $2, $3)`,
			f.ids[village], from, to)
	}
	adviser("A", "2025-01-01", nil)          // in office
	adviser("B", "2024-01-01", "2026-06-29") // the term ended the day before the cutoff
	adviser("C", "2026-07-01", nil)          // the term begins the day after the cutoff
	adviser("D", "2024-01-01", "2026-06-30") // the term ends on the cutoff: still in office that day
	// The quarter ended on 30 June: that is the cutoff.
	f.compute("2026-Q2", shanghai(2026, 7, 15), metrics.FamilyOutcomes)
	f.want("legal_adviser", "320117001001", "2026-Q2", 1, 1, "met")
	f.want("legal_adviser", "320117001201", "2026-Q2", 0, 1, "not_met")
	f.want("legal_adviser", "320117100201", "2026-Q2", 0, 1, "not_met")
	f.want("legal_adviser", "320117100202", "2026-Q2", 1, 1, "met")
	// Areas: villages with an adviser over villages.
	f.want("legal_adviser", "320117001", "2026-Q2", 1, 2, "not_met")
	f.want("legal_adviser", "320117100", "2026-Q2", 1, 2, "not_met")
	f.want("legal_adviser", "320117", "2026-Q2", 2, 4, "not_met")
	// A quarter in progress is judged today (15 August): C's adviser has
	// begun, D's has left. D is merged away on 1 August: it is no longer counted.
	f.exec(`UPDATE regions SET dissolved_on = '2026-08-01' WHERE id = $1`, f.ids["D"])
	f.compute("2026-Q3", shanghai(2026, 8, 15), metrics.FamilyOutcomes)
	f.want("legal_adviser", "320117100201", "2026-Q3", 1, 1, "met")
	f.want("legal_adviser", "320117100", "2026-Q3", 1, 1, "met")
	f.want("legal_adviser", "320117", "2026-Q3", 2, 3, "not_met")
	var n int
	_ = f.db.AsSystem(f.ctx, func(tx *postgres.Tx) error {
		return tx.Get(&n, `SELECT count(*) FROM metric_snapshots WHERE region_id = $1 AND period = '2026-Q3'`, f.ids["D"])
	})
	if n != 0 {
		t.Errorf("the dissolved village has %d snapshots for 2026-Q3", n)
	}
}

// TestDissolvedVillageLeavesThePeriod: a village that fails mediation has an
// alert for 2026-Q3; merged away on 1 September, the next run removes its
// snapshots of the quarter and resolves its alert, and the areas no longer
// count it. Its earlier quarter keeps its snapshots and alert.
func TestDissolvedVillageLeavesThePeriod(t *testing.T) {
	f := newFixture(t)
	f.cases("D", 5, 5, 0, "2026-05-10")
	f.cases("D", 5, 5, 0, "2026-07-10")
	f.cases("C", 9, 1, 0, "2026-07-10")
	f.compute("2026-Q2", shanghai(2026, 8, 20), metrics.FamilyOutcomes)
	f.compute("2026-Q3", shanghai(2026, 8, 20), metrics.FamilyOutcomes)
	f.want("mediation_success", "320117100", "2026-Q3", 14, 20, "not_met")
	f.exec(`UPDATE regions SET dissolved_on = '2026-09-01', successor_id = $2 WHERE id = $1`, f.ids["D"], f.ids["C"])
	res := f.compute("2026-Q3", shanghai(2026, 9, 2), metrics.FamilyOutcomes)
	if res.Alerts.Resolved < 1 {
		t.Fatalf("the dissolved village's alert did not resolve: %+v", res.Alerts)
	}
	f.want("mediation_success", "320117100", "2026-Q3", 9, 10, "met")
	count := func(q string, args ...any) int {
		var n int
		if err := f.db.AsSystem(f.ctx, func(tx *postgres.Tx) error { return tx.Get(&n, q, args...) }); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count(`SELECT count(*) FROM metric_snapshots WHERE region_id = $1 AND period = '2026-Q3'`, f.ids["D"]); n != 0 {
		t.Errorf("%d snapshots of the dissolved village remain for 2026-Q3", n)
	}
	if n := count(`SELECT count(*) FROM alerts WHERE region_id = $1 AND period = '2026-Q3' AND state <> 'resolved'`, f.ids["D"]); n != 0 {
		t.Errorf("%d open alerts of the dissolved village for 2026-Q3", n)
	}
	// The quarter before the dissolution is history: recomputed, it stays.
	f.compute("2026-Q2", shanghai(2026, 9, 2), metrics.FamilyOutcomes)
	f.want("mediation_success", "320117100202", "2026-Q2", 5, 10, "not_met")
	if n := count(`SELECT count(*) FROM alerts WHERE region_id = $1 AND period = '2026-Q2' AND rule = 'mediation_success' AND state = 'open'`, f.ids["D"]); n != 1 {
		t.Errorf("the Q2 alert of the dissolved village: %d open, want 1", n)
	}
}
