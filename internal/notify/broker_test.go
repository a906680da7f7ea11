package notify_test

import (
	"context"
	"database/sql"
	"net/url"
	"strings"
	"testing"
	"time"

	_ "github.com/lib/pq"

	"github.com/lawvillage/lawvillage/internal/core"
	"github.com/lawvillage/lawvillage/internal/metrics"
	"github.com/lawvillage/lawvillage/internal/notify"
	"github.com/lawvillage/lawvillage/internal/postgres"
	"github.com/lawvillage/lawvillage/internal/regionimport"
	"github.com/lawvillage/lawvillage/internal/testenv"
)

// emit writes n alert events in one transaction and announces them as the
// jobs do; it returns the range.
func emit(t *testing.T, db *postgres.DB, n int) notify.Range {
	t.Helper()
	var r notify.Range
	if err := db.AsSystem(context.Background(), func(tx *postgres.Tx) error {
		if err := tx.Get(&r, `WITH e AS (
			INSERT INTO alert_events (alert_id, region_id, at, action, to_state, actor_name)
			SELECT a.id, a.region_id, now(), 'raised', 'open', 'test' FROM alerts a, generate_series(1, $1) RETURNING id)
			SELECT min(id) AS first, max(id) AS last FROM e`, n); err != nil {
			return err
		}
		_, err := tx.Exec(`SELECT pg_notify($1, $2::text || '-' || $3::text)`, metrics.AlertEventsChannel, r.First, r.Last)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return r
}

func next(t *testing.T, ch <-chan notify.Range) notify.Range {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(20 * time.Second):
		t.Fatal("no range announced")
	}
	return notify.Range{}
}

// TestBrokerReplaysAfterReconnect: events committed while the broker's
// listening connection is down are announced once it is back, exactly once.
func TestBrokerReplaysAfterReconnect(t *testing.T) {
	dbURL := testenv.DatabaseURL(t)
	db, err := postgres.Open(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	sys := core.WithActor(context.Background(), core.System("test"))
	if _, err := regionimport.Import(sys, db, strings.NewReader("code,name,parent_code\n32,江苏省,\n"), nil); err != nil {
		t.Fatal(err)
	}
	if err := db.AsSystem(sys, func(tx *postgres.Tx) error {
		_, err := tx.Exec(`INSERT INTO alerts (rule, region_id, period, severity, raised_at) SELECT 'safety', id, '2026', 'breach', now() FROM regions`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	before := emit(t, db, 2) // committed before the broker starts: never announced
	b, err := notify.StartBroker(db, dbURL, testenv.Quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ch, stop := b.Subscribe()
	defer stop()

	if want := emit(t, db, 3); next(t, ch) != want {
		t.Fatalf("not announced: %+v", want)
	}
	// Cut the listening connection, then commit while it reconnects (it waits a second).
	u, _ := url.Parse(dbURL)
	admin, err := sql.Open("postgres", testenv.Env(t, "LV_TEST_PG_ADMIN_URL"))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	var killed int
	if err := admin.QueryRow(`SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = $1 AND query LIKE 'LISTEN %'`, strings.TrimPrefix(u.Path, "/")).Scan(&killed); err != nil || killed != 1 {
		t.Fatalf("terminated %d listeners: %v", killed, err)
	}
	missed := emit(t, db, 4)
	if got := next(t, ch); got != missed {
		t.Fatalf("replayed %+v, want %+v (before the broker: %+v)", got, missed, before)
	}
	// Back to normal, and nothing announced twice.
	if want := emit(t, db, 1); next(t, ch) != want {
		t.Fatalf("after the replay, not announced: %+v", want)
	}
	// Transactions commit out of order: a lower range announced after a
	// higher one is still announced.
	raw, err := sql.Open("postgres", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	tx, err := raw.Begin()
	if err != nil {
		t.Fatal(err)
	}
	var low notify.Range
	if err := tx.QueryRow(`WITH s AS (SELECT set_config('lv.scope', '*', true)), e AS (
		INSERT INTO alert_events (alert_id, region_id, at, action, to_state, actor_name)
		SELECT a.id, a.region_id, now(), 'acknowledged', 'acknowledged', 'test' FROM alerts a, s RETURNING id)
		SELECT min(id), max(id) FROM e`).Scan(&low.First, &low.Last); err != nil {
		t.Fatal(err)
	}
	high := emit(t, db, 2)
	if _, err := tx.Exec(`SELECT pg_notify($1, $2::text || '-' || $3::text)`, metrics.AlertEventsChannel, low.First, low.Last); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := next(t, ch); got != high {
		t.Fatalf("announced %+v, want %+v first", got, high)
	}
	if got := next(t, ch); got != low {
		t.Fatalf("the range committed later was %+v, want %+v", got, low)
	}
	select {
	case r := <-ch:
		t.Fatalf("unexpected range %+v", r)
	case <-time.After(500 * time.Millisecond):
	}
}
