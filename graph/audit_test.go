package graph_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/lawvillage/lawvillage/graph/generated"
	"github.com/lawvillage/lawvillage/internal/apptest"
	"github.com/lawvillage/lawvillage/internal/core"
	"github.com/lawvillage/lawvillage/internal/postgres"
)

// The audit trail: every mutation of the schema leaves a record (the walk
// below fails for a mutation without a case), records cannot be read outside
// READ_AUDIT and scope, and personal data in them is masked above the town.

// audRow is an audit record as stored.
type audRow struct {
	ID         int64   `db:"id"`
	ActorName  string  `db:"actor_name"`
	ActorRole  string  `db:"actor_role"`
	Action     string  `db:"action"`
	ObjectType string  `db:"object_type"`
	ObjectID   *int64  `db:"object_id"`
	RegionCode *string `db:"region_code"`
	After      *string `db:"after"`
}

func (r audRow) String() string {
	region, obj := "-", int64(0)
	if r.RegionCode != nil {
		region = *r.RegionCode
	}
	if r.ObjectID != nil {
		obj = *r.ObjectID
	}
	return fmt.Sprintf("#%d %s by %s (%s) on %s %d in %s", r.ID, r.Action, r.ActorName, r.ActorRole, r.ObjectType, obj, region)
}

// audFixture is one platform shared by the cases of the walk: the two towns,
// tokens of several roles, and the audit records of the last measured call.
type audFixture struct {
	*harness
	province, city, town, clerk string
	v1b                         string // global ID of 秋湖村委会
	names                       map[string]string
	advisers                    int
	reviewYear                  int // the year of the last review opened (each case opens its own)

	measured string   // the mutation the case measured
	caller   string   // the token that made it
	rows     []audRow // audit records written while it ran
}

func newAudFixture(t *testing.T) *audFixture {
	t.Helper()
	f := &audFixture{harness: newHarness(t), names: map[string]string{}}
	f.province = f.Token(t, core.RoleProvinceOfficial, "32")
	f.city = f.Token(t, core.RoleCityOfficial, "3201")
	f.town = f.Token(t, core.RoleTownOfficial, town1)
	f.clerk = f.Token(t, core.RoleVillageClerk, v1b)
	f.names[f.admin] = string(core.RoleDistrictAdmin) + "@" + district
	f.names[f.province] = string(core.RoleProvinceOfficial) + "@32"
	f.names[f.city] = string(core.RoleCityOfficial) + "@3201"
	f.names[f.town] = string(core.RoleTownOfficial) + "@" + town1
	f.names[f.clerk] = string(core.RoleVillageClerk) + "@" + v1b
	f.v1b = f.villageID(t, f.admin, v1b)
	return f
}

func (f *audFixture) lastAuditID(t testing.TB) int64 {
	t.Helper()
	var id int64
	if err := f.DB.AsSystem(context.Background(), func(tx *postgres.Tx) error {
		return tx.Get(&id, `SELECT coalesce(max(id), 0) FROM audit_log`)
	}); err != nil {
		t.Fatal(err)
	}
	return id
}

func (f *audFixture) auditSince(t testing.TB, since int64) []audRow {
	t.Helper()
	var rows []audRow
	if err := f.DB.AsSystem(context.Background(), func(tx *postgres.Tx) error {
		return tx.Select(&rows, `SELECT a.id, a.actor_name, a.actor_role, a.action, a.object_type, a.object_id,
			r.code AS region_code, a.after::text AS after
			FROM audit_log a LEFT JOIN regions r ON r.id = a.region_id WHERE a.id > $1 ORDER BY a.id`, since)
	}); err != nil {
		t.Fatal(err)
	}
	return rows
}

// payloadOf checks a mutation response (HTTP 200, no errors, no userErrors)
// and returns the mutation's payload.
func payloadOf(t testing.TB, r *apptest.Response, name string) map[string]json.RawMessage {
	t.Helper()
	if r.Status != http.StatusOK || len(r.Errors) > 0 {
		t.Fatalf("%s: HTTP %d, errors %+v", name, r.Status, r.Errors)
	}
	var d map[string]map[string]json.RawMessage
	if err := json.Unmarshal(r.Data, &d); err != nil || d[name] == nil {
		t.Fatalf("%s: data %s (%v)", name, r.Data, err)
	}
	p := d[name]
	if ue, ok := p["userErrors"]; ok && string(ue) != "[]" {
		t.Fatalf("%s: userErrors %s", name, ue)
	}
	return p
}

// must runs a mutation that sets up a case; it must succeed.
func (f *audFixture) must(t testing.TB, token, name, query string, vars map[string]any) map[string]json.RawMessage {
	t.Helper()
	return payloadOf(t, f.Do(t, token, query, vars), name)
}

// mutate runs the mutation a case covers, once, successfully, and keeps the
// audit records written while the request ran.
func (f *audFixture) mutate(t testing.TB, token, name, query string, vars map[string]any) map[string]json.RawMessage {
	t.Helper()
	since := f.lastAuditID(t)
	p := f.must(t, token, name, query, vars)
	f.measured, f.caller, f.rows = name, token, f.auditSince(t, since)
	return p
}

// mutateUpload is mutate for a GraphQL multipart request with one file.
func (f *audFixture) mutateUpload(t testing.TB, token, name, query string, vars map[string]any, path, filename string, content []byte) map[string]json.RawMessage {
	t.Helper()
	since := f.lastAuditID(t)
	p := payloadOf(t, f.Upload(t, token, query, vars, path, filename, content), name)
	f.measured, f.caller, f.rows = name, token, f.auditSince(t, since)
	return p
}

// id returns payload.obj.id.
func audID(t testing.TB, p map[string]json.RawMessage, obj string) string {
	t.Helper()
	var o struct{ ID string }
	if err := json.Unmarshal(p[obj], &o); err != nil || o.ID == "" {
		t.Fatalf("no %s.id in %v", obj, p)
	}
	return o.ID
}

func audIn(m map[string]any) map[string]any { return map[string]any{"in": m} }

// mut builds a mutation document with one input argument, selecting the payload's fields.
func audMut(name, inputType, selection string) string {
	return fmt.Sprintf(`mutation($in: %s!) { %s(input: $in) { %s userErrors { field code message messageEn } } }`, inputType, name, selection)
}

func audLastMonth() string {
	now := shanghaiNow()
	return time.Date(now.Year(), now.Month()-1, 1, 0, 0, 0, 0, now.Location()).Format("2006-01")
}

// audCase performs one mutation successfully (setting up what it needs
// first) through f.mutate; action is the audit action it must leave.
type audCase struct {
	action string
	run    func(t *testing.T, f *audFixture)
}

// Setup helpers shared by the cases.

func (f *audFixture) activity(t testing.TB, title string) string {
	t.Helper()
	return f.record(t, f.clerk, f.v1b, "LECTURE", "2025-04-10", title).ID
}

func (f *audFixture) household(t testing.TB, code string) string {
	t.Helper()
	return audID(t, f.must(t, f.clerk, "createHousehold", audMut("createHousehold", "CreateHouseholdInput", "household { id }"),
		audIn(map[string]any{"villageId": f.v1b, "code": code, "headName": "张三丰", "phone": "13812341234"})), "household")
}

func (f *audFixture) grid(t testing.TB, name string) string {
	t.Helper()
	return audID(t, f.must(t, f.clerk, "addGrid", audMut("addGrid", "AddVillagePartInput", "grid { id }"),
		audIn(map[string]any{"villageId": f.v1b, "name": name})), "grid")
}

func (f *audFixture) adviser(t testing.TB) string {
	t.Helper()
	f.advisers++ // each appointment starts after the one in office
	from := time.Date(2025, time.Month(2+f.advisers), 1, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
	return audID(t, f.must(t, f.clerk, "appointLegalAdviser", audMut("appointLegalAdviser", "AppointLegalAdviserInput", "legalAdviser { id }"),
		audIn(map[string]any{"villageId": f.v1b, "name": "王律师", "firm": "秋湖律师事务所", "activeFrom": from})), "legalAdviser")
}

func (f *audFixture) mediation(t testing.TB, caseNo string) string {
	t.Helper()
	return audID(t, f.must(t, f.clerk, "createMediationCase", audMut("createMediationCase", "CreateMediationCaseInput", "mediationCase { id }"),
		audIn(map[string]any{"villageId": f.v1b, "caseNo": caseNo, "receivedOn": "2025-05-01", "parties": "张三、李四"})), "mediationCase")
}

func (f *audFixture) survey(t testing.TB, p string) string {
	t.Helper()
	return audID(t, f.must(t, f.clerk, "recordSurvey", audMut("recordSurvey", "RecordSurveyInput", "survey { id }"),
		audIn(map[string]any{"villageId": f.v1b, "kind": "SAFETY", "period": p, "surveyedOn": "2025-06-20", "respondents": 100, "positive": 97})), "survey")
}

func (f *audFixture) incident(t testing.TB) string {
	t.Helper()
	return audID(t, f.must(t, f.admin, "recordIncident", audMut("recordIncident", "RecordIncidentInput", "incident { id }"),
		audIn(map[string]any{"villageId": f.v1b, "kind": "OTHER_BREACH", "occurredOn": "2025-04-02", "sourceDepartment": "公安局"})), "incident")
}

func (f *audFixture) carrier(t testing.TB, name string) string {
	t.Helper()
	return audID(t, f.must(t, f.clerk, "addCultureCarrier", audMut("addCultureCarrier", "AddCultureCarrierInput", "cultureCarrier { id }"),
		audIn(map[string]any{"villageId": f.v1b, "kind": "SQUARE", "name": name})), "cultureCarrier")
}

func (f *audFixture) webhook(t testing.TB) string {
	t.Helper()
	return audID(t, f.must(t, f.admin, "createWebhook", audMut("createWebhook", "CreateWebhookInput", "webhook { id }"),
		audIn(map[string]any{"regionCode": town1, "url": "https://example.invalid/hook", "format": "JSON"})), "webhook")
}

// Reviews: each case opens the review of 溧水区 for a year of its own (in
// the past, so every date given is too) and drives it to the stage it needs.

const (
	audReviewStage = `mutation($in: AdvanceReviewInput!) { advanceReview(input: $in) { review { id } userErrors { field code message messageEn } } }`
)

type audReview struct {
	id   string
	year int
}

func (r audReview) date(md string) string { return fmt.Sprintf("%d-%s", r.year, md) }

// titledVillage returns 东门社区 (town 1), awarding it a provincial title if
// it holds none (a confirmed review may have revoked it).
func (f *audFixture) titledVillage(t testing.TB) string {
	t.Helper()
	var d struct {
		Village struct {
			ID              string
			ProvincialTitle *struct{ ID string }
		}
	}
	f.data(t, f.admin, `query($c: DivisionCode!) { village(code: $c) { id provincialTitle { id } } }`, map[string]any{"c": v1a}, &d)
	if d.Village.ProvincialTitle == nil {
		f.award(t, f.admin, d.Village.ID, 3, 2005)
	}
	return d.Village.ID
}

// openReview opens a review of the district for a new past year.
func (f *audFixture) openReview(t testing.TB) audReview {
	t.Helper()
	f.titledVillage(t)
	if f.reviewYear == 0 {
		f.reviewYear = shanghaiNow().Year()
	}
	f.reviewYear--
	p := f.must(t, f.admin, "openReview", audMut("openReview", "OpenReviewInput", "reviews { id }"),
		audIn(map[string]any{"areaCode": district, "year": f.reviewYear}))
	var rs []struct{ ID string }
	if err := json.Unmarshal(p["reviews"], &rs); err != nil || len(rs) != 1 {
		t.Fatalf("openReview: %s", p["reviews"])
	}
	return audReview{id: rs[0].ID, year: f.reviewYear}
}

func (f *audFixture) advance(t testing.TB, token string, r audReview, to string) {
	t.Helper()
	f.must(t, token, "advanceReview", audReviewStage, audIn(map[string]any{"reviewId": r.id, "to": to}))
}

func (f *audFixture) evaluate(t testing.TB, r audReview) {
	t.Helper()
	f.must(t, f.admin, "evaluateReview", audMut("evaluateReview", "EvaluateReviewInput", "reviews { id }"),
		audIn(map[string]any{"areaCode": district, "year": r.year}))
}

func (f *audFixture) propose(t testing.TB, r audReview) string {
	t.Helper()
	return audID(t, f.must(t, f.town, "proposeReviewAction", audMut("proposeReviewAction", "ProposeReviewActionInput", "proposal { id }"),
		audIn(map[string]any{"reviewId": r.id, "villageId": f.titledVillage(t), "kind": "REVOKE", "standards": []string{"A4"},
			"explanation": "越级上访"})), "proposal")
}

func (f *audFixture) rectification(t testing.TB, r audReview) string {
	t.Helper()
	return audID(t, f.must(t, f.admin, "issueRectification", audMut("issueRectification", "IssueRectificationInput", "rectification { id }"),
		audIn(map[string]any{"reviewId": r.id, "villageId": f.titledVillage(t), "standard": "B8", "requirement": "设立好人榜",
			"issuedOn": r.date("07-02"), "dueOn": r.date("07-20")})), "rectification")
}

// cityReview drives a new review through the district's first review
// (evaluated, every village it keeps checked on site) to the city.
func (f *audFixture) cityReview(t testing.TB) audReview {
	t.Helper()
	r := f.openReview(t)
	f.advance(t, f.admin, r, "FIRST_REVIEW")
	f.evaluate(t, r)
	var d struct {
		Review struct {
			Results struct {
				Nodes []struct{ Village struct{ ID string } }
			}
		}
	}
	f.data(t, f.admin, `query($y: Int!) { review(areaCode: "`+district+`", year: $y) { results(filter: {recommendation: KEEP}, first: 100) {
		nodes { village { id } } } } }`, map[string]any{"y": r.year}, &d)
	for _, n := range d.Review.Results.Nodes {
		f.must(t, f.admin, "recordReviewCheck", audMut("recordReviewCheck", "RecordReviewCheckInput", "check { id }"),
			audIn(map[string]any{"reviewId": r.id, "villageId": n.Village.ID, "checkedOn": r.date("07-01"), "inspector": "区复核组",
				"conclusion": "PASS", "findings": []map[string]any{{"standard": "B1", "result": "PASS"}}}))
	}
	f.evaluate(t, r) // the checks changed the inputs
	f.advance(t, f.admin, r, "CITY_REVIEW")
	return r
}

// audCases holds one case per mutation of the schema, by name. A mutation
// added to the schema without a case here fails TestAuditEveryMutation.
var audCases = map[string]audCase{
	// schema.graphql
	"importRegions": {"regions.import", func(t *testing.T, f *audFixture) {
		csv := "code,name,parent_code\n320117001203,新建村委会,320117001\n"
		f.mutateUpload(t, f.admin, "importRegions", audMut("importRegions", "ImportRegionsInput", "inserted"),
			audIn(map[string]any{"file": nil}), "variables.in.file", "regions.csv", []byte(csv))
	}},
	"updateVillage": {"village.update", func(t *testing.T, f *audFixture) {
		f.mutate(t, f.clerk, "updateVillage", audMut("updateVillage", "UpdateVillageInput", "village { id }"),
			audIn(map[string]any{"villageId": f.v1b, "householdCount": 321}))
	}},
	"addGrid": {"grid.create", func(t *testing.T, f *audFixture) {
		f.mutate(t, f.clerk, "addGrid", audMut("addGrid", "AddVillagePartInput", "grid { id }"), audIn(map[string]any{"villageId": f.v1b, "name": "审计网格"}))
	}},
	"addVillagerGroup": {"villager_group.create", func(t *testing.T, f *audFixture) {
		f.mutate(t, f.clerk, "addVillagerGroup", audMut("addVillagerGroup", "AddVillagePartInput", "villagerGroup { id }"),
			audIn(map[string]any{"villageId": f.v1b, "name": "审计一组"}))
	}},
	"awardTitle": {"title.award", func(t *testing.T, f *audFixture) {
		vid := f.villageID(t, f.admin, v2a)
		f.mutate(t, f.admin, "awardTitle", audMut("awardTitle", "AwardTitleInput", "title { id }"),
			audIn(map[string]any{"villageId": vid, "level": "PROVINCIAL", "batch": 5, "year": 2010}))
	}},
	"changeTitleStatus": {"title.status_change", func(t *testing.T, f *audFixture) {
		title := f.award(t, f.admin, f.villageID(t, f.admin, v2b), 6, 2012)
		f.mutate(t, f.admin, "changeTitleStatus", audMut("changeTitleStatus", "ChangeTitleStatusInput", "title { id }"),
			audIn(map[string]any{"titleId": title.ID, "status": "REVOKED", "reason": "发生民转刑案件"}))
	}},
	"recordActivity": {"activity.create", func(t *testing.T, f *audFixture) {
		f.mutate(t, f.clerk, "recordActivity", audMut("recordActivity", "RecordActivityInput", "activity { id }"),
			audIn(map[string]any{"villageId": f.v1b, "kind": "LECTURE", "date": "2025-05-10", "title": "五月讲座"}))
	}},
	"updateActivity": {"activity.update", func(t *testing.T, f *audFixture) {
		id := f.activity(t, "待修改的讲座")
		f.mutate(t, f.clerk, "updateActivity", audMut("updateActivity", "UpdateActivityInput", "activity { id }"), audIn(map[string]any{"id": id, "title": "改过的讲座"}))
	}},
	"deleteActivity": {"activity.delete", func(t *testing.T, f *audFixture) {
		id := f.activity(t, "待删除的讲座")
		f.mutate(t, f.clerk, "deleteActivity", audMut("deleteActivity", "DeleteActivityInput", "activity { id }"), audIn(map[string]any{"id": id, "reason": "重复登记"}))
	}},
	"requestEvidenceUpload": {"upload.reserve", func(t *testing.T, f *audFixture) {
		id := f.activity(t, "直传讲座")
		f.mutate(t, f.clerk, "requestEvidenceUpload", audMut("requestEvidenceUpload", "RequestEvidenceUploadInput", "upload { id }"),
			audIn(map[string]any{"activityId": id, "filename": "a.png", "contentType": "image/png"}))
	}},
	"confirmEvidenceUpload": {"evidence.create", func(t *testing.T, f *audFixture) {
		id := f.activity(t, "直传确认讲座")
		p := pending(t, f.requestUpload(t, f.clerk, id, "b.png", "image/png", nil))
		img := pngImage(t, 77)
		if res := postForm(t, p.URL, p.Fields, "b.png", img); res.StatusCode/100 != 2 {
			t.Fatalf("presigned POST: HTTP %d", res.StatusCode)
		}
		f.mutate(t, f.clerk, "confirmEvidenceUpload", audMut("confirmEvidenceUpload", "ConfirmEvidenceUploadInput", "evidence { id }"),
			audIn(map[string]any{"uploadId": p.ID, "sha256": sha(img)}))
	}},
	"uploadEvidence": {"evidence.create", func(t *testing.T, f *audFixture) {
		id := f.activity(t, "上传讲座")
		f.mutateUpload(t, f.clerk, "uploadEvidence", audMut("uploadEvidence", "UploadEvidenceInput", "evidence { id }"),
			audIn(map[string]any{"activityId": id, "file": nil}), "variables.in.file", "c.png", pngImage(t, 78))
	}},
	"deleteEvidence": {"evidence.delete", func(t *testing.T, f *audFixture) {
		ev := f.upload(t, f.clerk, f.activity(t, "删材料讲座"), "d.png", pngImage(t, 79))
		f.mutate(t, f.clerk, "deleteEvidence", audMut("deleteEvidence", "DeleteEvidenceInput", "deletedId"), audIn(map[string]any{"id": ev.ID, "reason": "传错文件"}))
	}},
	"createToken": {"token.create", func(t *testing.T, f *audFixture) {
		f.mutate(t, f.admin, "createToken", audMut("createToken", "CreateTokenInput", "token { id }"),
			audIn(map[string]any{"name": "永阳街道司法所（审计）", "role": "TOWN_OFFICIAL", "scopeCode": town1}))
	}},
	"revokeToken": {"token.revoke", func(t *testing.T, f *audFixture) {
		tok, _ := f.createToken(t, f.admin, "待吊销", "VILLAGE_CLERK", v1a)
		f.mutate(t, f.admin, "revokeToken", audMut("revokeToken", "RevokeTokenInput", "token { id }"), audIn(map[string]any{"id": tok.ID}))
	}},

	// graph/schema/metrics.graphqls
	"runJob": {"job.start", func(t *testing.T, f *audFixture) {
		f.mutate(t, f.province, "runJob", audMut("runJob", "RunJobInput", "run { id outcome }"),
			audIn(map[string]any{"name": "monthly-duties", "period": audLastMonth()}))
	}},
	"acknowledgeAlert": {"alert.acknowledge", func(t *testing.T, f *audFixture) {
		f.must(t, f.province, "runJob", audMut("runJob", "RunJobInput", "run { id }"), audIn(map[string]any{"name": "monthly-duties", "period": audLastMonth()}))
		var d struct {
			Region struct {
				Alerts struct {
					Nodes []struct {
						ID      string
						Version int
					}
				}
			}
		}
		f.data(t, f.town, `{ region(code: "`+town1+`") { alerts(filter: {state: OPEN}, first: 1) { nodes { id version } } } }`, nil, &d)
		if len(d.Region.Alerts.Nodes) == 0 {
			t.Fatalf("no open alert to acknowledge")
		}
		a := d.Region.Alerts.Nodes[0]
		f.mutate(t, f.town, "acknowledgeAlert", audMut("acknowledgeAlert", "AcknowledgeAlertInput", "alert { id }"),
			audIn(map[string]any{"alertId": a.ID, "comment": "已安排补课", "expectedVersion": a.Version}))
	}},
	"createWebhook": {"webhook.create", func(t *testing.T, f *audFixture) {
		f.mutate(t, f.admin, "createWebhook", audMut("createWebhook", "CreateWebhookInput", "webhook { id }"),
			audIn(map[string]any{"regionCode": district, "url": "https://example.invalid/district", "format": "WECOM"}))
	}},
	"setWebhookActive": {"webhook.update", func(t *testing.T, f *audFixture) {
		id := f.webhook(t)
		f.mutate(t, f.admin, "setWebhookActive", audMut("setWebhookActive", "SetWebhookActiveInput", "webhook { id }"), audIn(map[string]any{"id": id, "active": false}))
	}},

	// graph/schema/review.graphqls
	"openReview": {"review.open", func(t *testing.T, f *audFixture) {
		f.titledVillage(t)
		f.mutate(t, f.admin, "openReview", audMut("openReview", "OpenReviewInput", "reviews { id }"),
			audIn(map[string]any{"areaCode": district, "year": 2000})) // a year the other cases (counting down from last year) never reach
	}},
	"advanceReview": {"review.advance", func(t *testing.T, f *audFixture) {
		r := f.openReview(t)
		f.mutate(t, f.admin, "advanceReview", audReviewStage, audIn(map[string]any{"reviewId": r.id, "to": "FIRST_REVIEW"}))
	}},
	"proposeReviewAction": {"review.propose", func(t *testing.T, f *audFixture) {
		r := f.openReview(t)
		f.mutate(t, f.town, "proposeReviewAction", audMut("proposeReviewAction", "ProposeReviewActionInput", "proposal { id }"),
			audIn(map[string]any{"reviewId": r.id, "villageId": f.titledVillage(t), "kind": "CANCEL", "standards": []string{"C2"}, "explanation": "并村"}))
	}},
	"withdrawReviewProposal": {"review.proposal_withdraw", func(t *testing.T, f *audFixture) {
		id := f.propose(t, f.openReview(t))
		f.mutate(t, f.town, "withdrawReviewProposal", audMut("withdrawReviewProposal", "WithdrawReviewProposalInput", "proposal { id }"),
			audIn(map[string]any{"proposalId": id, "reason": "已核实无此情形"}))
	}},
	"decideReviewProposal": {"review.proposal_decide", func(t *testing.T, f *audFixture) {
		r := f.openReview(t)
		id := f.propose(t, r)
		f.advance(t, f.admin, r, "FIRST_REVIEW")
		f.mutate(t, f.admin, "decideReviewProposal", audMut("decideReviewProposal", "DecideReviewProposalInput", "proposal { id }"),
			audIn(map[string]any{"proposalId": id, "accept": false, "note": "证据不足"}))
	}},
	"recordReviewCheck": {"review.check", func(t *testing.T, f *audFixture) {
		r := f.openReview(t)
		f.advance(t, f.admin, r, "FIRST_REVIEW")
		f.mutate(t, f.admin, "recordReviewCheck", audMut("recordReviewCheck", "RecordReviewCheckInput", "check { id }"),
			audIn(map[string]any{"reviewId": r.id, "villageId": f.titledVillage(t), "checkedOn": r.date("07-01"), "inspector": "区复核组",
				"conclusion": "RECTIFY", "findings": []map[string]any{{"standard": "B8", "result": "FAIL"}}}))
	}},
	"issueRectification": {"review.rectification_issue", func(t *testing.T, f *audFixture) {
		r := f.openReview(t)
		f.advance(t, f.admin, r, "FIRST_REVIEW")
		f.mutate(t, f.admin, "issueRectification", audMut("issueRectification", "IssueRectificationInput", "rectification { id }"),
			audIn(map[string]any{"reviewId": r.id, "villageId": f.titledVillage(t), "requirement": "完善村规民约",
				"issuedOn": r.date("07-02"), "dueOn": r.date("07-25")}))
	}},
	"recordRecheck": {"review.rectification_recheck", func(t *testing.T, f *audFixture) {
		r := f.openReview(t)
		f.advance(t, f.admin, r, "FIRST_REVIEW")
		id := f.rectification(t, r)
		f.mutate(t, f.admin, "recordRecheck", audMut("recordRecheck", "RecordRecheckInput", "rectification { id }"),
			audIn(map[string]any{"rectificationId": id, "recheckedOn": r.date("07-21"), "result": "PASS"}))
	}},
	"evaluateReview": {"review.evaluate", func(t *testing.T, f *audFixture) {
		r := f.openReview(t)
		f.advance(t, f.admin, r, "FIRST_REVIEW")
		f.mutate(t, f.admin, "evaluateReview", audMut("evaluateReview", "EvaluateReviewInput", "reviews { id }"),
			audIn(map[string]any{"areaCode": district, "year": r.year}))
	}},
	"drawReviewSample": {"review.sample", func(t *testing.T, f *audFixture) {
		r := f.cityReview(t)
		f.mutate(t, f.city, "drawReviewSample", audMut("drawReviewSample", "DrawReviewSampleInput", "sample { seed }"),
			audIn(map[string]any{"reviewId": r.id, "seed": 20260701}))
	}},
	"confirmReview": {"review.confirm", func(t *testing.T, f *audFixture) {
		r := f.cityReview(t)
		f.advance(t, f.city, r, "PROVINCE_EVALUATION")
		f.mutate(t, f.province, "confirmReview", audMut("confirmReview", "ConfirmReviewInput", "titlesChanged"),
			audIn(map[string]any{"reviewId": r.id, "decisionDocument": "苏法宣〔" + fmt.Sprint(r.year) + "〕1号", "decidedOn": r.date("11-30")}))
	}},
	"exportReviewTable": {"review.export", func(t *testing.T, f *audFixture) {
		r := f.openReview(t)
		f.advance(t, f.admin, r, "FIRST_REVIEW")
		f.evaluate(t, r)
		f.mutate(t, f.admin, "exportReviewTable", audMut("exportReviewTable", "ExportReviewTableInput", "export { filename }"),
			audIn(map[string]any{"areaCode": district, "year": r.year, "table": "SUMMARY", "format": "CSV"}))
	}},

	// graph/schema/records.graphqls
	"createHousehold": {"household.create", func(t *testing.T, f *audFixture) {
		f.mutate(t, f.clerk, "createHousehold", audMut("createHousehold", "CreateHouseholdInput", "household { id }"),
			audIn(map[string]any{"villageId": f.v1b, "code": "H-create", "headName": "欧阳娜娜", "phone": "13900001111"}))
	}},
	"updateHousehold": {"household.update", func(t *testing.T, f *audFixture) {
		id := f.household(t, "H-update")
		f.mutate(t, f.clerk, "updateHousehold", audMut("updateHousehold", "UpdateHouseholdInput", "household { id }"), audIn(map[string]any{"id": id, "members": 5}))
	}},
	"deleteHousehold": {"household.delete", func(t *testing.T, f *audFixture) {
		id := f.household(t, "H-delete")
		f.mutate(t, f.clerk, "deleteHousehold", audMut("deleteHousehold", "DeleteRecordInput", "household { id }"), audIn(map[string]any{"id": id, "reason": "迁出"}))
	}},
	"setHouseholdVolunteer": {"household.volunteer_set", func(t *testing.T, f *audFixture) {
		id := f.household(t, "H-volunteer")
		f.mutate(t, f.clerk, "setHouseholdVolunteer", audMut("setHouseholdVolunteer", "SetHouseholdVolunteerInput", "household { id }"),
			audIn(map[string]any{"householdId": id, "year": 2025, "participated": true}))
	}},
	"addLegalSavvyPerson": {"legal_savvy_person.create", func(t *testing.T, f *audFixture) {
		g := f.grid(t, "明白人网格一")
		f.mutate(t, f.clerk, "addLegalSavvyPerson", audMut("addLegalSavvyPerson", "AddLegalSavvyPersonInput", "legalSavvyPerson { id }"),
			audIn(map[string]any{"gridId": g, "name": "李明白", "phone": "13700002222", "activeFrom": "2025-01-01"}))
	}},
	"updateLegalSavvyPerson": {"legal_savvy_person.update", func(t *testing.T, f *audFixture) {
		g := f.grid(t, "明白人网格二")
		id := audID(t, f.must(t, f.clerk, "addLegalSavvyPerson", audMut("addLegalSavvyPerson", "AddLegalSavvyPersonInput", "legalSavvyPerson { id }"),
			audIn(map[string]any{"gridId": g, "name": "赵明白", "activeFrom": "2025-01-01"})), "legalSavvyPerson")
		f.mutate(t, f.clerk, "updateLegalSavvyPerson", audMut("updateLegalSavvyPerson", "UpdateLegalSavvyPersonInput", "legalSavvyPerson { id }"),
			audIn(map[string]any{"id": id, "phone": "13700003333"}))
	}},
	"appointLegalAdviser": {"legal_adviser.appoint", func(t *testing.T, f *audFixture) {
		f.mutate(t, f.clerk, "appointLegalAdviser", audMut("appointLegalAdviser", "AppointLegalAdviserInput", "legalAdviser { id }"),
			audIn(map[string]any{"villageId": f.v1b, "name": "陈律师", "activeFrom": "2025-02-01"}))
	}},
	"updateLegalAdviser": {"legal_adviser.update", func(t *testing.T, f *audFixture) {
		id := f.adviser(t)
		f.mutate(t, f.clerk, "updateLegalAdviser", audMut("updateLegalAdviser", "UpdateLegalAdviserInput", "legalAdviser { id }"),
			audIn(map[string]any{"id": id, "phone": "025-52345678"}))
	}},
	"evaluateLegalAdviser": {"legal_adviser.evaluate", func(t *testing.T, f *audFixture) {
		id := f.adviser(t)
		f.mutate(t, f.clerk, "evaluateLegalAdviser", audMut("evaluateLegalAdviser", "EvaluateLegalAdviserInput", "evaluation { year }"),
			audIn(map[string]any{"adviserId": id, "year": 2025, "score": 95}))
	}},
	"recordLegalCheckup": {"legal_checkup.create", func(t *testing.T, f *audFixture) {
		f.mutate(t, f.clerk, "recordLegalCheckup", audMut("recordLegalCheckup", "RecordLegalCheckupInput", "legalCheckup { id }"),
			audIn(map[string]any{"villageId": f.v1b, "heldOn": "2025-05-01", "subject": "村规民约合法性审查"}))
	}},
	"createMediationCase": {"mediation_case.create", func(t *testing.T, f *audFixture) {
		f.mutate(t, f.clerk, "createMediationCase", audMut("createMediationCase", "CreateMediationCaseInput", "mediationCase { id }"),
			audIn(map[string]any{"villageId": f.v1b, "caseNo": "M-create", "receivedOn": "2025-05-01", "parties": "王五、赵六"}))
	}},
	"updateMediationCase": {"mediation_case.update", func(t *testing.T, f *audFixture) {
		id := f.mediation(t, "M-update")
		f.mutate(t, f.clerk, "updateMediationCase", audMut("updateMediationCase", "UpdateMediationCaseInput", "mediationCase { id }"),
			audIn(map[string]any{"id": id, "summary": "邻里宅基地纠纷"}))
	}},
	"concludeMediationCase": {"mediation_case.conclude", func(t *testing.T, f *audFixture) {
		id := f.mediation(t, "M-conclude")
		f.mutate(t, f.clerk, "concludeMediationCase", audMut("concludeMediationCase", "ConcludeMediationCaseInput", "mediationCase { id }"),
			audIn(map[string]any{"id": id, "outcome": "SUCCESS", "concludedOn": "2025-05-10"}))
	}},
	"recordSurvey": {"survey.create", func(t *testing.T, f *audFixture) {
		f.mutate(t, f.clerk, "recordSurvey", audMut("recordSurvey", "RecordSurveyInput", "survey { id }"),
			audIn(map[string]any{"villageId": f.v1b, "kind": "DELIBERATION_SATISFACTION", "period": "2025", "surveyedOn": "2025-06-20", "respondents": 50, "positive": 48}))
	}},
	"updateSurvey": {"survey.update", func(t *testing.T, f *audFixture) {
		id := f.survey(t, "2025-Q1")
		f.mutate(t, f.clerk, "updateSurvey", audMut("updateSurvey", "UpdateSurveyInput", "survey { id }"), audIn(map[string]any{"id": id, "positive": 98}))
	}},
	"deleteSurvey": {"survey.delete", func(t *testing.T, f *audFixture) {
		id := f.survey(t, "2025-Q2")
		f.mutate(t, f.clerk, "deleteSurvey", audMut("deleteSurvey", "DeleteRecordInput", "deletedId"), audIn(map[string]any{"id": id, "reason": "重复登记"}))
	}},
	"recordIncident": {"incident.create", func(t *testing.T, f *audFixture) {
		f.mutate(t, f.admin, "recordIncident", audMut("recordIncident", "RecordIncidentInput", "incident { id }"),
			audIn(map[string]any{"villageId": f.v1b, "kind": "MASS_PETITION", "occurredOn": "2025-03-02", "sourceDepartment": "信访局"}))
	}},
	"updateIncident": {"incident.update", func(t *testing.T, f *audFixture) {
		id := f.incident(t)
		f.mutate(t, f.admin, "updateIncident", audMut("updateIncident", "UpdateIncidentInput", "incident { id }"), audIn(map[string]any{"id": id, "description": "已核实"}))
	}},
	"deleteIncident": {"incident.delete", func(t *testing.T, f *audFixture) {
		id := f.incident(t)
		f.mutate(t, f.admin, "deleteIncident", audMut("deleteIncident", "DeleteRecordInput", "deletedId"), audIn(map[string]any{"id": id, "reason": "误报"}))
	}},
	"setLawsuits": {"lawsuits.set", func(t *testing.T, f *audFixture) {
		f.mutate(t, f.admin, "setLawsuits", audMut("setLawsuits", "SetLawsuitsInput", "lawsuitYear { year }"),
			audIn(map[string]any{"villageId": f.v1b, "year": 2025, "civil": 3, "administrative": 1, "sourceDepartment": "法院"}))
	}},
	"addCultureCarrier": {"culture_carrier.create", func(t *testing.T, f *audFixture) {
		f.mutate(t, f.clerk, "addCultureCarrier", audMut("addCultureCarrier", "AddCultureCarrierInput", "cultureCarrier { id }"),
			audIn(map[string]any{"villageId": f.v1b, "kind": "PARK", "name": "秋湖法治公园"}))
	}},
	"removeCultureCarrier": {"culture_carrier.delete", func(t *testing.T, f *audFixture) {
		id := f.carrier(t, "待拆除的长廊")
		f.mutate(t, f.clerk, "removeCultureCarrier", audMut("removeCultureCarrier", "DeleteRecordInput", "deletedId"), audIn(map[string]any{"id": id, "reason": "改建"}))
	}},
	"importRecords": {"household.import", func(t *testing.T, f *audFixture) {
		file := "\xEF\xBB\xBF村(社区)代码,户号,户主姓名,联系电话\n" + v1b + ",IMP-1,孙悟空,13600001111\n" + v1b + ",IMP-2,猪八戒,13600002222\n"
		f.mutateUpload(t, f.clerk, "importRecords", audMut("importRecords", "ImportRecordsInput", "inserted"),
			audIn(map[string]any{"kind": "HOUSEHOLD", "file": nil}), "variables.in.file", "households.csv", []byte(file))
	}},
}

// schemaMutations lists the mutation fields of the executable schema, the
// one the server serves.
func schemaMutations(t *testing.T) []string {
	t.Helper()
	m := generated.NewExecutableSchema(generated.Config{}).Schema().Types["Mutation"]
	if m == nil {
		t.Fatal("the schema has no Mutation type")
	}
	var names []string
	for _, fd := range m.Fields {
		if !strings.HasPrefix(fd.Name, "__") {
			names = append(names, fd.Name)
		}
	}
	sort.Strings(names)
	return names
}

// TestAuditEveryMutation walks the schema's Mutation type: every mutation
// must have a case in audCases, and each case, run once successfully, must
// leave at least one audit record of its action, written by that request and
// attributed to the caller. A mutation without a case fails the test.
func TestAuditEveryMutation(t *testing.T) {
	names := schemaMutations(t)
	if len(names) < 15 {
		t.Fatalf("only %d mutations found in the schema: %v", len(names), names)
	}
	var missing []string
	for _, n := range names {
		if _, ok := audCases[n]; !ok {
			missing = append(missing, n)
		}
	}
	for n := range audCases {
		if !slices.Contains(names, n) {
			t.Errorf("audCases has a case for %q, which is not a mutation of the schema (renamed or removed?)", n)
		}
	}
	if len(missing) > 0 {
		t.Errorf("mutations without an audit case (add one to audCases in graph/audit_test.go that performs the mutation "+
			"and expects its audit action): %s", strings.Join(missing, ", "))
	}
	f := newAudFixture(t)
	for _, n := range names {
		c, ok := audCases[n]
		if !ok {
			continue
		}
		t.Run(n, func(t *testing.T) {
			f.measured, f.caller, f.rows = "", "", nil
			c.run(t, f)
			if f.measured != n {
				t.Fatalf("the case measured %q, not %s: call f.mutate for the mutation itself", f.measured, n)
			}
			who := f.names[f.caller]
			for _, r := range f.rows {
				if r.Action == c.action && r.ActorName == who {
					if r.RegionCode == nil {
						t.Errorf("%s record %+v has no region: no admin can read it", c.action, r)
					}
					return
				}
			}
			t.Fatalf("%s left no %q audit record by %s; records written during the request: %+v", n, c.action, who, f.rows)
		})
	}
}

// TestAuditRefusedChangeLeavesNoRecord: the record is written in the
// change's transaction, so a change that fails leaves none.
func TestAuditRefusedChangeLeavesNoRecord(t *testing.T) {
	f := newAudFixture(t)
	act := f.activity(t, "讲座")
	since := f.lastAuditID(t)
	r := f.Do(t, f.clerk, audMut("deleteActivity", "DeleteActivityInput", "activity { id }"), audIn(map[string]any{"id": act, "reason": " "}))
	wantUserError(t, r, "deleteActivity", "INVALID")
	r = f.Do(t, f.admin, audMut("awardTitle", "AwardTitleInput", "title { id }"),
		audIn(map[string]any{"villageId": f.v1b, "level": "PROVINCIAL", "batch": 99, "year": 2010}))
	wantUserError(t, r, "awardTitle", "INVALID")
	if rows := f.auditSince(t, since); len(rows) != 0 {
		t.Fatalf("refused changes left audit records: %+v", rows)
	}
}

// auditEntryT is an AuditEntry of the API.
type auditEntryT struct {
	ID, Action, ActorName, ActorRole, ObjectType string
	At                                           time.Time
	ObjectID                                     *string
	ObjectNumber                                 *int
	Region                                       *struct{ Code string }
	Before, After                                *string
}

const auditEntryFields = `id at actorName actorRole action objectType objectId objectNumber region { code } before after`

const qAuditLog = `query($f: AuditLogFilter, $first: Int, $after: String) { auditLog(filter: $f, first: $first, after: $after) {
	totalCount pageInfo { hasNextPage endCursor } edges { cursor node { ` + auditEntryFields + ` } } nodes { id } } }`

type auditLogT struct {
	AuditLog struct {
		TotalCount int
		PageInfo   struct {
			HasNextPage bool
			EndCursor   *string
		}
		Edges []struct {
			Cursor string
			Node   auditEntryT
		}
		Nodes []struct{ ID string }
	}
}

func (f *audFixture) auditLog(t testing.TB, token string, filter map[string]any, first int, after *string) auditLogT {
	t.Helper()
	var d auditLogT
	vars := map[string]any{"f": filter, "first": first}
	if after != nil {
		vars["after"] = *after
	}
	f.data(t, token, qAuditLog, vars, &d)
	return d
}

// TestAuditQueryAPI covers auditLog and auditHistory: who may read, scope,
// filters, paging, history on the objects, and masking of personal data.
func TestAuditQueryAPI(t *testing.T) {
	f := newAudFixture(t)
	// A second district, with its own admin, to show scope.
	f.ImportCSV(t, "code,name,parent_code\n320118,高淳区,3201\n320118001,淳溪街道,320118\n320118001201,高淳村委会,320118001\n")
	other := f.Token(t, core.RoleDistrictAdmin, "320118")
	f.names[other] = string(core.RoleDistrictAdmin) + "@320118"

	start := time.Now().Add(-time.Second)
	act := f.record(t, f.clerk, f.v1b, "LECTURE", "2025-04-10", "宪法讲座")
	f.must(t, f.clerk, "updateActivity", audMut("updateActivity", "UpdateActivityInput", "activity { id }"), audIn(map[string]any{"id": act.ID, "title": "宪法进农村讲座"}))
	ev := f.upload(t, f.clerk, act.ID, "p.png", pngImage(t, 5))
	title := f.award(t, f.admin, f.v1b, 4, 2009)
	tok, _ := f.createToken(t, f.admin, "秋湖村（审计）", "VILLAGE_CLERK", v1b)
	f.must(t, f.admin, "revokeToken", audMut("revokeToken", "RevokeTokenInput", "token { id }"), audIn(map[string]any{"id": tok.ID}))
	f.must(t, f.clerk, "updateVillage", audMut("updateVillage", "UpdateVillageInput", "village { id }"), audIn(map[string]any{"villageId": f.v1b, "householdCount": 456}))
	hh := f.household(t, "H-mask")
	otherVillage := f.villageID(t, other, "320118001201")
	f.must(t, other, "recordActivity", audMut("recordActivity", "RecordActivityInput", "activity { id }"),
		audIn(map[string]any{"villageId": otherVillage, "kind": "LECTURE", "date": "2025-04-11", "title": "高淳讲座"}))
	f.must(t, f.province, "runJob", audMut("runJob", "RunJobInput", "run { id }"), audIn(map[string]any{"name": "monthly-duties", "period": audLastMonth()}))

	t.Run("permission", func(t *testing.T) {
		for _, tok := range []string{f.town, f.clerk, f.Token(t, core.RoleAnalystReadonly, district), f.Token(t, core.RolePartnerReadonly, district)} {
			f.failsWith(t, tok, qAuditLog, nil, "FORBIDDEN")
		}
		var v struct {
			Viewer struct{ Permissions []string }
		}
		f.data(t, f.admin, `{ viewer { permissions } }`, nil, &v)
		if !slices.Contains(v.Viewer.Permissions, "READ_AUDIT") {
			t.Fatalf("district admin permissions %v lack READ_AUDIT", v.Viewer.Permissions)
		}
		f.data(t, f.town, `{ viewer { permissions } }`, nil, &v)
		if slices.Contains(v.Viewer.Permissions, "READ_AUDIT") {
			t.Fatalf("town official holds READ_AUDIT")
		}
	})

	t.Run("scope", func(t *testing.T) {
		mine := f.auditLog(t, f.admin, map[string]any{"objectType": "activity"}, 100, nil)
		theirs := f.auditLog(t, other, map[string]any{"objectType": "activity"}, 100, nil)
		for _, e := range mine.AuditLog.Edges {
			if e.Node.Region == nil || !strings.HasPrefix(e.Node.Region.Code, district) {
				t.Fatalf("district admin sees %+v", e.Node)
			}
		}
		if len(theirs.AuditLog.Edges) != 1 || theirs.AuditLog.TotalCount != 1 || theirs.AuditLog.Edges[0].Node.ActorName != f.names[other] {
			t.Fatalf("the other district sees %+v", theirs.AuditLog)
		}
		if mine.AuditLog.TotalCount < 2 {
			t.Fatalf("district admin sees %d activity records", mine.AuditLog.TotalCount)
		}
		// Global records (job runs) sit under the top-level region: the province reads them, a district does not.
		job := map[string]any{"objectType": "job_run"}
		if d := f.auditLog(t, f.province, job, 10, nil); d.AuditLog.TotalCount < 1 {
			t.Fatalf("province sees no job records")
		} else if n := d.AuditLog.Edges[len(d.AuditLog.Edges)-1].Node; n.Action != "job.start" || n.ActorName != f.names[f.province] {
			t.Fatalf("oldest job record %+v, want the province's job.start", n)
		}
		run := f.auditLog(t, f.province, map[string]any{"objectType": "job_run", "action": "job.run"}, 10, nil).AuditLog
		if run.TotalCount < 1 || run.Edges[0].Node.ActorName != "job:monthly-duties" || run.Edges[0].Node.After == nil ||
			!strings.Contains(*run.Edges[0].Node.After, `"raised"`) || run.Edges[0].Node.Region == nil || run.Edges[0].Node.Region.Code != "32" {
			t.Fatalf("job.run records: %+v", run)
		}
		if d := f.auditLog(t, f.admin, job, 10, nil); d.AuditLog.TotalCount != 0 {
			t.Fatalf("district admin sees job records: %+v", d.AuditLog)
		}
	})

	t.Run("filters and paging", func(t *testing.T) {
		byObject := f.auditLog(t, f.admin, map[string]any{"objectId": act.ID}, 10, nil).AuditLog
		if byObject.TotalCount != 2 || len(byObject.Edges) != 2 || byObject.Edges[0].Node.Action != "activity.update" ||
			byObject.Edges[1].Node.Action != "activity.create" || *byObject.Edges[0].Node.ObjectID != act.ID ||
			byObject.Edges[0].Node.ActorName != f.names[f.clerk] || byObject.Edges[0].Node.ActorRole != "village_clerk" {
			t.Fatalf("records of the activity: %+v", byObject)
		}
		n := byObject.Edges[0].Node
		if n.Before == nil || !strings.Contains(*n.Before, "宪法讲座") || n.After == nil || !strings.Contains(*n.After, "宪法进农村讲座") {
			t.Fatalf("before/after of the update: %+v", n)
		}
		var js map[string]any
		if err := json.Unmarshal([]byte(*n.After), &js); err != nil {
			t.Fatalf("after is not JSON: %v", err)
		}
		byActor := f.auditLog(t, f.admin, map[string]any{"actorName": f.names[f.admin], "action": "token.revoke"}, 10, nil).AuditLog
		if byActor.TotalCount != 1 || *byActor.Edges[0].Node.ObjectID != tok.ID {
			t.Fatalf("revocations by the admin: %+v", byActor)
		}
		if d := f.auditLog(t, f.admin, map[string]any{"from": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)}, 10, nil); d.AuditLog.TotalCount != 0 {
			t.Fatalf("records from the future: %+v", d.AuditLog)
		}
		window := map[string]any{"from": start.UTC().Format(time.RFC3339Nano), "to": time.Now().Add(time.Minute).UTC().Format(time.RFC3339Nano)}
		all := f.auditLog(t, f.admin, window, 100, nil).AuditLog
		if all.TotalCount < 8 || all.TotalCount != len(all.Edges) {
			t.Fatalf("records in the window: %d of %d", len(all.Edges), all.TotalCount)
		}
		// Page by two: the same records, newest first, no repeats.
		var seen []string
		var after *string
		for {
			p := f.auditLog(t, f.admin, window, 2, after).AuditLog
			for _, e := range p.Edges {
				seen = append(seen, e.Node.ID)
			}
			if !p.PageInfo.HasNextPage {
				break
			}
			after = p.PageInfo.EndCursor
		}
		if len(seen) != len(all.Edges) {
			t.Fatalf("paged %d records, want %d", len(seen), len(all.Edges))
		}
		for i, e := range all.Edges {
			if seen[i] != e.Node.ID || (i > 0 && e.Node.At.After(all.Edges[i-1].Node.At)) {
				t.Fatalf("page order differs at %d", i)
			}
		}
		// An object the audit trail cannot hold, a malformed cursor, too large a page.
		if d := f.auditLog(t, f.admin, map[string]any{"objectId": fakeID("Nope")}, 10, nil); d.AuditLog.TotalCount != 0 || len(d.AuditLog.Edges) != 0 {
			t.Fatalf("unknown object type: %+v", d.AuditLog)
		}
		if d := f.auditLog(t, f.admin, map[string]any{"objectId": act.ID, "objectType": "title"}, 10, nil); len(d.AuditLog.Edges) != 0 {
			t.Fatalf("contradicting filter: %+v", d.AuditLog)
		}
		f.failsWith(t, f.admin, qAuditLog, map[string]any{"after": "nope"}, "INVALID_CURSOR")
		f.failsWith(t, f.admin, qAuditLog, map[string]any{"first": 101}, "INVALID")
	})

	t.Run("history on objects", func(t *testing.T) {
		q := `query($v: DivisionCode!, $a: ID!, $e: ID!, $t: ID!, $k: ID!, $first: Int) {
			village(code: $v) { auditHistory(first: $first) { action } }
			a: node(id: $a) { ... on Activity { auditHistory(first: $first) { action objectId } } }
			e: node(id: $e) { ... on Evidence { auditHistory(first: $first) { action } } }
			t: node(id: $t) { ... on Title { auditHistory(first: $first) { action } } }
			k: node(id: $k) { ... on Token { auditHistory(first: $first) { action } } } }`
		type hist []struct {
			Action   string
			ObjectID *string
		}
		var d struct {
			Village struct{ AuditHistory hist }
			A       *struct{ AuditHistory hist }
			E       *struct{ AuditHistory hist }
			T       *struct{ AuditHistory hist }
			K       *struct{ AuditHistory hist }
		}
		vars := map[string]any{"v": v1b, "a": act.ID, "e": ev.ID, "t": title.ID, "k": tok.ID}
		f.data(t, f.admin, q, vars, &d)
		actions := func(h hist) string {
			var s []string
			for _, e := range h {
				s = append(s, e.Action)
			}
			return strings.Join(s, ",")
		}
		if got := actions(d.Village.AuditHistory); got != "village.update" {
			t.Fatalf("village history %q", got)
		}
		if got := actions(d.A.AuditHistory); got != "activity.update,activity.create" || *d.A.AuditHistory[0].ObjectID != act.ID {
			t.Fatalf("activity history %q", got)
		}
		if got := actions(d.E.AuditHistory); got != "evidence.create" {
			t.Fatalf("evidence history %q", got)
		}
		if got := actions(d.T.AuditHistory); got != "title.award" {
			t.Fatalf("title history %q", got)
		}
		if got := actions(d.K.AuditHistory); got != "token.revoke,token.create" {
			t.Fatalf("token history %q", got)
		}
		vars["first"] = 1
		f.data(t, f.admin, q, vars, &d)
		if got := actions(d.A.AuditHistory); got != "activity.update" {
			t.Fatalf("activity history, first 1: %q", got)
		}
		// Without READ_AUDIT the field is empty, and the object still reads.
		delete(vars, "first")
		var c struct {
			Village struct{ AuditHistory hist }
			A       *struct{ AuditHistory hist }
		}
		f.data(t, f.town, q, vars, &c)
		if len(c.Village.AuditHistory) != 0 || c.A == nil || len(c.A.AuditHistory) != 0 {
			t.Fatalf("town official reads history: %+v", c)
		}
		// Out of scope: the other district's admin sees neither the object nor its history.
		f.data(t, other, q, vars, &c)
		if c.A != nil {
			t.Fatalf("other district sees the activity")
		}
		f.failsWith(t, f.admin, q, map[string]any{"v": v1b, "a": act.ID, "e": ev.ID, "t": title.ID, "k": tok.ID, "first": 101}, "INVALID")
	})

	t.Run("personal data masked above the town", func(t *testing.T) {
		for _, tok := range []string{f.admin, f.city, f.province} {
			d := f.auditLog(t, tok, map[string]any{"objectId": hh}, 10, nil).AuditLog
			if len(d.Edges) != 1 || d.Edges[0].Node.After == nil {
				t.Fatalf("household records: %+v", d)
			}
			after := *d.Edges[0].Node.After
			if strings.Contains(after, "张三丰") || strings.Contains(after, "13812341234") ||
				!strings.Contains(after, "张**") || !strings.Contains(after, "138****1234") {
				t.Fatalf("%s reads the household record unmasked or mangled: %s", f.names[tok], after)
			}
		}
		// The store keeps it as recorded.
		var raw string
		if err := f.DB.AsSystem(context.Background(), func(tx *postgres.Tx) error {
			return tx.Get(&raw, `SELECT after::text FROM audit_log WHERE action = 'household.create' AND after->>'code' = 'H-mask'`)
		}); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(raw, "张三丰") {
			t.Fatalf("stored record %s", raw)
		}
	})
}
