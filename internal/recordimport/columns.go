package recordimport

import (
	"github.com/lawvillage/lawvillage/internal/core"
)

// Column is one column of an import file: its Chinese header, whether every
// file must have it, and what to write in it.
type Column struct {
	Name     string // the header, exactly as in the template
	Required bool   // the file must have the column and every row a value
	Zh, En   string // what to write, in Chinese and English
	db       string // the optional database column it sets ("" for key and required columns)
	width    float64
	text     bool     // formatted as text in the xlsx template (codes, numbers with leading zeros, periods)
	choices  []string // allowed values, offered as a drop-down list in the xlsx template
}

// Template describes the import file of one record kind.
type Template struct {
	Kind    core.RecordKind
	Title   string // Chinese name of the records, used as the sheet name
	TitleEn string
	Columns []Column
}

// Header names shared by the kinds.
const (
	ColVillage    = "村(社区)代码"
	ColHousehold  = "户号"
	ColHeadName   = "户主姓名"
	ColPhone      = "联系电话"
	ColGroup      = "村民小组"
	ColGrid       = "网格"
	ColMembers    = "人口数"
	ColModelYear  = "学法用法示范户年份"
	ColFamilyRule = "有家规家训"
	ColWechat     = "加入法润民生群"
	ColVolunteer  = "参加普法志愿服务年份"

	ColName       = "姓名"
	ColTrainedOn  = "培训日期"
	ColActiveFrom = "任职起始日期"
	ColActiveTo   = "任职截止日期"

	ColCaseNo      = "案件编号"
	ColReceivedOn  = "受理日期"
	ColConcludedOn = "办结日期"
	ColOutcome     = "调处结果"
	ColCriminal    = "是否民转刑"
	ColParties     = "当事人"
	ColSummary     = "案情摘要"

	ColSurveyKind  = "调查类型"
	ColPeriod      = "调查期间"
	ColSurveyedOn  = "调查日期"
	ColRespondents = "受访人数"
	ColPositive    = "肯定回答人数"

	ColIncidentKind = "类型"
	ColOccurredOn   = "发生日期"
	ColDepartment   = "来源部门"
	ColDescription  = "情况说明"

	ColYear           = "年份"
	ColCivil          = "民事案件数"
	ColAdministrative = "行政案件数"

	ColCarrierKind = "类型"
	ColCarrierName = "名称"
)

var yesNo = []string{"是", "否"}

var villageColumn = Column{Name: ColVillage, Required: true, width: 16, text: true,
	Zh: "12 位统计用区划代码（设为文本格式，勿用科学计数法）", En: "12-digit statistical division code of the village (text, not scientific notation)"}

// Outcome, survey, incident and carrier labels as users write them.
var (
	outcomeLabels = map[string]core.MediationOutcome{
		"成功": core.OutcomeSuccess, "调处成功": core.OutcomeSuccess, "调解成功": core.OutcomeSuccess, "success": core.OutcomeSuccess,
		"失败": core.OutcomeFailure, "不成功": core.OutcomeFailure, "调处不成功": core.OutcomeFailure, "调解不成功": core.OutcomeFailure,
		"调处失败": core.OutcomeFailure, "failure": core.OutcomeFailure,
		"调处中": core.OutcomePending, "调解中": core.OutcomePending, "未办结": core.OutcomePending, "pending": core.OutcomePending,
	}
	surveyLabels = map[string]core.SurveyKind{
		"群众安全感": core.SurveySafety, "安全感": core.SurveySafety, "safety": core.SurveySafety,
		"说事平台满意度": core.SurveyDeliberation, "援法议事满意度": core.SurveyDeliberation, "满意度": core.SurveyDeliberation,
		"deliberation_satisfaction": core.SurveyDeliberation,
	}
	incidentLabels = map[string]core.IncidentKind{
		"民转刑": core.IncidentCivilToCriminal, "民转刑案件": core.IncidentCivilToCriminal,
		"个人极端暴力案事件": core.IncidentExtremeViolence, "极端暴力": core.IncidentExtremeViolence, "个人极端暴力": core.IncidentExtremeViolence,
		"村级组织违法侵权": core.IncidentOrganisationIllegal,
		"成员被追诉":    core.IncidentMemberProsecuted, "涉黑涉恶或犯罪被追诉": core.IncidentMemberProsecuted,
		"重大案件或事故": core.IncidentMajorCase, "重大刑事案件或重大事故": core.IncidentMajorCase,
		"群体访或群体性事件": core.IncidentMassPetition, "群体性事件": core.IncidentMassPetition,
		"其他情形": core.IncidentOtherBreach, "其他": core.IncidentOtherBreach,
	}
	carrierLabels = map[string]core.CarrierKind{
		"法治院落": core.CarrierCourtyard, "院落": core.CarrierCourtyard,
		"法治广场": core.CarrierSquare, "广场": core.CarrierSquare,
		"法治长廊": core.CarrierCorridor, "长廊": core.CarrierCorridor,
		"法治宣传栏": core.CarrierBoard, "宣传栏": core.CarrierBoard,
		"电子显示屏": core.CarrierScreen, "电子屏": core.CarrierScreen, "显示屏": core.CarrierScreen,
		"法治公园": core.CarrierPark, "公园": core.CarrierPark,
		"法治书屋": core.CarrierLibrary, "书屋": core.CarrierLibrary,
		"其他": core.CarrierOther,
	}
)

func init() {
	// Every kind may also be written as its English code.
	for _, k := range core.IncidentKinds {
		incidentLabels[string(k)] = k
	}
	for _, k := range core.CarrierKinds {
		carrierLabels[string(k)] = k
	}
}

var templates = []Template{
	{Kind: core.RecordHousehold, Title: "户籍信息", TitleEn: "Households", Columns: []Column{
		villageColumn,
		{Name: ColHousehold, Required: true, width: 12, text: true, Zh: "户号，村(社区)内唯一", En: "household number, unique in the village"},
		{Name: ColHeadName, db: "head_name", width: 10, Zh: "户主姓名", En: "name of the head of household"},
		{Name: ColPhone, db: "phone", width: 15, text: true, Zh: "联系电话", En: "phone number"},
		{Name: ColGroup, db: "group_id", width: 14, Zh: "村民小组名称，须已在平台登记", En: "villager group name; it must already exist on the platform"},
		{Name: ColGrid, db: "grid_id", width: 14, Zh: "网格名称，须已在平台登记", En: "grid name; it must already exist on the platform"},
		{Name: ColMembers, db: "members", width: 8, Zh: "家庭人口数（整数）", En: "number of members (whole number)"},
		{Name: ColModelYear, db: "model_household_year", width: 18, Zh: "被评为学法用法示范户的年份，如 2025；不是则留空", En: "year named a model household for learning and using the law, e.g. 2025; empty if not"},
		{Name: ColFamilyRule, db: "has_family_rule", width: 12, choices: yesNo, Zh: "是否有家规家训：是/否", En: "has a family rule: 是 (yes) / 否 (no)"},
		{Name: ColWechat, db: "wechat_member", width: 16, choices: yesNo, Zh: "是否有成员加入法润民生微信群：是/否", En: "a member is in the 法润民生 WeChat group: 是 / 否"},
		{Name: ColVolunteer, width: 20, text: true, Zh: "参加普法志愿服务的年份，多个用顿号分隔，如 2025、2026（导入只增加，不删除）", En: "years of volunteer service, separated by 、 e.g. 2025、2026 (an import only adds years)"},
	}},
	{Kind: core.RecordLegalSavvyPerson, Title: "法律明白人", TitleEn: "Legal-savvy persons", Columns: []Column{
		villageColumn,
		{Name: ColGrid, Required: true, width: 14, Zh: "所在网格名称，须已在平台登记", En: "grid name; it must already exist on the platform"},
		{Name: ColName, Required: true, width: 10, Zh: "姓名（同一网格内按姓名对应）", En: "name (matched by name within the grid)"},
		{Name: ColPhone, db: "phone", width: 15, text: true, Zh: "联系电话", En: "phone number"},
		{Name: ColTrainedOn, db: "trained_on", width: 12, Zh: "最近一次培训日期，如 2026-03-15", En: "date of the latest training, e.g. 2026-03-15"},
		{Name: ColActiveFrom, Required: true, width: 14, Zh: "任职起始日期，如 2025-01-01", En: "in office from, e.g. 2025-01-01"},
		{Name: ColActiveTo, db: "active_to", width: 14, Zh: "任职截止日期；仍在任则留空", En: "in office until; empty while in office"},
	}},
	{Kind: core.RecordMediationCase, Title: "纠纷调处", TitleEn: "Mediation cases", Columns: []Column{
		villageColumn,
		{Name: ColCaseNo, Required: true, width: 16, text: true, Zh: "案件编号，村(社区)内唯一", En: "case number, unique in the village"},
		{Name: ColReceivedOn, Required: true, width: 12, Zh: "受理日期，如 2026-05-06", En: "date received, e.g. 2026-05-06"},
		{Name: ColConcludedOn, db: "concluded_on", width: 12, Zh: "办结日期；调处中则留空（须与调处结果同时提供）", En: "date concluded; empty while pending (give it with the outcome column)"},
		{Name: ColOutcome, db: "outcome", width: 12, choices: []string{"成功", "不成功", "调处中"}, Zh: "调处结果：成功/不成功/调处中（留空视为调处中）", En: "outcome: 成功 (success) / 不成功 (failure) / 调处中 (pending; also when empty)"},
		{Name: ColCriminal, db: "turned_criminal", width: 12, choices: yesNo, Zh: "是否民转刑：是/否", En: "turned into a criminal case: 是 / 否"},
		{Name: ColParties, db: "parties", width: 20, Zh: "当事人姓名，多人用顿号分隔", En: "names of the parties, separated by 、"},
		{Name: ColSummary, db: "summary", width: 40, Zh: "案情摘要（请勿填写身份证号等个人信息）", En: "summary (no ID numbers or other personal data)"},
	}},
	{Kind: core.RecordSurvey, Title: "满意度安全感调查", TitleEn: "Surveys", Columns: []Column{
		villageColumn,
		{Name: ColSurveyKind, Required: true, width: 16, choices: []string{"群众安全感", "说事平台满意度"}, Zh: "群众安全感 或 说事平台满意度", En: "群众安全感 (sense of safety) or 说事平台满意度 (deliberation satisfaction)"},
		{Name: ColPeriod, Required: true, width: 12, text: true, Zh: "所调查的期间：年 2026、季度 2026-Q2 或月 2026-05", En: "period surveyed: a year 2026, a quarter 2026-Q2 or a month 2026-05"},
		{Name: ColSurveyedOn, Required: true, width: 12, Zh: "调查日期，如 2026-06-20", En: "survey date, e.g. 2026-06-20"},
		{Name: ColRespondents, Required: true, width: 10, Zh: "受访人数（大于 0）", En: "respondents (more than 0)"},
		{Name: ColPositive, Required: true, width: 14, Zh: "感到安全或表示满意的人数（不多于受访人数）", En: "respondents who feel safe or are satisfied (at most the respondents)"},
	}},
	{Kind: core.RecordIncident, Title: "案事件", TitleEn: "Incidents", Columns: []Column{
		villageColumn,
		{Name: ColIncidentKind, Required: true, width: 18, choices: []string{"民转刑", "个人极端暴力案事件", "村级组织违法侵权", "成员被追诉", "重大案件或事故", "群体访或群体性事件", "其他情形"},
			Zh: "民转刑、个人极端暴力案事件、村级组织违法侵权、成员被追诉、重大案件或事故、群体访或群体性事件、其他情形",
			En: "civil dispute turned criminal, extreme violence, organisation broke the law, member prosecuted, major case or accident, mass petition or incident, other breach"},
		{Name: ColOccurredOn, Required: true, width: 12, Zh: "发生日期，如 2026-04-02", En: "date, e.g. 2026-04-02"},
		{Name: ColDepartment, Required: true, width: 14, Zh: "提供信息的部门，如 公安局", En: "department that supplied the fact, e.g. 公安局"},
		{Name: ColDescription, db: "description", width: 40, Zh: "情况说明", En: "description"},
	}},
	{Kind: core.RecordLawsuit, Title: "诉讼案件数", TitleEn: "Lawsuits", Columns: []Column{
		villageColumn,
		{Name: ColYear, Required: true, width: 8, Zh: "年份，如 2025", En: "year, e.g. 2025"},
		{Name: ColCivil, Required: true, width: 12, Zh: "村(居)民提起的民事诉讼案件数", En: "civil lawsuits filed by residents"},
		{Name: ColAdministrative, Required: true, width: 12, Zh: "村(居)民提起的行政诉讼案件数", En: "administrative lawsuits filed by residents"},
		{Name: ColDepartment, db: "source_department", width: 14, Zh: "提供数据的部门，如 法院", En: "department that supplied the figures, e.g. 法院"},
	}},
	{Kind: core.RecordCultureCarrier, Title: "法治文化阵地", TitleEn: "Culture carriers", Columns: []Column{
		villageColumn,
		{Name: ColCarrierKind, Required: true, width: 14, choices: []string{"法治院落", "法治广场", "法治长廊", "法治宣传栏", "电子显示屏", "法治公园", "法治书屋", "其他"},
			Zh: "法治院落、法治广场、法治长廊、法治宣传栏、电子显示屏、法治公园、法治书屋、其他",
			En: "courtyard, square, corridor, publicity board, screen, park, library, other"},
		{Name: ColCarrierName, Required: true, width: 24, Zh: "载体名称，如 村委会门前宣传栏", En: "name of the carrier, e.g. the board by the village office"},
	}},
}

// Templates lists the import file of every record kind.
func Templates() []Template { return templates }

// TemplateOf returns the template of a record kind.
func TemplateOf(kind core.RecordKind) (Template, bool) {
	for _, t := range templates {
		if t.Kind == kind {
			return t, true
		}
	}
	return Template{}, false
}

// XLSXPath is the relative URL of a kind's .xlsx template.
func XLSXPath(kind core.RecordKind) string { return "/templates/" + string(kind) + ".xlsx" }

// CSVPath is the relative URL of a kind's CSV template.
func CSVPath(kind core.RecordKind) string { return "/templates/" + string(kind) + ".csv" }
