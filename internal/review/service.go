// Package review runs the yearly review (复核) of the demonstration titles:
// opening a district's review, evaluating every titled village against the
// standards of 附件1 in sets (internal/postgres/review*.go holds the SQL),
// scoring and ranking under the creation-rate cap, the city's reproducible
// sample, and the summary tables 附件2, 附件3 and 附件4 as .xlsx and .csv
// with short-lived download links.
package review

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"time"

	"github.com/lawvillage/lawvillage/internal/core"
	"github.com/lawvillage/lawvillage/internal/metrics"
	"github.com/lawvillage/lawvillage/internal/objectstore"
	"github.com/lawvillage/lawvillage/internal/postgres"
)

// Service is the review's entry point for the API and the command line.
type Service struct {
	DB *postgres.DB
	// Store keeps exported tables for download (may be nil for callers that
	// only build files, like the command line).
	Store objectstore.Interface
}

// ComplianceMetrics make the compliance part of the comprehensive score (the
// "four ones" and the monthly board update), each min(1, value) of the review year.
var ComplianceMetrics = []string{"lecture_months", "board_months", "culture_quarters", "responsibility_list", "volunteer_coverage"}

// OutcomeMetrics make the outcome part of the score: the mean of min(1, value)
// over those with data in the review year.
var OutcomeMetrics = []string{"mediation_success", "safety", "deliberation_satisfaction", "legal_savvy_coverage", "wechat_coverage"}

// Spec returns what the evaluation needs from the metric catalogue.
func Spec() postgres.EvaluateSpec {
	spec := postgres.EvaluateSpec{ComplianceMetrics: ComplianceMetrics, OutcomeMetrics: OutcomeMetrics}
	for _, m := range metrics.Metrics {
		spec.Metrics = append(spec.Metrics, postgres.MetricName{Key: m.Key, Zh: m.Zh, En: m.En, Number: m.Kind == metrics.Target})
	}
	return spec
}

// area returns the region with the code, in the caller's scope.
func (s *Service) area(ctx context.Context, code string) (*core.Region, error) {
	r, err := s.DB.RegionByCode(ctx, code)
	if core.ErrorCode(err) == core.ENOTFOUND {
		return nil, core.NotFound("行政区 / region").WithField("input", "areaCode")
	}
	return r, err
}

// Open opens the year's review of every district at or under the area.
func (s *Service) Open(ctx context.Context, areaCode string, year int) ([]*core.Review, error) {
	a, err := s.area(ctx, areaCode)
	if err != nil {
		return nil, err
	}
	return s.DB.OpenReviews(ctx, a.ID, year)
}

// Evaluate evaluates the year's reviews of every district at or under the area.
func (s *Service) Evaluate(ctx context.Context, areaCode string, year int) ([]*core.Review, error) {
	a, err := s.area(ctx, areaCode)
	if err != nil {
		return nil, err
	}
	return s.DB.EvaluateReviews(ctx, a.ID, year, Spec())
}

// Review returns the year's review of a district in scope.
func (s *Service) Review(ctx context.Context, districtCode string, year int) (*core.Review, *core.Region, error) {
	a, err := s.area(ctx, districtCode)
	if err != nil {
		return nil, nil, err
	}
	r, err := s.reviewOf(ctx, a, year)
	if err != nil {
		return nil, nil, err
	}
	return r, a, nil
}

// reviewOf returns the year's review of the district a.
func (s *Service) reviewOf(ctx context.Context, a *core.Region, year int) (*core.Review, error) {
	rs, err := s.DB.ReviewsAt(ctx, a.Path, year)
	if err != nil {
		return nil, err
	}
	for _, r := range rs {
		if r.RegionID == a.ID {
			return r, nil
		}
	}
	return nil, core.NotFound("复核 / review").WithField("input", "areaCode")
}

// MaxSeed bounds generated seeds so they fit a GraphQL Int.
const MaxSeed = 1<<31 - 1

// NewSeed returns a random seed in 1..MaxSeed.
func NewSeed() int64 {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return int64(binary.BigEndian.Uint64(b[:])%MaxSeed) + 1
}

// DrawSample draws the city's on-site sample of the review's retained villages
// with the seed (a new random one when nil); the seed is recorded.
func (s *Service) DrawSample(ctx context.Context, reviewID int64, seed *int64, stratified bool) (*core.ReviewSample, error) {
	sd := NewSeed()
	if seed != nil {
		sd = *seed
	}
	if sd < 1 || sd > MaxSeed {
		return nil, core.Errorf(core.EINVALID, "种子应在 1 到 %d 之间", "the seed must be from 1 to %d", MaxSeed).WithField("input", "seed")
	}
	return s.DB.DrawReviewSample(ctx, reviewID, sd, stratified, Method(stratified), Draw(sd, stratified))
}

// downloadTTL is the lifetime of an export link (setting export.download_ttl_seconds).
func (s *Service) downloadTTL(ctx context.Context) (time.Duration, error) {
	n, err := s.DB.Settings().Int64(ctx, "export.download_ttl_seconds")
	return time.Duration(n) * time.Second, err
}

// RemindDeadlines raises reminders for review stages due soon and resolves
// those of stages left behind (the job review-reminders runs it daily).
func (s *Service) RemindDeadlines(ctx context.Context, runID int64) (postgres.ReminderResult, error) {
	return s.DB.RemindReviewDeadlines(ctx, metrics.AlertEventsChannel, runID)
}
