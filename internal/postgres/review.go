package postgres

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/lib/pq"

	"github.com/lawvillage/lawvillage/internal/core"
	"github.com/lawvillage/lawvillage/internal/period"
)

// The yearly review: opening reviews, moving their stages, town proposals,
// on-site checks with findings, rectification orders and the city's sample.
// Every method is one transaction in the caller's scope; the stage and the
// role decide what may be done (core.CheckReviewAction).

const reviewCols = `rv.id, rv.year, rv.region_id, rv.area_path::text AS area_path, rv.stage, rv.deadlines, rv.evaluated_at,
	rv.villages_total, rv.titled, rv.kept, rv.revoked, rv.cancelled, rv.eliminated, rv.cap, rv.rate_before, rv.rate_after,
	rv.decision_document, rv.decided_on, rv.confirmed_at, rv.version, rv.created_at, rv.updated_at`

func revInvalid(field, zh, en string) *core.Error {
	return (&core.Error{Code: core.EINVALID, Zh: zh, En: en}).WithField("input", field)
}

// revCivil is the calendar day of a date value (a civil date at midnight UTC).
func revCivil(t time.Time) period.Date {
	return period.Date{Year: t.Year(), Month: t.Month(), Day: t.Day()}
}

// revDate writes a date value for a SQL date parameter.
func revDate(t time.Time) string { return revCivil(t).String() }

// revNotFuture checks that a date is not after today (China Standard Time).
func (db *DB) revNotFuture(t time.Time, field, zh, en string) error {
	if today := period.DateOf(db.Now()); revCivil(t).After(today) {
		return revInvalid(field, fmt.Sprintf("%s不能晚于今天（%s）", zh, today), fmt.Sprintf("%s must not be after today (%s)", en, today))
	}
	return nil
}

func actorOf(tx *Tx) *core.Actor {
	if a := core.ActorFrom(tx.ctx); a != nil {
		return a
	}
	return core.System("system")
}

func actorIDOf(a *core.Actor) *int64 {
	if a.TokenID == 0 {
		return nil
	}
	id := a.TokenID
	return &id
}

func reviewNotFound() *core.Error {
	return core.NotFound("复核 / review").WithField("input", "reviewId")
}

// reviewInTx reads a review; lock is "", "FOR SHARE" or "FOR UPDATE" (the
// locks need the review's district in scope).
func reviewInTx(tx *Tx, id int64, lock string) (*core.Review, error) {
	var r core.Review
	if err := tx.Get(&r, `SELECT `+reviewCols+` FROM reviews rv WHERE rv.id = $1 `+lock, id); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, reviewNotFound()
		}
		return nil, err
	}
	return &r, nil
}

// reviewFor reads the review for an action and checks the stage and role;
// except for proposals (towns read their district's review but cannot lock
// it), it then locks the review and checks again.
func reviewFor(tx *Tx, id int64, act core.ReviewAction) (*core.Review, error) {
	role := actorOf(tx).Role
	r, err := reviewInTx(tx, id, "")
	if err != nil {
		return nil, err
	}
	if err := core.CheckReviewAction(role, r.Stage, act); err != nil || act == core.ActPropose {
		return r, err
	}
	if r, err = reviewInTx(tx, id, "FOR UPDATE"); err != nil {
		return nil, err
	}
	return r, core.CheckReviewAction(role, r.Stage, act)
}

// reviewVillage checks that the village is in scope, in the review's district
// and holds a retained provincial title; it returns the title's id.
func reviewVillage(tx *Tx, r *core.Review, villageID int64) (int64, error) {
	var row struct {
		ID      int64  `db:"id"`
		TitleID *int64 `db:"title_id"`
	}
	err := tx.Get(&row, `SELECT v.id, t.id AS title_id FROM regions v
		LEFT JOIN titles t ON t.village_id = v.id AND t.level = 'provincial' AND t.status = 'retained'
		WHERE v.id = $1 AND v.level = 5 AND v.path <@ $2::ltree`, villageID, r.AreaPath)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, core.NotFound("村(社区) / village").WithField("input", "villageId")
	}
	if err != nil {
		return 0, err
	}
	if row.TitleID == nil {
		return 0, core.Errorf(core.EINVALID, "该村(社区)没有有效的省级称号，不在复核范围内", "the village holds no retained provincial title, so it is not under review").
			WithField("input", "villageId")
	}
	return *row.TitleID, nil
}

// checkEvidence checks that the evidence files exist, are not deleted and belong to the village.
func checkEvidence(tx *Tx, villageID int64, ids []int64, field ...string) ([]int64, error) {
	if len(ids) == 0 {
		return []int64{}, nil
	}
	uniq := slices.Clone(ids)
	slices.Sort(uniq)
	uniq = slices.Compact(uniq)
	var n int
	if err := tx.Get(&n, `SELECT count(*) FROM evidence WHERE id = ANY($1) AND village_id = $2 AND deleted_at IS NULL`,
		pq.Array(uniq), villageID); err != nil {
		return nil, err
	}
	if n != len(uniq) {
		return nil, core.NotFound("证明材料 / evidence").WithField(field...)
	}
	return uniq, nil
}

// reviewEvent records a stage move.
func reviewEvent(tx *Tx, r *core.Review, from *core.ReviewStage, to core.ReviewStage, note string) error {
	a := actorOf(tx)
	var f *string
	if from != nil {
		s := string(*from)
		f = &s
	}
	_, err := tx.Exec(`INSERT INTO review_stage_events (review_id, region_id, from_stage, to_stage, note, actor_id, actor_name)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, r.ID, r.RegionID, f, string(to), note, actorIDOf(a), a.Name)
	return err
}

// reviewCalendar is the setting review.calendar: month-day windows per stage.
type reviewCalendar map[string]struct {
	Start string `json:"start"`
	Due   string `json:"due"`
}

// OpenReviews opens the year's review of every district at or under the area
// (the area itself when it is a district) that has none yet, copying the stage
// calendar in force, and returns all the year's reviews there.
func (db *DB) OpenReviews(ctx context.Context, areaID int64, year int) ([]*core.Review, error) {
	var out []*core.Review
	err := db.InScope(ctx, func(tx *Tx) error {
		a := actorOf(tx)
		if a.Role.Rank() < core.RoleDistrictAdmin.Rank() {
			return core.Errorf(core.EFORBIDDEN, "只有区司法局及以上可以开启复核", "only the district bureau or above may open a review")
		}
		if year < 2000 || year > period.DateOf(db.Now()).Year+1 {
			return core.Errorf(core.EINVALID, "复核年度无效", "invalid review year").WithField("input", "year")
		}
		var area core.Region
		if err := tx.Get(&area, `SELECT `+regionCols+` FROM regions r WHERE r.id = $1`, areaID); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return core.NotFound("行政区 / region").WithField("input", "areaCode")
			}
			return err
		}
		if area.Level > core.LevelDistrict {
			return core.Errorf(core.EINVALID, "复核按区县开展：请指定区县、市或省", "a review covers a district: give a district, city or province").WithField("input", "areaCode")
		}
		var cal reviewCalendar
		if err := settingAt(tx, "review.calendar", db.Now(), &cal); err != nil {
			return err
		}
		deadlines := map[string]map[string]string{}
		for stage, w := range cal {
			deadlines[stage] = map[string]string{"start": fmt.Sprintf("%d-%s", year, w.Start), "due": fmt.Sprintf("%d-%s", year, w.Due)}
		}
		dj, err := json.Marshal(deadlines)
		if err != nil {
			return err
		}
		var opened []*core.Review
		if err := tx.Select(&opened, `WITH n AS (
			INSERT INTO reviews AS rv (year, region_id, area_path, deadlines)
			SELECT $1, d.id, d.path, $3 FROM regions d WHERE d.level = 3 AND d.path <@ $2::ltree
			ON CONFLICT (region_id, year) DO NOTHING RETURNING rv.*)
			SELECT `+reviewCols+` FROM n rv ORDER BY rv.region_id`, year, area.Path, string(dj)); err != nil {
			return err
		}
		for _, r := range opened {
			if err := reviewEvent(tx, r, nil, core.StageSurvey, "opened"); err != nil {
				return err
			}
			if err := audit(tx, "review.open", "review", r.ID, &r.RegionID, nil, r); err != nil {
				return err
			}
		}
		return tx.Select(&out, `SELECT `+reviewCols+` FROM reviews rv JOIN regions d ON d.id = rv.region_id
			WHERE rv.year = $1 AND d.path <@ $2::ltree ORDER BY d.code`, year, area.Path)
	})
	return out, err
}

// ReviewByID returns a review, if visible (its district in scope, or the caller inside it).
func (db *DB) ReviewByID(ctx context.Context, id int64) (*core.Review, error) {
	var r *core.Review
	err := db.ReadInScope(ctx, func(tx *Tx) (err error) {
		r, err = reviewInTx(tx, id, "")
		return err
	})
	return r, err
}

// ReviewsByIDs returns reviews in the order of ids; nil where missing or out of scope.
func (db *DB) ReviewsByIDs(ctx context.Context, ids []int64) ([]*core.Review, error) {
	var rows []*core.Review
	err := db.ReadInScope(ctx, func(tx *Tx) error {
		return tx.Select(&rows, `SELECT `+reviewCols+` FROM reviews rv WHERE rv.id = ANY($1)`, pq.Array(ids))
	})
	if err != nil {
		return nil, err
	}
	return orderByID(ids, rows, func(r *core.Review) int64 { return r.ID }), nil
}

// ReviewsAt returns the reviews that concern the region: those of the
// districts at or under it, or the review of the district it lies in; one
// year, or every year when year is 0. Ordered by year (newest first), then district code.
func (db *DB) ReviewsAt(ctx context.Context, path string, year int) ([]*core.Review, error) {
	var rows []*core.Review
	err := db.ReadInScope(ctx, func(tx *Tx) error {
		return tx.Select(&rows, `SELECT `+reviewCols+` FROM reviews rv
			WHERE ($2 = 0 OR rv.year = $2) AND (rv.area_path <@ $1::ltree OR rv.area_path @> $1::ltree)
			ORDER BY rv.year DESC, rv.area_path`, path, year)
	})
	return rows, err
}

// ReviewStageEvents returns each review's stage history (oldest first), in the order of ids.
func (db *DB) ReviewStageEvents(ctx context.Context, ids []int64) ([][]*core.ReviewStageEvent, error) {
	var rows []*core.ReviewStageEvent
	err := db.ReadInScope(ctx, func(tx *Tx) error {
		return tx.Select(&rows, `SELECT id, review_id, from_stage, to_stage, note, actor_name, at
			FROM review_stage_events WHERE review_id = ANY($1) ORDER BY at, id`, pq.Array(ids))
	})
	if err != nil {
		return nil, err
	}
	return groupByID(ids, rows, func(e *core.ReviewStageEvent) int64 { return e.ReviewID }), nil
}

// reviewStale reports why the review's latest evaluation does not reflect its
// inputs ("" when it does): never evaluated, or proposals, findings or
// rectifications changed since.
func reviewStale(tx *Tx, r *core.Review) (string, error) {
	if r.EvaluatedAt == nil {
		return "尚未评估 / not evaluated yet", nil
	}
	var changed bool
	err := tx.Get(&changed, `SELECT EXISTS (SELECT 1 FROM review_proposals WHERE review_id = $1 AND updated_at > $2)
		OR EXISTS (SELECT 1 FROM review_findings WHERE review_id = $1 AND (created_at > $2 OR superseded_at > $2))
		OR EXISTS (SELECT 1 FROM review_rectifications WHERE review_id = $1 AND updated_at > $2)`, r.ID, *r.EvaluatedAt)
	if err != nil {
		return "", err
	}
	if changed {
		return "评估后建议、检查结论或整改有变化 / proposals, findings or rectifications changed since the evaluation", nil
	}
	// A division adjustment in the district since the evaluation.
	err = tx.Get(&changed, `SELECT EXISTS (SELECT 1 FROM division_changes c WHERE c.at > $2
		AND EXISTS (SELECT 1 FROM unnest(c.paths) AS p(path) WHERE p.path <@ $1::ltree))`, r.AreaPath, *r.EvaluatedAt)
	if err != nil || !changed {
		return "", err
	}
	return "评估后本区有区划调整 / a division adjustment in the district since the evaluation", nil
}

func requireFresh(tx *Tx, r *core.Review) error {
	why, err := reviewStale(tx, r)
	if err != nil || why == "" {
		return err
	}
	zh, en, _ := strings.Cut(why, " / ")
	return revInvalid("reviewId", "请先重新评估："+zh, "evaluate the review again first: "+en)
}

// AdvanceReview moves a review to its next stage.
type AdvanceReview struct {
	ReviewID        int64
	To              core.ReviewStage
	Note            string
	ExpectedVersion *int
}

// AdvanceReview moves the review to the next stage: the district closes the
// survey and files its lists (every village it keeps checked on site, the
// evaluation current); the city passes its reviewed lists to the province.
// The province closes a review by confirming it (ConfirmReview).
func (db *DB) AdvanceReview(ctx context.Context, in AdvanceReview) (*core.Review, error) {
	var out *core.Review
	err := db.InScope(ctx, func(tx *Tx) error {
		r, err := reviewFor(tx, in.ReviewID, core.ActAdvance)
		if err != nil {
			return err
		}
		if in.ExpectedVersion != nil && *in.ExpectedVersion != r.Version {
			return conflict()
		}
		if in.To != r.Stage.Next() || in.To == core.StageClosed {
			return core.Errorf(core.EINVALID, "只能进入下一阶段（省级确认后自动结束）", "a review moves only to its next stage (it closes when the province confirms)").
				WithField("input", "to")
		}
		if r.Stage == core.StageFirstReview || r.Stage == core.StageCityReview {
			if err := requireFresh(tx, r); err != nil {
				return err
			}
		}
		if r.Stage == core.StageFirstReview {
			var unchecked []string
			if err := tx.Select(&unchecked, `SELECT v.code FROM review_results x JOIN regions v ON v.id = x.village_id
				WHERE x.review_id = $1 AND x.recommendation = 'keep'
				  AND NOT EXISTS (SELECT 1 FROM review_checks c WHERE c.review_id = x.review_id AND c.village_id = x.village_id)
				ORDER BY v.code`, r.ID); err != nil {
				return err
			}
			if len(unchecked) > 0 {
				return revInvalid("reviewId",
					fmt.Sprintf("拟保留的村(社区)须逐一现场检查，尚有 %d 个未检查：%s", len(unchecked), strings.Join(unchecked, "、")),
					fmt.Sprintf("every village proposed to keep needs an on-site check; %d have none: %s", len(unchecked), strings.Join(unchecked, ", ")))
			}
		}
		before := *r
		if out, err = reviewUpdate(tx, `stage = $2`, r.ID, string(in.To)); err != nil {
			return err
		}
		if err := reviewEvent(tx, out, &before.Stage, in.To, strings.TrimSpace(in.Note)); err != nil {
			return err
		}
		return audit(tx, "review.advance", "review", r.ID, &r.RegionID, before, out)
	})
	return out, err
}

// reviewUpdate sets columns of a review (set uses $2...) and bumps its version.
func reviewUpdate(tx *Tx, set string, id int64, args ...any) (*core.Review, error) {
	var r core.Review
	err := tx.Get(&r, `WITH u AS (UPDATE reviews SET `+set+`, version = version + 1, updated_at = now() WHERE id = $1 RETURNING *)
		SELECT `+reviewCols+` FROM u rv`, append([]any{id}, args...)...)
	return &r, err
}

// --- proposals ---

type proposalRow struct {
	core.ReviewProposal
	Standards   pq.StringArray `db:"standards"`
	EvidenceIDs pq.Int64Array  `db:"evidence_ids"`
}

func (p *proposalRow) out() *core.ReviewProposal {
	o := p.ReviewProposal
	o.Standards, o.EvidenceIDs = []string(p.Standards), []int64(p.EvidenceIDs)
	return &o
}

const proposalCols = `id, review_id, village_id, kind, standards, explanation, evidence_ids, status, decision_note,
	decided_by, decided_at, proposed_by, version, created_at, updated_at`

// ProposeInput is a town's proposal to revoke or cancel a village's title.
type ProposeInput struct {
	ReviewID    int64
	VillageID   int64
	Kind        string // revoke or cancel
	Standards   []string
	Explanation string
	EvidenceIDs []int64
}

// checkStandards checks the standards a proposal or finding names: A and B
// for revocations, C2 for cancellations (C1 keeps a title; C3 hands it to the
// new district, which reviews it).
func checkStandards(kind string, codes []string, field ...string) ([]string, error) {
	if len(codes) == 0 {
		return nil, core.Errorf(core.EINVALID, "请至少列出一项情形或标准", "name at least one situation or standard").WithField(field...)
	}
	seen := map[string]bool{}
	var out []string
	for _, c := range codes {
		c = strings.ToUpper(strings.TrimSpace(c))
		st, ok := core.StandardByCode(c)
		switch {
		case !ok || st.Family == "E":
			return nil, core.Errorf(core.EINVALID, "未知的复核标准 %q", "unknown review standard %q", c).WithField(field...)
		case kind == "revoke" && st.Family != "A" && st.Family != "B":
			return nil, core.Errorf(core.EINVALID, "撤销须依据 A1-A6 或 B1-B11，%s 不适用", "a revocation rests on A1-A6 or B1-B11, not %s", c).WithField(field...)
		case kind == "cancel" && c != "C2":
			return nil, core.Errorf(core.EINVALID, "注销只适用于 C2（区划调整后名称不再保留或地域实质变化）", "a cancellation rests on C2 (name gone or territory substantially changed)").WithField(field...)
		case kind == "finding" && st.Family == "C" && c != "C2":
			return nil, core.Errorf(core.EINVALID, "区划调整规则只记录 C2 的检查结论", "of the division-adjustment rules only C2 takes a finding").WithField(field...)
		}
		if !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	return out, nil
}

// ProposeReviewAction records a town's proposal (survey stage).
func (db *DB) ProposeReviewAction(ctx context.Context, in ProposeInput) (*core.ReviewProposal, error) {
	var out *core.ReviewProposal
	err := db.InScope(ctx, func(tx *Tx) error {
		r, err := reviewFor(tx, in.ReviewID, core.ActPropose)
		if err != nil {
			return err
		}
		if in.Kind != "revoke" && in.Kind != "cancel" {
			return core.Errorf(core.EINVALID, "建议类型应为撤销或注销", "the proposal is a revocation or a cancellation").WithField("input", "kind")
		}
		if _, err := reviewVillage(tx, r, in.VillageID); err != nil {
			return err
		}
		stds, err := checkStandards(in.Kind, in.Standards, "input", "standards")
		if err != nil {
			return err
		}
		expl := strings.TrimSpace(in.Explanation)
		if expl == "" || len(expl) > 4000 {
			return core.Errorf(core.EINVALID, "请说明理由（不超过 4000 字节）", "explain the proposal (at most 4000 bytes)").WithField("input", "explanation")
		}
		ev, err := checkEvidence(tx, in.VillageID, in.EvidenceIDs, "input", "evidenceIds")
		if err != nil {
			return err
		}
		var row proposalRow
		if err := tx.Get(&row, `INSERT INTO review_proposals (review_id, village_id, kind, standards, explanation, evidence_ids, proposed_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING `+proposalCols,
			r.ID, in.VillageID, in.Kind, pq.Array(stds), expl, pq.Array(ev), actorOf(tx).Name); err != nil {
			var pqe *pq.Error
			if errors.As(err, &pqe) && pqe.Code == "23505" {
				return core.Errorf(core.ECONFLICT, "该村(社区)已有待审定或已采纳的建议", "the village already has a pending or accepted proposal").WithField("input", "villageId")
			}
			return err
		}
		out = row.out()
		return audit(tx, "review.propose", "review_proposal", out.ID, &out.VillageID, nil, out)
	})
	return out, err
}

func proposalForUpdate(tx *Tx, id int64) (*core.ReviewProposal, error) {
	var row proposalRow
	if err := tx.Get(&row, `SELECT `+proposalCols+` FROM review_proposals WHERE id = $1 FOR UPDATE`, id); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, core.NotFound("建议 / proposal").WithField("input", "proposalId")
		}
		return nil, err
	}
	return row.out(), nil
}

// WithdrawReviewProposal withdraws a submitted proposal (survey stage).
func (db *DB) WithdrawReviewProposal(ctx context.Context, id int64, reason string) (*core.ReviewProposal, error) {
	var out *core.ReviewProposal
	err := db.InScope(ctx, func(tx *Tx) error {
		p, err := proposalForUpdate(tx, id)
		if err != nil {
			return err
		}
		if _, err := reviewFor(tx, p.ReviewID, core.ActPropose); err != nil {
			return err
		}
		if p.Status != "submitted" {
			return core.Errorf(core.EINVALID, "只能撤回待审定的建议", "only a submitted proposal can be withdrawn").WithField("input", "proposalId")
		}
		if strings.TrimSpace(reason) == "" {
			return revInvalid("reason", "必须说明理由", "a reason is required")
		}
		var row proposalRow
		if err := tx.Get(&row, `UPDATE review_proposals SET status = 'withdrawn', decision_note = $2, version = version + 1, updated_at = now()
			WHERE id = $1 RETURNING `+proposalCols, id, strings.TrimSpace(reason)); err != nil {
			return err
		}
		out = row.out()
		return audit(tx, "review.proposal_withdraw", "review_proposal", id, &p.VillageID, p, out)
	})
	return out, err
}

// DecideReviewProposal accepts or rejects a town's proposal (the district in
// its first review, or the city in its review).
func (db *DB) DecideReviewProposal(ctx context.Context, id int64, accept bool, note string, expectedVersion *int) (*core.ReviewProposal, error) {
	var out *core.ReviewProposal
	err := db.InScope(ctx, func(tx *Tx) error {
		p, err := proposalForUpdate(tx, id)
		if err != nil {
			return err
		}
		if expectedVersion != nil && *expectedVersion != p.Version {
			return conflict()
		}
		if _, err := reviewFor(tx, p.ReviewID, core.ActDecide); err != nil {
			return err
		}
		if p.Status == "withdrawn" {
			return core.Errorf(core.EINVALID, "建议已撤回", "the proposal was withdrawn").WithField("input", "proposalId")
		}
		note = strings.TrimSpace(note)
		if !accept && note == "" {
			return core.Errorf(core.EINVALID, "不采纳须说明理由", "a rejection needs a reason").WithField("input", "note")
		}
		status := "rejected"
		if accept {
			status = "accepted"
		}
		var row proposalRow
		if err := tx.Get(&row, `UPDATE review_proposals SET status = $2, decision_note = $3, decided_by = $4, decided_at = now(),
			version = version + 1, updated_at = now() WHERE id = $1 RETURNING `+proposalCols, id, status, note, actorOf(tx).Name); err != nil {
			return err
		}
		out = row.out()
		return audit(tx, "review.proposal_decide", "review_proposal", id, &p.VillageID, p, out)
	})
	return out, err
}

// ReviewProposals returns the review's proposals in scope (a town sees its own
// villages'), by village code; status "" for all.
func (db *DB) ReviewProposals(ctx context.Context, reviewID int64, status string) ([]*core.ReviewProposal, error) {
	var rows []proposalRow
	err := db.ReadInScope(ctx, func(tx *Tx) error {
		return tx.Select(&rows, `SELECT `+prefixed("p.", proposalCols)+` FROM review_proposals p JOIN regions v ON v.id = p.village_id
			WHERE p.review_id = $1 AND ($2 = '' OR p.status = $2) ORDER BY v.code, p.id`, reviewID, status)
	})
	out := make([]*core.ReviewProposal, len(rows))
	for i := range rows {
		out[i] = rows[i].out()
	}
	return out, err
}

// ReviewProposalByID returns a proposal, if in scope.
func (db *DB) ReviewProposalByID(ctx context.Context, id int64) (*core.ReviewProposal, error) {
	var row proposalRow
	err := db.ReadInScope(ctx, func(tx *Tx) error {
		return tx.Get(&row, `SELECT `+proposalCols+` FROM review_proposals WHERE id = $1`, id)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, core.NotFound("建议 / proposal")
	}
	if err != nil {
		return nil, err
	}
	return row.out(), nil
}

func prefixed(prefix, cols string) string {
	parts := strings.Split(cols, ",")
	for i, p := range parts {
		parts[i] = prefix + strings.TrimSpace(p)
	}
	return strings.Join(parts, ", ")
}

// --- on-site checks and findings ---

type checkRow struct {
	core.ReviewCheck
	EvidenceIDs pq.Int64Array `db:"evidence_ids"`
}

type findingRow struct {
	core.ReviewFinding
	EvidenceIDs pq.Int64Array `db:"evidence_ids"`
}

const checkCols = `id, review_id, village_id, stage, checked_on, inspector, conclusion, note, evidence_ids, recorded_by, created_at`
const findingCols = `id, review_id, village_id, check_id, standard, result, note, evidence_ids, stage, recorded_by, created_at, superseded_at`

// FindingInput is the finding of an on-site check on one standard.
type FindingInput struct {
	Standard    string
	Result      string // pass or fail
	Note        string
	EvidenceIDs []int64
}

// CheckInput is an on-site check of a village with its findings.
type CheckInput struct {
	ReviewID    int64
	VillageID   int64
	CheckedOn   time.Time
	Inspector   string
	Conclusion  string // pass, rectify, fail
	Note        string
	EvidenceIDs []int64
	Findings    []FindingInput
}

// RecordReviewCheck records an on-site check and its findings; a finding
// supersedes the village's current finding on the same standard.
func (db *DB) RecordReviewCheck(ctx context.Context, in CheckInput) (*core.ReviewCheck, []*core.ReviewFinding, error) {
	var check *core.ReviewCheck
	var findings []*core.ReviewFinding
	err := db.InScope(ctx, func(tx *Tx) error {
		r, err := reviewFor(tx, in.ReviewID, core.ActCheck)
		if err != nil {
			return err
		}
		if _, err := reviewVillage(tx, r, in.VillageID); err != nil {
			return err
		}
		if err := db.revNotFuture(in.CheckedOn, "checkedOn", "检查日期", "the check date"); err != nil {
			return err
		}
		if strings.TrimSpace(in.Inspector) == "" {
			return revInvalid("inspector", "请填写检查人员或单位", "name the inspectors")
		}
		if in.Conclusion != "pass" && in.Conclusion != "rectify" && in.Conclusion != "fail" {
			return revInvalid("conclusion", "检查结论应为合格、整改或不合格", "the conclusion is pass, rectify or fail")
		}
		ev, err := checkEvidence(tx, in.VillageID, in.EvidenceIDs, "input", "evidenceIds")
		if err != nil {
			return err
		}
		var stds, results, notes []string
		var fevs []string
		seen := map[string]bool{}
		for i, f := range in.Findings {
			field := []string{"input", "findings", fmt.Sprint(i), "standard"}
			codes, err := checkStandards("finding", []string{f.Standard}, field...)
			if err != nil {
				return err
			}
			if seen[codes[0]] {
				return core.Errorf(core.EINVALID, "同一标准只能记录一个结论", "one finding per standard").WithField(field...)
			}
			seen[codes[0]] = true
			if f.Result != "pass" && f.Result != "fail" {
				return core.Errorf(core.EINVALID, "结论应为符合或不符合", "a finding is pass or fail").WithField("input", "findings", fmt.Sprint(i), "result")
			}
			fev, err := checkEvidence(tx, in.VillageID, f.EvidenceIDs, "input", "findings", fmt.Sprint(i), "evidenceIds")
			if err != nil {
				return err
			}
			b, _ := pq.Array(fev).Value()
			stds, results, notes = append(stds, codes[0]), append(results, f.Result), append(notes, strings.TrimSpace(f.Note))
			fevs = append(fevs, b.(string))
		}
		name := actorOf(tx).Name
		var c checkRow
		if err := tx.Get(&c, `INSERT INTO review_checks (review_id, village_id, stage, checked_on, inspector, conclusion, note, evidence_ids, recorded_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING `+checkCols, r.ID, in.VillageID, string(r.Stage), revDate(in.CheckedOn),
			strings.TrimSpace(in.Inspector), in.Conclusion, strings.TrimSpace(in.Note), pq.Array(ev), name); err != nil {
			return err
		}
		check = &c.ReviewCheck
		check.EvidenceIDs = []int64(c.EvidenceIDs)
		if len(stds) > 0 {
			if _, err := tx.Exec(`UPDATE review_findings SET superseded_at = now()
				WHERE review_id = $1 AND village_id = $2 AND standard = ANY($3) AND superseded_at IS NULL`, r.ID, in.VillageID, pq.Array(stds)); err != nil {
				return err
			}
			var rows []findingRow
			if err := tx.Select(&rows, `INSERT INTO review_findings (review_id, village_id, check_id, standard, result, note, evidence_ids, stage, recorded_by)
				SELECT $1, $2, $3, f.standard, f.result, f.note, f.ev::bigint[], $4, $5
				FROM unnest($6::text[], $7::text[], $8::text[], $9::text[]) WITH ORDINALITY AS f(standard, result, note, ev, n)
				ORDER BY f.n RETURNING `+findingCols, r.ID, in.VillageID, c.ID, string(r.Stage), name,
				pq.Array(stds), pq.Array(results), pq.Array(notes), pq.Array(fevs)); err != nil {
				return err
			}
			for i := range rows {
				f := rows[i].ReviewFinding
				f.EvidenceIDs = []int64(rows[i].EvidenceIDs)
				findings = append(findings, &f)
			}
		}
		return audit(tx, "review.check", "review_check", c.ID, &in.VillageID, nil, map[string]any{"check": check, "findings": findings})
	})
	return check, findings, err
}

// ReviewChecks returns the on-site checks of a village in a review (newest first).
func (db *DB) ReviewChecks(ctx context.Context, reviewID, villageID int64) ([]*core.ReviewCheck, error) {
	var rows []checkRow
	err := db.ReadInScope(ctx, func(tx *Tx) error {
		return tx.Select(&rows, `SELECT `+checkCols+` FROM review_checks WHERE review_id = $1 AND village_id = $2 ORDER BY checked_on DESC, id DESC`, reviewID, villageID)
	})
	out := make([]*core.ReviewCheck, len(rows))
	for i := range rows {
		c := rows[i].ReviewCheck
		c.EvidenceIDs = []int64(rows[i].EvidenceIDs)
		out[i] = &c
	}
	return out, err
}

// ReviewFindings returns a village's findings in a review by standard; the
// superseded ones too when history is true.
func (db *DB) ReviewFindings(ctx context.Context, reviewID, villageID int64, history bool) ([]*core.ReviewFinding, error) {
	var rows []findingRow
	err := db.ReadInScope(ctx, func(tx *Tx) error {
		return tx.Select(&rows, `SELECT `+findingCols+` FROM review_findings WHERE review_id = $1 AND village_id = $2
			AND ($3 OR superseded_at IS NULL) ORDER BY standard, id`, reviewID, villageID, history)
	})
	out := make([]*core.ReviewFinding, len(rows))
	for i := range rows {
		f := rows[i].ReviewFinding
		f.EvidenceIDs = []int64(rows[i].EvidenceIDs)
		out[i] = &f
	}
	slices.SortStableFunc(out, func(a, b *core.ReviewFinding) int { return standardOrder(a.Standard) - standardOrder(b.Standard) })
	return out, err
}

func standardOrder(code string) int {
	for i, s := range core.Standards {
		if s.Code == code {
			return i
		}
	}
	return len(core.Standards)
}

// --- rectification ---

const rectCols = `id, review_id, village_id, standard, requirement, issued_on, due_on, rechecked_on, recheck_result, recheck_note,
	issued_by, version, created_at, updated_at`

// RectificationInput is a rectification order.
type RectificationInput struct {
	ReviewID    int64
	VillageID   int64
	Standard    *string
	Requirement string
	IssuedOn    time.Time
	DueOn       time.Time
}

// IssueRectification issues a rectification order to a village.
func (db *DB) IssueRectification(ctx context.Context, in RectificationInput) (*core.Rectification, error) {
	var out core.Rectification
	err := db.InScope(ctx, func(tx *Tx) error {
		r, err := reviewFor(tx, in.ReviewID, core.ActRectify)
		if err != nil {
			return err
		}
		if _, err := reviewVillage(tx, r, in.VillageID); err != nil {
			return err
		}
		var std *string
		if in.Standard != nil {
			codes, err := checkStandards("finding", []string{*in.Standard}, "input", "standard")
			if err != nil {
				return err
			}
			std = &codes[0]
		}
		req := strings.TrimSpace(in.Requirement)
		if req == "" || len(req) > 4000 {
			return revInvalid("requirement", "请填写整改要求（不超过 4000 字节）", "state what must be rectified (at most 4000 bytes)")
		}
		if err := db.revNotFuture(in.IssuedOn, "issuedOn", "下达日期", "the issue date"); err != nil {
			return err
		}
		if revCivil(in.DueOn).Before(revCivil(in.IssuedOn)) {
			return revInvalid("dueOn", "整改期限不能早于下达日期", "the due date cannot be before the issue date")
		}
		if err := tx.Get(&out, `INSERT INTO review_rectifications (review_id, village_id, standard, requirement, issued_on, due_on, issued_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING `+rectCols, r.ID, in.VillageID, std, req, revDate(in.IssuedOn), revDate(in.DueOn),
			actorOf(tx).Name); err != nil {
			return err
		}
		return audit(tx, "review.rectification_issue", "review_rectification", out.ID, &out.VillageID, nil, out)
	})
	return &out, err
}

// RecheckInput is the re-check of a rectification order.
type RecheckInput struct {
	ID              int64
	RecheckedOn     time.Time
	Result          string // pass or fail
	Note            string
	ExpectedVersion *int
}

// RecordRecheck records the re-check of a rectification order (once).
func (db *DB) RecordRecheck(ctx context.Context, in RecheckInput) (*core.Rectification, error) {
	var out core.Rectification
	err := db.InScope(ctx, func(tx *Tx) error {
		var before core.Rectification
		if err := tx.Get(&before, `SELECT `+rectCols+` FROM review_rectifications WHERE id = $1 FOR UPDATE`, in.ID); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return core.NotFound("整改 / rectification").WithField("input", "rectificationId")
			}
			return err
		}
		if in.ExpectedVersion != nil && *in.ExpectedVersion != before.Version {
			return conflict()
		}
		if _, err := reviewFor(tx, before.ReviewID, core.ActRectify); err != nil {
			return err
		}
		if before.RecheckResult != nil {
			return core.Errorf(core.ECONFLICT, "已记录复查结果", "the re-check is already recorded").WithField("input", "rectificationId")
		}
		if in.Result != "pass" && in.Result != "fail" {
			return revInvalid("result", "复查结果应为合格或不合格", "the re-check result is pass or fail")
		}
		if err := db.revNotFuture(in.RecheckedOn, "recheckedOn", "复查日期", "the re-check date"); err != nil {
			return err
		}
		if revCivil(in.RecheckedOn).Before(revCivil(before.IssuedOn)) {
			return revInvalid("recheckedOn", "复查日期不能早于下达日期", "the re-check cannot be before the order")
		}
		if err := tx.Get(&out, `UPDATE review_rectifications SET rechecked_on = $2, recheck_result = $3, recheck_note = $4,
			version = version + 1, updated_at = now() WHERE id = $1 RETURNING `+rectCols,
			in.ID, revDate(in.RecheckedOn), in.Result, strings.TrimSpace(in.Note)); err != nil {
			return err
		}
		return audit(tx, "review.rectification_recheck", "review_rectification", out.ID, &out.VillageID, before, out)
	})
	return &out, err
}

// Rectifications returns the rectification orders of a review in scope; one
// village's when villageID is not 0.
func (db *DB) Rectifications(ctx context.Context, reviewID, villageID int64) ([]*core.Rectification, error) {
	var rows []*core.Rectification
	err := db.ReadInScope(ctx, func(tx *Tx) error {
		return tx.Select(&rows, `SELECT `+prefixed("x.", rectCols)+` FROM review_rectifications x JOIN regions v ON v.id = x.village_id
			WHERE x.review_id = $1 AND ($2 = 0 OR x.village_id = $2) ORDER BY v.code, x.id`, reviewID, villageID)
	})
	return rows, err
}

// RectificationByID returns a rectification order, if in scope.
func (db *DB) RectificationByID(ctx context.Context, id int64) (*core.Rectification, error) {
	var out core.Rectification
	err := db.ReadInScope(ctx, func(tx *Tx) error {
		return tx.Get(&out, `SELECT `+rectCols+` FROM review_rectifications WHERE id = $1`, id)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, core.NotFound("整改 / rectification")
	}
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// --- the city's sample ---

// SampleCandidate is a retained village the city may draw.
type SampleCandidate struct {
	VillageID int64  `db:"village_id"`
	Code      string `db:"code"`
	TownCode  string `db:"town_code"`
}

// SampleDraw picks k of the candidates (ordered by code); it returns their
// indexes in the order drawn.
type SampleDraw func(candidates []SampleCandidate, k int) []int

// DrawReviewSample draws the city's on-site sample of a district's retained
// villages: ceil(rate × retained) of them, by draw with the recorded seed.
// A review has one sample.
func (db *DB) DrawReviewSample(ctx context.Context, reviewID, seed int64, stratified bool, method string, draw SampleDraw) (*core.ReviewSample, error) {
	var out core.ReviewSample
	err := db.InScope(ctx, func(tx *Tx) error {
		r, err := reviewFor(tx, reviewID, core.ActSample)
		if err != nil {
			return err
		}
		if err := requireFresh(tx, r); err != nil {
			return err
		}
		var exists bool
		if err := tx.Get(&exists, `SELECT EXISTS (SELECT 1 FROM review_samples WHERE review_id = $1)`, r.ID); err != nil {
			return err
		}
		if exists {
			return core.Errorf(core.ECONFLICT, "本次复核已抽取样本（种子已记录，可复现）", "the review's sample is already drawn (its seed is recorded, so it can be drawn again)").
				WithField("input", "reviewId")
		}
		var cands []SampleCandidate
		if err := tx.Select(&cands, `SELECT x.village_id, v.code, t.code AS town_code FROM review_results x
			JOIN regions v ON v.id = x.village_id JOIN regions t ON t.id = v.parent_id
			WHERE x.review_id = $1 AND x.recommendation = 'keep' ORDER BY v.code`, r.ID); err != nil {
			return err
		}
		var rateRaw []byte
		if err := tx.Get(&rateRaw, `SELECT value FROM settings WHERE key = 'review.sample_rate' AND valid_from <= $1
			ORDER BY valid_from DESC LIMIT 1`, db.Now()); err != nil {
			return fmt.Errorf("setting review.sample_rate: %w", err)
		}
		var k int
		// ceil in exact decimal arithmetic: 0.15 × 60 is 9, not 10.
		if err := tx.Get(&k, `SELECT ceil($1::numeric * $2)::int`, string(rateRaw), len(cands)); err != nil {
			return err
		}
		picked := draw(cands, k)
		ids := make([]int64, len(picked))
		for i, p := range picked {
			ids[i] = cands[p].VillageID
		}
		if err := tx.Get(&out, `INSERT INTO review_samples (review_id, region_id, seed, rate, stratified, population, size, method, drawn_by)
			VALUES ($1, $2, $3, $4::numeric, $5, $6, $7, $8, $9) RETURNING review_id, seed, rate, stratified, population, size, method, drawn_by, drawn_at`,
			r.ID, r.RegionID, seed, string(rateRaw), stratified, len(cands), len(ids), method, actorOf(tx).Name); err != nil {
			return err
		}
		if _, err := tx.Exec(`INSERT INTO review_sample_villages (review_id, village_id, draw_order)
			SELECT $1, v, n FROM unnest($2::bigint[]) WITH ORDINALITY AS s(v, n)`, r.ID, pq.Array(ids)); err != nil {
			return err
		}
		out.VillageIDs = ids
		return audit(tx, "review.sample", "review", r.ID, &r.RegionID, nil, out)
	})
	return &out, err
}

// ReviewSample returns a review's sample (nil when none is drawn or it is out of scope).
func (db *DB) ReviewSample(ctx context.Context, reviewID int64) (*core.ReviewSample, error) {
	var out core.ReviewSample
	err := db.ReadInScope(ctx, func(tx *Tx) error {
		if err := tx.Get(&out, `SELECT review_id, seed, rate, stratified, population, size, method, drawn_by, drawn_at
			FROM review_samples WHERE review_id = $1`, reviewID); err != nil {
			return err
		}
		return tx.Select(&out.VillageIDs, `SELECT village_id FROM review_sample_villages WHERE review_id = $1 ORDER BY draw_order`, reviewID)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// ReminderResult says what a reminder run did.
type ReminderResult struct {
	Raised, Resolved      int
	FirstEvent, LastEvent int64 // the alert events written (0 when none)
}

// RemindReviewDeadlines raises a reminder alert (rule review_deadline_<stage>,
// period the year, on the district; value the days left) for every review
// whose current stage is due within the setting review.reminder_days, and
// resolves the reminders of stages a review has left. The events are
// announced on the channel (the alert subscriptions' NOTIFY channel).
func (db *DB) RemindReviewDeadlines(ctx context.Context, channel string, runID int64) (ReminderResult, error) {
	var res ReminderResult
	err := db.AsSystem(ctx, func(tx *Tx) error {
		now := db.Now()
		var days int
		if err := settingAt(tx, "review.reminder_days", now, &days); err != nil {
			return err
		}
		var run *int64
		if runID != 0 {
			run = &runID
		}
		var events []struct {
			ID     int64  `db:"id"`
			Action string `db:"action"`
		}
		if err := tx.Select(&events, `
WITH due AS (
  SELECT rv.region_id, rv.year, rv.stage, (rv.deadlines -> rv.stage ->> 'due')::date AS due_on
  FROM reviews rv WHERE rv.stage <> 'closed'),
raised AS (
  INSERT INTO alerts AS a (rule, region_id, period, severity, state, value, threshold, raised_at)
  SELECT 'review_deadline_' || d.stage, d.region_id, d.year::text, 'reminder', 'open', d.due_on - $2::date, $3::int, $1
  FROM due d WHERE d.due_on IS NOT NULL AND $2::date >= d.due_on - $3::int
  ON CONFLICT (rule, region_id, period) DO NOTHING
  RETURNING a.id, a.region_id),
old AS (
  SELECT a.id, a.state FROM alerts a JOIN reviews rv ON rv.region_id = a.region_id AND rv.year::text = a.period
  WHERE a.rule LIKE 'review\_deadline\_%' AND a.state <> 'resolved' AND a.rule <> 'review_deadline_' || rv.stage
  FOR UPDATE OF a),
resolved AS (
  UPDATE alerts a SET state = 'resolved', resolved_at = $1, version = a.version + 1 FROM old
  WHERE a.id = old.id RETURNING a.id, a.region_id, old.state AS from_state)
INSERT INTO alert_events (alert_id, region_id, at, action, from_state, to_state, actor_name, job_run_id)
SELECT id, region_id, $1, 'raised', NULL, 'open', 'system', $4::bigint FROM raised
UNION ALL
SELECT id, region_id, $1, 'resolved', from_state, 'resolved', 'system', $4 FROM resolved
RETURNING id, action`, now, period.DateOf(now).String(), days, run); err != nil {
			return err
		}
		if len(events) == 0 {
			return nil
		}
		res.FirstEvent, res.LastEvent = events[0].ID, events[0].ID
		for _, e := range events {
			res.FirstEvent, res.LastEvent = min(res.FirstEvent, e.ID), max(res.LastEvent, e.ID)
			if e.Action == "raised" {
				res.Raised++
			} else {
				res.Resolved++
			}
		}
		_, err := tx.Exec(`SELECT pg_notify($1, $2::text || '-' || $3::text)`, channel, res.FirstEvent, res.LastEvent)
		return err
	})
	return res, err
}
