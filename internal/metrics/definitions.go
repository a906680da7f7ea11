// Package metrics computes the programme's compliance metrics for every
// village and period, rolls them up to town, district, city and province, and
// writes them as snapshots: in sets (a few SQL statements for all villages at
// once), idempotently (a re-run of the same period changes nothing), with the
// threshold in force at the period's end recorded beside each value.
package metrics

import "github.com/lawvillage/lawvillage/internal/period"

// Kind says how a metric is measured and rolled up.
type Kind int

const (
	// Rate is numerator/denominator; a zero denominator is "no data"; regions pool the parts.
	Rate Kind = iota
	// Duty is done/due for one village; regions count the villages that met it.
	Duty
	// Count is a number of events that must be zero; regions add them up.
	Count
	// Target is a number one village must reach (kinds of culture carriers,
	// at least the threshold): a village's snapshot holds the number over 1,
	// so its value is the number itself; regions count the villages that
	// reached it over the villages, like duties, and are met when every
	// village is (their snapshots record threshold 1).
	Target
)

// Family groups metrics computed by the same job.
type Family string

// Families: the periodic duties and the outcomes (plus the creation rate).
const (
	FamilyMonthly   Family = "monthly"   // lectures and board updates
	FamilyQuarterly Family = "quarterly" // culture activities
	FamilyYearly    Family = "yearly"    // responsibility list, Constitution Day, volunteer coverage, lawsuits
	FamilyOutcomes  Family = "outcomes"  // mediation, safety, satisfaction, households, grids, WeChat, culture carriers, legal adviser, zero events, creation rate
)

// Metric describes one compliance metric.
type Metric struct {
	Key        string
	Zh, En     string
	Kind       Kind
	Comparator string // ">=", "<=" or "=0"
	Setting    string // the threshold's setting key; "" for fixed thresholds
	Fixed      float64
	Family     Family
	// Periods lists the period kinds the metric is computed for.
	Periods []period.Kind
	// Severity of an alert when it is not met ("" for no alert).
	Severity string
	// RegionOnly metrics are computed for areas, not villages.
	RegionOnly bool
}

var all = []period.Kind{period.Month, period.Quarter, period.Year}

// Metrics lists every metric in display order.
var Metrics = []Metric{
	{Key: "lecture_months", Zh: "法治讲座覆盖月份", En: "months with a rule-of-law lecture", Kind: Duty, Comparator: ">=", Fixed: 1, Family: FamilyMonthly, Periods: all, Severity: "breach"},
	{Key: "board_months", Zh: "宣传栏按月更新", En: "months with a publicity board update", Kind: Duty, Comparator: ">=", Fixed: 1, Family: FamilyMonthly, Periods: all, Severity: "breach"},
	{Key: "culture_quarters", Zh: "法治文化活动覆盖季度", En: "quarters with a culture activity", Kind: Duty, Comparator: ">=", Fixed: 1, Family: FamilyQuarterly, Periods: []period.Kind{period.Quarter, period.Year}, Severity: "breach"},
	{Key: "culture_carrier_kinds", Zh: "法治文化阵地宣传载体种类", En: "kinds of publicity carriers at the culture position", Kind: Target, Comparator: ">=", Setting: "threshold.culture_carrier_kinds", Family: FamilyOutcomes, Periods: all, Severity: "breach"},
	{Key: "responsibility_list", Zh: "普法责任清单", En: "legal-publicity responsibility list", Kind: Duty, Comparator: ">=", Fixed: 1, Family: FamilyYearly, Periods: []period.Kind{period.Year}, Severity: "breach"},
	{Key: "constitution_day", Zh: "国家宪法日活动", En: "National Constitution Day event", Kind: Duty, Comparator: ">=", Fixed: 1, Family: FamilyYearly, Periods: []period.Kind{period.Year}, Severity: "breach"},
	{Key: "volunteer_coverage", Zh: "普法志愿服务户覆盖率", En: "households in volunteer service", Kind: Rate, Comparator: ">=", Setting: "threshold.volunteer_coverage", Family: FamilyYearly, Periods: []period.Kind{period.Year}, Severity: "breach"},
	{Key: "lawsuits_declining", Zh: "民事行政诉讼逐年下降", En: "civil and administrative lawsuits declining", Kind: Duty, Comparator: ">=", Fixed: 1, Family: FamilyYearly, Periods: []period.Kind{period.Year}, Severity: "breach"},
	{Key: "mediation_success", Zh: "纠纷调处成功率", En: "mediation success rate", Kind: Rate, Comparator: ">=", Setting: "threshold.mediation_success", Family: FamilyOutcomes, Periods: all, Severity: "breach"},
	{Key: "safety", Zh: "群众安全感", En: "sense of safety", Kind: Rate, Comparator: ">=", Setting: "threshold.safety", Family: FamilyOutcomes, Periods: all, Severity: "breach"},
	{Key: "deliberation_satisfaction", Zh: "说事平台满意度", En: "deliberation platform satisfaction", Kind: Rate, Comparator: ">=", Setting: "threshold.deliberation_satisfaction", Family: FamilyOutcomes, Periods: all, Severity: "breach"},
	{Key: "model_households", Zh: "学法用法示范户占比", En: "model households share", Kind: Rate, Comparator: ">=", Setting: "threshold.model_households", Family: FamilyOutcomes, Periods: all, Severity: "breach"},
	{Key: "model_household_groups", Zh: "示范户达标的村民小组", En: "villager groups meeting the model household share", Kind: Rate, Comparator: ">=", Fixed: 1, Family: FamilyOutcomes, Periods: all, Severity: "breach"},
	{Key: "legal_savvy_coverage", Zh: "网格法律明白人覆盖率", En: "grids with a legal-savvy person", Kind: Rate, Comparator: ">=", Setting: "threshold.legal_savvy_coverage", Family: FamilyOutcomes, Periods: all, Severity: "breach"},
	{Key: "legal_adviser", Zh: "法律顾问在任", En: "legal adviser in office", Kind: Duty, Comparator: ">=", Fixed: 1, Family: FamilyOutcomes, Periods: all, Severity: "breach"},
	{Key: "wechat_coverage", Zh: "法润民生微信群覆盖率", En: "households in the WeChat group", Kind: Rate, Comparator: ">=", Setting: "threshold.wechat_coverage", Family: FamilyOutcomes, Periods: all, Severity: "breach"},
	{Key: "civil_to_criminal", Zh: "民转刑案件", En: "civil disputes turned criminal", Kind: Count, Comparator: "=0", Family: FamilyOutcomes, Periods: all, Severity: "critical"},
	{Key: "extreme_violence", Zh: "个人极端暴力案事件", En: "individual extreme violence", Kind: Count, Comparator: "=0", Family: FamilyOutcomes, Periods: all, Severity: "critical"},
	{Key: "creation_rate", Zh: "创建率", En: "creation rate", Kind: Rate, Comparator: "<=", Setting: "threshold.creation_rate", Family: FamilyOutcomes, Periods: all, Severity: "breach", RegionOnly: true},
}

// ByKey returns the metric with the key.
func ByKey(key string) (Metric, bool) {
	for _, m := range Metrics {
		if m.Key == key {
			return m, true
		}
	}
	return Metric{}, false
}

// OfFamily lists the metrics of a family that apply to the period's kind.
func OfFamily(f Family, k period.Kind) []Metric {
	var out []Metric
	for _, m := range Metrics {
		if m.Family != f {
			continue
		}
		for _, pk := range m.Periods {
			if pk == k {
				out = append(out, m)
			}
		}
	}
	return out
}
