package jobs

import (
	"context"
	"time"

	"github.com/lawvillage/lawvillage/internal/evidence"
	"github.com/lawvillage/lawvillage/internal/review"
)

// EvidenceSweep removes unconfirmed uploads whose time ran out (with their
// objects) and the objects of deleted evidence whose retention has ended.
func EvidenceSweep(svc *evidence.Service) Job {
	return Job{
		Name:        "evidence-sweep",
		Description: "remove expired unconfirmed uploads and purge deleted evidence past retention",
		Every:       15 * time.Minute,
		Run: func(ctx context.Context, _ string) (int64, error) {
			res, err := svc.Sweep(ctx)
			return int64(res.Uploads + res.Purged), err
		},
	}
}

// All returns every job of the platform.
func All(svc *evidence.Service, c *Compliance) []Job {
	jobs := append([]Job{EvidenceSweep(svc)}, c.Jobs()...)
	return append(jobs, ReviewJobs(&review.Service{DB: svc.DB, Store: svc.Store}, c.Notifier)...)
}
