package jobs

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/lawvillage/lawvillage/internal/core"
	"github.com/lawvillage/lawvillage/internal/postgres"
)

// defaultLeaseCheck is how often a scheduled run checks that it still leads.
const defaultLeaseCheck = 500 * time.Millisecond

// finishRetry is how long the end of a run is retried while the database is unavailable.
const finishRetry = time.Minute

// errLostLead is the cause of a scheduled run's cancellation when its replica
// is found not to lead any more.
var errLostLead = errors.New("this replica lost the scheduler lead (its advisory lock session ended); the run was cancelled")

// errSettling says a replica has just taken the lead and waits before running jobs.
var errSettling = fmt.Errorf("%w: just elected, waiting for the previous leader to stop", postgres.ErrNotLeader)

func (r *Runner) leaseCheck() time.Duration {
	if r.LeaseCheck > 0 {
		return r.LeaseCheck
	}
	return defaultLeaseCheck
}

// lease is the scheduler's elector. The leader's session lock can end while
// one of its runs is in progress (its session was killed, its host lost the
// network), and another replica may then take the lead. So a scheduled run
// checks every interval that its replica still holds the lock with the same
// session (term) as when the run began, and is cancelled when it does not
// (its open transaction rolls back); and a replica that takes the lead runs
// nothing until it has held it for two intervals, by when the runs of the
// replica it replaces have been cancelled. Together these keep two replicas
// from running jobs at once.
type lease struct {
	lock   *postgres.LeaderLock
	every  time.Duration
	settle time.Duration

	mu    sync.Mutex
	term  int64     // the lock's term when this replica was last seen to lead
	since time.Time // when that term was first seen; zero while this replica does not lead
}

func newLease(lock *postgres.LeaderLock, every time.Duration) *lease {
	return &lease{lock: lock, every: every, settle: 2 * every}
}

// check reports whether this replica leads (taking the lock if it is free)
// and returns the term, noting when it began.
func (l *lease) check(ctx context.Context) (int64, error) {
	err := l.lock.IsLeader(ctx)
	term := l.lock.Term()
	l.mu.Lock()
	defer l.mu.Unlock()
	if err != nil {
		l.since = time.Time{}
		return 0, err
	}
	if l.since.IsZero() || term != l.term {
		l.term, l.since = term, time.Now()
	}
	return term, nil
}

// settled reports whether this replica has led in its current term for the
// settling time, and returns the term.
func (l *lease) settled() (int64, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.term, !l.since.IsZero() && time.Since(l.since) >= l.settle
}

// IsLeader implements gocron's Elector: nil once this replica has led for
// the settling time.
func (l *lease) IsLeader(ctx context.Context) error {
	if _, err := l.check(ctx); err != nil {
		return err
	}
	if _, ok := l.settled(); !ok {
		return errSettling
	}
	return nil
}

// hold returns a context for a run, cancelled with errLostLead as soon as a
// check finds that this replica does not lead in the same term any more (at
// once if it does not lead, settled, now), and the function to call when the
// run ends.
func (l *lease) hold(parent context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(parent)
	ended := make(chan struct{})
	term, ok := l.settled()
	if !ok {
		cancel(errLostLead)
	}
	go func() {
		t := time.NewTicker(l.every)
		defer t.Stop()
		for {
			select {
			case <-ended:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				// Not the run's context: a check cut short by the run's end
				// must not count as a lost lead.
				if now, err := l.check(context.Background()); err != nil || now != term {
					cancel(errLostLead)
					return
				}
			}
		}
	}()
	return ctx, func() {
		close(ended)
		cancel(nil)
	}
}

// finish records the end of a run. While the database is unavailable (as
// when PostgreSQL restarts, which is likely what ended the run) it tries
// again for up to finishRetry, so the run is recorded as failed rather than
// left "running".
func (r *Runner) finish(ctx context.Context, id, rows int64, runErr error) error {
	delay := 100 * time.Millisecond
	deadline := time.Now().Add(finishRetry)
	for {
		err := r.DB.FinishJobRun(ctx, id, rows, runErr)
		if err == nil || core.ErrorCode(err) != core.EUNAVAILABLE || time.Now().Add(delay).After(deadline) {
			return err
		}
		time.Sleep(delay)
		delay = min(2*delay, 2*time.Second)
	}
}
