package core

import (
	"io"
	"time"
)

// The governance records a village holds (the compliance issue): households,
// legal-savvy persons, the legal adviser, mediation cases, surveys, incidents,
// lawsuits and culture carriers. JSON names follow the database columns so the
// audit trail reads the same whether a record was changed one by one or by an
// import.

// Household is a 户 of a village's household registry.
type Household struct {
	ID                 int64      `db:"id" json:"id"`
	VillageID          int64      `db:"village_id" json:"village_id"`
	Code               string     `db:"code" json:"code"` // 户号, unique in the village
	GroupID            *int64     `db:"group_id" json:"group_id"`
	GridID             *int64     `db:"grid_id" json:"grid_id"`
	HeadName           string     `db:"head_name" json:"head_name"` // personal data
	Phone              string     `db:"phone" json:"phone"`         // personal data
	Members            *int       `db:"members" json:"members"`
	ModelHouseholdYear *int       `db:"model_household_year" json:"model_household_year"` // 学法用法示范户, year named
	HasFamilyRule      bool       `db:"has_family_rule" json:"has_family_rule"`           // 家规家训
	WechatMember       bool       `db:"wechat_member" json:"wechat_member"`               // 法润民生 WeChat group
	Version            int        `db:"version" json:"version"`
	CreatedAt          time.Time  `db:"created_at" json:"created_at"`
	UpdatedAt          time.Time  `db:"updated_at" json:"updated_at"`
	DeletedAt          *time.Time `db:"deleted_at" json:"deleted_at"`
}

// LegalSavvyPerson is a 法律明白人 of a grid.
type LegalSavvyPerson struct {
	ID         int64      `db:"id" json:"id"`
	VillageID  int64      `db:"village_id" json:"village_id"`
	GridID     int64      `db:"grid_id" json:"grid_id"`
	Name       string     `db:"name" json:"name"`   // personal data
	Phone      string     `db:"phone" json:"phone"` // personal data
	TrainedOn  *time.Time `db:"trained_on" json:"trained_on"`
	ActiveFrom time.Time  `db:"active_from" json:"active_from"`
	ActiveTo   *time.Time `db:"active_to" json:"active_to"`
	Version    int        `db:"version" json:"version"`
	CreatedAt  time.Time  `db:"created_at" json:"created_at"`
}

// LegalAdviser is a village's 法律顾问 (a professional: name and phone are a
// public contact card, not personal data).
type LegalAdviser struct {
	ID               int64      `db:"id" json:"id"`
	VillageID        int64      `db:"village_id" json:"village_id"`
	Name             string     `db:"name" json:"name"`
	Firm             string     `db:"firm" json:"firm"`
	Phone            string     `db:"phone" json:"phone"`
	ContactCard      bool       `db:"contact_card" json:"contact_card"`
	ServiceCatalogue string     `db:"service_catalogue" json:"service_catalogue"`
	ActiveFrom       time.Time  `db:"active_from" json:"active_from"`
	ActiveTo         *time.Time `db:"active_to" json:"active_to"`
	CreatedAt        time.Time  `db:"created_at" json:"created_at"`
}

// LegalAdviserEvaluation is the yearly evaluation of a legal adviser.
type LegalAdviserEvaluation struct {
	ID        int64     `db:"id" json:"id"`
	VillageID int64     `db:"village_id" json:"village_id"`
	AdviserID int64     `db:"adviser_id" json:"adviser_id"`
	Year      int       `db:"year" json:"year"`
	Score     *float64  `db:"score" json:"score"`
	Comment   string    `db:"comment" json:"comment"`
	CreatedAt time.Time `db:"created_at" json:"created_at"`
}

// LegalCheckup is a 法律体检 service record.
type LegalCheckup struct {
	ID        int64     `db:"id" json:"id"`
	VillageID int64     `db:"village_id" json:"village_id"`
	AdviserID *int64    `db:"adviser_id" json:"adviser_id"`
	HeldOn    time.Time `db:"held_on" json:"held_on"`
	Subject   string    `db:"subject" json:"subject"`
	Findings  string    `db:"findings" json:"findings"`
	CreatedAt time.Time `db:"created_at" json:"created_at"`
}

// MediationCase is a dispute mediated in a village (纠纷调处).
type MediationCase struct {
	ID             int64            `db:"id" json:"id"`
	VillageID      int64            `db:"village_id" json:"village_id"`
	CaseNo         string           `db:"case_no" json:"case_no"`
	ReceivedOn     time.Time        `db:"received_on" json:"received_on"`
	ConcludedOn    *time.Time       `db:"concluded_on" json:"concluded_on"`
	Outcome        MediationOutcome `db:"outcome" json:"outcome"`
	TurnedCriminal bool             `db:"turned_criminal" json:"turned_criminal"` // 民转刑
	Parties        string           `db:"parties" json:"parties"`                 // personal data
	Summary        string           `db:"summary" json:"summary"`
	Version        int              `db:"version" json:"version"`
	CreatedAt      time.Time        `db:"created_at" json:"created_at"`
	UpdatedAt      time.Time        `db:"updated_at" json:"updated_at"`
}

// Survey is a sense-of-safety or deliberation-satisfaction survey of a period.
type Survey struct {
	ID          int64      `db:"id" json:"id"`
	VillageID   int64      `db:"village_id" json:"village_id"`
	Kind        SurveyKind `db:"kind" json:"kind"`
	Period      string     `db:"period" json:"period"` // 2026-05, 2026-Q2 or 2026, as internal/period writes it
	SurveyedOn  time.Time  `db:"surveyed_on" json:"surveyed_on"`
	Respondents int        `db:"respondents" json:"respondents"`
	Positive    int        `db:"positive" json:"positive"`
	CreatedAt   time.Time  `db:"created_at" json:"created_at"`
}

// Incident is a fact supplied by a partner department (民转刑, extreme
// violence, or a revocation situation).
type Incident struct {
	ID               int64        `db:"id" json:"id"`
	VillageID        int64        `db:"village_id" json:"village_id"`
	Kind             IncidentKind `db:"kind" json:"kind"`
	OccurredOn       time.Time    `db:"occurred_on" json:"occurred_on"`
	SourceDepartment string       `db:"source_department" json:"source_department"`
	Description      string       `db:"description" json:"description"`
	CreatedAt        time.Time    `db:"created_at" json:"created_at"`
}

// LawsuitYear is the number of civil and administrative lawsuits filed by a
// village's residents in a year.
type LawsuitYear struct {
	VillageID        int64     `db:"village_id" json:"village_id"`
	Year             int       `db:"year" json:"year"`
	Civil            int       `db:"civil" json:"civil"`
	Administrative   int       `db:"administrative" json:"administrative"`
	SourceDepartment string    `db:"source_department" json:"source_department"`
	UpdatedAt        time.Time `db:"updated_at" json:"updated_at"`
}

// CultureCarrier is a publicity carrier of a village's rule-of-law culture position.
type CultureCarrier struct {
	ID        int64       `db:"id" json:"id"`
	VillageID int64       `db:"village_id" json:"village_id"`
	Kind      CarrierKind `db:"kind" json:"kind"`
	Name      string      `db:"name" json:"name"`
	CreatedAt time.Time   `db:"created_at" json:"created_at"`
}

// MediationOutcome is the outcome of a mediation case.
type MediationOutcome string

// Mediation outcomes.
const (
	OutcomeSuccess MediationOutcome = "success" // 调处成功
	OutcomeFailure MediationOutcome = "failure" // 调处不成功
	OutcomePending MediationOutcome = "pending" // 调处中
)

// MarshalGQL writes the outcome as a GraphQL enum.
func (o MediationOutcome) MarshalGQL(w io.Writer) { marshalEnum(w, string(o)) }

// UnmarshalGQL reads the outcome from a GraphQL enum.
func (o *MediationOutcome) UnmarshalGQL(v any) error {
	s, err := unmarshalEnum(v, []string{"success", "failure", "pending"}, "调处结果 / outcome")
	*o = MediationOutcome(s)
	return err
}

// SurveyKind is what a survey measures.
type SurveyKind string

// Survey kinds.
const (
	SurveySafety       SurveyKind = "safety"                    // 群众安全感
	SurveyDeliberation SurveyKind = "deliberation_satisfaction" // 说事平台(援法议事)满意度
)

// MarshalGQL writes the kind as a GraphQL enum.
func (k SurveyKind) MarshalGQL(w io.Writer) { marshalEnum(w, string(k)) }

// UnmarshalGQL reads the kind from a GraphQL enum.
func (k *SurveyKind) UnmarshalGQL(v any) error {
	s, err := unmarshalEnum(v, []string{string(SurveySafety), string(SurveyDeliberation)}, "调查类型 / survey kind")
	*k = SurveyKind(s)
	return err
}

// IncidentKind is the kind of an incident.
type IncidentKind string

// Incident kinds: the zero events of DOMAIN.md and the revocation situations A1-A4, A6.
const (
	IncidentCivilToCriminal     IncidentKind = "civil_to_criminal"      // 民转刑
	IncidentExtremeViolence     IncidentKind = "extreme_violence"       // 个人极端暴力案事件
	IncidentOrganisationIllegal IncidentKind = "organisation_illegal"   // A1 村级组织违法侵权
	IncidentMemberProsecuted    IncidentKind = "member_prosecuted"      // A2 成员涉黑涉恶或其他犯罪被追诉
	IncidentMajorCase           IncidentKind = "major_case_or_accident" // A3 重大刑事案件或重大事故
	IncidentMassPetition        IncidentKind = "mass_petition"          // A4 群体访、越级访或群体性事件
	IncidentOtherBreach         IncidentKind = "other_breach"           // A6 其他违反标准的情形
)

// IncidentKinds lists every incident kind in a stable order.
var IncidentKinds = []IncidentKind{IncidentCivilToCriminal, IncidentExtremeViolence, IncidentOrganisationIllegal,
	IncidentMemberProsecuted, IncidentMajorCase, IncidentMassPetition, IncidentOtherBreach}

// MarshalGQL writes the kind as a GraphQL enum.
func (k IncidentKind) MarshalGQL(w io.Writer) { marshalEnum(w, string(k)) }

// UnmarshalGQL reads the kind from a GraphQL enum.
func (k *IncidentKind) UnmarshalGQL(v any) error {
	all := make([]string, len(IncidentKinds))
	for i, x := range IncidentKinds {
		all[i] = string(x)
	}
	s, err := unmarshalEnum(v, all, "案事件类型 / incident kind")
	*k = IncidentKind(s)
	return err
}

// CarrierKind is the kind of a culture-position carrier.
type CarrierKind string

// Carrier kinds.
const (
	CarrierCourtyard CarrierKind = "courtyard" // 法治院落
	CarrierSquare    CarrierKind = "square"    // 法治广场
	CarrierCorridor  CarrierKind = "corridor"  // 法治长廊
	CarrierBoard     CarrierKind = "board"     // 法治宣传栏
	CarrierScreen    CarrierKind = "screen"    // 电子显示屏
	CarrierPark      CarrierKind = "park"      // 法治公园
	CarrierLibrary   CarrierKind = "library"   // 法治书屋
	CarrierOther     CarrierKind = "other"     // 其他
)

// CarrierKinds lists every carrier kind in a stable order.
var CarrierKinds = []CarrierKind{CarrierCourtyard, CarrierSquare, CarrierCorridor, CarrierBoard, CarrierScreen,
	CarrierPark, CarrierLibrary, CarrierOther}

// MarshalGQL writes the kind as a GraphQL enum.
func (k CarrierKind) MarshalGQL(w io.Writer) { marshalEnum(w, string(k)) }

// UnmarshalGQL reads the kind from a GraphQL enum.
func (k *CarrierKind) UnmarshalGQL(v any) error {
	all := make([]string, len(CarrierKinds))
	for i, x := range CarrierKinds {
		all[i] = string(x)
	}
	s, err := unmarshalEnum(v, all, "宣传载体类型 / carrier kind")
	*k = CarrierKind(s)
	return err
}

// RecordKind is a kind of record that can be imported in bulk.
type RecordKind string

// Record kinds of the bulk import.
const (
	RecordHousehold        RecordKind = "household"
	RecordLegalSavvyPerson RecordKind = "legal_savvy_person"
	RecordMediationCase    RecordKind = "mediation_case"
	RecordSurvey           RecordKind = "survey"
	RecordIncident         RecordKind = "incident"
	RecordLawsuit          RecordKind = "lawsuit"
	RecordCultureCarrier   RecordKind = "culture_carrier"
)

// RecordKinds lists every importable record kind in a stable order.
var RecordKinds = []RecordKind{RecordHousehold, RecordLegalSavvyPerson, RecordMediationCase, RecordSurvey,
	RecordIncident, RecordLawsuit, RecordCultureCarrier}

// ParseRecordKind reads a record kind (lower or upper case).
func ParseRecordKind(s string) (RecordKind, error) {
	all := make([]string, len(RecordKinds))
	for i, x := range RecordKinds {
		all[i] = string(x)
	}
	v, err := unmarshalEnum(s, all, "记录类型 / record kind")
	return RecordKind(v), err
}

// Permission is what a role needs to record (and import) records of the kind.
func (k RecordKind) Permission() Permission {
	switch k {
	case RecordIncident, RecordLawsuit:
		return PermRecordPartnerFacts
	case RecordMediationCase, RecordSurvey:
		return PermRecordActivity
	}
	return PermEditVillage
}

// MarshalGQL writes the kind as a GraphQL enum.
func (k RecordKind) MarshalGQL(w io.Writer) { marshalEnum(w, string(k)) }

// UnmarshalGQL reads the kind from a GraphQL enum.
func (k *RecordKind) UnmarshalGQL(v any) error {
	s, _ := v.(string)
	r, err := ParseRecordKind(s)
	*k = r
	return err
}
