package postgres

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"sync"
	"time"

	"github.com/lawvillage/lawvillage/internal/core"
)

// JobRun is one recorded run of a scheduled job.
type JobRun struct {
	ID         int64      `db:"id"`
	Job        string     `db:"job"`
	Period     string     `db:"period"`
	Instance   string     `db:"instance"`
	StartedAt  time.Time  `db:"started_at"`
	FinishedAt *time.Time `db:"finished_at"`
	Rows       *int64     `db:"rows"`
	Outcome    string     `db:"outcome"`
	Error      *string    `db:"error"`
}

// StartJobRun records that a job run began. byHand, when not nil, is who
// started it by hand (runJob, the command line): that decision is audited,
// under the starter's scope (or every top-level region for the system).
func (db *DB) StartJobRun(ctx context.Context, job, period, instance string, byHand *core.Actor) (int64, error) {
	var id int64
	err := db.AsSystem(ctx, func(tx *Tx) error {
		if err := tx.Get(&id, `INSERT INTO job_runs (job, period, instance, started_at) VALUES ($1, $2, $3, $4) RETURNING id`,
			job, period, instance, db.Now()); err != nil {
			return err
		}
		if byHand == nil {
			return nil
		}
		after := map[string]any{"job": job, "period": period, "run_id": id, "instance": instance}
		if byHand.ScopeID != 0 {
			return auditAs(tx, byHand, "job.start", "job_run", id, &byHand.ScopeID, nil, after)
		}
		return auditGlobal(tx, byHand, "job.start", "job_run", id, nil, after)
	})
	return id, err
}

// FinishJobRun records how a job run ended. A run that changed data (rows
// written or removed, alert states changed) is also audited, in the same
// transaction: the job, period and rows, with a summary of the alert events
// the run wrote by action; the run's own writes carry its id (job_run_id).
func (db *DB) FinishJobRun(ctx context.Context, id int64, rows int64, runErr error) error {
	outcome, msg := "succeeded", (*string)(nil)
	if runErr != nil {
		outcome = "failed"
		s := runErr.Error()
		msg = &s
	}
	return db.AsSystem(context.WithoutCancel(ctx), func(tx *Tx) error {
		var run JobRun
		if err := tx.Get(&run, `UPDATE job_runs SET finished_at = $2, rows = $3, outcome = $4, error = $5 WHERE id = $1
			RETURNING id, job, period, instance, started_at, finished_at, rows, outcome, error`,
			id, db.Now(), rows, outcome, msg); err != nil {
			return err
		}
		var events []struct {
			Action string `db:"action"`
			N      int64  `db:"n"`
		}
		if err := tx.Select(&events, `SELECT action, count(*) AS n FROM alert_events WHERE job_run_id = $1 GROUP BY action ORDER BY action`, id); err != nil {
			return err
		}
		alerts := map[string]int64{}
		for _, e := range events {
			alerts[e.Action] = e.N
		}
		if rows == 0 && len(alerts) == 0 {
			return nil // nothing changed: job_runs is record enough
		}
		return auditGlobal(tx, core.ActorFrom(ctx), "job.run", "job_run", id, nil, map[string]any{
			"job": run.Job, "period": run.Period, "run_id": id, "rows": rows, "outcome": outcome,
			"started_at": run.StartedAt, "alert_events": alerts})
	})
}

// JobRuns lists the latest runs of a job (all jobs when job is empty).
func (db *DB) JobRuns(ctx context.Context, job string, limit int) ([]JobRun, error) {
	var rows []JobRun
	err := db.AsSystem(ctx, func(tx *Tx) error {
		return tx.Select(&rows, `SELECT id, job, period, instance, started_at, finished_at, rows, outcome, error FROM job_runs
			WHERE $1 = '' OR job = $1 ORDER BY started_at DESC, id DESC LIMIT $2`, job, limit)
	})
	return rows, err
}

// LeaderLock elects one scheduler among replicas with a PostgreSQL session
// advisory lock held on a dedicated connection: the holder is the leader; when
// its process or connection dies the lock is released and another replica
// takes it on its next try.
type LeaderLock struct {
	db   *DB
	key  int64
	mu   sync.Mutex
	conn *sql.Conn
	term int64 // how many times the lock was taken: a new session, a new term
}

// NewLeaderLock returns an elector on the advisory lock key.
func (db *DB) NewLeaderLock(key int64) *LeaderLock { return &LeaderLock{db: db, key: key} }

// ErrNotLeader is returned by IsLeader when another replica leads.
var ErrNotLeader = errors.New("not the leader")

// IsLeader returns nil when this replica holds (or now takes) the lock.
func (l *LeaderLock) IsLeader(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if l.conn != nil {
		// Still holding? The lock lives as long as the session does.
		var held bool
		err := l.conn.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory'
			AND pid = pg_backend_pid() AND objid = ($1::bigint & 4294967295)::oid AND granted)`, l.key).Scan(&held)
		if err == nil && held {
			return nil
		}
		discard(l.conn)
		l.conn = nil
	}
	conn, err := l.db.x.Conn(ctx)
	if err != nil {
		return err
	}
	var got bool
	if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock($1)`, l.key).Scan(&got); err != nil {
		_ = conn.Close()
		return err
	}
	if !got {
		_ = conn.Close()
		return ErrNotLeader
	}
	l.conn = conn
	l.term++
	return nil
}

// Term counts the times this replica took the lock; it changes whenever the
// lock is held by a new session, so a lead that was lost and taken again is
// a new term.
func (l *LeaderLock) Term() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.term
}

// Release gives up leadership (at shutdown).
func (l *LeaderLock) Release() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.conn != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_, _ = l.conn.ExecContext(ctx, `SELECT pg_advisory_unlock($1)`, l.key)
		discard(l.conn)
		l.conn = nil
	}
}

// discard closes a connection's session instead of returning it to the pool,
// so a session-level lock can never outlive its holder inside the pool.
func discard(c *sql.Conn) {
	_ = c.Raw(func(any) error { return driver.ErrBadConn })
	_ = c.Close()
}

// JobSucceeded reports whether a run of the job for the period succeeded.
func (db *DB) JobSucceeded(ctx context.Context, job, period string) (bool, error) {
	var ok bool
	err := db.AsSystem(ctx, func(tx *Tx) error {
		return tx.Get(&ok, `SELECT EXISTS (SELECT 1 FROM job_runs WHERE job = $1 AND period = $2 AND outcome = 'succeeded')`, job, period)
	})
	return ok, err
}
