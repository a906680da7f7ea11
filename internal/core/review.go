package core

import (
	"encoding/json"
	"io"
	"time"
)

// The yearly review (复核): its stages, the standards of 附件1 (A1-A6, B1-B11,
// C1-C3), who may act at which stage, and the records a review keeps.

// ReviewStage is where a review stands in the year's calendar.
type ReviewStage string

// Review stages, in order.
const (
	StageSurvey             ReviewStage = "survey"              // 摸底, May: towns propose
	StageFirstReview        ReviewStage = "first_review"        // 初核, June-July: the district decides, due 30 July
	StageCityReview         ReviewStage = "city_review"         // 复核, August-September: the city samples and confirms
	StageProvinceEvaluation ReviewStage = "province_evaluation" // 评估, October-November: the province evaluates
	StageClosed             ReviewStage = "closed"              // confirmed by the province: titles changed
)

// ReviewStages lists the stages in order.
var ReviewStages = []ReviewStage{StageSurvey, StageFirstReview, StageCityReview, StageProvinceEvaluation, StageClosed}

// Zh returns the stage's Chinese name.
func (s ReviewStage) Zh() string {
	switch s {
	case StageSurvey:
		return "摸底"
	case StageFirstReview:
		return "初核"
	case StageCityReview:
		return "复核"
	case StageProvinceEvaluation:
		return "评估"
	case StageClosed:
		return "已确认"
	}
	return string(s)
}

// Next returns the stage after s ("" after closed).
func (s ReviewStage) Next() ReviewStage {
	for i, x := range ReviewStages {
		if x == s && i+1 < len(ReviewStages) {
			return ReviewStages[i+1]
		}
	}
	return ""
}

// MarshalGQL writes the stage as a GraphQL enum.
func (s ReviewStage) MarshalGQL(w io.Writer) { marshalEnum(w, string(s)) }

// UnmarshalGQL reads the stage from a GraphQL enum.
func (s *ReviewStage) UnmarshalGQL(v any) error {
	all := make([]string, len(ReviewStages))
	for i, x := range ReviewStages {
		all[i] = string(x)
	}
	r, err := unmarshalEnum(v, all, "review stage")
	*s = ReviewStage(r)
	return err
}

// Standard is one review standard of 附件1, or the elimination at the bottom
// of the ranking.
type Standard struct {
	Code   string
	Family string // A (revocation situations), B (upgrade standards), C (division adjustments), E (elimination)
	Zh, En string
	// Metrics are the compliance metrics that decide a computed standard
	// (B9 is computed from the household registry).
	Metrics []string
	// Computed standards are decided from data; the others by inspection
	// findings alone. Findings apply to computed standards too: a failed
	// finding or a metric not met fails the standard.
	Computed bool
}

// Elimination is the cause of a title revoked at the bottom of the ranking (末位淘汰).
const Elimination = "ELIMINATION"

// Standards lists the review standards in the order of 附件1.
var Standards = []Standard{
	{Code: "A1", Family: "A", Zh: "村级组织违法侵害群众合法权益，造成恶劣社会影响", En: "a village organisation broke the law and harmed lawful rights, with bad social impact"},
	{Code: "A2", Family: "A", Zh: "村级组织成员涉黑涉恶或因其他犯罪被追究刑事责任", En: "a past or present member of a village organisation was prosecuted for organised or other crime"},
	{Code: "A3", Family: "A", Zh: "发生重大刑事案件或重大安全、环境、食品药品事故", En: "a major criminal case or a major safety, environmental, food or drug accident"},
	{Code: "A4", Family: "A", Zh: "因矛盾纠纷处置不当引发群体性上访、越级上访或群体性事件", En: "a mass or skip-level petition or a mass incident caused by a mishandled dispute"},
	{Code: "A5", Family: "A", Zh: "纠纷调处成功率低于90%、群众安全感低于95%，或发生民转刑、个人极端暴力案事件", En: "mediation success below 90%, sense of safety below 95%, or a civil-to-criminal or extreme violence event",
		Metrics: []string{"mediation_success", "safety", "civil_to_criminal", "extreme_violence"}, Computed: true},
	{Code: "A6", Family: "A", Zh: "其他违反创建标准造成不良影响的情形", En: "another breach of the standard with bad impact"},
	{Code: "B1", Family: "B", Zh: "党组织坚强有力，非软弱涣散", En: "a good party branch, not weak and lax"},
	{Code: "B2", Family: "B", Zh: "村规民约(居民公约)健全有效", En: "complete and effective village rules or residents' convention"},
	{Code: "B3", Family: "B", Zh: "小微权力清单明晰", En: "a clear small-power list"},
	{Code: "B4", Family: "B", Zh: "议事协商平台运行良好，满意度不低于90%", En: "a working deliberation platform, satisfaction at least 90%",
		Metrics: []string{"deliberation_satisfaction"}, Computed: true},
	{Code: "B5", Family: "B", Zh: "司法行政工作室和法律顾问工作条件保障到位", En: "a judicial administration office and a legal adviser with working conditions",
		Metrics: []string{"legal_adviser"}, Computed: true},
	{Code: "B6", Family: "B", Zh: "法律明白人培养成效明显", En: "effective training of legal-savvy persons",
		Metrics: []string{"legal_savvy_coverage"}, Computed: true},
	{Code: "B7", Family: "B", Zh: "法治文化阵地特色鲜明、活动经常，宣传栏每月更新", En: "a distinctive culture position with regular activities, board updated monthly",
		Metrics: []string{"culture_quarters", "board_months", "culture_carrier_kinds"}, Computed: true},
	{Code: "B8", Family: "B", Zh: "设立好人榜", En: "a good-people list"},
	{Code: "B9", Family: "B", Zh: "每户有一条家规家训", En: "a family rule for every household", Computed: true},
	{Code: "B10", Family: "B", Zh: "每年开展国家宪法日活动", En: "a Constitution Day event every year",
		Metrics: []string{"constitution_day"}, Computed: true},
	{Code: "B11", Family: "B", Zh: "村(居)民民事、行政诉讼案件近两年逐步下降", En: "residents' civil and administrative lawsuits declining over the last two years",
		Metrics: []string{"lawsuits_declining"}, Computed: true},
	{Code: "C1", Family: "C", Zh: "区划调整后名称未变、地域未实质变化且无撤销情形，保留", En: "after a division adjustment, name unchanged and territory not substantially changed, no revocation situation: keep"},
	{Code: "C2", Family: "C", Zh: "区划调整后名称不再保留或地域发生实质变化，注销", En: "after a division adjustment, name gone or territory substantially changed: cancel"},
	{Code: "C3", Family: "C", Zh: "调整至其他区县，由新区县复核", En: "moved to another district: the new district reviews it"},
	{Code: Elimination, Family: "E", Zh: "末位淘汰（创建率超过上限）", En: "eliminated at the bottom of the ranking (creation rate above the cap)"},
}

// StandardByCode returns the standard with the code.
func StandardByCode(code string) (Standard, bool) {
	for _, s := range Standards {
		if s.Code == code {
			return s, true
		}
	}
	return Standard{}, false
}

// ReviewAction is something done in a review, checked against the stage and role.
type ReviewAction string

// Review actions.
const (
	ActPropose  ReviewAction = "propose"  // a town proposes (or withdraws) a revocation or cancellation
	ActDecide   ReviewAction = "decide"   // accept or reject a proposal
	ActCheck    ReviewAction = "check"    // on-site checks and inspection findings
	ActRectify  ReviewAction = "rectify"  // rectification orders and re-checks
	ActEvaluate ReviewAction = "evaluate" // evaluate the standards, score and rank
	ActSample   ReviewAction = "sample"   // the city's on-site sample
	ActAdvance  ReviewAction = "advance"  // move to the next stage
	ActConfirm  ReviewAction = "confirm"  // the province confirms: titles change
)

// stageOwner is the least role that works a stage: towns in the survey, the
// district in the first review, the city in its review, the province last.
func stageOwner(s ReviewStage) Role {
	switch s {
	case StageSurvey:
		return RoleTownOfficial
	case StageFirstReview:
		return RoleDistrictAdmin
	case StageCityReview:
		return RoleCityOfficial
	case StageProvinceEvaluation:
		return RoleProvinceOfficial
	}
	return RoleSystem
}

func roleZh(r Role) string {
	switch r {
	case RoleTownOfficial:
		return "镇(街道)"
	case RoleDistrictAdmin:
		return "区司法局"
	case RoleCityOfficial:
		return "市司法局"
	case RoleProvinceOfficial:
		return "省司法厅"
	}
	return string(r)
}

// CheckReviewAction says whether the role may do the action while the review
// is at the stage: INVALID when the stage does not allow it, FORBIDDEN when
// the role is below the one the stage belongs to. Scope is checked by the database.
func CheckReviewAction(role Role, stage ReviewStage, act ReviewAction) error {
	wrongStage := func() error {
		return (&Error{Code: EINVALID, Zh: "复核处于“" + stage.Zh() + "”阶段，不能进行此操作",
			En: "the review is at stage " + string(stage) + ", which does not allow this"}).WithField("input", "reviewId")
	}
	need := func(min Role) error {
		if role.Rank() < min.Rank() {
			return &Error{Code: EFORBIDDEN, Zh: "此阶段只有" + roleZh(min) + "及以上可以进行此操作",
				En: "at this stage only the " + string(min) + " or above may do this"}
		}
		return nil
	}
	switch act {
	case ActPropose:
		if stage != StageSurvey {
			return wrongStage()
		}
		return need(RoleTownOfficial)
	case ActDecide, ActRectify:
		if stage != StageFirstReview && stage != StageCityReview {
			return wrongStage()
		}
		return need(stageOwner(stage))
	case ActCheck, ActEvaluate:
		if stage != StageFirstReview && stage != StageCityReview && stage != StageProvinceEvaluation {
			return wrongStage()
		}
		return need(stageOwner(stage))
	case ActSample:
		if stage != StageCityReview {
			return wrongStage()
		}
		return need(RoleCityOfficial)
	case ActAdvance:
		switch stage {
		case StageSurvey, StageFirstReview:
			return need(RoleDistrictAdmin)
		case StageCityReview:
			return need(RoleCityOfficial)
		}
		return wrongStage() // the province closes a review by confirming it
	case ActConfirm:
		if stage != StageProvinceEvaluation {
			return wrongStage()
		}
		return need(RoleProvinceOfficial)
	}
	return Errorf(EINVALID, "未知操作", "unknown action")
}

// StageDeadline is the window of a stage in a review's year.
type StageDeadline struct {
	Stage ReviewStage `json:"stage"`
	Start string      `json:"start"` // civil date 2026-06-01
	Due   string      `json:"due"`   // civil date 2026-07-30
}

// Review is the yearly review of one district's titles.
type Review struct {
	ID            int64           `db:"id"`
	Year          int             `db:"year"`
	RegionID      int64           `db:"region_id"`
	AreaPath      string          `db:"area_path"` // the district's path when the review was opened
	Stage         ReviewStage     `db:"stage"`
	DeadlinesJSON json.RawMessage `db:"deadlines" json:"Deadlines"`
	EvaluatedAt   *time.Time      `db:"evaluated_at"`
	// The summary of the latest evaluation (nil before one).
	VillagesTotal    *int       `db:"villages_total"`
	Titled           *int       `db:"titled"`
	Kept             *int       `db:"kept"`
	Revoked          *int       `db:"revoked"`
	Cancelled        *int       `db:"cancelled"`
	Eliminated       *int       `db:"eliminated"`
	Cap              *float64   `db:"cap"`
	RateBefore       *float64   `db:"rate_before"`
	RateAfter        *float64   `db:"rate_after"`
	DecisionDocument *string    `db:"decision_document"`
	DecidedOn        *time.Time `db:"decided_on"`
	ConfirmedAt      *time.Time `db:"confirmed_at"`
	Version          int        `db:"version"`
	CreatedAt        time.Time  `db:"created_at"`
	UpdatedAt        time.Time  `db:"updated_at"`
}

// Deadlines returns the review's stage windows in stage order.
func (r *Review) Deadlines() []StageDeadline {
	var m map[string]StageDeadline
	_ = json.Unmarshal(r.DeadlinesJSON, &m)
	var out []StageDeadline
	for _, s := range ReviewStages {
		if d, ok := m[string(s)]; ok {
			d.Stage = s
			out = append(out, d)
		}
	}
	return out
}

// ReviewStageEvent is one move of a review from a stage to the next.
type ReviewStageEvent struct {
	ID        int64        `db:"id"`
	ReviewID  int64        `db:"review_id"`
	FromStage *ReviewStage `db:"from_stage"`
	ToStage   ReviewStage  `db:"to_stage"`
	Note      string       `db:"note"`
	ActorName string       `db:"actor_name"`
	At        time.Time    `db:"at"`
}

// ReviewProposal is a town's proposal to revoke or cancel a village's title.
type ReviewProposal struct {
	ID           int64      `db:"id" json:"id"`
	ReviewID     int64      `db:"review_id" json:"review_id"`
	VillageID    int64      `db:"village_id" json:"village_id"`
	Kind         string     `db:"kind" json:"kind"` // revoke or cancel
	Standards    []string   `db:"-" json:"standards"`
	Explanation  string     `db:"explanation" json:"explanation"`
	EvidenceIDs  []int64    `db:"-" json:"evidence_ids"`
	Status       string     `db:"status" json:"status"` // submitted, accepted, rejected, withdrawn
	DecisionNote string     `db:"decision_note" json:"decision_note"`
	DecidedBy    *string    `db:"decided_by" json:"decided_by"`
	DecidedAt    *time.Time `db:"decided_at" json:"decided_at"`
	ProposedBy   string     `db:"proposed_by" json:"proposed_by"`
	Version      int        `db:"version" json:"version"`
	CreatedAt    time.Time  `db:"created_at" json:"created_at"`
	UpdatedAt    time.Time  `db:"updated_at" json:"updated_at"`
}

// ReviewCheck is an on-site check of a village.
type ReviewCheck struct {
	ID          int64       `db:"id" json:"id"`
	ReviewID    int64       `db:"review_id" json:"review_id"`
	VillageID   int64       `db:"village_id" json:"village_id"`
	Stage       ReviewStage `db:"stage" json:"stage"`
	CheckedOn   time.Time   `db:"checked_on" json:"checked_on"`
	Inspector   string      `db:"inspector" json:"inspector"`
	Conclusion  string      `db:"conclusion" json:"conclusion"` // pass, rectify, fail
	Note        string      `db:"note" json:"note"`
	EvidenceIDs []int64     `db:"-" json:"evidence_ids"`
	RecordedBy  string      `db:"recorded_by" json:"recorded_by"`
	CreatedAt   time.Time   `db:"created_at" json:"created_at"`
}

// ReviewFinding is an inspection finding on one standard for a village.
type ReviewFinding struct {
	ID           int64      `db:"id" json:"id"`
	ReviewID     int64      `db:"review_id" json:"review_id"`
	VillageID    int64      `db:"village_id" json:"village_id"`
	CheckID      *int64     `db:"check_id" json:"check_id"`
	Standard     string     `db:"standard" json:"standard"`
	Result       string     `db:"result" json:"result"` // pass or fail
	Note         string     `db:"note" json:"note"`
	EvidenceIDs  []int64    `db:"-" json:"evidence_ids"`
	Stage        string     `db:"stage" json:"stage"`
	RecordedBy   string     `db:"recorded_by" json:"recorded_by"`
	CreatedAt    time.Time  `db:"created_at" json:"created_at"`
	SupersededAt *time.Time `db:"superseded_at" json:"superseded_at"`
}

// Rectification is a rectification order (整改) and its re-check.
type Rectification struct {
	ID            int64      `db:"id" json:"id"`
	ReviewID      int64      `db:"review_id" json:"review_id"`
	VillageID     int64      `db:"village_id" json:"village_id"`
	Standard      *string    `db:"standard" json:"standard"`
	Requirement   string     `db:"requirement" json:"requirement"`
	IssuedOn      time.Time  `db:"issued_on" json:"issued_on"`
	DueOn         time.Time  `db:"due_on" json:"due_on"`
	RecheckedOn   *time.Time `db:"rechecked_on" json:"rechecked_on"`
	RecheckResult *string    `db:"recheck_result" json:"recheck_result"`
	RecheckNote   string     `db:"recheck_note" json:"recheck_note"`
	IssuedBy      string     `db:"issued_by" json:"issued_by"`
	Version       int        `db:"version" json:"version"`
	CreatedAt     time.Time  `db:"created_at" json:"created_at"`
	UpdatedAt     time.Time  `db:"updated_at" json:"updated_at"`
}

// ReviewSample is the city's on-site sample of a district's retained villages.
type ReviewSample struct {
	ReviewID   int64     `db:"review_id" json:"review_id"`
	Seed       int64     `db:"seed" json:"seed"`
	Rate       float64   `db:"rate" json:"rate"`
	Stratified bool      `db:"stratified" json:"stratified"`
	Population int       `db:"population" json:"population"`
	Size       int       `db:"size" json:"size"`
	Method     string    `db:"method" json:"method"`
	DrawnBy    string    `db:"drawn_by" json:"drawn_by"`
	DrawnAt    time.Time `db:"drawn_at" json:"drawn_at"`
	VillageIDs []int64   `db:"-" json:"village_ids"` // in the order drawn
}

// ReviewResult is the evaluation of one titled village in a review.
type ReviewResult struct {
	ReviewID       int64     `db:"review_id"`
	VillageID      int64     `db:"village_id"`
	TitleID        int64     `db:"title_id"`
	Batch          *int      `db:"batch"`
	TitleYear      int       `db:"title_year"`
	Recommendation string    `db:"recommendation"` // keep, revoke, cancel
	Causes         []string  `db:"-"`
	Explanation    string    `db:"explanation"`
	ExplanationEn  string    `db:"explanation_en"`
	Compliance     *float64  `db:"compliance"`
	Outcomes       *float64  `db:"outcomes"`
	Inspection     *float64  `db:"inspection"`
	Score          *float64  `db:"score"`
	RankDistrict   *int      `db:"rank_district"`
	RankCity       *int      `db:"rank_city"`
	Eliminated     bool      `db:"eliminated"`
	Brand          bool      `db:"brand"`
	National       bool      `db:"national"`
	EvaluatedAt    time.Time `db:"evaluated_at"`
	// Denormalised for lists and exports.
	VillageCode string `db:"village_code"`
	VillageName string `db:"village_name"`
	TownCode    string `db:"town_code"`
	TownName    string `db:"town_name"`
}

// StandardResult is one standard of a village as evaluated, with the numbers behind it.
type StandardResult struct {
	ReviewID  int64    `db:"review_id"`
	VillageID int64    `db:"village_id"`
	Standard  string   `db:"standard"`
	Result    string   `db:"result"` // pass, fail, no_data
	Sources   []string `db:"-"`
	Note      string   `db:"note"`
	NoteEn    string   `db:"note_en"`
	Numbers   []ReviewNumber
}

// ReviewNumber is one metric value a computed standard was decided on.
type ReviewNumber struct {
	Metric      string   `json:"metric"`
	Period      string   `json:"period"`
	Numerator   *float64 `json:"numerator"`
	Denominator *float64 `json:"denominator"`
	Value       *float64 `json:"value"`
	Threshold   *float64 `json:"threshold"`
	Comparator  *string  `json:"comparator"`
	Status      string   `json:"status"`
}
