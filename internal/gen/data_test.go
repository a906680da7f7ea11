package gen

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/lawvillage/lawvillage/internal/core"
	"github.com/lawvillage/lawvillage/internal/period"
	"github.com/lawvillage/lawvillage/internal/postgres"
	"github.com/lawvillage/lawvillage/internal/testenv"
)

// testNow is the generator's clock in the tests: mid-June, so the last year is partial.
var testNow = time.Date(2026, 6, 15, 9, 0, 0, 0, period.Location())

func testOptions(seed int64) LoadOptions {
	return LoadOptions{Scale: ScaleDistrict, Seed: seed, Years: 2, HouseholdsPerVillage: 20, Now: testNow}
}

// q runs a one-value query as the system.
func q[T any](t *testing.T, db *postgres.DB, query string, args ...any) T {
	t.Helper()
	var v T
	if err := db.AsSystem(context.Background(), func(tx *postgres.Tx) error { return tx.Get(&v, query, args...) }); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return v
}

// checksums fingerprints the generated rows, ids included.
func checksums(t *testing.T, db *postgres.DB) map[string]string {
	t.Helper()
	queries := map[string]string{
		"regions":    `SELECT string_agg(concat_ws('|', id, code, name, level, kind, parent_id, path, household_count), ',' ORDER BY id) FROM regions`,
		"households": `SELECT string_agg(concat_ws('|', id, village_id, code, group_id, grid_id, head_name, phone, members, model_household_year, has_family_rule, wechat_member), ',' ORDER BY id) FROM households`,
		"volunteer":  `SELECT string_agg(concat_ws('|', household_id, village_id, year), ',' ORDER BY household_id, year) FROM household_volunteer_years`,
		"activities": `SELECT string_agg(concat_ws('|', id, village_id, kind, occurred_on, title, place, organiser, participants), ',' ORDER BY id) FROM activities`,
		"mediation":  `SELECT string_agg(concat_ws('|', id, village_id, case_no, received_on, concluded_on, outcome, turned_criminal), ',' ORDER BY id) FROM mediation_cases`,
		"surveys":    `SELECT string_agg(concat_ws('|', id, village_id, kind, period, surveyed_on, respondents, positive), ',' ORDER BY id) FROM surveys`,
		"titles":     `SELECT string_agg(concat_ws('|', t.id, t.village_id, t.batch, t.year, t.status, e.id, e.action, e.decided_on), ',' ORDER BY e.id) FROM titles t JOIN title_events e ON e.title_id = t.id`,
		"others": `SELECT concat_ws('|', (SELECT string_agg(concat_ws('|', id, grid_id, name, active_from), ',' ORDER BY id) FROM legal_savvy_persons),
			(SELECT string_agg(concat_ws('|', village_id, year, civil, administrative), ',' ORDER BY village_id, year) FROM lawsuits),
			(SELECT string_agg(concat_ws('|', id, village_id, kind), ',' ORDER BY id) FROM culture_carriers),
			(SELECT string_agg(concat_ws('|', id, kind, occurred_on), ',' ORDER BY id) FROM incidents),
			(SELECT string_agg(concat_ws('|', id, adviser_id, held_on, subject), ',' ORDER BY id) FROM legal_checkups),
			(SELECT string_agg(concat_ws('|', id, adviser_id, year, score), ',' ORDER BY id) FROM legal_adviser_evaluations))`,
	}
	out := map[string]string{}
	for name, query := range queries {
		out[name] = q[string](t, db, `SELECT md5(coalesce((`+query+`), ''))`)
	}
	return out
}

func within(t *testing.T, what string, got, lo, hi float64) {
	t.Helper()
	if got < lo || got > hi {
		t.Errorf("%s = %v, want between %v and %v", what, got, lo, hi)
	}
}

func TestLoadDistrict(t *testing.T) {
	ctx := context.Background()
	db := testenv.DB(t)
	var out bytes.Buffer
	st, err := Load(ctx, db, testOptions(7), &out)
	if err != nil {
		t.Fatalf("load: %v\n%s", err, out.String())
	}
	t.Logf("%s", st.Summary())
	for _, want := range []string{"households ", "household_volunteer_years ", "activities ", "rows/s", "generated district"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("progress lacks %q:\n%s", want, out.String())
		}
	}

	// Stats match the tables, and every table got rows.
	for _, table := range Tables {
		if table == "settings" {
			continue
		}
		n := q[int64](t, db, `SELECT count(*) FROM `+table)
		if n != st.Rows[table] {
			t.Errorf("%s: %d rows in the table, stats say %d", table, n, st.Rows[table])
		}
		if n == 0 && table != "incidents" {
			t.Errorf("%s: no rows", table)
		}
	}

	v := float64(q[int64](t, db, `SELECT count(*) FROM regions WHERE level = 5`))
	if int(v) != st.Villages {
		t.Errorf("villages: %v in the table, stats say %d", v, st.Villages)
	}
	within(t, "villages of the district", v, 150, 300)
	if got := q[int64](t, db, `SELECT count(*) FROM regions WHERE level < 5`); got < 5 || got > 40 {
		t.Errorf("regions above the villages: %d, want the province, a city, a district and its towns", got)
	}
	h := float64(st.Rows["households"])
	within(t, "households", h, 0.6*20*v, 1.4*20*v)
	if got := q[int64](t, db, `SELECT sum(household_count) FROM regions WHERE level = 5`); float64(got) != h {
		t.Errorf("regions.household_count sums to %d, households %v", got, h)
	}
	within(t, "villager groups", float64(st.Rows["villager_groups"]), 3*v, 8*v)
	within(t, "grids", float64(st.Rows["grids"]), 3*v, 8*v)
	within(t, "legal advisers", float64(st.Rows["legal_advisers"]), v, v)
	within(t, "culture carriers", float64(st.Rows["culture_carriers"]), 4*v, 7*v)
	within(t, "lawsuits", float64(st.Rows["lawsuits"]), 2*v, 2*v)

	// Codes and paths: each region lies one level under its parent, its code
	// extends the parent's, its path is the parent's path and its code.
	if bad := q[int64](t, db, `SELECT count(*) FROM regions r LEFT JOIN regions p ON p.id = r.parent_id
		WHERE nlevel(r.path) <> r.level OR r.path <> (CASE WHEN p.id IS NULL THEN '' ELSE p.path::text || '.' END || r.code)::ltree
		   OR (p.id IS NULL) <> (r.level = 1) OR (p.id IS NOT NULL AND (r.level <> p.level + 1 OR left(r.code, length(p.code)) <> p.code))
		   OR (r.level = 5) <> (r.kind IS NOT NULL)`); bad != 0 {
		t.Errorf("%d regions with inconsistent codes, levels or paths", bad)
	}
	// Every household's group and grid belong to its village.
	if bad := q[int64](t, db, `SELECT count(*) FROM households h JOIN regions v ON v.id = h.village_id
		LEFT JOIN villager_groups g ON g.id = h.group_id LEFT JOIN grids d ON d.id = h.grid_id
		WHERE v.level <> 5 OR g.village_id IS DISTINCT FROM h.village_id OR d.village_id IS DISTINCT FROM h.village_id`); bad != 0 {
		t.Errorf("%d households whose group or grid is not in their village", bad)
	}
	if bad := q[int64](t, db, `SELECT count(*) FROM legal_savvy_persons p JOIN grids g ON g.id = p.grid_id WHERE g.village_id <> p.village_id`); bad != 0 {
		t.Errorf("%d legal-savvy persons outside their grid's village", bad)
	}
	if bad := q[int64](t, db, `SELECT count(*) FROM household_volunteer_years y JOIN households h ON h.id = y.household_id WHERE h.village_id <> y.village_id`); bad != 0 {
		t.Errorf("%d volunteer years in another village than the household", bad)
	}
	// Each year's volunteer coverage, model households, WeChat and family rules.
	for _, y := range []int{2025, 2026} {
		within(t, "volunteer coverage", q[float64](t, db, `SELECT count(*)::float8 / (SELECT count(*) FROM households) FROM household_volunteer_years WHERE year = $1`, y), 0.85, 1)
	}
	within(t, "model household share", q[float64](t, db, `SELECT avg((model_household_year IS NOT NULL)::int)::float8 FROM households`), 0.04, 0.09)
	within(t, "WeChat share", q[float64](t, db, `SELECT avg(wechat_member::int)::float8 FROM households`), 0.9, 0.99)
	within(t, "family rule share", q[float64](t, db, `SELECT avg(has_family_rule::int)::float8 FROM households`), 0.84, 0.96)
	if n := q[int64](t, db, `SELECT count(*) FROM (SELECT village_id FROM households GROUP BY 1 HAVING bool_and(wechat_member)) x`); n == 0 {
		t.Error("no village with every household in the WeChat group")
	}
	if n := q[int64](t, db, `SELECT count(*) FROM (SELECT village_id FROM households GROUP BY 1
		HAVING avg((model_household_year IS NOT NULL)::int) < 0.05) x`); n == 0 {
		t.Error("no village under 5 % model households")
	}

	// Titles: about 40 % of villages, batches 1-14 in 2004 + batch, each awarded once.
	within(t, "title ratio", float64(st.Rows["titles"])/v, 0.28, 0.52)
	if bad := q[int64](t, db, `SELECT count(*) FROM titles t WHERE t.batch NOT BETWEEN 1 AND 14 OR t.year <> 2004 + t.batch
		OR (SELECT count(*) FROM title_events e WHERE e.title_id = t.id AND e.action = 'awarded' AND e.village_id = t.village_id) <> 1
		OR (t.status = 'revoked') <> EXISTS (SELECT 1 FROM title_events e WHERE e.title_id = t.id AND e.action = 'status_changed' AND e.to_status = 'revoked')`); bad != 0 {
		t.Errorf("%d titles with a bad batch, year or events", bad)
	}

	// Activities: nothing after today, nothing before the first year; a
	// lecture and a board update in most months; a list and a Constitution
	// Day event in most villages in the full year.
	if bad := q[int64](t, db, `SELECT count(*) FROM activities WHERE occurred_on NOT BETWEEN '2025-01-01' AND '2026-06-15'`); bad != 0 {
		t.Errorf("%d activities outside 2025-01-01..2026-06-15", bad)
	}
	for _, kind := range []string{"lecture", "board_update"} {
		within(t, kind+" months covered in 2025", q[float64](t, db, `SELECT count(DISTINCT (village_id, date_trunc('month', occurred_on)))::float8 / $2
			FROM activities WHERE kind = $1 AND occurred_on BETWEEN '2025-01-01' AND '2025-12-31'`, kind, 12*v), 0.85, 1)
	}
	within(t, "culture quarters covered in 2025", q[float64](t, db, `SELECT count(DISTINCT (village_id, date_trunc('quarter', occurred_on)))::float8 / $1
		FROM activities WHERE kind = 'culture_activity' AND extract(year FROM occurred_on) = 2025`, 4*v), 0.85, 1)
	for _, kind := range []string{"responsibility_list", "constitution_day"} {
		within(t, kind+" in 2025", q[float64](t, db, `SELECT count(DISTINCT village_id)::float8 / $2 FROM activities
			WHERE kind = $1 AND extract(year FROM occurred_on) = 2025`, kind, v), 0.8, 1)
	}
	if n := q[int64](t, db, `SELECT count(*) FROM activities WHERE kind = 'constitution_day' AND occurred_on >= '2026-01-01'`); n != 0 {
		t.Errorf("%d Constitution Day events of 2026 before 4 December", n)
	}
	within(t, "volunteer services per village in 2025", q[float64](t, db, `SELECT count(*)::float8 / $1 FROM activities
		WHERE kind = 'volunteer_service' AND extract(year FROM occurred_on) = 2025`, v), 4, 12)

	// Mediation, surveys, incidents, lawsuits.
	within(t, "mediation cases per village in 2025", q[float64](t, db, `SELECT count(*)::float8 / $1 FROM mediation_cases WHERE received_on < '2026-01-01'`, v), 10, 30)
	within(t, "mediation success", q[float64](t, db, `SELECT avg((outcome = 'success')::int)::float8 FROM mediation_cases WHERE outcome <> 'pending'`), 0.88, 0.97)
	within(t, "pending share", q[float64](t, db, `SELECT avg((outcome = 'pending')::int)::float8 FROM mediation_cases`), 0.002, 0.06)
	if bad := q[int64](t, db, `SELECT count(*) FROM mediation_cases WHERE received_on > '2026-06-15' OR concluded_on > '2026-06-15'`); bad != 0 {
		t.Errorf("%d mediation cases dated after today", bad)
	}
	if n := q[int64](t, db, `SELECT count(*) FROM (SELECT village_id FROM mediation_cases WHERE outcome <> 'pending' AND received_on < '2026-01-01'
		GROUP BY 1 HAVING avg((outcome = 'success')::int) < 0.9) x`); n == 0 {
		t.Error("no village under 90 % mediation success in 2025")
	}
	// 4 in 2025; in 2026 the first quarter's and, when held by 15 June, the second's.
	within(t, "safety surveys per village", q[float64](t, db, `SELECT count(*)::float8 / $1 FROM surveys WHERE kind = 'safety'`, v), 5, 6)
	within(t, "deliberation surveys per village", q[float64](t, db, `SELECT count(*)::float8 / $1 FROM surveys WHERE kind = 'deliberation_satisfaction'`, v), 1, 1)
	within(t, "safety rate", q[float64](t, db, `SELECT sum(positive)::float8 / sum(respondents) FROM surveys WHERE kind = 'safety'`), 0.94, 0.99)
	if bad := q[int64](t, db, `SELECT count(*) FROM surveys WHERE respondents NOT BETWEEN 50 AND 200`); bad != 0 {
		t.Errorf("%d surveys with respondents outside 50-200", bad)
	}
	within(t, "villages with declining lawsuits", q[float64](t, db, `SELECT avg((a.civil + a.administrative < b.civil + b.administrative OR b.civil = 0)::int)::float8
		FROM lawsuits a JOIN lawsuits b ON b.village_id = a.village_id AND b.year = a.year - 1`), 0.5, 1)
	within(t, "incidents per village", float64(st.Rows["incidents"])/v, 0, 0.1)

	// Generated activities have no evidence: the setting says they count anyway.
	if got := q[string](t, db, `SELECT value::text FROM settings WHERE key = 'activity.requires_evidence' AND valid_from <= $1
		ORDER BY valid_from DESC LIMIT 1`, testNow); got != "false" {
		t.Errorf("activity.requires_evidence = %s, want false", got)
	}

	// The same seed gives the same rows and ids; another seed does not.
	sums := checksums(t, db)
	db2 := testenv.DB(t)
	st2, err := Load(ctx, db2, testOptions(7), nil)
	if err != nil {
		t.Fatalf("second load: %v", err)
	}
	for _, table := range Tables {
		if st.Rows[table] != st2.Rows[table] {
			t.Errorf("%s: %d rows, then %d with the same seed", table, st.Rows[table], st2.Rows[table])
		}
	}
	sums2 := checksums(t, db2)
	for name, s := range sums {
		if sums2[name] != s {
			t.Errorf("%s: checksum %s, then %s with the same seed", name, s, sums2[name])
		}
	}
	db3 := testenv.DB(t)
	if _, err := Load(ctx, db3, testOptions(8), nil); err != nil {
		t.Fatalf("load with another seed: %v", err)
	}
	sums3 := checksums(t, db3)
	for _, name := range []string{"regions", "households", "activities", "mediation"} {
		if sums3[name] == sums[name] {
			t.Errorf("%s: the same checksum with another seed", name)
		}
	}

	// A second load into the same database is refused and changes nothing.
	_, err = Load(ctx, db, testOptions(9), nil)
	var ce *core.Error
	if !errors.As(err, &ce) || ce.Code != core.ECONFLICT {
		t.Fatalf("second load into a loaded database: %v, want a CONFLICT error", err)
	}
	if got := checksums(t, db); got["households"] != sums["households"] || got["regions"] != sums["regions"] {
		t.Error("the refused load changed the data")
	}

	// The foreign keys are back, and identity columns continue after the generated ids.
	if n := q[int64](t, db, `SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND conrelid = 'household_volunteer_years'::regclass`); n != 3 {
		t.Errorf("household_volunteer_years has %d foreign keys, want 3", n)
	}
	var id int64
	err = db.AsSystem(ctx, func(tx *postgres.Tx) error {
		return tx.Get(&id, `INSERT INTO villager_groups (village_id, name) SELECT id, '新小组' FROM regions WHERE level = 5 ORDER BY id LIMIT 1 RETURNING id`)
	})
	if err != nil || id != st.Rows["villager_groups"]+1 {
		t.Errorf("new villager group: id %d, %v; want %d", id, err, st.Rows["villager_groups"]+1)
	}
	err = db.AsSystem(ctx, func(tx *postgres.Tx) error {
		_, err := tx.Exec(`INSERT INTO households (village_id, code, group_id) SELECT village_id, 'x1', id FROM villager_groups ORDER BY id DESC LIMIT 1`)
		if err != nil {
			return err
		}
		_, err = tx.Exec(`INSERT INTO household_volunteer_years (household_id, village_id, year) VALUES (-1, 1, 2026)`)
		return err
	})
	if core.AsError(err) == nil || core.AsError(err).Code != core.ENOTFOUND {
		t.Errorf("volunteer year of a missing household: %v, want the foreign key to refuse it", err)
	}
}

func TestLoadOptions(t *testing.T) {
	db := testenv.DB(t)
	for _, o := range []LoadOptions{
		{Scale: "county", Now: testNow},
		{Scale: ScaleDistrict, Years: 31, Now: testNow},
		{Scale: ScaleDistrict, HouseholdsPerVillage: -1, Now: testNow},
	} {
		if _, err := Load(context.Background(), db, o, nil); core.AsError(err) == nil || core.AsError(err).Code != core.EINVALID {
			t.Errorf("%+v: %v, want INVALID", o, err)
		}
	}
	if n := q[int64](t, db, `SELECT count(*) FROM regions`); n != 0 {
		t.Errorf("rejected options wrote %d regions", n)
	}
}

func TestPlanIsIndependentOfScale(t *testing.T) {
	today := period.DateOf(testNow)
	d, err := makePlan(3, ScaleDistrict, 2, 50, today)
	if err != nil {
		t.Fatal(err)
	}
	c, err := makePlan(3, ScaleCity, 2, 50, today)
	if err != nil {
		t.Fatal(err)
	}
	p, err := makePlan(3, ScaleProvince, 2, 50, today)
	if err != nil {
		t.Fatal(err)
	}
	within(t, "district villages", float64(len(d.villages)), 150, 300)
	within(t, "city villages", float64(len(c.villages)), 1000, 2500)
	within(t, "province villages", float64(len(p.villages)), 22000, 22000)
	within(t, "province regions", float64(len(p.regions)), 23608, 23608)
	byCode := map[string]village{}
	for _, v := range p.villages {
		byCode[string(v.code)] = v
	}
	// A village has the same size and profile at every scale (only ids differ).
	for _, v := range append(append([]village(nil), d.villages...), c.villages...) {
		o, ok := byCode[string(v.code)]
		if !ok {
			t.Fatalf("village %s is not in the province", v.code)
		}
		if o.homes != v.homes || o.groups != v.groups || o.grids != v.grids || o.modelRate != v.modelRate ||
			o.titleBatch != v.titleBatch || o.revokedYear != v.revokedYear || o.success != v.success {
			t.Fatalf("village %s differs between scales", v.code)
		}
	}
	// Id ranges are consecutive.
	var homes, groups int64
	for _, v := range p.villages {
		if v.homeBase != homes || v.groupBase != groups {
			t.Fatalf("village %s: bases %d/%d, want %d/%d", v.code, v.homeBase, v.groupBase, homes, groups)
		}
		homes += int64(v.homes)
		groups += int64(v.groups)
	}
	within(t, "households per village", float64(homes)/float64(len(p.villages)), 48, 52)
	t.Logf("district %s (%d villages), city %s (%d villages)", d.area, len(d.villages), c.area, len(c.villages))
}
