package metrics

import (
	"strings"

	"github.com/lawvillage/lawvillage/internal/core"
)

// Alert rules that are not metrics.
const (
	// LectureReminderRule: no counted lecture yet this month (RemindLectures).
	LectureReminderRule = "lecture_reminder"
	// ReviewDeadlineRulePrefix starts the rule of a review stage's deadline
	// reminder, followed by the stage: review_deadline_survey,
	// review_deadline_first_review, ... (postgres.RemindReviewDeadlines).
	ReviewDeadlineRulePrefix = "review_deadline_"
)

// reviewDeadlineNames name the deadline reminder of each review stage, with
// what is due at its end (the plan's calendar; the dates themselves are the
// setting review.calendar and are not part of the name).
var reviewDeadlineNames = map[core.ReviewStage][2]string{
	core.StageSurvey: {"复核摸底阶段即将截止（镇(街道)报送撤销、注销建议）",
		"review survey stage due soon (towns' revocation and cancellation proposals)"},
	core.StageFirstReview: {"复核初核阶段即将截止（区报送附件2、3、4）",
		"review first-review stage due soon (the district files Annexes 2, 3 and 4)"},
	core.StageCityReview: {"复核市级复核阶段即将截止（现场抽查，确定最终名单）",
		"review city-review stage due soon (on-site sample, final lists)"},
	core.StageProvinceEvaluation: {"复核省级评估阶段即将截止（抽查、总结）",
		"review province-evaluation stage due soon (spot checks, summary)"},
}

// RuleNames returns the Chinese and English names of an alert rule or a
// metric key. It is the one place names come from: the API (Alert.name,
// MetricValue.name, ...) and the webhook digests use it. An unknown rule is
// named by itself.
func RuleNames(rule string) (zh, en string) {
	if m, ok := ByKey(rule); ok {
		return m.Zh, m.En
	}
	if rule == LectureReminderRule {
		return "本月尚未开展法治讲座", "no rule-of-law lecture yet this month"
	}
	if stage, ok := strings.CutPrefix(rule, ReviewDeadlineRulePrefix); ok && stage != "" {
		if n, ok := reviewDeadlineNames[core.ReviewStage(stage)]; ok {
			return n[0], n[1]
		}
		st := core.ReviewStage(stage)
		return "复核" + st.Zh() + "阶段即将截止", "review " + strings.ReplaceAll(stage, "_", "-") + " stage due soon"
	}
	return rule, rule
}
