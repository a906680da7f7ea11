package metrics_test

import (
	"strings"
	"testing"

	"github.com/lawvillage/lawvillage/internal/core"
	"github.com/lawvillage/lawvillage/internal/metrics"
)

func TestRuleNames(t *testing.T) {
	for _, c := range []struct{ rule, zh, en string }{
		{"lecture_months", "法治讲座覆盖月份", "months with a rule-of-law lecture"},
		{"creation_rate", "创建率", "creation rate"},
		{"lecture_reminder", "本月尚未开展法治讲座", "no rule-of-law lecture yet this month"},
		{"review_deadline_survey", "复核摸底阶段即将截止（镇(街道)报送撤销、注销建议）",
			"review survey stage due soon (towns' revocation and cancellation proposals)"},
		{"review_deadline_first_review", "复核初核阶段即将截止（区报送附件2、3、4）",
			"review first-review stage due soon (the district files Annexes 2, 3 and 4)"},
		{"review_deadline_city_review", "复核市级复核阶段即将截止（现场抽查，确定最终名单）",
			"review city-review stage due soon (on-site sample, final lists)"},
		{"review_deadline_province_evaluation", "复核省级评估阶段即将截止（抽查、总结）",
			"review province-evaluation stage due soon (spot checks, summary)"},
		// A stage this version does not know still reads as a deadline.
		{"review_deadline_appeal_hearing", "复核appeal_hearing阶段即将截止", "review appeal-hearing stage due soon"},
		// Anything else names itself rather than showing nothing.
		{"review_deadline_", "review_deadline_", "review_deadline_"},
		{"no_such_rule", "no_such_rule", "no_such_rule"},
	} {
		zh, en := metrics.RuleNames(c.rule)
		if zh != c.zh || en != c.en {
			t.Errorf("RuleNames(%q) = %q, %q; want %q, %q", c.rule, zh, en, c.zh, c.en)
		}
	}
	// Every stage a review can be reminded of (all but closed) has its own
	// name, carrying the stage's Chinese name of the plan (摸底, 初核, 复核, 评估).
	for _, st := range core.ReviewStages {
		if st == core.StageClosed {
			continue
		}
		zh, en := metrics.RuleNames(metrics.ReviewDeadlineRulePrefix + string(st))
		if !strings.Contains(zh, st.Zh()) || !strings.HasSuffix(strings.SplitN(zh, "（", 2)[0], "阶段即将截止") || !strings.Contains(en, "due soon") {
			t.Errorf("stage %s: %q / %q", st, zh, en)
		}
	}
	// Metric names come from the catalogue.
	for _, m := range metrics.Metrics {
		if zh, en := metrics.RuleNames(m.Key); zh != m.Zh || en != m.En {
			t.Errorf("metric %s: %q / %q", m.Key, zh, en)
		}
	}
}
