package graph_test

import (
	"bytes"
	"encoding/csv"
	"io"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/lawvillage/lawvillage/internal/apptest"
	"github.com/lawvillage/lawvillage/internal/core"
	"github.com/lawvillage/lawvillage/internal/metrics"
	"github.com/lawvillage/lawvillage/internal/period"
	"github.com/lawvillage/lawvillage/internal/postgres"
)

const reviewCSV = apptest.TwoTownsCSV + `320117001202,西门村委会,320117001
3202,无锡市,32
320205,锡山区,3202
320205001,东亭街道,320205
320205001201,东亭村委会,320205001
`

// reviewEnv is 溧水区 with towns 320117001 (villages 001, 201, 202) and
// 320117100 (201, 202), every village titled but 001, and 无锡市 beside it.
func reviewEnv(t *testing.T) (*apptest.Env, map[string]string) {
	env := apptest.New(t)
	env.ImportCSV(t, reviewCSV)
	if err := env.DB.AsSystem(env.System, func(tx *postgres.Tx) error {
		_, err := tx.Exec(`INSERT INTO titles (village_id, level, batch, year)
			SELECT id, 'provincial', 1 + (id % 10), 2005 + (id % 10) FROM regions WHERE level = 5 AND code <> '320117001001'`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return env, map[string]string{
		"district": env.Token(t, core.RoleDistrictAdmin, "320117"),
		"town1":    env.Token(t, core.RoleTownOfficial, "320117001"),
		"town100":  env.Token(t, core.RoleTownOfficial, "320117100"),
		"city":     env.Token(t, core.RoleCityOfficial, "3201"),
		"wuxi":     env.Token(t, core.RoleCityOfficial, "3202"),
		"analyst":  env.Token(t, core.RoleAnalystReadonly, "3201"),
	}
}

func villageID(t *testing.T, env *apptest.Env, tok, code string) string {
	t.Helper()
	var v struct {
		Village struct{ ID string } `json:"village"`
	}
	field(t, env.Do(t, tok, `query($c: DivisionCode!) { village(code: $c) { id } }`, map[string]any{"c": code}), "village", &v.Village)
	return v.Village.ID
}

const mPropose = `mutation($in: ProposeReviewActionInput!) { proposeReviewAction(input: $in) { proposal { id status village { code } standards { code } } ` + ueFields + ` } }`

func TestReviewAPICycleAndScope(t *testing.T) {
	env, tok := reviewEnv(t)

	// The district opens its review; a town may not.
	wantCode(t, env.Do(t, tok["town1"], `mutation { openReview(input: {areaCode: "320117", year: 2026}) { reviews { id } } }`, nil), "FORBIDDEN")
	var opened struct {
		Reviews []struct {
			ID        string
			Stage     string
			Deadlines []struct{ Stage, StartsOn, DueOn string }
		}
		UserErrors []userError
	}
	field(t, env.Do(t, tok["district"], `mutation { openReview(input: {areaCode: "320117", year: 2026}) {
		reviews { id stage deadlines { stage startsOn dueOn } } `+ueFields+` } }`, nil), "openReview", &opened)
	if len(opened.Reviews) != 1 || opened.Reviews[0].Stage != "SURVEY" || opened.Reviews[0].Deadlines[1].DueOn != "2026-07-30" {
		t.Fatalf("openReview %+v", opened)
	}
	rid := opened.Reviews[0].ID

	// Three days before the survey's deadline the district gets a reminder,
	// named for people in both languages.
	at := *env.DB // the same pool on another clock, leaving the server's alone
	at.Now = func() time.Time { return time.Date(2026, 5, 28, 9, 0, 0, 0, period.Location()) }
	if _, err := at.RemindReviewDeadlines(env.System, metrics.AlertEventsChannel, 0); err != nil {
		t.Fatal(err)
	}
	var reminders struct {
		Alerts struct {
			Nodes []struct {
				Rule, Name, NameEn, Severity string
				Value                        float64
			}
		}
	}
	field(t, env.Do(t, tok["district"], `{ region(code: "320117") { alerts(filter: {rule: "review_deadline_survey"}, first: 5) {
		nodes { rule name nameEn severity value } } } }`, nil), "region", &reminders)
	if n := reminders.Alerts.Nodes; len(n) != 1 || n[0].Name != "复核摸底阶段即将截止（镇(街道)报送撤销、注销建议）" ||
		n[0].NameEn != "review survey stage due soon (towns' revocation and cancellation proposals)" || n[0].Severity != "REMINDER" || n[0].Value != 3 {
		t.Fatalf("reminder %+v", reminders)
	}

	// A town proposes for its own villages only.
	v201 := villageID(t, env, tok["town1"], "320117001201")
	v100 := villageID(t, env, tok["district"], "320117100201")
	var p struct {
		Proposal struct {
			ID        string
			Status    string
			Standards []struct{ Code string }
		}
	}
	field(t, env.Do(t, tok["town1"], mPropose, map[string]any{"in": map[string]any{"reviewId": rid, "villageId": v201, "kind": "REVOKE",
		"standards": []string{"a4"}, "explanation": "越级上访"}}), "proposeReviewAction", &p)
	if p.Proposal.Status != "SUBMITTED" || p.Proposal.Standards[0].Code != "A4" {
		t.Fatalf("proposal %+v", p)
	}
	wantUserError(t, env.Do(t, tok["town1"], mPropose, map[string]any{"in": map[string]any{"reviewId": rid, "villageId": v100, "kind": "REVOKE",
		"standards": []string{"A4"}, "explanation": "不是本镇的"}}), "proposeReviewAction", "NOT_FOUND")
	field(t, env.Do(t, tok["town100"], mPropose, map[string]any{"in": map[string]any{"reviewId": rid, "villageId": v100, "kind": "CANCEL",
		"standards": []string{"C2"}, "explanation": "并村"}}), "proposeReviewAction", &p)

	// A town reads its district's review through its own region, with its own proposals only.
	var town struct {
		Review struct {
			ID        string
			Stage     string
			Proposals []struct{ Village struct{ Code string } }
		}
	}
	field(t, env.Do(t, tok["town1"], `{ region(code: "320117001") { review(year: 2026) { id stage proposals { village { code } } } } }`, nil), "region", &town)
	if town.Review.ID != rid || len(town.Review.Proposals) != 1 || town.Review.Proposals[0].Village.Code != "320117001201" {
		t.Fatalf("town's view %+v", town)
	}
	var none struct{ Review *struct{ ID string } }
	field(t, env.Do(t, tok["town1"], `{ review(areaCode: "320117", year: 2026) { id } }`, nil), "review", &none.Review)
	if none.Review != nil {
		t.Fatalf("a town looked up its district's review by code: %+v", none.Review)
	}

	// Only the district moves the stage and evaluates.
	mAdvance := `mutation($in: AdvanceReviewInput!) { advanceReview(input: $in) { review { stage version } ` + ueFields + ` } }`
	wantCode(t, env.Do(t, tok["town1"], mAdvance, map[string]any{"in": map[string]any{"reviewId": rid, "to": "FIRST_REVIEW"}}), "FORBIDDEN")
	wantUserError(t, env.Do(t, tok["district"], mAdvance, map[string]any{"in": map[string]any{"reviewId": rid, "to": "CITY_REVIEW"}}), "advanceReview", "INVALID")
	env.Do(t, tok["district"], mAdvance, map[string]any{"in": map[string]any{"reviewId": rid, "to": "FIRST_REVIEW"}}).Decode(t, &struct{}{})
	var props struct {
		Review struct{ Proposals []struct{ ID string } }
	}
	field(t, env.Do(t, tok["district"], `{ review(areaCode: "320117", year: 2026) { proposals(status: SUBMITTED) { id } } }`, nil), "review", &props.Review)
	for _, pr := range props.Review.Proposals {
		r := env.Do(t, tok["district"], `mutation($id: ID!) { decideReviewProposal(input: {proposalId: $id, accept: true, note: "核实"}) { proposal { status } `+ueFields+` } }`,
			map[string]any{"id": pr.ID})
		var d struct{ Proposal struct{ Status string } }
		field(t, r, "decideReviewProposal", &d)
		if d.Proposal.Status != "ACCEPTED" {
			t.Fatalf("decide %s", r.Data)
		}
	}
	// On-site checks of the villages kept: 320117001202 (B8 not met, rectified) and 320117100202.
	mCheck := `mutation($in: RecordReviewCheckInput!) { recordReviewCheck(input: $in) { check { id conclusion } findings { standard { code } result } ` + ueFields + ` } }`
	for _, c := range []string{"320117001202", "320117100202"} {
		findings := []map[string]any{{"standard": "B1", "result": "PASS"}, {"standard": "B8", "result": "PASS"}}
		if c == "320117001202" {
			findings[1]["result"] = "FAIL"
		}
		var ck struct {
			Check    struct{ Conclusion string }
			Findings []struct{ Result string }
		}
		field(t, env.Do(t, tok["district"], mCheck, map[string]any{"in": map[string]any{"reviewId": rid, "villageId": villageID(t, env, tok["district"], c),
			"checkedOn": "2026-07-01", "inspector": "区复核组", "conclusion": "PASS", "findings": findings}}), "recordReviewCheck", &ck)
		if len(ck.Findings) != 2 {
			t.Fatalf("check %+v", ck)
		}
	}
	var rect struct {
		Rectification struct {
			ID       string
			Standard struct{ Code string }
		}
	}
	field(t, env.Do(t, tok["district"], `mutation($in: IssueRectificationInput!) { issueRectification(input: $in) { rectification { id standard { code } } `+ueFields+` } }`,
		map[string]any{"in": map[string]any{"reviewId": rid, "villageId": villageID(t, env, tok["district"], "320117001202"), "standard": "B8",
			"requirement": "设立好人榜", "issuedOn": "2026-07-02", "dueOn": "2026-07-20"}}), "issueRectification", &rect)
	field(t, env.Do(t, tok["district"], `mutation($id: ID!) { recordRecheck(input: {rectificationId: $id, recheckedOn: "2026-07-21", result: PASS}) { rectification { recheckResult } `+ueFields+` } }`,
		map[string]any{"id": rect.Rectification.ID}), "recordRecheck", &struct{}{})

	mEval := `mutation { evaluateReview(input: {areaCode: "320117", year: 2026}) { reviews { summary { villagesTotal titled kept revoked cancelled eliminated creationRateAfter cap } } ` + ueFields + ` } }`
	wantCode(t, env.Do(t, tok["town1"], mEval, nil), "FORBIDDEN")
	var ev struct {
		Reviews []struct {
			Summary struct {
				VillagesTotal, Titled, Kept, Revoked, Cancelled, Eliminated int
				CreationRateAfter, Cap                                      float64
			}
		}
	}
	field(t, env.Do(t, tok["district"], mEval, nil), "evaluateReview", &ev)
	// 5 villages, 4 titled: 201 revoked (A4), 100201 cancelled (C2); two meet the standards but
	// at most floor(0.43 × 5) = 2 may keep a title, so none is eliminated.
	if s := ev.Reviews[0].Summary; s.VillagesTotal != 5 || s.Titled != 4 || s.Kept != 2 || s.Revoked != 1 || s.Cancelled != 1 || s.Eliminated != 0 || s.CreationRateAfter != 0.4 {
		t.Fatalf("summary %+v", s)
	}

	// The city sees the district's lists, with the reasons and the numbers behind them.
	qResults := `query($f: ReviewResultFilter) { review(areaCode: "320117", year: 2026) { id results(filter: $f, first: 10) { totalCount
		nodes { village { code } recommendation causes { code } explanation rankInDistrict score inspection brandCatalogue
		  standards { standard { code } result sources numbers { metric status } } findings { standard { code } result } title { batch } } } } }`
	type resultNode struct {
		Village        struct{ Code string }
		Recommendation string
		Causes         []struct{ Code string }
		Explanation    string
		RankInDistrict *int
		Score          *float64
		Inspection     *float64
		BrandCatalogue bool
		Standards      []struct {
			Standard struct{ Code string }
			Result   string
			Sources  []string
			Numbers  []struct{ Metric, Status string }
		}
		Findings []struct {
			Standard struct{ Code string }
			Result   string
		}
	}
	var res struct {
		Review struct {
			ID      string
			Results struct {
				TotalCount int
				Nodes      []resultNode
			}
		}
	}
	field(t, env.Do(t, tok["city"], qResults, nil), "review", &res.Review)
	var got []string
	for _, n := range res.Review.Results.Nodes {
		got = append(got, n.Village.Code+" "+n.Recommendation)
	}
	// Kept by rank (no metrics yet: the score is the inspection part, 20 against 15 for
	// the rectified finding), then revoked, then cancelled.
	want := []string{"320117100202 KEEP", "320117001202 KEEP", "320117001201 REVOKE", "320117100201 CANCEL"}
	if res.Review.Results.TotalCount != 4 || !slices.Equal(got, want) {
		t.Fatalf("city's view of the results: %v (%d)", got, res.Review.Results.TotalCount)
	}
	kept := res.Review.Results.Nodes[1]
	if *kept.Inspection != 0.75 || !kept.BrandCatalogue || *kept.RankInDistrict != 2 {
		t.Fatalf("rectified village %+v", kept)
	}
	revoked := res.Review.Results.Nodes[2]
	if len(revoked.Causes) != 1 || revoked.Causes[0].Code != "A4" || revoked.Explanation == "" {
		t.Fatalf("revoked %+v", revoked)
	}
	var a5 bool
	for _, s := range kept.Standards {
		if s.Standard.Code == "A5" {
			a5 = s.Result == "NO_DATA" && len(s.Numbers) == 4 && s.Numbers[0].Metric == "mediation_success" && s.Numbers[0].Status == "NO_DATA"
		}
	}
	if !a5 {
		t.Fatalf("A5 of a village without data: %+v", kept.Standards)
	}
	// A town sees only its villages' results.
	var tr struct {
		Region struct {
			Review struct {
				Results struct {
					TotalCount int
					Nodes      []resultNode
				}
			}
		}
	}
	field(t, env.Do(t, tok["town100"], `{ region(code: "320117100") { review(year: 2026) { results { totalCount nodes { village { code } } } } } }`, nil), "region", &tr.Region)
	if tr.Region.Review.Results.TotalCount != 2 || tr.Region.Review.Results.Nodes[0].Village.Code[:9] != "320117100" {
		t.Fatalf("town 100 sees %+v", tr)
	}
	// Another city sees nothing: not by code, not by ID.
	var other struct{ Review *struct{ ID string } }
	field(t, env.Do(t, tok["wuxi"], `{ review(areaCode: "320117", year: 2026) { id } }`, nil), "review", &other.Review)
	var node struct{ Node *struct{ ID string } }
	field(t, env.Do(t, tok["wuxi"], `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": rid}), "node", &node.Node)
	if other.Review != nil || node.Node != nil {
		t.Fatalf("another city sees the review: %+v %+v", other.Review, node.Node)
	}
	field(t, env.Do(t, tok["city"], `query($id: ID!) { node(id: $id) { id ... on Review { year stage } } }`, map[string]any{"id": rid}), "node", &node.Node)
	if node.Node == nil || node.Node.ID != rid {
		t.Fatalf("node(id) of the review for the city: %+v", node.Node)
	}

	// Exports: a short-lived link within scope; the file reads back.
	mExport := `mutation($t: ReviewTable!, $f: ExportFormat!) { exportReviewTable(input: {areaCode: "320117", year: 2026, table: $t, format: $f}) {
		export { url expiresAt filename } ` + ueFields + ` } }`
	var ex struct {
		Export struct{ URL, ExpiresAt, Filename string }
	}
	field(t, env.Do(t, tok["analyst"], mExport, map[string]any{"t": "REVOCATIONS", "f": "XLSX"}), "exportReviewTable", &ex)
	if ex.Export.Filename != "附件2_建议撤销省级民主法治示范村(社区)名单汇总表_溧水区_2026.xlsx" {
		t.Fatalf("export %+v", ex)
	}
	resp, err := http.Get(ex.Export.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	x, err := excelize.OpenReader(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("download %d: %v", resp.StatusCode, err)
	}
	defer x.Close()
	rows, _ := x.GetRows("附件2")
	if len(rows) != 4 || !slices.Equal(rows[2][:3], []string{"序号", "所属镇(街道)", "村(社区)名称"}) ||
		!slices.Equal(rows[3][:4], []string{"1", "永阳街道", "秋湖村委会", "320117001201"}) {
		t.Fatalf("附件2 rows %q", rows)
	}
	wantUserError(t, env.Do(t, tok["town1"], mExport, map[string]any{"t": "REVOCATIONS", "f": "CSV"}), "exportReviewTable", "NOT_FOUND")
	// The city exports one table of all its districts, with a district column.
	mCityExport := `mutation { exportReviewTable(input: {areaCode: "3201", year: 2026, table: REVOCATIONS, format: CSV}) {
		export { url expiresAt filename } ` + ueFields + ` } }`
	field(t, env.Do(t, tok["city"], mCityExport, nil), "exportReviewTable", &ex)
	if ex.Export.Filename != "附件2_建议撤销省级民主法治示范村(社区)名单汇总表_南京市_2026.csv" {
		t.Fatalf("city export %+v", ex)
	}
	resp, err = http.Get(ex.Export.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(body, []byte("\ufeff")))).ReadAll()
	if err != nil || len(recs) != 4 || !slices.Equal(recs[2][:4], []string{"序号", "所属县(市、区)", "所属镇(街道)", "村(社区)名称"}) ||
		!slices.Equal(recs[3][:5], []string{"1", "溧水区", "永阳街道", "秋湖村委会", "320117001201"}) {
		t.Fatalf("city 附件2 %q: %v", recs, err)
	}
	wantUserError(t, env.Do(t, tok["district"], mCityExport, nil), "exportReviewTable", "NOT_FOUND")
	wantUserError(t, env.Do(t, tok["wuxi"], mCityExport, nil), "exportReviewTable", "NOT_FOUND")
	wantUserError(t, env.Do(t, tok["wuxi"], mExport, map[string]any{"t": "TOP_TEN", "f": "CSV"}), "exportReviewTable", "NOT_FOUND")

	// A village's own result, for the town that holds it; null for another town.
	var vr struct {
		Village struct {
			ReviewResult *struct{ Recommendation string }
		}
	}
	field(t, env.Do(t, tok["town1"], `{ village(code: "320117001201") { reviewResult(year: 2026) { recommendation } } }`, nil), "village", &vr.Village)
	if vr.Village.ReviewResult == nil || vr.Village.ReviewResult.Recommendation != "REVOKE" {
		t.Fatalf("village result %+v", vr)
	}
	var standards struct{ ReviewStandards []struct{ Code string } }
	field(t, env.Do(t, tok["town1"], `{ reviewStandards { code } }`, nil), "reviewStandards", &standards.ReviewStandards)
	if len(standards.ReviewStandards) != 21 || standards.ReviewStandards[16].Code != "B11" {
		t.Fatalf("standards %+v", standards)
	}
}
