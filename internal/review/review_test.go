package review_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lib/pq"

	"github.com/lawvillage/lawvillage/internal/core"
	"github.com/lawvillage/lawvillage/internal/notify"
	"github.com/lawvillage/lawvillage/internal/period"
	"github.com/lawvillage/lawvillage/internal/postgres"
	"github.com/lawvillage/lawvillage/internal/regionimport"
	"github.com/lawvillage/lawvillage/internal/review"
	"github.com/lawvillage/lawvillage/internal/testenv"
)

// The generated district 320117 (溧水区): six towns of 20 villages, the first
// ten of each titled (k = 1..60 in code order: town t = (k-1)/10+1, village
// 200+((k-1)%10+1)), so 60 of 120 hold a title (50%, above the 43% cap).
// Title of k: batch 1+(k-1)%14, awarded in 2003+batch.
// Metrics of the review year 2026: every duty and outcome met in full, except
// lectures: l(k) = 5 if k%6 == 0, else 5-k%6 months of 5 (so the score is
// 92 + 1.6·l with all inspections passed; see the setting review.score_weights).
// A second district 320118 (高淳区) of ten villages has four titled; another city
// (3202) is out of the scope of everyone but the province.

var towns = []string{"永阳街道", "柘塘街道", "东屏街道", "石湫街道", "洪蓝街道", "白马镇"}

func code(k int) string { return fmt.Sprintf("320117%03d2%02d", (k-1)/10+1, (k-1)%10+1) }

func lectures(k int) int {
	if k%6 == 0 {
		return 5
	}
	return 5 - k%6
}

func batchOf(k int) int { return 1 + (k-1)%14 }

// The villages the story is about (k).
const (
	kP = 3  // town 1 proposes revoke A2 (member prosecuted); accepted
	kX = 6  // mediation success 8/10 < 90%: A5
	kY = 13 // one household without a family rule: B9
	kC = 15 // town 2 proposes cancel C2; accepted
	kQ = 21 // town 3 proposes revoke B3; rejected by the district
	kF = 27 // district finds B1 not met (weak party branch)
	kR = 33 // district finds B2 not met; rectified, re-check fails
	kS = 35 // district finds B8 not met; rectified, re-check passes (score 90: lowest)
	kK = 44 // no Constitution Day event in 2025: B10
	kN = 50 // lawsuits: no data (B11 unverified)
)

func csvListing() string {
	var b strings.Builder
	b.WriteString("code,name,parent_code\n32,江苏省,\n3201,南京市,32\n320117,溧水区,3201\n320118,高淳区,3201\n")
	b.WriteString("3202,无锡市,32\n320205,锡山区,3202\n320205001,东亭街道,320205\n320205001201,东亭01村,320205001\n")
	for t, name := range towns {
		tc := fmt.Sprintf("320117%03d", t+1)
		fmt.Fprintf(&b, "%s,%s,320117\n", tc, name)
		short := []rune(name)[:2]
		for v := 1; v <= 20; v++ {
			fmt.Fprintf(&b, "%s2%02d,%s%02d村,%s\n", tc, v, string(short), v, tc)
		}
	}
	b.WriteString("320118001,淳溪街道,320118\n")
	for v := 1; v <= 10; v++ {
		fmt.Fprintf(&b, "3201180012%02d,淳溪%02d村,320118001\n", v, v)
	}
	return b.String()
}

type fixture struct {
	t   *testing.T
	db  *postgres.DB
	svc *review.Service
	sys context.Context
	ids map[string]int64
}

func actor(role core.Role, path string) context.Context {
	parts := strings.Split(path, ".")
	return core.WithActor(context.Background(), &core.Actor{Name: string(role) + "@" + parts[len(parts)-1], Role: role,
		ScopeCode: parts[len(parts)-1], ScopePath: path})
}

var (
	district = actor(core.RoleDistrictAdmin, "32.3201.320117")
	gaochun  = actor(core.RoleDistrictAdmin, "32.3201.320118")
	city     = actor(core.RoleCityOfficial, "32.3201")
	wuxi     = actor(core.RoleCityOfficial, "32.3202")
	province = actor(core.RoleProvinceOfficial, "32")
)

func town(n int) context.Context {
	return actor(core.RoleTownOfficial, fmt.Sprintf("32.3201.320117.320117%03d", n))
}

func (f *fixture) exec(q string, args ...any) {
	f.t.Helper()
	if err := f.db.AsSystem(f.sys, func(tx *postgres.Tx) error { _, err := tx.Exec(q, args...); return err }); err != nil {
		f.t.Fatalf("%s: %v", q, err)
	}
}

type snapshot struct {
	metric, code, period string
	num                  float64
	den                  *float64 // nil for counts
	status               string
	threshold            float64
	comparator           string
}

func rate(metric, code, p string, num, den, threshold float64) snapshot {
	st := "met"
	if den == 0 {
		st = "no_data"
	} else if num < threshold*den {
		st = "not_met"
	}
	return snapshot{metric: metric, code: code, period: p, num: num, den: &den, status: st, threshold: threshold, comparator: ">="}
}

// target is a village's number to reach (kinds of culture carriers): n over 1.
func target(metric, code, p string, n, threshold float64) snapshot {
	return rate(metric, code, p, n, 1, threshold)
}

func count(metric, code, p string, n float64) snapshot {
	st := "met"
	if n > 0 {
		st = "not_met"
	}
	return snapshot{metric: metric, code: code, period: p, num: n, status: st, comparator: "=0"}
}

// villageSnapshots are the review-year metrics of a titled village with l lectures.
func villageSnapshots(c string, l int) []snapshot {
	return []snapshot{
		rate("lecture_months", c, "2026", float64(l), 5, 1), rate("board_months", c, "2026", 5, 5, 1),
		rate("culture_quarters", c, "2026", 2, 2, 1), rate("responsibility_list", c, "2026", 1, 1, 1),
		rate("volunteer_coverage", c, "2026", 3, 3, 1), rate("mediation_success", c, "2026", 10, 10, 0.9),
		rate("safety", c, "2026", 100, 100, 0.95), rate("deliberation_satisfaction", c, "2026", 50, 50, 0.9),
		rate("legal_savvy_coverage", c, "2026", 4, 4, 1), rate("wechat_coverage", c, "2026", 3, 3, 1),
		count("civil_to_criminal", c, "2026", 0), count("extreme_violence", c, "2026", 0),
		rate("lawsuits_declining", c, "2026", 1, 1, 1), rate("constitution_day", c, "2025", 1, 1, 1),
		target("culture_carrier_kinds", c, "2026", 5, 5), rate("legal_adviser", c, "2026", 1, 1, 1),
	}
}

func (f *fixture) snapshots(ss []snapshot) {
	f.t.Helper()
	// Later entries override earlier ones of the same metric, village and period.
	last := map[[3]string]int{}
	for i, s := range ss {
		last[[3]string{s.metric, s.code, s.period}] = i
	}
	var metrics, codes, periods, comps, statuses []string
	var nums, thresholds []float64
	var dens []sql.NullFloat64
	for i, s := range ss {
		if last[[3]string{s.metric, s.code, s.period}] != i {
			continue
		}
		metrics, codes, periods, comps, statuses = append(metrics, s.metric), append(codes, s.code), append(periods, s.period), append(comps, s.comparator), append(statuses, s.status)
		nums, thresholds = append(nums, s.num), append(thresholds, s.threshold)
		if s.den != nil {
			dens = append(dens, sql.NullFloat64{Float64: *s.den, Valid: true})
		} else {
			dens = append(dens, sql.NullFloat64{})
		}
	}
	f.exec(`INSERT INTO metric_snapshots (metric, region_id, period, numerator, denominator, value, threshold, comparator, status, setting_from, computed_at)
		SELECT s.metric, r.id, s.period, s.num, s.den,
		  CASE WHEN s.comparator = '=0' THEN s.num WHEN s.den > 0 THEN round(s.num / s.den, 6) END,
		  s.threshold, s.comparator, s.status, '2000-01-01', now()
		FROM unnest($1::text[], $2::text[], $3::text[], $4::numeric[], $5::numeric[], $6::numeric[], $7::text[], $8::text[])
		  AS s(metric, code, period, num, den, threshold, comparator, status)
		JOIN regions r ON r.code = s.code`,
		pq.Array(metrics), pq.Array(codes), pq.Array(periods), pq.Array(nums), pq.Array(dens), pq.Array(thresholds), pq.Array(comps), pq.Array(statuses))
}

func newFixture(t *testing.T) *fixture {
	db := testenv.DB(t)
	db.Now = func() time.Time { return time.Date(2026, 11, 20, 10, 0, 0, 0, period.Location()) }
	f := &fixture{t: t, db: db, svc: &review.Service{DB: db}, sys: core.WithActor(context.Background(), core.System("test")), ids: map[string]int64{}}
	if _, err := regionimport.Import(f.sys, db, strings.NewReader(csvListing()), nil); err != nil {
		t.Fatal(err)
	}
	var rows []struct {
		ID   int64  `db:"id"`
		Code string `db:"code"`
	}
	if err := db.AsSystem(f.sys, func(tx *postgres.Tx) error { return tx.Select(&rows, `SELECT id, code FROM regions`) }); err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		f.ids[r.Code] = r.ID
	}
	var titled []string
	var batches, years []int64
	var snaps []snapshot
	for k := 1; k <= 60; k++ {
		titled, batches, years = append(titled, code(k)), append(batches, int64(batchOf(k))), append(years, int64(2003+batchOf(k)))
		snaps = append(snaps, villageSnapshots(code(k), lectures(k))...)
	}
	// 高淳区: 201 (l=5, 2004), 202 (l=5, 2017), 203 (l=2, 2008), 204 (l=0, 2008).
	for i, g := range []struct{ l, batch int }{{5, 1}, {5, 14}, {2, 5}, {0, 5}} {
		c := fmt.Sprintf("3201180012%02d", i+1)
		titled, batches, years = append(titled, c), append(batches, int64(g.batch)), append(years, int64(2003+g.batch))
		snaps = append(snaps, villageSnapshots(c, g.l)...)
	}
	titled, batches, years = append(titled, "320205001201"), append(batches, 2), append(years, 2005)
	f.exec(`INSERT INTO titles (village_id, level, batch, year)
		SELECT r.id, 'provincial', t.batch, t.year FROM unnest($1::text[], $2::int[], $3::int[]) AS t(code, batch, year)
		JOIN regions r ON r.code = t.code`, pq.Array(titled), pq.Array(batches), pq.Array(years))
	// Three households per titled village, each with a family rule.
	f.exec(`INSERT INTO households (village_id, code, has_family_rule)
		SELECT t.village_id, 'H' || n, true FROM titles t, generate_series(1, 3) n`)
	// The departures from "all met".
	snaps = append(snaps, rate("mediation_success", code(kX), "2026", 8, 10, 0.9),
		rate("constitution_day", code(kK), "2025", 0, 1, 1), rate("lawsuits_declining", code(kN), "2026", 0, 0, 1))
	f.snapshots(snaps)
	f.exec(`UPDATE households SET has_family_rule = false WHERE code = 'H2' AND village_id = $1`, f.ids[code(kY)])
	return f
}

func (f *fixture) must(err error) {
	f.t.Helper()
	if err != nil {
		f.t.Fatal(err)
	}
}

func wantCode(t *testing.T, err error, want core.Code) {
	t.Helper()
	if got := core.ErrorCode(err); got != want {
		t.Fatalf("want %s, got %v", want, err)
	}
}

func (f *fixture) results(ctx context.Context, reviewID int64, flt postgres.ResultFilter) []*core.ReviewResult {
	f.t.Helper()
	rs, _, err := f.db.ReviewResults(ctx, reviewID, flt, 0, -1)
	f.must(err)
	return rs
}

func codesOf(rs []*core.ReviewResult) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.VillageCode
	}
	return out
}

func (f *fixture) check(ctx context.Context, reviewID int64, c string, findings map[string]string) {
	f.t.Helper()
	in := postgres.CheckInput{ReviewID: reviewID, VillageID: f.ids[c], CheckedOn: time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC),
		Inspector: "区司法局复核组", Conclusion: "pass"}
	for _, s := range []string{"B1", "B2", "B3", "B5", "B8"} {
		res := "pass"
		if r, ok := findings[s]; ok {
			res = r
			in.Conclusion = "rectify"
		}
		in.Findings = append(in.Findings, postgres.FindingInput{Standard: s, Result: res})
	}
	_, _, err := f.db.RecordReviewCheck(ctx, in)
	f.must(err)
}

// oracle ranks the villages that keep their titles as the documented rule
// says, from the constructed data: score 92 + 1.6·l (90 + 1.6·l for the
// rectified village), then earlier title year, then code.
func oracle(kept []int, rectified int) []string {
	type v struct {
		code  string
		score float64
		year  int
	}
	var vs []v
	for _, k := range kept {
		s := 92 + 1.6*float64(lectures(k))
		if k == rectified {
			s -= 2
		}
		vs = append(vs, v{code(k), math.Round(s*100) / 100, 2003 + batchOf(k)})
	}
	sort.Slice(vs, func(i, j int) bool {
		if vs[i].score != vs[j].score {
			return vs[i].score > vs[j].score
		}
		if vs[i].year != vs[j].year {
			return vs[i].year < vs[j].year
		}
		return vs[i].code < vs[j].code
	})
	out := make([]string, len(vs))
	for i, x := range vs {
		out[i] = x.code
	}
	return out
}

func TestReviewWholeCycle(t *testing.T) {
	f := newFixture(t)
	ctx := f.sys

	// May: the province opens the year's reviews of the city's districts.
	_, err := f.svc.Open(town(1), "320117", 2026)
	wantCode(t, err, core.ENOTFOUND) // a town cannot even see its district as an area
	revs, err := f.svc.Open(city, "3201", 2026)
	f.must(err)
	if len(revs) != 2 || revs[0].Stage != core.StageSurvey {
		t.Fatalf("opened %+v", revs)
	}
	lishui, gc := revs[0], revs[1]
	if d := lishui.Deadlines(); len(d) != 4 || d[1].Stage != core.StageFirstReview || d[1].Due != "2026-07-30" {
		t.Fatalf("deadlines %+v", d)
	}
	again, err := f.svc.Open(district, "320117", 2026) // idempotent
	f.must(err)
	if len(again) != 1 || again[0].ID != lishui.ID {
		t.Fatalf("reopen %+v", again)
	}
	_, err = f.svc.Open(wuxi, "320117", 2026)
	wantCode(t, err, core.ENOTFOUND)

	// Survey: towns propose, each only for its own villages.
	var evID int64
	f.must(f.db.AsSystem(ctx, func(tx *postgres.Tx) error {
		return tx.Get(&evID, `WITH a AS (INSERT INTO activities (village_id, kind, occurred_on, title) VALUES ($1, 'lecture', '2026-03-01', '通报') RETURNING id)
			INSERT INTO evidence (village_id, activity_id, object_key, filename, content_type, size, sha256, retain_until)
			SELECT $1, a.id, 'evidence/test/判决书.pdf', '判决书.pdf', 'application/pdf', 10, repeat('a', 64), now() + interval '10 years' FROM a RETURNING id`,
			f.ids[code(kP)])
	}))
	pP, err := f.db.ProposeReviewAction(town(1), postgres.ProposeInput{ReviewID: lishui.ID, VillageID: f.ids[code(kP)], Kind: "revoke",
		Standards: []string{"A2"}, Explanation: "村委会原主任因职务侵占罪被判处有期徒刑", EvidenceIDs: []int64{evID}})
	f.must(err)
	_, err = f.db.ProposeReviewAction(town(1), postgres.ProposeInput{ReviewID: lishui.ID, VillageID: f.ids[code(kC)], Kind: "cancel",
		Standards: []string{"C2"}, Explanation: "x"})
	wantCode(t, err, core.ENOTFOUND) // kC lies in town 2
	_, err = f.db.ProposeReviewAction(town(1), postgres.ProposeInput{ReviewID: lishui.ID, VillageID: f.ids[code(kP)], Kind: "revoke",
		Standards: []string{"A1"}, Explanation: "重复"})
	wantCode(t, err, core.ECONFLICT)
	_, err = f.db.ProposeReviewAction(town(1), postgres.ProposeInput{ReviewID: lishui.ID, VillageID: f.ids[code(1)], Kind: "cancel",
		Standards: []string{"A1"}, Explanation: "错误的规则"})
	wantCode(t, err, core.EINVALID)
	_, err = f.db.ProposeReviewAction(town(1), postgres.ProposeInput{ReviewID: lishui.ID, VillageID: f.ids["320117001215"], Kind: "revoke",
		Standards: []string{"A1"}, Explanation: "无称号"})
	wantCode(t, err, core.EINVALID)
	pC, err := f.db.ProposeReviewAction(town(2), postgres.ProposeInput{ReviewID: lishui.ID, VillageID: f.ids[code(kC)], Kind: "cancel",
		Standards: []string{"C2"}, Explanation: "2025年与相邻村合并，原村名不再保留"})
	f.must(err)
	pQ, err := f.db.ProposeReviewAction(town(3), postgres.ProposeInput{ReviewID: lishui.ID, VillageID: f.ids[code(kQ)], Kind: "revoke",
		Standards: []string{"B3"}, Explanation: "小微权力清单未公开"})
	f.must(err)
	// A town sees its own proposals only; the district sees all three.
	if ps, err := f.db.ReviewProposals(town(2), lishui.ID, ""); err != nil || len(ps) != 1 || ps[0].ID != pC.ID {
		t.Fatalf("town 2 proposals %v %v", ps, err)
	}
	if ps, err := f.db.ReviewProposals(district, lishui.ID, "submitted"); err != nil || len(ps) != 3 {
		t.Fatalf("district proposals %v %v", ps, err)
	}
	if _, err := f.db.ReviewByID(wuxi, lishui.ID); core.ErrorCode(err) != core.ENOTFOUND {
		t.Fatalf("another city reads the review: %v", err)
	}
	_, err = f.db.AdvanceReview(town(1), postgres.AdvanceReview{ReviewID: lishui.ID, To: core.StageFirstReview})
	wantCode(t, err, core.EFORBIDDEN)
	_, err = f.db.DecideReviewProposal(district, pP.ID, true, "", nil)
	wantCode(t, err, core.EINVALID) // not in the survey

	// June-July: the district's first review.
	for _, rv := range []*core.Review{lishui, gc} {
		ctx := district
		if rv == gc {
			ctx = gaochun
		}
		_, err := f.db.AdvanceReview(ctx, postgres.AdvanceReview{ReviewID: rv.ID, To: core.StageFirstReview, Note: "摸底结束"})
		f.must(err)
	}
	_, err = f.db.ProposeReviewAction(town(4), postgres.ProposeInput{ReviewID: lishui.ID, VillageID: f.ids[code(31)], Kind: "revoke",
		Standards: []string{"A1"}, Explanation: "逾期"})
	wantCode(t, err, core.EINVALID)
	_, err = f.db.DecideReviewProposal(town(1), pP.ID, true, "", nil)
	wantCode(t, err, core.EFORBIDDEN)
	_, err = f.db.DecideReviewProposal(district, pP.ID, true, "经核实，有法院判决书", nil)
	f.must(err)
	_, err = f.db.DecideReviewProposal(district, pC.ID, true, "民政局区划调整批复", nil)
	f.must(err)
	_, err = f.db.DecideReviewProposal(district, pQ.ID, false, "", nil)
	wantCode(t, err, core.EINVALID) // a rejection needs a reason
	_, err = f.db.DecideReviewProposal(district, pQ.ID, false, "现场核查清单已公开", nil)
	f.must(err)

	// On-site checks of every village the district keeps (all but kP and kC).
	for k := 1; k <= 60; k++ {
		switch k {
		case kP, kC:
			continue
		case kF:
			f.check(district, lishui.ID, code(k), map[string]string{"B1": "fail"})
		case kR:
			f.check(district, lishui.ID, code(k), map[string]string{"B2": "fail"})
		case kS:
			f.check(district, lishui.ID, code(k), map[string]string{"B8": "fail"})
		default:
			f.check(district, lishui.ID, code(k), nil)
		}
	}
	for i := 1; i <= 4; i++ {
		f.check(gaochun, gc.ID, fmt.Sprintf("3201180012%02d", i), nil)
	}
	_, _, err = f.db.RecordReviewCheck(town(1), postgres.CheckInput{ReviewID: lishui.ID, VillageID: f.ids[code(1)], CheckedOn: time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC),
		Inspector: "镇", Conclusion: "pass"})
	wantCode(t, err, core.EFORBIDDEN)
	b2, b8 := "B2", "B8"
	for _, x := range []struct {
		k      int
		std    *string
		result string
	}{{kR, &b2, "fail"}, {kS, &b8, "pass"}} {
		rect, err := f.db.IssueRectification(district, postgres.RectificationInput{ReviewID: lishui.ID, VillageID: f.ids[code(x.k)], Standard: x.std,
			Requirement: "限期整改", IssuedOn: time.Date(2026, 7, 2, 0, 0, 0, 0, time.UTC), DueOn: time.Date(2026, 7, 20, 0, 0, 0, 0, time.UTC)})
		f.must(err)
		_, err = f.db.RecordRecheck(district, postgres.RecheckInput{ID: rect.ID, RecheckedOn: time.Date(2026, 7, 21, 0, 0, 0, 0, time.UTC), Result: x.result, Note: "复查"})
		f.must(err)
		_, err = f.db.RecordRecheck(district, postgres.RecheckInput{ID: rect.ID, RecheckedOn: time.Date(2026, 7, 21, 0, 0, 0, 0, time.UTC), Result: "pass"})
		wantCode(t, err, core.ECONFLICT)
	}
	_, err = f.db.AdvanceReview(district, postgres.AdvanceReview{ReviewID: lishui.ID, To: core.StageCityReview})
	wantCode(t, err, core.EINVALID) // not evaluated yet

	// The district evaluates its review.
	_, err = f.svc.Evaluate(town(1), "320117001", 2026)
	wantCode(t, err, core.EFORBIDDEN)
	ev, err := f.svc.Evaluate(district, "320117", 2026)
	f.must(err)
	lishui = ev[0]
	if *lishui.VillagesTotal != 120 || *lishui.Titled != 60 || *lishui.Kept != 51 || *lishui.Revoked != 8 || *lishui.Cancelled != 1 ||
		*lishui.Eliminated != 2 || *lishui.RateBefore != 0.5 || *lishui.RateAfter != 0.425 || *lishui.Cap != 0.43 {
		t.Fatalf("summary %+v", summary(lishui))
	}
	revoked := f.results(district, lishui.ID, postgres.ResultFilter{Recommendation: "revoke"})
	type rc struct{ code, causes string }
	var got []rc
	for _, r := range revoked {
		got = append(got, rc{r.VillageCode, strings.Join(r.Causes, ",")})
	}
	// Eliminated first (by rank), then the revoked by code.
	want := []rc{{code(41), "ELIMINATION"}, {code(kS), "ELIMINATION"}, {code(kP), "A2"}, {code(kX), "A5"}, {code(kY), "B9"},
		{code(kF), "B1"}, {code(kR), "B2"}, {code(kK), "B10"}}
	if !slices.Equal(got, want) {
		t.Fatalf("revoke list\n got %v\nwant %v", got, want)
	}
	if cs := codesOf(f.results(district, lishui.ID, postgres.ResultFilter{Recommendation: "cancel"})); !slices.Equal(cs, []string{code(kC)}) {
		t.Fatalf("cancel list %v", cs)
	}
	kept := f.results(district, lishui.ID, postgres.ResultFilter{Recommendation: "keep"})
	var keptK []int
	for k := 1; k <= 60; k++ {
		if !slices.Contains([]int{kP, kX, kY, kC, kF, kR, kK}, k) {
			keptK = append(keptK, k)
		}
	}
	rank := oracle(keptK, kS)
	if len(rank) != 53 || !slices.Equal(codesOf(kept), rank[:51]) || rank[51] != code(41) || rank[52] != code(kS) {
		t.Fatalf("ranking\n got %v\nwant %v", codesOf(kept), rank)
	}
	topTen := []string{"320117003210", "320117002208", "320117006210", "320117005208", "320117004206", "320117003204",
		"320117002202", "320117006204", "320117005202", "320117001201"}
	if brand := codesOf(f.results(district, lishui.ID, postgres.ResultFilter{Brand: ptr(true)})); !slices.Equal(brand, topTen) {
		t.Fatalf("brand catalogue %v", brand)
	}
	for i, r := range kept {
		if *r.RankDistrict != i+1 || r.RankCity != nil {
			t.Fatalf("%s: rank %v city %v", r.VillageCode, r.RankDistrict, r.RankCity)
		}
	}
	if s := *kept[0].Score; s != 100 || *kept[50].Score != 92 {
		t.Fatalf("scores %v .. %v", s, *kept[50].Score)
	}
	// Every recommendation explains itself, with the numbers behind it.
	byCode := map[string]*core.ReviewResult{}
	for _, r := range f.results(district, lishui.ID, postgres.ResultFilter{}) {
		byCode[r.VillageCode] = r
	}
	for k, want := range map[int]string{
		kX: "A5 纠纷调处成功率低于90%、群众安全感低于95%，或发生民转刑、个人极端暴力案事件：纠纷调处成功率 2026：8/10 = 0.8（应>= 0.9）未达标",
		kY: "有家规家训的户 2/3（应全部）未达标",
		kK: "国家宪法日活动 2025：0/1 = 0（应>= 1）未达标",
		kP: "镇(街道)提出、经审定采纳：村委会原主任因职务侵占罪被判处有期徒刑（审定意见：经核实，有法院判决书）",
		kF: "B1 党组织坚强有力，非软弱涣散：区现场检查不符合",
		kR: "区现场检查不符合，整改复查不合格",
		kC: "建议注销。C2",
		kN: "无数据、未核实：B11",
		kS: "建议撤销（末位淘汰）：综合得分 90.00，在本区符合标准的 53 个中排第 53 名；本区 120 个村(社区)，创建率上限 43%，至多保留 51 个，须淘汰 2 个",
		kQ: "建议保留",
		41: "排第 52 名",
		1:  "建议保留：未发现撤销情形，升级标准未发现不符合",
	} {
		if r := byCode[code(k)]; r == nil || !strings.Contains(r.Explanation, want) {
			t.Errorf("explanation of %s: %v\nwant it to contain %s", code(k), r, want)
		}
	}
	stds, err := f.db.StandardResults(district, lishui.ID, f.ids[code(kX)])
	f.must(err)
	if len(stds) != 12 || stds[0].Standard != "A5" || stds[0].Result != "fail" || len(stds[0].Numbers) != 4 ||
		stds[0].Numbers[0].Metric != "mediation_success" || *stds[0].Numbers[0].Numerator != 8 || *stds[0].Numbers[0].Denominator != 10 {
		t.Fatalf("standards of X: %+v", stds[0])
	}
	if stds[1].Standard != "B1" || stds[1].Result != "pass" || !slices.Equal(stds[1].Sources, []string{"finding"}) {
		t.Fatalf("B1 of X: %+v", stds[1])
	}
	s35, err := f.db.StandardResults(district, lishui.ID, f.ids[code(kS)])
	f.must(err)
	for _, s := range s35 {
		if s.Standard == "B8" && (s.Result != "pass" || !slices.Equal(s.Sources, []string{"rectified"})) {
			t.Fatalf("B8 of S: %+v", s)
		}
	}
	if r := byCode[code(kS)]; *r.Inspection != 0.9 || *r.Compliance != 0.8 || *r.Outcomes != 1 {
		t.Fatalf("parts of S: %v %v %v", *r.Compliance, *r.Outcomes, *r.Inspection)
	}

	// A town sees only its villages' results; another city none.
	if rs := f.results(town(5), lishui.ID, postgres.ResultFilter{}); len(rs) != 10 || rs[0].VillageCode[:9] != "320117005" {
		t.Fatalf("town 5 sees %v", codesOf(rs))
	}
	if rs := f.results(wuxi, lishui.ID, postgres.ResultFilter{}); len(rs) != 0 {
		t.Fatalf("another city sees %v", codesOf(rs))
	}

	// The district files its lists by 30 July; Gaochun too.
	_, err = f.db.AdvanceReview(district, postgres.AdvanceReview{ReviewID: lishui.ID, To: core.StageCityReview, ExpectedVersion: ptr(lishui.Version - 1)})
	wantCode(t, err, core.ECONFLICT)
	lishui, err = f.db.AdvanceReview(district, postgres.AdvanceReview{ReviewID: lishui.ID, To: core.StageCityReview, ExpectedVersion: &lishui.Version})
	f.must(err)
	_, err = f.svc.Evaluate(gaochun, "320118", 2026)
	f.must(err)
	_, err = f.db.AdvanceReview(gaochun, postgres.AdvanceReview{ReviewID: gc.ID, To: core.StageCityReview})
	f.must(err)
	_, err = f.svc.Evaluate(district, "320117", 2026)
	wantCode(t, err, core.EFORBIDDEN) // the city's stage now

	// August-September: the city draws its sample: ceil(15% × 51) = 8.
	_, err = f.svc.DrawSample(district, lishui.ID, ptr[int64](20260801), false)
	wantCode(t, err, core.EFORBIDDEN)
	sample, err := f.svc.DrawSample(city, lishui.ID, ptr[int64](20260801), false)
	f.must(err)
	var sampled []string
	for _, id := range sample.VillageIDs {
		sampled = append(sampled, codeOf(f.ids, id))
	}
	wantSample := []string{"320117005208", "320117006202", "320117001204", "320117003201", "320117003205", "320117003209", "320117006207", "320117001209"}
	if sample.Seed != 20260801 || sample.Population != 51 || sample.Size != 8 || !slices.Equal(sampled, wantSample) {
		t.Fatalf("sample %+v %v", sample, sampled)
	}
	// The sample is reproducible from the record: the documented draw over
	// the retained villages by code, computed here independently.
	keptCodes := slices.Sorted(slices.Values(codesOf(kept)))
	if ref := referenceSample(keptCodes, 20260801, 8); !slices.Equal(ref, wantSample) {
		t.Fatalf("reference draw %v", ref)
	}
	_, err = f.svc.DrawSample(city, lishui.ID, ptr[int64](1), false)
	wantCode(t, err, core.ECONFLICT)

	// The city checks the sampled villages on site; the first (ranked 4th in
	// the district) fails B5, so the eleventh moves into the top ten and one
	// fewer village is eliminated.
	for i, c := range sampled {
		fs := map[string]string{}
		if i == 0 {
			fs["B5"] = "fail"
		}
		f.check(city, lishui.ID, c, fs)
	}
	_, err = f.db.AdvanceReview(city, postgres.AdvanceReview{ReviewID: lishui.ID, To: core.StageProvinceEvaluation})
	wantCode(t, err, core.EINVALID) // findings changed since the evaluation
	ev, err = f.svc.Evaluate(city, "3201", 2026)
	f.must(err)
	lishui = ev[0]
	if *lishui.Kept != 51 || *lishui.Revoked != 8 || *lishui.Eliminated != 1 || *lishui.RateAfter != 0.425 {
		t.Fatalf("after the city's review %+v", summary(lishui))
	}
	elim := codesOf(f.results(city, lishui.ID, postgres.ResultFilter{Eliminated: ptr(true)}))
	if !slices.Equal(elim, []string{code(kS)}) {
		t.Fatalf("eliminated %v", elim)
	}
	r0 := f.results(city, lishui.ID, postgres.ResultFilter{})
	for _, r := range r0 {
		if r.VillageCode == sampled[0] && (r.Recommendation != "revoke" || !slices.Equal(r.Causes, []string{"B5"}) ||
			!strings.Contains(r.Explanation, "B5 司法行政工作室和法律顾问工作条件保障到位：市现场检查不符合")) {
			t.Fatalf("sampled village %+v", r)
		}
		if r.VillageCode == code(41) && (r.Recommendation != "keep" || *r.RankDistrict != 51) {
			t.Fatalf("k41 %+v", r)
		}
	}
	topTen = append(slices.Delete(topTen, 3, 4), "320117005203")
	if brand := codesOf(f.results(city, lishui.ID, postgres.ResultFilter{Brand: ptr(true)})); !slices.Equal(brand, topTen) {
		t.Fatalf("brand catalogue after the city's review %v", brand)
	}
	// Ranks in the city over both districts; the top three go to the national title.
	cityKept := append(f.results(city, lishui.ID, postgres.ResultFilter{Recommendation: "keep"}),
		f.results(city, gc.ID, postgres.ResultFilter{Recommendation: "keep"})...)
	sort.Slice(cityKept, func(i, j int) bool { return *cityKept[i].RankCity < *cityKept[j].RankCity })
	wantCity := []string{"320118001201", "320117003210", "320117002208", "320117006210", "320117004206",
		"320117003204", "320117002202", "320117006204", "320117005202", "320118001202", "320117001201", "320117005203"}
	if len(cityKept) != 55 || !slices.Equal(codesOf(cityKept)[:12], wantCity) {
		t.Fatalf("city ranking %v", codesOf(cityKept)[:12])
	}
	if nat := codesOf(f.results(city, lishui.ID, postgres.ResultFilter{National: ptr(true)})); !slices.Equal(nat, wantCity[1:3]) {
		t.Fatalf("national from 320117: %v", nat)
	}
	if nat := codesOf(f.results(city, gc.ID, postgres.ResultFilter{National: ptr(true)})); !slices.Equal(nat, wantCity[:1]) {
		t.Fatalf("national from 320118: %v", nat)
	}
	_, err = f.db.AdvanceReview(district, postgres.AdvanceReview{ReviewID: lishui.ID, To: core.StageProvinceEvaluation})
	wantCode(t, err, core.EFORBIDDEN)
	_, err = f.db.AdvanceReview(city, postgres.AdvanceReview{ReviewID: lishui.ID, To: core.StageProvinceEvaluation})
	f.must(err)

	// October-November: the province confirms; the titles change.
	_, _, err = f.db.ConfirmReview(city, postgres.ConfirmReview{ReviewID: lishui.ID, DecisionDocument: "苏司〔2026〕1号", DecidedOn: time.Date(2026, 11, 15, 0, 0, 0, 0, time.UTC)})
	wantCode(t, err, core.EFORBIDDEN)
	closed, n, err := f.db.ConfirmReview(province, postgres.ConfirmReview{ReviewID: lishui.ID, DecisionDocument: "苏司〔2026〕1号",
		DecidedOn: time.Date(2026, 11, 15, 0, 0, 0, 0, time.UTC)})
	f.must(err)
	if n != 9 || closed.Stage != core.StageClosed || *closed.DecisionDocument != "苏司〔2026〕1号" {
		t.Fatalf("confirm: %d titles, %+v", n, closed)
	}
	var statuses []struct {
		Code   string `db:"code"`
		Status string `db:"status"`
		Reason string `db:"reason"`
		Doc    string `db:"decision_document"`
		On     string `db:"decided_on"`
	}
	f.must(f.db.AsSystem(ctx, func(tx *postgres.Tx) error {
		return tx.Select(&statuses, `SELECT v.code, t.status, e.reason, e.decision_document, e.decided_on::text
			FROM titles t JOIN regions v ON v.id = t.village_id JOIN title_events e ON e.title_id = t.id AND e.action = 'status_changed'
			ORDER BY v.code`)
	}))
	wantStatus := map[string]string{code(kP): "revoked", code(kX): "revoked", code(kY): "revoked", code(kC): "cancelled", code(kF): "revoked",
		code(kR): "revoked", code(kS): "revoked", code(kK): "revoked", sampled[0]: "revoked"}
	if len(statuses) != len(wantStatus) {
		t.Fatalf("status changes %+v", statuses)
	}
	for _, s := range statuses {
		if wantStatus[s.Code] != s.Status || s.Doc != "苏司〔2026〕1号" || s.On != "2026-11-15" || s.Reason == "" {
			t.Errorf("title of %s: %+v", s.Code, s)
		}
	}
	var retained, audits int
	f.must(f.db.AsSystem(ctx, func(tx *postgres.Tx) error {
		if err := tx.Get(&retained, `SELECT count(*) FROM titles t JOIN regions v ON v.id = t.village_id
			WHERE t.status = 'retained' AND v.code LIKE '320117%'`); err != nil {
			return err
		}
		return tx.Get(&audits, `SELECT count(*) FROM audit_log WHERE action = 'title.status_change' AND actor_role = 'province_official'
			AND after->>'DecisionDocument' = '苏司〔2026〕1号' AND before->>'Status' = 'retained'`)
	}))
	if retained != 51 || audits != 9 {
		t.Fatalf("retained %d (want 51 = 42.5%% of 120), audit records %d", retained, audits)
	}
	hist, err := f.db.ReviewStageEvents(district, []int64{lishui.ID})
	f.must(err)
	var stages []string
	for _, e := range hist[0] {
		stages = append(stages, string(e.ToStage))
	}
	if !slices.Equal(stages, []string{"survey", "first_review", "city_review", "province_evaluation", "closed"}) {
		t.Fatalf("stage history %v", stages)
	}
	_, err = f.svc.Evaluate(province, "320117", 2026)
	wantCode(t, err, core.EINVALID)
	_, _, err = f.db.ConfirmReview(province, postgres.ConfirmReview{ReviewID: lishui.ID, DecisionDocument: "x", DecidedOn: time.Date(2026, 11, 15, 0, 0, 0, 0, time.UTC)})
	wantCode(t, err, core.EINVALID)
}

func summary(r *core.Review) string {
	d := func(p *int) any {
		if p == nil {
			return nil
		}
		return *p
	}
	fl := func(p *float64) any {
		if p == nil {
			return nil
		}
		return *p
	}
	return fmt.Sprintf("total %v titled %v kept %v revoked %v cancelled %v eliminated %v before %v after %v cap %v",
		d(r.VillagesTotal), d(r.Titled), d(r.Kept), d(r.Revoked), d(r.Cancelled), d(r.Eliminated), fl(r.RateBefore), fl(r.RateAfter), fl(r.Cap))
}

func ptr[T any](v T) *T { return &v }

func codeOf(ids map[string]int64, id int64) string {
	for c, x := range ids {
		if x == id {
			return c
		}
	}
	return ""
}

// referenceSample is the documented draw, written out independently:
// PCG(seed, seed), partial Fisher-Yates with j = i + uniform(n-i), uniform by
// rejection of Uint64 values at or above the largest multiple of n.
func referenceSample(codes []string, seed uint64, k int) []string {
	src := rand.NewPCG(seed, seed)
	a := slices.Clone(codes)
	for i := 0; i < k; i++ {
		n := uint64(len(a) - i)
		var x uint64
		for {
			x = src.Uint64()
			if x < math.MaxUint64-math.MaxUint64%n {
				break
			}
		}
		j := i + int(x%n)
		a[i], a[j] = a[j], a[i]
	}
	return a[:k]
}

func TestReviewSampleDraw(t *testing.T) {
	var cands []postgres.SampleCandidate
	for t := 1; t <= 3; t++ {
		for v := 1; v <= []int{10, 6, 4}[t-1]; v++ {
			cands = append(cands, postgres.SampleCandidate{VillageID: int64(t*100 + v), Code: fmt.Sprintf("32011700%d2%02d", t, v), TownCode: fmt.Sprintf("32011700%d", t)})
		}
	}
	a, b := review.Draw(7, false)(cands, 5), review.Draw(7, false)(cands, 5)
	if !slices.Equal(a, b) || len(a) != 5 {
		t.Fatalf("same seed, different samples: %v %v", a, b)
	}
	if c := review.Draw(8, false)(cands, 5); slices.Equal(a, c) {
		t.Fatalf("another seed gave the same sample %v", c)
	}
	// Stratified: 5 of 20 over towns of 10, 6, 4: shares 2.5, 1.5, 1; the one
	// left over goes to the larger remainder, a tie of 0.5 and 0.5: the earlier town.
	if q := review.Quotas([]int{10, 6, 4}, 5); !slices.Equal(q, []int{3, 1, 1}) {
		t.Fatalf("quotas %v", q)
	}
	s := review.Draw(7, true)(cands, 5)
	per := map[string]int{}
	for _, i := range s {
		per[cands[i].TownCode]++
	}
	if len(s) != 5 || per["320117001"] != 3 || per["320117002"] != 1 || per["320117003"] != 1 {
		t.Fatalf("stratified %v %v", s, per)
	}
	if q := review.Quotas([]int{51}, 8); !slices.Equal(q, []int{8}) {
		t.Fatalf("one town %v", q)
	}
}

func TestReviewDeadlineReminders(t *testing.T) {
	f := newFixture(t)
	at := func(m time.Month, d int) {
		f.db.Now = func() time.Time { return time.Date(2026, m, d, 8, 0, 0, 0, period.Location()) }
	}
	remind := func(raised, resolved int) postgres.ReminderResult {
		t.Helper()
		res, err := f.svc.RemindDeadlines(f.sys, 0)
		f.must(err)
		if res.Raised != raised || res.Resolved != resolved {
			t.Fatalf("reminders %+v, want %d raised, %d resolved", res, raised, resolved)
		}
		return res
	}
	// The district's webhooks (plain JSON and a WeCom robot) get the
	// reminders as digests, named for people.
	var mu sync.Mutex
	var bodies []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, string(b))
		mu.Unlock()
		_, _ = w.Write([]byte(`{"errcode":0}`))
	}))
	defer srv.Close()
	f.exec(`INSERT INTO webhooks (region_id, url, format) SELECT id, $2 || '/' || f, f FROM regions, unnest(ARRAY['json', 'wecom']) f
		WHERE code = $1`, "320117", srv.URL)
	notifier := notify.New(f.db, testenv.Quiet)
	deliver := func(res postgres.ReminderResult) (digest notify.Digest, wecom string) {
		t.Helper()
		mu.Lock()
		bodies = nil
		mu.Unlock()
		if d, err := notifier.Deliver(f.sys, res.FirstEvent, res.LastEvent, 0); err != nil || d.Delivered != 2 {
			t.Fatalf("delivered %+v: %v", d, err)
		}
		mu.Lock()
		defer mu.Unlock()
		for _, b := range bodies {
			var m struct {
				MsgType  string `json:"msgtype"`
				Markdown struct{ Content string }
			}
			f.must(json.Unmarshal([]byte(b), &m))
			if m.MsgType == "markdown" {
				wecom = m.Markdown.Content
			} else {
				f.must(json.Unmarshal([]byte(b), &digest))
			}
		}
		return digest, wecom
	}
	type alert struct {
		Rule  string  `db:"rule"`
		State string  `db:"state"`
		Value float64 `db:"value"`
	}
	alerts := func() []alert {
		var as []alert
		f.must(f.db.AsSystem(f.sys, func(tx *postgres.Tx) error {
			return tx.Select(&as, `SELECT rule, state, value FROM alerts a JOIN regions r ON r.id = a.region_id WHERE r.code = '320117' ORDER BY a.id`)
		}))
		return as
	}
	at(time.May, 20)
	revs, err := f.svc.Open(district, "320117", 2026)
	f.must(err)
	remind(0, 0) // the survey is due on 31 May; reminders start 7 days before
	at(time.May, 25)
	res := remind(1, 0)
	remind(0, 0)
	if as := alerts(); len(as) != 1 || as[0] != (alert{"review_deadline_survey", "open", 6}) {
		t.Fatalf("alerts %+v", as)
	}
	d, md := deliver(res)
	if len(d.Events) != 1 || d.TownCode != "320117" || d.Events[0].Rule != "review_deadline_survey" ||
		d.Events[0].RuleZh != "复核摸底阶段即将截止（镇(街道)报送撤销、注销建议）" ||
		d.Events[0].RuleEn != "review survey stage due soon (towns' revocation and cancellation proposals)" {
		t.Fatalf("json digest %+v", d)
	}
	if !strings.Contains(md, "**溧水区** 复核摸底阶段即将截止（镇(街道)报送撤销、注销建议）（2026）提醒 · 新增") {
		t.Fatalf("wecom digest %q", md)
	}
	_, err = f.db.AdvanceReview(district, postgres.AdvanceReview{ReviewID: revs[0].ID, To: core.StageFirstReview})
	f.must(err)
	remind(0, 1) // the first review is due on 30 July
	at(time.July, 25)
	res = remind(1, 0)
	if as := alerts(); len(as) != 2 || as[0].State != "resolved" || as[1] != (alert{"review_deadline_first_review", "open", 5}) {
		t.Fatalf("alerts %+v", as)
	}
	if d, md := deliver(res); len(d.Events) != 1 || d.Events[0].RuleZh != "复核初核阶段即将截止（区报送附件2、3、4）" ||
		d.Events[0].RuleEn != "review first-review stage due soon (the district files Annexes 2, 3 and 4)" || !strings.Contains(md, "复核初核阶段即将截止") {
		t.Fatalf("digest %+v %q", d, md)
	}
}
