package jobs

import (
	"context"
	"time"

	"github.com/lawvillage/lawvillage/internal/metrics"
	"github.com/lawvillage/lawvillage/internal/notify"
	"github.com/lawvillage/lawvillage/internal/period"
)

// Compliance holds what the compliance jobs need.
type Compliance struct {
	Metrics  *metrics.Computer
	Notifier *notify.Notifier
}

// previous returns, as a PeriodOf/Due helper, the period of kind k before now's.
func previous(k period.Kind) func(time.Time) string {
	return func(now time.Time) string { return period.Of(k, now).Prev().String() }
}

// lastN lists the n periods of kind k before now's, oldest first.
func lastN(k period.Kind) func(time.Time, int) []string {
	return func(now time.Time, n int) []string {
		cur := period.Of(k, now)
		out := make([]string, 0, n)
		for i := n; i >= 1; i-- {
			out = append(out, cur.Add(-i).String())
		}
		return out
	}
}

// compute runs the families for p, then delivers the alert events it wrote.
func (c *Compliance) compute(ctx context.Context, p string, fams ...metrics.Family) (int64, error) {
	per, err := period.Parse(p)
	if err != nil {
		return 0, err
	}
	res, err := c.Metrics.Compute(ctx, per, fams, RunID(ctx))
	if err != nil {
		return 0, err
	}
	if _, err := c.Notifier.Deliver(ctx, res.Alerts.FirstEvent, res.Alerts.LastEvent, RunID(ctx)); err != nil {
		return res.Rows, err
	}
	return res.Rows, nil
}

// Jobs returns the compliance jobs. Schedules are in Asia/Shanghai.
func (c *Compliance) Jobs() []Job {
	return []Job{
		{Name: "monthly-duties", Description: "after each month: lectures and board updates of the month",
			Cron: "30 1 1 * *", PeriodOf: previous(period.Month), Due: lastN(period.Month),
			Run: func(ctx context.Context, p string) (int64, error) {
				return c.compute(ctx, p, metrics.FamilyMonthly)
			}},
		{Name: "quarterly-culture", Description: "after each quarter: culture activities (and the quarter's lectures and board updates)",
			Cron: "0 2 1 1,4,7,10 *", PeriodOf: previous(period.Quarter), Due: lastN(period.Quarter),
			Run: func(ctx context.Context, p string) (int64, error) {
				return c.compute(ctx, p, metrics.FamilyQuarterly, metrics.FamilyMonthly)
			}},
		{Name: "yearly-duties", Description: "after each year: responsibility list, volunteer coverage, Constitution Day, lawsuits, and the year's duties and outcomes",
			Cron: "30 2 1 1 *", PeriodOf: previous(period.Year), Due: lastN(period.Year),
			Run: func(ctx context.Context, p string) (int64, error) {
				return c.compute(ctx, p, metrics.FamilyYearly, metrics.FamilyQuarterly, metrics.FamilyMonthly, metrics.FamilyOutcomes)
			}},
		{Name: "daily-outcomes", Description: "daily: outcome metrics and creation rates of the month, quarter and year so far",
			Cron:     "0 3 * * *",
			PeriodOf: func(now time.Time) string { return period.Of(period.Month, now).String() },
			Run: func(ctx context.Context, p string) (int64, error) {
				per, err := period.Parse(p)
				if err != nil {
					return 0, err
				}
				// A month also refreshes its quarter and year; a year given by hand
				// (a backfill) refreshes all its months and quarters.
				var ps []period.Period
				switch per.Kind {
				case period.Month:
					ps = []period.Period{per, period.Q(per.Year, (per.N-1)/3+1), period.Y(per.Year)}
				case period.Quarter:
					ps = append(per.Months(), per, period.Y(per.Year))
				default:
					ps = append(append(per.Months(), per.Quarters()...), per)
				}
				var rows int64
				for _, q := range ps {
					n, err := c.compute(ctx, q.String(), metrics.FamilyOutcomes)
					if err != nil {
						return rows, err
					}
					rows += n
				}
				return rows, nil
			}},
		{Name: "lecture-reminder", Description: "daily from the reminder day (setting, default the 20th): villages with no lecture yet this month",
			Cron:     "0 9 * * *",
			PeriodOf: func(now time.Time) string { return period.Of(period.Month, now).String() },
			Run: func(ctx context.Context, p string) (int64, error) {
				per, err := period.Parse(p)
				if err != nil {
					return 0, err
				}
				ch, err := c.Metrics.RemindLectures(ctx, per, RunID(ctx))
				if err != nil {
					return 0, err
				}
				_, err = c.Notifier.Deliver(ctx, ch.FirstEvent, ch.LastEvent, RunID(ctx))
				return int64(ch.Raised + ch.Resolved), err
			}},
		{Name: "alert-escalation", Description: "daily: unresolved breaches move one level up after the set number of days",
			Cron: "0 8 * * *",
			Run: func(ctx context.Context, _ string) (int64, error) {
				ch, err := c.Metrics.Escalate(ctx, RunID(ctx))
				if err != nil {
					return 0, err
				}
				_, err = c.Notifier.Deliver(ctx, ch.FirstEvent, ch.LastEvent, RunID(ctx))
				return int64(ch.LastEvent - ch.FirstEvent), err
			}},
	}
}
