package jobs

import (
	"context"
	"time"

	"github.com/lawvillage/lawvillage/internal/notify"
	"github.com/lawvillage/lawvillage/internal/review"
)

// ReviewJobs are the yearly review's jobs: daily reminders before each
// stage's deadline (delivered to the webhooks like every alert, when n is
// not nil), and the removal of exported tables whose links have long expired.
func ReviewJobs(svc *review.Service, n *notify.Notifier) []Job {
	return []Job{
		{Name: "review-reminders", Description: "daily: remind districts of review stages due within review.reminder_days; resolve reminders of stages left",
			Cron: "0 8 * * *",
			Run: func(ctx context.Context, _ string) (int64, error) {
				res, err := svc.RemindDeadlines(ctx, RunID(ctx))
				if err == nil && n != nil {
					_, err = n.Deliver(ctx, res.FirstEvent, res.LastEvent, RunID(ctx))
				}
				return int64(res.Raised + res.Resolved), err
			}},
		{Name: "review-export-sweep", Description: "remove exported review tables older than a day (their links expired long before)",
			Every: time.Hour,
			Run: func(ctx context.Context, _ string) (int64, error) {
				n, err := svc.SweepExports(ctx, 24*time.Hour)
				return int64(n), err
			}},
	}
}
