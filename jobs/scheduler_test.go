package jobs_test

import (
	"context"
	"database/sql"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lawvillage/lawvillage/internal/postgres"
	"github.com/lawvillage/lawvillage/internal/testenv"
	"github.com/lawvillage/lawvillage/jobs"
)

// ticker is a job that counts its runs per replica.
func ticker(n *atomic.Int64) jobs.Job {
	return jobs.Job{Name: "tick", Every: 200 * time.Millisecond, Run: func(ctx context.Context, _ string) (int64, error) {
		n.Add(1)
		return 1, nil
	}}
}

func runsByInstance(t *testing.T, db *postgres.DB) map[string]int {
	t.Helper()
	runs, err := db.JobRuns(context.Background(), "tick", 10000)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, r := range runs {
		if r.Outcome != "succeeded" {
			t.Fatalf("run %d: %s", r.ID, r.Outcome)
		}
		out[r.Instance]++
	}
	return out
}

func TestOneLeaderAmongReplicas(t *testing.T) {
	url := testenv.DatabaseURL(t)
	var counts [3]atomic.Int64
	var scheds [3]*jobs.Scheduler
	var dbs [3]*postgres.DB
	for i := range scheds {
		db, err := postgres.Open(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		dbs[i] = db
		r := jobs.NewRunner(db, testenv.Quiet, ticker(&counts[i]))
		r.Instance = string(rune('A' + i))
		if scheds[i], err = jobs.Start(r); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(2 * time.Second)
	leaders := 0
	leader := -1
	for i := range counts {
		if counts[i].Load() > 0 {
			leaders++
			leader = i
		}
	}
	if leaders != 1 {
		t.Fatalf("want exactly one replica running the job, got counts %d %d %d", counts[0].Load(), counts[1].Load(), counts[2].Load())
	}
	if by := runsByInstance(t, dbs[0]); len(by) != 1 {
		t.Fatalf("job_runs from several instances: %v", by)
	}

	// The leader dies (its session ends, as when the process is killed):
	// another replica takes over.
	t.Run("LeaderReplaced", func(t *testing.T) {
		_ = scheds[leader].Stop()
		dbs[leader].Close()
		before := [3]int64{}
		for i := range counts {
			before[i] = counts[i].Load()
		}
		time.Sleep(3 * time.Second)
		took := 0
		for i := range counts {
			if i != leader && counts[i].Load() > before[i] {
				took++
			}
		}
		if took != 1 {
			t.Fatalf("want one new leader, got %d (counts %d %d %d)", took, counts[0].Load(), counts[1].Load(), counts[2].Load())
		}
	})
	for i := range scheds {
		if i != leader {
			_ = scheds[i].Stop()
		}
	}
}

func TestLeaderKilledConnection(t *testing.T) {
	url := testenv.DatabaseURL(t)
	db1, err := postgres.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer db1.Close()
	db2, err := postgres.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	l1, l2 := db1.NewLeaderLock(99), db2.NewLeaderLock(99)
	ctx := context.Background()
	if err := l1.IsLeader(ctx); err != nil {
		t.Fatalf("first replica: %v", err)
	}
	if err := l2.IsLeader(ctx); err == nil {
		t.Fatal("two leaders at once")
	}
	// Kill the leader's session from outside, as a crashed host would lose it.
	admin, err := sql.Open("postgres", testenv.Env(t, "LV_TEST_PG_ADMIN_URL"))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Exec(`SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND objid = 99 AND granted`); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	if err := l2.IsLeader(ctx); err != nil {
		t.Fatalf("second replica should lead after the first died: %v", err)
	}
	if err := l1.IsLeader(ctx); err == nil {
		t.Fatal("the dead leader still claims to lead")
	}
}

func TestRunNowRecordsRun(t *testing.T) {
	db := testenv.DB(t)
	var n atomic.Int64
	r := jobs.NewRunner(db, testenv.Quiet, ticker(&n))
	if _, err := r.RunNow(context.Background(), "tick", "2026-13"); err == nil {
		t.Fatal("a bad period must be refused")
	}
	rows, err := r.RunNow(context.Background(), "tick", "2026-05")
	if err != nil || rows != 1 || n.Load() != 1 {
		t.Fatalf("run: %d %v", rows, err)
	}
	runs, _ := db.JobRuns(context.Background(), "tick", 10)
	if len(runs) != 1 || runs[0].Period != "2026-05" || runs[0].Outcome != "succeeded" || *runs[0].Rows != 1 || runs[0].FinishedAt == nil {
		t.Fatalf("recorded runs: %+v", runs)
	}
	if _, err := r.RunNow(context.Background(), "nope", ""); err == nil {
		t.Fatal("unknown job must be an error")
	}
}
