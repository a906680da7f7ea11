package review_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/lawvillage/lawvillage/internal/core"
	"github.com/lawvillage/lawvillage/internal/postgres"
)

// override replaces review-year snapshots of the fixture.
func (f *fixture) override(ss ...snapshot) {
	f.t.Helper()
	for _, s := range ss {
		f.exec(`DELETE FROM metric_snapshots WHERE metric = $1 AND period = $2 AND region_id = $3`, s.metric, s.period, f.ids[s.code])
	}
	f.snapshots(ss)
}

// TestReviewCarriersAndAdviser: B7 (culture position) also needs at least 5
// kinds of publicity carriers, and B5 (judicial administration office and
// legal adviser) needs an adviser in office as well as a passed on-site
// finding. In 高淳区, whose four titled villages meet everything else:
// 201 has 4 kinds of carriers; 202 has no adviser at the end of 2026 though
// the district found B5 met on site; 203 has an adviser but the district
// found B5 not met; 204 meets both.
func TestReviewCarriersAndAdviser(t *testing.T) {
	f := newFixture(t)
	v := func(n int) string { return "3201180012" + []string{"01", "02", "03", "04"}[n-1] }
	f.override(target("culture_carrier_kinds", v(1), "2026", 4, 5), rate("legal_adviser", v(2), "2026", 0, 1, 1))

	revs, err := f.svc.Open(gaochun, "320118", 2026)
	f.must(err)
	gc := revs[0]
	_, err = f.db.AdvanceReview(gaochun, postgres.AdvanceReview{ReviewID: gc.ID, To: core.StageFirstReview})
	f.must(err)
	for i := 1; i <= 4; i++ {
		var fs map[string]string
		if i == 3 {
			fs = map[string]string{"B5": "fail"}
		}
		f.check(gaochun, gc.ID, v(i), fs)
	}
	ev, err := f.svc.Evaluate(gaochun, "320118", 2026)
	f.must(err)
	if r := ev[0]; *r.Titled != 4 || *r.Kept != 1 || *r.Revoked != 3 || *r.Eliminated != 0 {
		t.Fatalf("summary %s", summary(r))
	}
	byCode := map[string]*core.ReviewResult{}
	for _, r := range f.results(gaochun, gc.ID, postgres.ResultFilter{}) {
		byCode[r.VillageCode] = r
	}
	for i, want := range []struct {
		rec, causes, explanation string
	}{
		{"revoke", "B7", "B7 法治文化阵地特色鲜明、活动经常，宣传栏每月更新：法治文化活动覆盖季度 2026：2/2 = 1（应>= 1）达标；" +
			"宣传栏按月更新 2026：5/5 = 1（应>= 1）达标；法治文化阵地宣传载体种类 2026：4（应>= 5）未达标"},
		{"revoke", "B5", "B5 司法行政工作室和法律顾问工作条件保障到位：区现场检查符合；法律顾问在任 2026：0/1 = 0（应>= 1）未达标"},
		{"revoke", "B5", "B5 司法行政工作室和法律顾问工作条件保障到位：区现场检查不符合；法律顾问在任 2026：1/1 = 1（应>= 1）达标"},
		{"keep", "", "建议保留：未发现撤销情形，升级标准未发现不符合"},
	} {
		r := byCode[v(i+1)]
		if r == nil || r.Recommendation != want.rec || strings.Join(r.Causes, ",") != want.causes || !strings.Contains(r.Explanation, want.explanation) {
			t.Errorf("%s: %+v\nwant %s %s, explanation containing %s", v(i+1), r, want.rec, want.causes, want.explanation)
		}
	}
	if r := byCode[v(2)]; !strings.Contains(r.ExplanationEn, "legal adviser in office 2026: 0/1 = 0 (must be >= 1) not met") {
		t.Errorf("English explanation of %s: %s", v(2), r.ExplanationEn)
	}

	// The numbers behind each standard.
	std := func(n int, code string) *core.StandardResult {
		t.Helper()
		rs, err := f.db.StandardResults(gaochun, gc.ID, f.ids[v(n)])
		f.must(err)
		for _, s := range rs {
			if s.Standard == code {
				return s
			}
		}
		t.Fatalf("%s has no result for %s", v(n), code)
		return nil
	}
	b7 := std(1, "B7")
	if b7.Result != "fail" || !slices.Equal(b7.Sources, []string{"metric"}) || len(b7.Numbers) != 3 {
		t.Fatalf("B7 of 201: %+v", b7)
	}
	if n := b7.Numbers[2]; n.Metric != "culture_carrier_kinds" || n.Period != "2026" || *n.Numerator != 4 || *n.Denominator != 1 ||
		*n.Value != 4 || *n.Threshold != 5 || n.Status != "not_met" {
		t.Fatalf("carrier numbers of 201: %+v", n)
	}
	for _, c := range []struct {
		n            int
		result, stat string
		num          float64
	}{{2, "fail", "not_met", 0}, {3, "fail", "met", 1}, {4, "pass", "met", 1}} {
		b5 := std(c.n, "B5")
		if b5.Result != c.result || !slices.Equal(b5.Sources, []string{"finding", "metric"}) || len(b5.Numbers) != 1 ||
			b5.Numbers[0].Metric != "legal_adviser" || *b5.Numbers[0].Numerator != c.num || *b5.Numbers[0].Denominator != 1 || b5.Numbers[0].Status != c.stat {
			t.Errorf("B5 of %s: %+v %+v", v(c.n), b5, b5.Numbers)
		}
	}
	if b7 := std(4, "B7"); b7.Result != "pass" || len(b7.Numbers) != 3 {
		t.Errorf("B7 of 204: %+v", b7)
	}
}
