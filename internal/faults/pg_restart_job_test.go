package faults

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/lawvillage/lawvillage/internal/core"
	"github.com/lawvillage/lawvillage/internal/gen"
	"github.com/lawvillage/lawvillage/internal/metrics"
	"github.com/lawvillage/lawvillage/internal/notify"
	"github.com/lawvillage/lawvillage/internal/postgres"
	"github.com/lawvillage/lawvillage/internal/regionimport"
	"github.com/lawvillage/lawvillage/internal/testenv"
	"github.com/lawvillage/lawvillage/jobs"
)

// jobNow is the clock of the compliance runs: 2025 is over, so a run for it
// is complete and every run computes the same figures.
var jobNow = time.Date(2026, 3, 10, 4, 0, 0, 0, time.UTC)

// pauseVillage is the village whose 2025-Q2 mediation snapshot the test holds
// locked, to catch the run in the middle of its 14th transaction.
const pauseVillage = "320117001201"

// loadDataset fills a migrated database with the demo district and a year of
// records: activities, mediation cases, surveys, incidents, lawsuits, grids
// with legal-savvy persons and titles, all derived from the villages' ids.
func loadDataset(t *testing.T, db *postgres.DB) {
	t.Helper()
	ctx := core.WithActor(context.Background(), core.System("test"))
	var buf bytes.Buffer
	if err := gen.WriteCSV(&buf, gen.DemoDistrict(1)); err != nil {
		t.Fatal(err)
	}
	res, err := regionimport.Import(ctx, db, &buf, nil)
	if err != nil {
		t.Fatalf("import the demo district: %v", err)
	}
	stmts := []string{
		// Lectures and board updates most months; culture activities most quarters.
		`INSERT INTO activities (village_id, kind, occurred_on, title)
		 SELECT v.id, k.kind, make_date(2025, m, (1 + (v.id * 7 + m) % 27)::int), k.kind || ' ' || m
		 FROM regions v CROSS JOIN generate_series(1, 12) m
		 CROSS JOIN (VALUES ('lecture', 5), ('board_update', 4)) k(kind, skip)
		 WHERE v.level = 5 AND (v.id * 3 + m) % k.skip <> 0`,
		`INSERT INTO activities (village_id, kind, occurred_on, title)
		 SELECT v.id, 'culture_activity', make_date(2025, q * 3 - 1, 10), '文化活动 ' || q
		 FROM regions v CROSS JOIN generate_series(1, 4) q WHERE v.level = 5 AND (v.id + q) % 6 <> 0`,
		`INSERT INTO activities (village_id, kind, occurred_on, title)
		 SELECT v.id, 'constitution_day', DATE '2025-12-04', '宪法日' FROM regions v WHERE v.level = 5 AND v.id % 4 <> 0`,
		// Two mediation cases a month; now and then one fails.
		`INSERT INTO mediation_cases (village_id, case_no, received_on, concluded_on, outcome, turned_criminal)
		 SELECT v.id, 'M' || m || '-' || n, make_date(2025, m, 2), make_date(2025, m, 12),
		        CASE WHEN (v.id + m + n) % 9 = 0 THEN 'failure' ELSE 'success' END, (v.id * m + n) % 211 = 0
		 FROM regions v CROSS JOIN generate_series(1, 12) m CROSS JOIN generate_series(1, 2) n WHERE v.level = 5`,
		// Quarterly surveys.
		`INSERT INTO surveys (village_id, kind, period, surveyed_on, respondents, positive)
		 SELECT v.id, k, '2025-Q' || q, make_date(2025, q * 3, 20), 40, 40 - (v.id * q) % 5
		 FROM regions v CROSS JOIN generate_series(1, 4) q CROSS JOIN unnest(ARRAY['safety', 'deliberation_satisfaction']) k
		 WHERE v.level = 5`,
		`INSERT INTO incidents (village_id, kind, occurred_on, source_department)
		 SELECT v.id, 'extreme_violence', make_date(2025, (1 + v.id % 12)::int, 15), '公安局' FROM regions v WHERE v.level = 5 AND v.id % 13 = 0`,
		`INSERT INTO lawsuits (village_id, year, civil, administrative)
		 SELECT v.id, y, 30 - (y - 2022) * (v.id % 3), 1 FROM regions v CROSS JOIN generate_series(2022, 2024) y WHERE v.level = 5`,
		`INSERT INTO grids (village_id, name) SELECT v.id, '第' || g || '网格' FROM regions v CROSS JOIN generate_series(1, 2) g WHERE v.level = 5`,
		`INSERT INTO legal_savvy_persons (village_id, grid_id, name, active_from)
		 SELECT g.village_id, g.id, '明白人', DATE '2024-01-01' FROM grids g WHERE g.id % 3 <> 0`,
		`INSERT INTO titles (village_id, level, batch, year) SELECT v.id, 'provincial', 5 + v.id % 8, 2010 + v.id % 10
		 FROM regions v WHERE v.level = 5 AND v.id % 3 = 0`,
		// The snapshot the test locks to catch the run mid-way (a stale figure the run overwrites).
		`INSERT INTO metric_snapshots (metric, region_id, period, numerator, denominator, value, threshold, comparator, status, setting_from, computed_at)
		 SELECT 'mediation_success', id, '2025-Q2', 0, 0, NULL, 0.9, '>=', 'no_data', '2000-01-01', '2025-07-01' FROM regions WHERE code = '` + pauseVillage + `'`,
	}
	if err := db.AsSystem(ctx, func(tx *postgres.Tx) error {
		for _, s := range stmts {
			if _, err := tx.Exec(s); err != nil {
				return fmt.Errorf("%s: %w", s, err)
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	t.Logf("dataset: %d regions and a year of records", res.Inserted)
}

// complianceRunner returns a runner of the compliance jobs on the database at u.
func complianceRunner(t *testing.T, u string) *jobs.Runner {
	t.Helper()
	db, err := postgres.Open(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	c := &jobs.Compliance{Metrics: &metrics.Computer{DB: db, Now: func() time.Time { return jobNow }}, Notifier: notify.New(db, testenv.Quiet)}
	return jobs.NewRunner(db, testenv.Quiet, c.Jobs()...)
}

// Queries that capture what the compliance jobs wrote, without what differs
// between runs by design (run ids, generated ids).
var (
	snapshotRows = `SELECT s.metric, r.code, s.period, s.numerator, s.denominator, s.value, s.threshold, s.status, s.setting_from, s.computed_at
		FROM metric_snapshots s JOIN regions r ON r.id = s.region_id`
	alertRows = `SELECT a.rule, r.code, a.period, a.severity, a.state, a.escalation_level, a.value, a.threshold, a.raised_at, a.resolved_at, a.version
		FROM alerts a JOIN regions r ON r.id = a.region_id`
	alertEventRows = `SELECT a.rule, r.code, a.period, e.action, e.from_state, e.to_state, e.at
		FROM alert_events e JOIN alerts a ON a.id = e.alert_id JOIN regions r ON r.id = e.region_id`
)

// TestFaultPostgresRestartDuringJobRun runs the daily-outcomes job for a year
// (17 transactions: the months, the quarters, the year) and restarts
// PostgreSQL from another goroutine while the 14th transaction (2025-Q2) is
// open. The run ends failed, with its error recorded; a re-run succeeds; the
// snapshots, alerts and alert history then equal those of a clean run on an
// identical database, with no duplicate alert or event.
func TestFaultPostgresRestartDuringJobRun(t *testing.T) {
	c := startCluster(t)
	loadDataset(t, openMigrated(t, c.appURL("lawvillage")))
	super := c.admin("postgres")
	// An identical database for the clean run (no session may use the template while it is copied).
	if _, err := super.Exec(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'lawvillage' AND pid <> pg_backend_pid()`); err != nil {
		t.Fatal(err)
	}
	if _, err := super.Exec(`CREATE DATABASE lv_clean TEMPLATE lawvillage OWNER lawvillage`); err != nil {
		t.Fatalf("copy the database: %v", err)
	}

	const job, per = "daily-outcomes", "2025"
	clean := complianceRunner(t, c.appURL("lv_clean"))
	if _, err := clean.RunNow(context.Background(), job, per); err != nil {
		t.Fatalf("clean run: %v", err)
	}

	// Hold the 2025-Q2 snapshot of one village locked: the run blocks on it
	// in its 14th transaction, with the months and Q1 already committed.
	admin := c.admin("lawvillage")
	lockTx, err := admin.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer lockTx.Rollback()
	if _, err := lockTx.Exec(`SELECT 1 FROM metric_snapshots s JOIN regions r ON r.id = s.region_id
		WHERE r.code = $1 AND s.period = '2025-Q2' AND s.metric = 'mediation_success' FOR UPDATE OF s`, pauseVillage); err != nil {
		t.Fatal(err)
	}

	faulty := complianceRunner(t, c.appURL("lawvillage"))
	type result struct {
		rows int64
		err  error
	}
	done := make(chan result, 1)
	go func() {
		rows, err := faulty.RunNow(context.Background(), job, per)
		done <- result{rows, err}
	}()

	// Wait until the run is stuck on the lock, mid-transaction.
	watch := c.admin("postgres")
	deadline := time.Now().Add(30 * time.Second)
	for {
		var waiting int
		if err := watch.QueryRow(`SELECT count(*) FROM pg_stat_activity WHERE datname = 'lawvillage' AND wait_event_type = 'Lock'`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting > 0 {
			break
		}
		select {
		case r := <-done:
			t.Fatalf("the run ended (%d rows, %v) before it reached the locked snapshot", r.rows, r.err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("the run never reached the locked snapshot")
		}
		time.Sleep(10 * time.Millisecond)
	}
	committed := scalar[int](t, admin, `SELECT count(DISTINCT period) FROM metric_snapshots WHERE computed_at = $1`, jobNow)
	t.Logf("the run is mid-way: %d periods committed, 2025-Q2 open", committed)
	if committed != 13 {
		t.Errorf("%d periods committed before 2025-Q2, want 13 (12 months and Q1)", committed)
	}

	restarted := make(chan error, 1)
	go func() {
		down, err := c.restart()
		t.Logf("PostgreSQL was down for %v", down.Round(time.Millisecond))
		restarted <- err
	}()
	if err := <-restarted; err != nil {
		t.Fatalf("restart: %v", err)
	}
	var first result
	select {
	case first = <-done:
	case <-time.After(90 * time.Second):
		t.Fatal("the interrupted run did not end")
	}
	t.Logf("interrupted run: %d rows, %v", first.rows, first.err)

	admin = c.admin("lawvillage") // the old pool's sessions died with the server
	runs := rowSet(t, admin, `SELECT id, outcome, finished_at IS NOT NULL, error IS NOT NULL FROM job_runs`)
	if first.err == nil {
		// The restart came too late to hurt: the run must then be complete.
		if len(runs) != 1 || runs[0] != "1|succeeded|true|false" {
			t.Fatalf("job_runs after a successful run: %v", runs)
		}
	} else {
		if core.ErrorCode(first.err) != core.EUNAVAILABLE {
			t.Errorf("the interrupted run failed with %v, want UNAVAILABLE", first.err)
		}
		if len(runs) != 1 || runs[0] != "1|failed|true|true" {
			t.Fatalf("job_runs after the interrupted run: %v, want one failed run with its error and end recorded", runs)
		}
	}

	// The re-run (as an operator or the next day's schedule would) completes.
	again := complianceRunner(t, c.appURL("lawvillage"))
	if _, err := again.RunNow(context.Background(), job, per); err != nil {
		t.Fatalf("re-run after the restart: %v", err)
	}
	if n := scalar[int](t, admin, `SELECT count(*) FROM job_runs WHERE outcome = 'succeeded'`); n != 1 {
		t.Errorf("%d succeeded runs, want 1", n)
	}

	// Same results as the clean run, nothing twice.
	cleanDB := c.admin("lv_clean")
	for _, q := range []struct{ name, sql string }{{"metric_snapshots", snapshotRows}, {"alerts", alertRows}, {"alert_events", alertEventRows}} {
		got, want := rowSet(t, admin, q.sql), rowSet(t, cleanDB, q.sql)
		if len(want) == 0 {
			t.Errorf("the clean run wrote no %s: the dataset does not exercise the job", q.name)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s after the fault and re-run differ from a clean run: %s", q.name, diff(got, want))
		} else {
			t.Logf("%s: %d rows, equal to the clean run", q.name, len(got))
		}
	}
	for _, q := range []string{
		`SELECT count(*) FROM (SELECT rule, region_id, period FROM alerts GROUP BY 1, 2, 3 HAVING count(*) > 1) d`,
		`SELECT count(*) FROM (SELECT alert_id, action, at FROM alert_events GROUP BY 1, 2, 3 HAVING count(*) > 1) d`,
	} {
		if n := scalar[int](t, admin, q); n != 0 {
			t.Errorf("%d duplicates: %s", n, q)
		}
	}
	var open sql.NullInt64
	_ = admin.QueryRow(`SELECT count(*) FROM job_runs WHERE outcome = 'running'`).Scan(&open)
	if open.Int64 != 0 {
		t.Errorf("%d job runs left 'running'", open.Int64)
	}
}
