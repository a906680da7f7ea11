// Package jobs runs lawvillage's scheduled jobs with gocron (the only package
// that imports it), in China Standard Time. Replicas elect one leader through
// a PostgreSQL advisory lock, so each run happens once; every run is recorded
// in job_runs. Any job can also be run by hand for a period.
package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"time"

	"github.com/go-co-op/gocron/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/lawvillage/lawvillage/internal/core"
	"github.com/lawvillage/lawvillage/internal/period"
	"github.com/lawvillage/lawvillage/internal/postgres"
)

// leaderLockKey is the advisory lock key of the scheduler's election.
const leaderLockKey = 0x4c56_5343 // "LVSC"

var (
	runsTotal = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "lawvillage_job_runs_total",
		Help: "Job runs by job and outcome.",
	}, []string{"job", "outcome"})
	runSeconds = promauto.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "lawvillage_job_run_seconds",
		Help:    "Duration of job runs.",
		Buckets: prometheus.ExponentialBuckets(0.01, 4, 10),
	}, []string{"job"})
)

// Job is one kind of scheduled work.
type Job struct {
	Name        string
	Description string
	// Cron is the schedule (5 fields, Asia/Shanghai); Every is used instead when set.
	Cron  string
	Every time.Duration
	// PeriodOf gives the period a scheduled run at the instant works on ("" for none).
	PeriodOf func(now time.Time) string
	// Due lists the last n periods whose scheduled runs should have happened
	// by now (oldest first), so missed runs can be caught up at start; nil for
	// jobs that need no catching up.
	Due func(now time.Time, n int) []string
	// Run does the work for the period and returns the rows it wrote or removed.
	Run func(ctx context.Context, p string) (int64, error)
}

type runIDKey struct{}

// RunID returns the job_runs id of the run in progress (0 outside a run).
func RunID(ctx context.Context) int64 {
	id, _ := ctx.Value(runIDKey{}).(int64)
	return id
}

// Runner runs jobs and records their runs.
type Runner struct {
	DB       *postgres.DB
	Log      *slog.Logger
	Jobs     map[string]Job
	Instance string
	// LeaseCheck is how often a scheduled run checks that its replica still
	// leads (default 500 ms); see lease.
	LeaseCheck time.Duration
}

// NewRunner returns a runner for the jobs.
func NewRunner(db *postgres.DB, log *slog.Logger, jobs ...Job) *Runner {
	host, _ := os.Hostname()
	r := &Runner{DB: db, Log: log, Jobs: map[string]Job{}, Instance: fmt.Sprintf("%s/%d", host, os.Getpid())}
	for _, j := range jobs {
		r.Jobs[j.Name] = j
	}
	return r
}

// Names lists the jobs in name order.
func (r *Runner) Names() []string {
	names := make([]string, 0, len(r.Jobs))
	for n := range r.Jobs {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// RunNow runs a job by hand for a period (a period string as in the API, or
// "" for jobs that take none) and records the run.
func (r *Runner) RunNow(ctx context.Context, name, p string) (int64, error) {
	j, ok := r.Jobs[name]
	if !ok {
		return 0, core.Errorf(core.ENOTFOUND, "没有名为 %s 的任务", "no job named %s", name)
	}
	if p != "" {
		if _, err := period.Parse(p); err != nil {
			return 0, err
		}
	}
	by := core.ActorFrom(ctx)
	if by == nil {
		by = core.System("by hand")
	}
	return r.run(ctx, j, p, by)
}

// run runs a job and records the run; byHand is who started it by hand (nil
// for the schedule and catch-up), audited with the start of the run.
func (r *Runner) run(ctx context.Context, j Job, p string, byHand *core.Actor) (int64, error) {
	ctx = core.WithActor(ctx, core.System("job:"+j.Name))
	start := time.Now()
	id, err := r.DB.StartJobRun(ctx, j.Name, p, r.Instance, byHand)
	if err != nil {
		return 0, err
	}
	rows, runErr := j.Run(context.WithValue(ctx, runIDKey{}, id), p)
	if cause := context.Cause(ctx); runErr != nil && errors.Is(cause, errLostLead) {
		runErr = fmt.Errorf("%w: %w", cause, runErr)
	}
	if err := r.finish(ctx, id, rows, runErr); err != nil {
		r.Log.Error("job: could not record the end of a run", "job", j.Name, "run_id", id, "err", err)
	}
	outcome := "succeeded"
	if runErr != nil {
		outcome = "failed"
		r.Log.Error("job failed", "job", j.Name, "period", p, "err", runErr, "seconds", time.Since(start).Seconds())
	} else {
		r.Log.Info("job done", "job", j.Name, "period", p, "rows", rows, "seconds", time.Since(start).Seconds())
	}
	runsTotal.WithLabelValues(j.Name, outcome).Inc()
	runSeconds.WithLabelValues(j.Name).Observe(time.Since(start).Seconds())
	return rows, runErr
}

// Scheduler runs the jobs on their schedules while this replica leads.
type Scheduler struct {
	runner *Runner
	lock   *postgres.LeaderLock
	lease  *lease
	s      gocron.Scheduler
	stop   chan struct{}
	done   chan struct{}
}

// Start schedules every job and starts the scheduler.
func Start(r *Runner) (*Scheduler, error) {
	lock := r.DB.NewLeaderLock(leaderLockKey)
	el := newLease(lock, r.leaseCheck())
	s, err := gocron.NewScheduler(
		gocron.WithLocation(period.Location()),
		gocron.WithDistributedElector(el),
	)
	if err != nil {
		return nil, err
	}
	for _, name := range r.Names() {
		j := r.Jobs[name]
		var def gocron.JobDefinition
		if j.Every > 0 {
			def = gocron.DurationJob(j.Every)
		} else {
			def = gocron.CronJob(j.Cron, false)
		}
		task := func() {
			p := ""
			if j.PeriodOf != nil {
				p = j.PeriodOf(time.Now())
			}
			ctx, done := el.hold(context.Background())
			defer done()
			_, _ = r.run(ctx, j, p, nil)
		}
		if _, err := s.NewJob(def, gocron.NewTask(task), gocron.WithName(j.Name),
			gocron.WithSingletonMode(gocron.LimitModeReschedule)); err != nil {
			return nil, fmt.Errorf("schedule %s: %w", j.Name, err)
		}
	}
	s.Start()
	r.Log.Info("scheduler started", "jobs", r.Names(), "instance", r.Instance)
	sch := &Scheduler{runner: r, lock: lock, lease: el, s: s, stop: make(chan struct{}), done: make(chan struct{})}
	go sch.catchUpWhenLeader()
	return sch, nil
}

// catchUpWhenLeader waits until this replica leads, then runs what was missed.
func (s *Scheduler) catchUpWhenLeader() {
	defer close(s.done)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-s.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	for {
		err := s.lease.IsLeader(ctx)
		if err == nil {
			runCtx, done := s.lease.hold(ctx)
			if err := s.runner.DB.AsSystem(runCtx, func(tx *postgres.Tx) error {
				_, err := tx.Exec(`INSERT INTO settings (key, valid_from, value, note, set_by)
					VALUES ('jobs.first_started_at', '2000-01-01', to_jsonb(now()), 'when a scheduler first ran: older periods are not caught up', 'scheduler')
					ON CONFLICT (key, valid_from) DO NOTHING`)
				return err
			}); err != nil {
				s.runner.Log.Warn("record the first scheduler start", "err", err)
			}
			n, err := s.runner.CatchUp(runCtx, time.Now())
			done()
			if err != nil {
				s.runner.Log.Error("catch-up stopped", "err", err, "runs", n)
			} else if n > 0 {
				s.runner.Log.Info("caught up missed runs", "runs", n)
			}
			return
		}
		wait := 15 * time.Second
		if errors.Is(err, errSettling) {
			wait = s.lease.settle
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

// CatchUp runs, oldest first, every due period of every job that has no
// successful run recorded (runs missed while everything was down). It returns
// how many runs it made.
func (r *Runner) CatchUp(ctx context.Context, now time.Time) (int, error) {
	var n int
	if err := r.DB.AsSystem(ctx, func(tx *postgres.Tx) error {
		return settingInt(tx, "jobs.catch_up_periods", &n)
	}); err != nil {
		return 0, err
	}
	// Periods that ended before the platform's first scheduler started were
	// never missed: a new installation does not raise years of old alerts.
	var since *time.Time
	if err := r.DB.AsSystem(ctx, func(tx *postgres.Tx) error {
		var raw []time.Time
		if err := tx.Select(&raw, `SELECT (value #>> '{}')::timestamptz FROM settings WHERE key = 'jobs.first_started_at'`); err != nil {
			return err
		}
		if len(raw) > 0 {
			since = &raw[0]
		}
		return nil
	}); err != nil {
		return 0, err
	}
	made := 0
	for _, name := range r.Names() {
		j := r.Jobs[name]
		if j.Due == nil {
			continue
		}
		for _, p := range j.Due(now, n) {
			if per, err := period.Parse(p); err == nil && since != nil && !per.End().After(*since) {
				continue
			}
			done, err := r.DB.JobSucceeded(ctx, j.Name, p)
			if err != nil {
				return made, err
			}
			if done {
				continue
			}
			if ctx.Err() != nil {
				return made, ctx.Err()
			}
			if _, err := r.run(ctx, j, p, nil); err != nil {
				return made, err
			}
			made++
		}
	}
	return made, nil
}

func settingInt(tx *postgres.Tx, key string, dest *int) error {
	return tx.Get(dest, `SELECT (value #>> '{}')::int FROM settings WHERE key = $1 AND valid_from <= now()
		ORDER BY valid_from DESC LIMIT 1`, key)
}

// Stop waits for running jobs, stops the schedule and gives up leadership.
func (s *Scheduler) Stop() error {
	close(s.stop)
	<-s.done
	err := s.s.Shutdown()
	s.lock.Release()
	return err
}
