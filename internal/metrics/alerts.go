package metrics

import (
	"time"

	"github.com/lib/pq"

	"github.com/lawvillage/lawvillage/internal/period"
	"github.com/lawvillage/lawvillage/internal/postgres"
)

// AlertChanges counts what an evaluation did to the alerts, and names the
// range of alert events it wrote (for delivery).
type AlertChanges struct {
	Raised, Reopened, Resolved int
	FirstEvent, LastEvent      int64
}

// AlertEventsChannel is the PostgreSQL NOTIFY channel on which a committed
// evaluation announces its range of alert events ("first-last").
const AlertEventsChannel = "lv_alert_events"

// evaluateAlerts raises one alert per (rule, region, period) that fails,
// reopens a resolved one that fails again, and resolves open ones that now
// pass. Alerts that stay as they were are not touched: a re-run changes nothing.
func evaluateAlerts(tx *postgres.Tx, ms []Metric, p period.Period, now time.Time, runID int64) (AlertChanges, error) {
	var ch AlertChanges
	var keys, sev []string
	var regionOnly []bool
	for _, m := range ms {
		if m.Severity != "" {
			keys, sev, regionOnly = append(keys, m.Key), append(sev, m.Severity), append(regionOnly, m.RegionOnly)
		}
	}
	if len(keys) == 0 {
		return ch, nil
	}
	var run *int64
	if runID != 0 {
		run = &runID
	}
	var raised []struct {
		ID       int64 `db:"id"`
		Inserted bool  `db:"inserted"`
	}
	if err := tx.Select(&raised, `
WITH k AS (SELECT * FROM unnest($1::text[], $2::text[], $3::bool[]) AS k(metric, severity, region_only)),
cand AS (
  SELECT s.metric, s.region_id, s.value, s.threshold, k.severity
  FROM metric_snapshots s JOIN k ON k.metric = s.metric JOIN regions r ON r.id = s.region_id
  WHERE s.period = $4 AND s.status = 'not_met'
    AND ((NOT k.region_only AND r.level = 5) OR (k.region_only AND r.level <= 3))),
up AS (
  INSERT INTO alerts AS a (rule, region_id, period, severity, state, value, threshold, raised_at)
  SELECT metric, region_id, $4, severity, 'open', value, threshold, $5 FROM cand
  ON CONFLICT (rule, region_id, period) DO UPDATE SET state = 'open', resolved_at = NULL, acknowledged_at = NULL,
    raised_at = excluded.raised_at, value = excluded.value, threshold = excluded.threshold,
    escalation_level = 0, escalated_at = NULL, version = a.version + 1
  WHERE a.state = 'resolved'
  RETURNING a.id, a.region_id, (xmax = 0) AS inserted),
ev AS (
  INSERT INTO alert_events (alert_id, region_id, at, action, from_state, to_state, actor_name, job_run_id)
  SELECT id, region_id, $5, CASE WHEN inserted THEN 'raised' ELSE 'reopened' END,
         CASE WHEN inserted THEN NULL ELSE 'resolved' END, 'open', 'system', $6 FROM up
  RETURNING id, action = 'raised' AS inserted)
-- Read from the events alone: joining the two CTEs back on the alert id made
-- a nested loop over both when the planner's estimate of the fresh snapshots
-- was one row (45,000 alerts at province scale: 1.9 billion comparisons).
SELECT id, inserted FROM ev`,
		pq.Array(keys), pq.Array(sev), pq.Array(regionOnly), p.String(), now, run); err != nil {
		return ch, err
	}
	var resolved []int64
	if err := tx.Select(&resolved, `
WITH old AS (
  SELECT a.id, a.state FROM alerts a
  JOIN metric_snapshots s ON s.metric = a.rule AND s.region_id = a.region_id AND s.period = a.period
  WHERE a.period = $1 AND a.rule = ANY($2) AND a.state <> 'resolved' AND s.status = 'met'
  FOR UPDATE OF a),
-- Villages dissolved by a division adjustment lose their snapshots of the
-- period (Compute removes them): their alerts resolve too.
gone AS (
  SELECT a.id, a.state FROM alerts a
  WHERE a.period = $1 AND a.rule = ANY($2) AND a.state <> 'resolved'
    AND a.region_id = ANY (ARRAY(SELECT v.id FROM regions v WHERE v.level = 5 AND v.dissolved_on IS NOT NULL))
    AND NOT EXISTS (SELECT 1 FROM metric_snapshots s WHERE s.metric = a.rule AND s.region_id = a.region_id AND s.period = a.period)
  FOR UPDATE OF a),
res AS (
  UPDATE alerts a SET state = 'resolved', resolved_at = $3, version = a.version + 1
  FROM (SELECT * FROM old UNION SELECT * FROM gone) old WHERE a.id = old.id
  RETURNING a.id, a.region_id, old.state AS from_state)
INSERT INTO alert_events (alert_id, region_id, at, action, from_state, to_state, actor_name, job_run_id)
SELECT id, region_id, $3, 'resolved', from_state, 'resolved', 'system', $4 FROM res
RETURNING id`, p.String(), pq.Array(keys), now, run); err != nil {
		return ch, err
	}
	ids := make([]int64, 0, len(raised)+len(resolved))
	for _, r := range raised {
		if r.Inserted {
			ch.Raised++
		} else {
			ch.Reopened++
		}
		ids = append(ids, r.ID)
	}
	ch.Resolved = len(resolved)
	ids = append(ids, resolved...)
	if len(ids) > 0 {
		ch.FirstEvent, ch.LastEvent = ids[0], ids[0]
		for _, id := range ids {
			ch.FirstEvent, ch.LastEvent = min(ch.FirstEvent, id), max(ch.LastEvent, id)
		}
		if err := notify(tx, ch.FirstEvent, ch.LastEvent); err != nil {
			return ch, err
		}
	}
	return ch, nil
}

// notify announces a range of alert events; PostgreSQL delivers it at commit.
func notify(tx *postgres.Tx, first, last int64) error {
	_, err := tx.Exec(`SELECT pg_notify($1, $2::text || '-' || $3::text)`, AlertEventsChannel, first, last)
	return err
}
