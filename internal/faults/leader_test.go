package faults

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lawvillage/lawvillage/internal/postgres"
	"github.com/lawvillage/lawvillage/internal/testenv"
	"github.com/lawvillage/lawvillage/jobs"
)

// leaseCheck is how often the replicas' scheduled runs check that they still lead.
const leaseCheck = 200 * time.Millisecond

// slowWork is a scheduled job that does its work once: in one transaction,
// unless the work is already there, it writes ten rows, each followed by a
// 150 ms statement. Were two replicas to run it at once, both would write
// their ten rows.
func slowWork(db *postgres.DB, instance string, started chan<- string) jobs.Job {
	return jobs.Job{Name: "slow-work", Every: 100 * time.Millisecond, Run: func(ctx context.Context, _ string) (int64, error) {
		var n int64
		err := db.AsSystem(ctx, func(tx *postgres.Tx) error {
			var done bool
			if err := tx.Get(&done, `SELECT EXISTS (SELECT 1 FROM fault_work)`); err != nil || done {
				return err
			}
			for i := range 10 {
				if _, err := tx.Exec(`INSERT INTO fault_work (i, instance, run_id) VALUES ($1, $2, $3)`, i, instance, jobs.RunID(ctx)); err != nil {
					return err
				}
				if i == 0 {
					select {
					case started <- instance:
					default:
					}
				}
				if _, err := tx.Exec(`SELECT pg_sleep(0.15)`); err != nil {
					return err
				}
			}
			n = 10
			return nil
		})
		return n, err
	}}
}

// replica is one scheduler replica with its own connection pool, named in
// pg_stat_activity by its application_name.
type replica struct {
	name  string
	db    *postgres.DB
	sched *jobs.Scheduler
}

// TestFaultLeaderKilledMidRun runs two scheduler replicas on one database
// and ends the leader while its run is half done, in two ways:
//
//   - LockSessionLost: only the leader's lock session is terminated (as when
//     that connection breaks); the replica itself lives on and must notice
//     that it lost the lead and cancel its run.
//   - ReplicaKilled: every session of the leader is terminated and the
//     replica stops, as when its process is killed.
//
// Each time the half-done run wrote nothing (its transaction rolled back)
// and is not recorded as succeeded, the other replica takes over and
// completes the work, and the work is there exactly once.
func TestFaultLeaderKilledMidRun(t *testing.T) {
	for _, crash := range []bool{false, true} {
		name := "LockSessionLost"
		if crash {
			name = "ReplicaKilled"
		}
		t.Run(name, func(t *testing.T) { leaderKilled(t, crash) })
	}
}

func leaderKilled(t *testing.T, crash bool) {
	u := testenv.DatabaseURL(t)
	admin := testAdmin(t, u)
	if _, err := admin.Exec(`CREATE TABLE fault_work (i int NOT NULL, instance text NOT NULL, run_id bigint NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Exec(`ALTER TABLE fault_work OWNER TO lawvillage`); err != nil {
		t.Fatal(err)
	}
	started := make(chan string, 2)
	replicas := map[string]*replica{}
	for _, n := range []string{"replica-a", "replica-b"} {
		db, err := postgres.Open(context.Background(), withParam(t, u, "application_name", n))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		r := jobs.NewRunner(db, testenv.Quiet, slowWork(db, n, started))
		r.Instance, r.LeaseCheck = n, leaseCheck
		s, err := jobs.Start(r)
		if err != nil {
			t.Fatal(err)
		}
		replicas[n] = &replica{name: n, db: db, sched: s}
	}
	var stopOnce sync.Map
	stop := func(r *replica) {
		if _, done := stopOnce.LoadOrStore(r.name, true); !done {
			_ = r.sched.Stop()
		}
	}
	t.Cleanup(func() {
		for _, r := range replicas {
			stop(r)
		}
	})

	// The leader starts the work.
	var leader, other *replica
	select {
	case n := <-started:
		leader = replicas[n]
	case <-time.After(20 * time.Second):
		t.Fatal("no replica started the job")
	}
	for n, r := range replicas {
		if n != leader.name {
			other = r
		}
	}
	time.Sleep(300 * time.Millisecond) // a few rows written, uncommitted
	if crash {
		// Every session of the replica ends at once, and it runs nothing more.
		n := terminate(t, admin, `application_name = $1`, leader.name)
		stop(leader)
		t.Logf("%s killed: %d sessions ended", leader.name, n)
	} else {
		n := terminate(t, admin, `pid IN (SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted
			AND database = (SELECT oid FROM pg_database WHERE datname = current_database()))`)
		if n != 1 {
			t.Fatalf("ended %d lock sessions, want the leader's one", n)
		}
		t.Logf("%s lost its lock session", leader.name)
	}

	// A replica takes over and completes the work: after a kill the other
	// one; after a lost lock session whichever takes the lock first (the
	// leader may take it again, in a new term).
	var completer string
	deadline := time.Now().Add(20 * time.Second)
	for {
		var rows []string
		rows = rowSet(t, admin, `SELECT instance FROM job_runs WHERE rows = 10 AND outcome = 'succeeded'`)
		if len(rows) > 0 {
			completer = rows[0]
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no replica completed the work: %v", rowSet(t, admin, `SELECT instance, outcome, rows, error FROM job_runs`))
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("%s completed the work", completer)
	if crash && completer != other.name {
		t.Errorf("%s completed the work, want the surviving replica %s", completer, other.name)
	}
	for _, r := range replicas {
		stop(r)
	}

	// The work is there once, written by the run that completed it; the
	// half-done run wrote nothing and did not succeed.
	work := rowSet(t, admin, `SELECT w.i, w.instance, r.instance, r.outcome FROM fault_work w JOIN job_runs r ON r.id = w.run_id`)
	want := make([]string, 10)
	for i := range want {
		want[i] = fmt.Sprintf("%d|%s|%s|succeeded", i, completer, completer)
	}
	if fmt.Sprint(work) != fmt.Sprint(want) {
		t.Errorf("work rows: %s", diff(work, want))
	}
	if n := scalar[int](t, admin, `SELECT count(*) FROM fault_work`); n != 10 {
		t.Errorf("%d work rows, want 10", n)
	}
	var instance, outcome string
	var runErr sql.NullString
	if err := admin.QueryRow(`SELECT instance, outcome, error FROM job_runs ORDER BY id LIMIT 1`).Scan(&instance, &outcome, &runErr); err != nil {
		t.Fatalf("the half-done run: %v", err)
	}
	t.Logf("the half-done run of %s: %s (%s)", instance, outcome, runErr.String)
	if instance != leader.name || outcome == "succeeded" {
		t.Errorf("the first run is %s's, %s; want %s's, not succeeded", instance, outcome, leader.name)
	}
	if !crash && !strings.Contains(runErr.String, "lost the scheduler lead") {
		t.Errorf("the half-done run's error %q does not say it lost the lead", runErr.String)
	}
	if n := scalar[int](t, admin, `SELECT count(*) FROM job_runs WHERE rows = 10`); n != 1 {
		t.Errorf("%d runs did the work, want 1", n)
	}
	t.Logf("runs that wrote or failed: %v", rowSet(t, admin, `SELECT id, instance, outcome, rows FROM job_runs WHERE rows <> 0 OR outcome <> 'succeeded'`))
}

// terminate ends the sessions of the current database that match the
// condition and returns how many it ended.
func terminate(t *testing.T, admin *sql.DB, cond string, args ...any) int {
	t.Helper()
	n := scalar[int](t, admin, `SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid() AND `+cond+`) x`, args...)
	return n
}
