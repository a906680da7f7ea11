package jobs_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/lawvillage/lawvillage/internal/evidence"
	"github.com/lawvillage/lawvillage/internal/metrics"
	"github.com/lawvillage/lawvillage/internal/notify"
	"github.com/lawvillage/lawvillage/internal/testenv"
	"github.com/lawvillage/lawvillage/jobs"
)

// TestReviewRemindersReachWebhooks: the daily review reminder is an alert
// like the others, so it goes out to the district's webhooks, with the
// stage named in words.
func TestReviewRemindersReachWebhooks(t *testing.T) {
	db, _, n, ctx := setup(t)
	district := newReceiver(t)
	hook(t, db, "320117", district.srv.URL, "json")
	year := time.Now().Year()
	// A review of this year still at its survey stage: due on 31 May, so overdue.
	exec(t, db, `INSERT INTO reviews (year, region_id, area_path, deadlines)
		SELECT $1, id, path, '{"survey": {"start": "2000-05-01", "due": "2000-05-31"}}' FROM regions WHERE code = '320117'`, year)
	c := &jobs.Compliance{Metrics: &metrics.Computer{DB: db, Now: time.Now}, Notifier: n}
	runner := jobs.NewRunner(db, testenv.Quiet, jobs.All(&evidence.Service{DB: db}, c)...)
	if _, err := runner.RunNow(ctx, "review-reminders", ""); err != nil {
		t.Fatal(err)
	}
	got := district.got()
	if len(got) != 1 {
		t.Fatalf("district hook got %d messages, want 1", len(got))
	}
	var d notify.Digest
	if err := json.Unmarshal([]byte(got[0]), &d); err != nil {
		t.Fatal(err)
	}
	if len(d.Events) != 1 || d.Events[0].Rule != "review_deadline_survey" || !strings.Contains(d.Events[0].RuleZh, "摸底") {
		t.Fatalf("digest %s", got[0])
	}
}
