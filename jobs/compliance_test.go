package jobs_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lawvillage/lawvillage/internal/core"
	"github.com/lawvillage/lawvillage/internal/metrics"
	"github.com/lawvillage/lawvillage/internal/notify"
	"github.com/lawvillage/lawvillage/internal/postgres"
	"github.com/lawvillage/lawvillage/internal/regionimport"
	"github.com/lawvillage/lawvillage/internal/testenv"
	"github.com/lawvillage/lawvillage/jobs"
)

const twoTowns = `code,name,parent_code
32,江苏省,
3201,南京市,32
320117,溧水区,3201
320117001,永阳街道,320117
320117100,白马镇,320117
320117001001,东门社区居委会,320117001
320117001201,秋湖村委会,320117001
320117100201,白马村委会,320117100
320117100202,石头寨村委会,320117100
`

type receiver struct {
	mu     sync.Mutex
	bodies []string
	fail   atomic.Int64 // answer 500 to this many requests first
	srv    *httptest.Server
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		if r.fail.Load() > 0 {
			r.fail.Add(-1)
			http.Error(w, "busy", http.StatusInternalServerError)
			return
		}
		r.mu.Lock()
		r.bodies = append(r.bodies, string(b))
		r.mu.Unlock()
		_, _ = w.Write([]byte(`{"errcode":0,"errmsg":"ok"}`))
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) got() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.bodies...)
}

func setup(t *testing.T) (*postgres.DB, *jobs.Runner, *notify.Notifier, context.Context) {
	db := testenv.DB(t)
	ctx := core.WithActor(context.Background(), core.System("test"))
	if _, err := regionimport.Import(ctx, db, strings.NewReader(twoTowns), nil); err != nil {
		t.Fatal(err)
	}
	n := notify.New(db, testenv.Quiet)
	n.Backoff = []time.Duration{time.Millisecond, 2 * time.Millisecond}
	c := &jobs.Compliance{Metrics: &metrics.Computer{DB: db, Now: time.Now}, Notifier: n}
	return db, jobs.NewRunner(db, testenv.Quiet, c.Jobs()...), n, ctx
}

func exec(t *testing.T, db *postgres.DB, q string, args ...any) {
	t.Helper()
	if err := db.AsSystem(context.Background(), func(tx *postgres.Tx) error { _, err := tx.Exec(q, args...); return err }); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func hook(t *testing.T, db *postgres.DB, code, url, format string) {
	exec(t, db, `INSERT INTO webhooks (region_id, url, format) SELECT id, $2, $3 FROM regions WHERE code = $1`, code, url, format)
}

func TestWebhookDigests(t *testing.T) {
	db, runner, _, ctx := setup(t)
	town, district := newReceiver(t), newReceiver(t)
	hook(t, db, "320117001", town.srv.URL, "json")
	hook(t, db, "320117", district.srv.URL, "wecom")
	// No village held a lecture or updated its board in 2026-03: a breach each.
	if _, err := runner.RunNow(ctx, "monthly-duties", "2026-03"); err != nil {
		t.Fatal(err)
	}
	// One digest per town: the town's hook gets its own town only, the district's both.
	got := town.got()
	if len(got) != 1 {
		t.Fatalf("town hook got %d messages, want 1 digest", len(got))
	}
	var d notify.Digest
	if err := json.Unmarshal([]byte(got[0]), &d); err != nil {
		t.Fatal(err)
	}
	if d.TownCode != "320117001" || len(d.Events) != 4 { // 2 villages × (lectures, board)
		t.Fatalf("town digest: %s with %d events", d.TownCode, len(d.Events))
	}
	dg := district.got()
	if len(dg) != 2 {
		t.Fatalf("district hook got %d messages, want 2 (one per town)", len(dg))
	}
	var wecom struct {
		MsgType  string `json:"msgtype"`
		Markdown struct{ Content string }
	}
	if err := json.Unmarshal([]byte(dg[0]), &wecom); err != nil || wecom.MsgType != "markdown" || !strings.Contains(wecom.Markdown.Content, "法治讲座") {
		t.Fatalf("wecom body %s: %v", dg[0], err)
	}
	// A re-run raises nothing new and sends nothing.
	if _, err := runner.RunNow(ctx, "monthly-duties", "2026-03"); err != nil {
		t.Fatal(err)
	}
	if len(town.got()) != 1 || len(district.got()) != 2 {
		t.Fatalf("a re-run sent messages again")
	}
}

func TestWebhookRetries(t *testing.T) {
	db, runner, _, ctx := setup(t)
	flaky, dead := newReceiver(t), newReceiver(t)
	flaky.fail.Store(2)      // two failures, then success: delivered on the third attempt
	dead.fail.Store(1 << 20) // never answers well
	hook(t, db, "320117100", flaky.srv.URL, "dingtalk")
	hook(t, db, "320117100", dead.srv.URL, "json")
	if _, err := runner.RunNow(ctx, "monthly-duties", "2026-04"); err != nil {
		t.Fatal(err)
	}
	if len(flaky.got()) != 1 {
		t.Fatalf("flaky receiver got %d digests", len(flaky.got()))
	}
	var rows []struct {
		Status   string `db:"status"`
		Attempts int    `db:"attempts"`
		URL      string `db:"url"`
	}
	if err := db.AsSystem(ctx, func(tx *postgres.Tx) error {
		return tx.Select(&rows, `SELECT d.status, d.attempts, w.url FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id ORDER BY d.id`)
	}); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 {
		t.Fatalf("delivery log: %+v", rows)
	}
	for _, r := range rows {
		switch r.URL {
		case flaky.srv.URL:
			if r.Status != "delivered" || r.Attempts != 3 {
				t.Errorf("flaky: %+v", r)
			}
		case dead.srv.URL:
			if r.Status != "failed" || r.Attempts != 3 {
				t.Errorf("dead: %+v", r)
			}
		}
	}
}

func TestCatchUpMissedRuns(t *testing.T) {
	db, runner, _, ctx := setup(t)
	exec(t, db, `INSERT INTO settings (key, valid_from, value) VALUES ('jobs.catch_up_periods', '2000-01-02', '2')`)
	now := time.Date(2026, 5, 10, 12, 0, 0, 0, time.UTC)
	n, err := runner.CatchUp(ctx, now)
	if err != nil {
		t.Fatal(err)
	}
	// monthly: 2026-03, 2026-04; quarterly: 2025-Q4, 2026-Q1; yearly: 2024, 2025.
	if n != 6 {
		t.Fatalf("caught up %d runs, want 6", n)
	}
	for _, jp := range [][2]string{{"monthly-duties", "2026-03"}, {"monthly-duties", "2026-04"}, {"quarterly-culture", "2026-Q1"}, {"yearly-duties", "2025"}} {
		ok, err := db.JobSucceeded(ctx, jp[0], jp[1])
		if err != nil || !ok {
			t.Errorf("%s %s not run: %v", jp[0], jp[1], err)
		}
	}
	if n, err := runner.CatchUp(ctx, now); err != nil || n != 0 {
		t.Fatalf("second catch-up ran %d: %v", n, err)
	}
}

func TestEscalation(t *testing.T) {
	db, runner, _, ctx := setup(t)
	if _, err := runner.RunNow(ctx, "monthly-duties", "2026-03"); err != nil {
		t.Fatal(err)
	}
	// Make every alert older than the escalation period.
	exec(t, db, `UPDATE alerts SET raised_at = now() - interval '15 days'`)
	if _, err := runner.RunNow(ctx, "alert-escalation", ""); err != nil {
		t.Fatal(err)
	}
	var levels []int
	_ = db.AsSystem(ctx, func(tx *postgres.Tx) error {
		return tx.Select(&levels, `SELECT DISTINCT escalation_level FROM alerts`)
	})
	if len(levels) != 1 || levels[0] != 1 {
		t.Fatalf("escalation levels %v, want all 1", levels)
	}
	// Not again until another period has passed.
	if _, err := runner.RunNow(ctx, "alert-escalation", ""); err != nil {
		t.Fatal(err)
	}
	_ = db.AsSystem(ctx, func(tx *postgres.Tx) error {
		return tx.Select(&levels, `SELECT DISTINCT escalation_level FROM alerts`)
	})
	if len(levels) != 1 || levels[0] != 1 {
		t.Fatalf("escalated twice: %v", levels)
	}
}
