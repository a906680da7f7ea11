package postgres_test

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/lib/pq"

	"github.com/lawvillage/lawvillage/internal/core"
	"github.com/lawvillage/lawvillage/internal/postgres"
	"github.com/lawvillage/lawvillage/internal/regionimport"
	"github.com/lawvillage/lawvillage/internal/testenv"
)

// TestAuditAppendOnly checks that the audit trail cannot be changed or
// emptied by the application's own role, which owns the table: UPDATE,
// DELETE and TRUNCATE fail whatever the scope (the system's, a token's, none),
// through the store's transactions and on a plain connection, and the
// records stay as written.
func TestAuditAppendOnly(t *testing.T) {
	url := testenv.DatabaseURL(t)
	ctx := context.Background()
	db, err := postgres.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := regionimport.Import(system(), db, strings.NewReader(base), nil); err != nil {
		t.Fatal(err)
	}
	// The import wrote a record; add one more of a token holder.
	if _, _, err := db.CreateToken(system(), postgres.NewToken{Name: "区司法局", Role: core.RoleDistrictAdmin, ScopeCode: "320117"}); err != nil {
		t.Fatal(err)
	}
	type row struct {
		ID     int64   `db:"id"`
		Action string  `db:"action"`
		After  *string `db:"after"`
	}
	snapshot := func() []row {
		t.Helper()
		var rows []row
		if err := db.AsSystem(ctx, func(tx *postgres.Tx) error {
			return tx.Select(&rows, `SELECT id, action, after::text AS after FROM audit_log ORDER BY id`)
		}); err != nil {
			t.Fatal(err)
		}
		return rows
	}
	before := snapshot()
	if len(before) < 2 {
		t.Fatalf("audit records = %+v, want the import's and the token's", before)
	}

	raw, err := sql.Open("postgres", url)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var owner bool
	var super, bypass bool
	if err := raw.QueryRow(`SELECT c.relowner = r.oid, r.rolsuper, r.rolbypassrls FROM pg_class c, pg_roles r
		WHERE c.oid = 'audit_log'::regclass AND r.rolname = current_user`).Scan(&owner, &super, &bypass); err != nil {
		t.Fatal(err)
	}
	if !owner || super || bypass {
		t.Fatalf("the test must run as the app role owning audit_log (owner %v, superuser %v, bypassrls %v)", owner, super, bypass)
	}

	statements := []string{
		`UPDATE audit_log SET actor_name = 'someone else'`,
		`UPDATE audit_log SET after = NULL WHERE id = (SELECT max(id) FROM audit_log)`,
		`DELETE FROM audit_log`,
		`DELETE FROM audit_log WHERE id = (SELECT min(id) FROM audit_log)`,
		`TRUNCATE audit_log`,
		`TRUNCATE audit_log CASCADE`,
	}
	refused := func(t *testing.T, how, stmt string, err error) {
		t.Helper()
		if err == nil {
			t.Fatalf("%s: %q succeeded; the audit trail must be append-only", how, stmt)
		}
		var pqe *pq.Error
		if !errors.As(err, &pqe) || pqe.Code != "42501" || !strings.Contains(pqe.Message, "append-only") {
			t.Fatalf("%s: %q failed with %v, want the append-only refusal (42501)", how, stmt, err)
		}
	}
	district := core.WithActor(ctx, &core.Actor{Name: "区司法局", Role: core.RoleDistrictAdmin, ScopePath: "32.3201.320117", ScopeCode: "320117"})
	for _, stmt := range statements {
		t.Run(stmt, func(t *testing.T) {
			err := db.AsSystem(ctx, func(tx *postgres.Tx) error { _, err := tx.Exec(stmt); return err })
			refused(t, "as the system", stmt, err)
			err = db.InScope(district, func(tx *postgres.Tx) error { _, err := tx.Exec(stmt); return err })
			refused(t, "in a district's scope", stmt, err)
			_, err = raw.Exec(stmt)
			refused(t, "on a plain connection", stmt, err)
		})
	}
	// A trigger disabled by mistake would show here: it is enabled for every session.
	var enabled string
	if err := raw.QueryRow(`SELECT tgenabled FROM pg_trigger WHERE tgrelid = 'audit_log'::regclass AND tgname = 'audit_log_append_only'`).Scan(&enabled); err != nil {
		t.Fatal(err)
	}
	if enabled != "O" && enabled != "A" {
		t.Fatalf("append-only trigger state %q, want enabled", enabled)
	}
	after := snapshot()
	if len(after) != len(before) {
		t.Fatalf("audit records changed: %d before, %d after", len(before), len(after))
	}
	for i := range before {
		if before[i].ID != after[i].ID || before[i].Action != after[i].Action || (before[i].After == nil) != (after[i].After == nil) ||
			(before[i].After != nil && *before[i].After != *after[i].After) {
			t.Fatalf("record %d changed: %+v → %+v", i, before[i], after[i])
		}
	}
	// Appending still works.
	if err := db.Settings().Set(system(), "evidence.max_bytes", 1<<20, time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), "test"); err != nil {
		t.Fatal(err)
	}
	if n := len(snapshot()); n <= len(after) {
		t.Fatalf("no record appended for a setting change (%d records)", n)
	}
}

// auditRow is an audit record as the tests read it.
type auditRow struct {
	ID         int64   `db:"id"`
	ActorName  string  `db:"actor_name"`
	ActorRole  string  `db:"actor_role"`
	Action     string  `db:"action"`
	ObjectType string  `db:"object_type"`
	ObjectID   *int64  `db:"object_id"`
	RegionCode *string `db:"region_code"`
	Before     *string `db:"before"`
	After      *string `db:"after"`
}

func auditSince(t *testing.T, db *postgres.DB, since int64) []auditRow {
	t.Helper()
	var rows []auditRow
	if err := db.AsSystem(context.Background(), func(tx *postgres.Tx) error {
		return tx.Select(&rows, `SELECT a.id, a.actor_name, a.actor_role, a.action, a.object_type, a.object_id, r.code AS region_code,
			a.before::text AS before, a.after::text AS after
			FROM audit_log a LEFT JOIN regions r ON r.id = a.region_id WHERE a.id > $1 ORDER BY a.id`, since)
	}); err != nil {
		t.Fatal(err)
	}
	return rows
}

func lastAuditID(t *testing.T, db *postgres.DB) int64 {
	t.Helper()
	var id int64
	if err := db.AsSystem(context.Background(), func(tx *postgres.Tx) error {
		return tx.Get(&id, `SELECT coalesce(max(id), 0) FROM audit_log`)
	}); err != nil {
		t.Fatal(err)
	}
	return id
}

// TestAuditChangesOutsideMutations covers the changes that no mutation
// makes directly: settings, job runs (started by hand, and runs that changed
// data), upload reservations dropped after a failure or by the sweep, and
// purged evidence objects. Each leaves its record, under the right region.
func TestAuditChangesOutsideMutations(t *testing.T) {
	db := testenv.DB(t)
	ctx := system()
	if _, err := regionimport.Import(ctx, db, strings.NewReader(base), nil); err != nil {
		t.Fatal(err)
	}
	want := func(t *testing.T, rows []auditRow, action, region string) auditRow {
		t.Helper()
		for _, r := range rows {
			if r.Action == action && (r.RegionCode == nil && region == "" || r.RegionCode != nil && *r.RegionCode == region) {
				return r
			}
		}
		t.Fatalf("no %s record under region %q in %+v", action, region, rows)
		return auditRow{}
	}

	t.Run("setting", func(t *testing.T) {
		since := lastAuditID(t, db)
		from := time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)
		if err := db.Settings().Set(core.WithActor(context.Background(), core.System("cli")), "evidence.max_bytes", 1<<20, from, "smaller"); err != nil {
			t.Fatal(err)
		}
		rows := auditSince(t, db, since)
		r := want(t, rows, "setting.set", "32") // the top-level region: global changes
		if len(rows) != 1 || r.ActorName != "cli" || r.Before == nil || !strings.Contains(*r.Before, "52428800") ||
			r.After == nil || !strings.Contains(*r.After, "1048576") || !strings.Contains(*r.After, "evidence.max_bytes") {
			t.Fatalf("setting record %+v (of %d)", r, len(rows))
		}
	})

	t.Run("job run by hand and its changes", func(t *testing.T) {
		since := lastAuditID(t, db)
		by := &core.Actor{TokenID: 7, Name: "省司法厅", Role: core.RoleProvinceOfficial, ScopeID: regionID(t, db, "32"), ScopeCode: "32", ScopePath: "32"}
		jobCtx := core.WithActor(context.Background(), core.System("job:tick"))
		id, err := db.StartJobRun(jobCtx, "tick", "2026-05", "test", by)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.FinishJobRun(jobCtx, id, 3, nil); err != nil {
			t.Fatal(err)
		}
		rows := auditSince(t, db, since)
		start := want(t, rows, "job.start", "32")
		if start.ActorName != "省司法厅" || start.ActorRole != "province_official" || start.ObjectID == nil || *start.ObjectID != id {
			t.Fatalf("job.start %+v", start)
		}
		run := want(t, rows, "job.run", "32")
		if run.ActorName != "job:tick" || run.ActorRole != "system" || run.After == nil || !strings.Contains(*run.After, `"rows": 3`) ||
			!strings.Contains(*run.After, `"period": "2026-05"`) {
			t.Fatalf("job.run %+v", run)
		}
		// A scheduled run that changed nothing leaves job_runs only.
		since = lastAuditID(t, db)
		id, err = db.StartJobRun(jobCtx, "tick", "2026-06", "test", nil)
		if err == nil {
			err = db.FinishJobRun(jobCtx, id, 0, nil)
		}
		if err != nil {
			t.Fatal(err)
		}
		if rows := auditSince(t, db, since); len(rows) != 0 {
			t.Fatalf("an idle scheduled run wrote %+v", rows)
		}
	})

	t.Run("uploads dropped and evidence purged", func(t *testing.T) {
		village := regionID(t, db, "320117001201")
		clerk := core.WithActor(context.Background(), &core.Actor{TokenID: 9, Name: "秋湖村", Role: core.RoleVillageClerk,
			ScopeID: village, ScopeCode: "320117001201", ScopePath: "32.3201.320117.320117001.320117001201"})
		act, err := db.RecordActivity(clerk, village, postgres.ActivityInput{Kind: core.ActivityLecture, Date: time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC), Title: "讲座"})
		if err != nil {
			t.Fatal(err)
		}
		since := lastAuditID(t, db)
		u, err := db.ReserveUpload(clerk, postgres.NewUpload{ActivityID: act.ID, Filename: "a.png", DeclaredType: "image/png",
			MaxSize: 100, Method: "multipart", TTL: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.DropUpload(clerk, u.ID); err != nil {
			t.Fatal(err)
		}
		if err := db.DropUpload(clerk, u.ID); err != nil { // again: nothing left, nothing recorded
			t.Fatal(err)
		}
		rows := auditSince(t, db, since)
		if len(rows) != 2 {
			t.Fatalf("records %+v, want the reservation and one drop", rows)
		}
		res := want(t, rows, "upload.reserve", "320117001201")
		drop := want(t, rows, "upload.drop", "320117001201")
		if res.ActorName != "秋湖村" || drop.ActorName != "秋湖村" || drop.ObjectID == nil || *drop.ObjectID != u.ID || drop.Before == nil {
			t.Fatalf("upload records %+v %+v", res, drop)
		}

		// Evidence deleted with its activity, then purged by the sweep.
		u, err = db.ReserveUpload(clerk, postgres.NewUpload{ActivityID: act.ID, Filename: "b.png", DeclaredType: "image/png",
			MaxSize: 100, Method: "multipart", TTL: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		e, err := db.LinkEvidence(clerk, u.ID, postgres.CheckedObject{ContentType: "image/png", Size: 10,
			SHA256: strings.Repeat("ab", 32), Retention: 0})
		if err != nil {
			t.Fatal(err)
		}
		since = lastAuditID(t, db)
		if _, err := db.DeleteActivity(clerk, act.ID, "重复登记"); err != nil {
			t.Fatal(err)
		}
		rows = auditSince(t, db, since)
		del := want(t, rows, "evidence.delete", "320117001201")
		if del.ObjectID == nil || *del.ObjectID != e.ID {
			t.Fatalf("evidence deleted with its activity: %+v", rows)
		}
		if a := want(t, rows, "activity.delete", "320117001201"); a.Before == nil || !strings.Contains(*a.Before, "讲座") {
			t.Fatalf("activity.delete without the activity before: %+v", a)
		}
		since = lastAuditID(t, db)
		sweep := core.WithActor(context.Background(), core.System("job:evidence-sweep"))
		if err := db.MarkPurged(sweep, e.ID); err != nil {
			t.Fatal(err)
		}
		if err := db.MarkPurged(sweep, e.ID); err != nil {
			t.Fatal(err)
		}
		rows = auditSince(t, db, since)
		if len(rows) != 1 || rows[0].Action != "evidence.purge" || rows[0].RegionCode == nil || *rows[0].RegionCode != "320117001201" ||
			rows[0].ActorName != "job:evidence-sweep" {
			t.Fatalf("purge records %+v", rows)
		}
	})
}

// TestAuditExport: an export changes no rows but is recorded, also for a
// read-only role, under the exported region, and only inside the scope.
func TestAuditExport(t *testing.T) {
	db := testenv.DB(t)
	if _, err := regionimport.Import(system(), db, strings.NewReader(base), nil); err != nil {
		t.Fatal(err)
	}
	analyst := core.WithActor(context.Background(), &core.Actor{TokenID: 3, Name: "分析", Role: core.RoleAnalystReadonly,
		ScopeID: regionID(t, db, "320117001"), ScopeCode: "320117001", ScopePath: "32.3201.320117.320117001"})
	since := lastAuditID(t, db)
	if err := db.AuditExport(analyst, "review.export", "320117001", map[string]any{"table": "summary"}); err != nil {
		t.Fatal(err)
	}
	if err := db.AuditExport(analyst, "review.export", "320117100", nil); core.ErrorCode(err) != core.ENOTFOUND {
		t.Fatalf("export outside the scope: %v", err)
	}
	rows := auditSince(t, db, since)
	if len(rows) != 1 || rows[0].Action != "review.export" || rows[0].ActorName != "分析" || rows[0].RegionCode == nil ||
		*rows[0].RegionCode != "320117001" || rows[0].After == nil || !strings.Contains(*rows[0].After, "summary") {
		t.Fatalf("export records %+v", rows)
	}
}

func regionID(t *testing.T, db *postgres.DB, code string) int64 {
	t.Helper()
	r, err := db.RegionByCode(system(), code)
	if err != nil {
		t.Fatal(err)
	}
	return r.ID
}
