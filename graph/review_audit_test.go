package graph_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/lawvillage/lawvillage/internal/postgres"
)

// The review's mutations in the audit walk (TestAuditEveryMutation). Each
// case works on its own review year of the shared district, so the cases do
// not depend on one another or on their order.

func init() {
	for name, c := range reviewAudCases {
		audCases[name] = c
	}
}

// revTitled makes sure 秋湖村委会 holds a retained provincial title.
func revTitled(t *testing.T, f *audFixture) {
	t.Helper()
	if err := f.DB.AsSystem(context.Background(), func(tx *postgres.Tx) error {
		_, err := tx.Exec(`INSERT INTO titles (village_id, level, batch, year)
			SELECT r.id, 'provincial', 3, 2006 FROM regions r WHERE r.code = $1
			AND NOT EXISTS (SELECT 1 FROM titles t WHERE t.village_id = r.id AND t.level = 'provincial' AND t.status = 'retained')`, v1b)
		return err
	}); err != nil {
		t.Fatal(err)
	}
}

func revJSON(t *testing.T, raw json.RawMessage, out any) {
	t.Helper()
	if err := json.Unmarshal(raw, out); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
}

// revOpen opens the district's review of the year and returns its ID.
func revOpen(t *testing.T, f *audFixture, year int) string {
	t.Helper()
	revTitled(t, f)
	p := f.must(t, f.admin, "openReview", audMut("openReview", "OpenReviewInput", "reviews { id }"),
		audIn(map[string]any{"areaCode": district, "year": year}))
	var rs []struct{ ID string }
	revJSON(t, p["reviews"], &rs)
	return rs[0].ID
}

func revAdvance(t *testing.T, f *audFixture, token, id, to string) {
	t.Helper()
	f.must(t, token, "advanceReview", audMut("advanceReview", "AdvanceReviewInput", "review { stage }"), audIn(map[string]any{"reviewId": id, "to": to}))
}

func revPropose(t *testing.T, f *audFixture, id string) string {
	t.Helper()
	p := f.must(t, f.town, "proposeReviewAction", audMut("proposeReviewAction", "ProposeReviewActionInput", "proposal { id }"),
		audIn(map[string]any{"reviewId": id, "villageId": f.v1b, "kind": "REVOKE", "standards": []string{"A4"}, "explanation": "越级上访"}))
	return audID(t, p, "proposal")
}

func revEvaluate(t *testing.T, f *audFixture, token string, year int) {
	t.Helper()
	f.must(t, token, "evaluateReview", audMut("evaluateReview", "EvaluateReviewInput", "reviews { id }"),
		audIn(map[string]any{"areaCode": district, "year": year}))
}

func revRectification(t *testing.T, f *audFixture, id string) string {
	t.Helper()
	p := f.must(t, f.admin, "issueRectification", audMut("issueRectification", "IssueRectificationInput", "rectification { id }"),
		audIn(map[string]any{"reviewId": id, "villageId": f.v1b, "standard": "B8", "requirement": "设立好人榜", "issuedOn": "2026-07-02", "dueOn": "2026-07-20"}))
	return audID(t, p, "rectification")
}

var revCheckQuery = audMut("recordReviewCheck", "RecordReviewCheckInput", "check { id }")

func revCheckIn(id, village string) map[string]any {
	return audIn(map[string]any{"reviewId": id, "villageId": village, "checkedOn": "2026-07-01", "inspector": "区复核组", "conclusion": "PASS",
		"findings": []map[string]any{{"standard": "B1", "result": "PASS"}}})
}

// revToCityReview runs the district's stages: the survey closed, every village
// kept checked on site, evaluated, filed with the city.
func revToCityReview(t *testing.T, f *audFixture, year int) string {
	t.Helper()
	id := revOpen(t, f, year)
	revAdvance(t, f, f.admin, id, "FIRST_REVIEW")
	revEvaluate(t, f, f.admin, year)
	var d struct {
		Review struct {
			Results struct {
				Nodes []struct{ Village struct{ ID string } }
			}
		}
	}
	f.data(t, f.admin, `query($y: Int!) { review(areaCode: "`+district+`", year: $y) { results(filter: {recommendation: KEEP}, first: 100) { nodes { village { id } } } } }`,
		map[string]any{"y": year}, &d)
	for _, n := range d.Review.Results.Nodes {
		f.must(t, f.admin, "recordReviewCheck", revCheckQuery, revCheckIn(id, n.Village.ID))
	}
	revEvaluate(t, f, f.admin, year)
	revAdvance(t, f, f.admin, id, "CITY_REVIEW")
	return id
}

var reviewAudCases = map[string]audCase{
	"openReview": {"review.open", func(t *testing.T, f *audFixture) {
		revTitled(t, f)
		f.mutate(t, f.admin, "openReview", audMut("openReview", "OpenReviewInput", "reviews { id }"), audIn(map[string]any{"areaCode": district, "year": 2001}))
	}},
	"proposeReviewAction": {"review.propose", func(t *testing.T, f *audFixture) {
		id := revOpen(t, f, 2002)
		f.mutate(t, f.town, "proposeReviewAction", audMut("proposeReviewAction", "ProposeReviewActionInput", "proposal { id }"),
			audIn(map[string]any{"reviewId": id, "villageId": f.v1b, "kind": "REVOKE", "standards": []string{"A4"}, "explanation": "越级上访"}))
	}},
	"withdrawReviewProposal": {"review.proposal_withdraw", func(t *testing.T, f *audFixture) {
		pid := revPropose(t, f, revOpen(t, f, 2003))
		f.mutate(t, f.town, "withdrawReviewProposal", audMut("withdrawReviewProposal", "WithdrawReviewProposalInput", "proposal { id }"),
			audIn(map[string]any{"proposalId": pid, "reason": "经核实不属实"}))
	}},
	"advanceReview": {"review.advance", func(t *testing.T, f *audFixture) {
		id := revOpen(t, f, 2004)
		f.mutate(t, f.admin, "advanceReview", audMut("advanceReview", "AdvanceReviewInput", "review { stage }"), audIn(map[string]any{"reviewId": id, "to": "FIRST_REVIEW"}))
	}},
	"decideReviewProposal": {"review.proposal_decide", func(t *testing.T, f *audFixture) {
		id := revOpen(t, f, 2005)
		pid := revPropose(t, f, id)
		revAdvance(t, f, f.admin, id, "FIRST_REVIEW")
		f.mutate(t, f.admin, "decideReviewProposal", audMut("decideReviewProposal", "DecideReviewProposalInput", "proposal { id }"),
			audIn(map[string]any{"proposalId": pid, "accept": false, "note": "未发现越级上访"}))
	}},
	"recordReviewCheck": {"review.check", func(t *testing.T, f *audFixture) {
		id := revOpen(t, f, 2006)
		revAdvance(t, f, f.admin, id, "FIRST_REVIEW")
		f.mutate(t, f.admin, "recordReviewCheck", revCheckQuery, revCheckIn(id, f.v1b))
	}},
	"issueRectification": {"review.rectification_issue", func(t *testing.T, f *audFixture) {
		id := revOpen(t, f, 2007)
		revAdvance(t, f, f.admin, id, "FIRST_REVIEW")
		f.mutate(t, f.admin, "issueRectification", audMut("issueRectification", "IssueRectificationInput", "rectification { id }"),
			audIn(map[string]any{"reviewId": id, "villageId": f.v1b, "requirement": "完善村规民约", "issuedOn": "2026-07-02", "dueOn": "2026-07-20"}))
	}},
	"recordRecheck": {"review.rectification_recheck", func(t *testing.T, f *audFixture) {
		id := revOpen(t, f, 2008)
		revAdvance(t, f, f.admin, id, "FIRST_REVIEW")
		rid := revRectification(t, f, id)
		f.mutate(t, f.admin, "recordRecheck", audMut("recordRecheck", "RecordRecheckInput", "rectification { id }"),
			audIn(map[string]any{"rectificationId": rid, "recheckedOn": "2026-07-21", "result": "PASS"}))
	}},
	"evaluateReview": {"review.evaluate", func(t *testing.T, f *audFixture) {
		id := revOpen(t, f, 2009)
		revAdvance(t, f, f.admin, id, "FIRST_REVIEW")
		f.mutate(t, f.admin, "evaluateReview", audMut("evaluateReview", "EvaluateReviewInput", "reviews { id }"),
			audIn(map[string]any{"areaCode": district, "year": 2009}))
	}},
	"drawReviewSample": {"review.sample", func(t *testing.T, f *audFixture) {
		id := revToCityReview(t, f, 2010)
		f.mutate(t, f.city, "drawReviewSample", audMut("drawReviewSample", "DrawReviewSampleInput", "sample { seed size }"),
			audIn(map[string]any{"reviewId": id, "seed": 2010}))
	}},
	"confirmReview": {"review.confirm", func(t *testing.T, f *audFixture) {
		id := revToCityReview(t, f, 2011)
		revAdvance(t, f, f.city, id, "PROVINCE_EVALUATION")
		f.mutate(t, f.province, "confirmReview", audMut("confirmReview", "ConfirmReviewInput", "review { id stage } titlesChanged"),
			audIn(map[string]any{"reviewId": id, "decisionDocument": "苏司〔2011〕1号", "decidedOn": "2026-11-15"}))
	}},
	"exportReviewTable": {"review.export", func(t *testing.T, f *audFixture) {
		revOpen(t, f, 2012)
		f.mutate(t, f.admin, "exportReviewTable", audMut("exportReviewTable", "ExportReviewTableInput", "export { url }"),
			audIn(map[string]any{"areaCode": district, "year": 2012, "table": "SUMMARY", "format": "CSV"}))
	}},
}
