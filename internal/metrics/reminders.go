package metrics

import (
	"context"
	"time"

	"github.com/lawvillage/lawvillage/internal/period"
	"github.com/lawvillage/lawvillage/internal/postgres"
)

// RemindLectures raises a reminder (rule lecture_reminder) for every village
// with no counted lecture yet in the month, from the reminder day (a setting)
// on, and resolves the reminders of villages that have since held one.
func (c *Computer) RemindLectures(ctx context.Context, month period.Period, runID int64) (AlertChanges, error) {
	var ch AlertChanges
	now := c.Now()
	err := c.DB.AsSystem(ctx, func(tx *postgres.Tx) error {
		var day int
		if err := settingInt(tx, "reminder.lecture_day", now, &day); err != nil {
			return err
		}
		var requireEvidence bool
		if err := settingBool(tx, "activity.requires_evidence", now, &requireEvidence); err != nil {
			return err
		}
		today := period.DateOf(now)
		if month.Kind != period.Month || today.Before(period.Date{Year: month.Year, Month: time.Month(month.N), Day: day}) {
			return nil // not yet the reminder day of that month
		}
		var run *int64
		if runID != 0 {
			run = &runID
		}
		var events []int64
		err := tx.Select(&events, `
WITH lectured AS (
  SELECT DISTINCT a.village_id FROM activities a
  WHERE a.kind = 'lecture' AND a.deleted_at IS NULL AND a.occurred_on BETWEEN $1::date AND $2::date
    AND (NOT $5 OR EXISTS (SELECT 1 FROM evidence e WHERE e.activity_id = a.id AND e.deleted_at IS NULL))),
raised AS (
  INSERT INTO alerts AS a (rule, region_id, period, severity, state, raised_at)
  SELECT 'lecture_reminder', v.id, $3, 'reminder', 'open', $4 FROM regions v
  WHERE v.level = 5 AND v.dissolved_on IS NULL AND v.id NOT IN (SELECT village_id FROM lectured)
  ON CONFLICT (rule, region_id, period) DO NOTHING
  RETURNING a.id, a.region_id),
old AS (
  SELECT a.id, a.state FROM alerts a
  WHERE a.rule = 'lecture_reminder' AND a.period = $3 AND a.state <> 'resolved'
    AND a.region_id IN (SELECT village_id FROM lectured)
  FOR UPDATE),
resolved AS (
  UPDATE alerts a SET state = 'resolved', resolved_at = $4, version = a.version + 1 FROM old
  WHERE a.id = old.id RETURNING a.id, a.region_id, old.state AS from_state),
ev AS (
  INSERT INTO alert_events (alert_id, region_id, at, action, from_state, to_state, actor_name, job_run_id)
  SELECT id, region_id, $4, 'raised', NULL, 'open', 'system', $6 FROM raised
  UNION ALL
  SELECT id, region_id, $4, 'resolved', from_state, 'resolved', 'system', $6 FROM resolved
  RETURNING id, action)
SELECT id FROM ev ORDER BY id`, month.FirstDay().String(), month.LastDay().String(), month.String(), now, requireEvidence, run)
		if err != nil {
			return err
		}
		// Count what happened from the events' actions.
		var counts struct {
			Raised   int `db:"raised"`
			Resolved int `db:"resolved"`
		}
		if len(events) > 0 {
			ch.FirstEvent, ch.LastEvent = events[0], events[len(events)-1]
			if err := tx.Get(&counts, `SELECT count(*) FILTER (WHERE action = 'raised') AS raised,
				count(*) FILTER (WHERE action = 'resolved') AS resolved FROM alert_events WHERE id BETWEEN $1 AND $2`,
				ch.FirstEvent, ch.LastEvent); err != nil {
				return err
			}
			ch.Raised, ch.Resolved = counts.Raised, counts.Resolved
			return notify(tx, ch.FirstEvent, ch.LastEvent)
		}
		return nil
	})
	return ch, err
}

// Escalate moves unresolved breaches (and critical breaches) one level up
// when they have waited longer than the setting alert.escalation_days since
// they were raised or last escalated, up to the province.
func (c *Computer) Escalate(ctx context.Context, runID int64) (AlertChanges, error) {
	var ch AlertChanges
	now := c.Now()
	err := c.DB.AsSystem(ctx, func(tx *postgres.Tx) error {
		var days int
		if err := settingInt(tx, "alert.escalation_days", now, &days); err != nil {
			return err
		}
		var run *int64
		if runID != 0 {
			run = &runID
		}
		var events []int64
		if err := tx.Select(&events, `
WITH up AS (
  UPDATE alerts a SET escalation_level = a.escalation_level + 1, escalated_at = $1, version = a.version + 1
  FROM regions r
  WHERE r.id = a.region_id AND a.state = 'open' AND a.severity IN ('breach', 'critical')
    AND coalesce(a.escalated_at, a.raised_at) <= $1::timestamptz - make_interval(days => $2::int)
    AND a.escalation_level < nlevel(r.path) - 1
  RETURNING a.id, a.region_id)
INSERT INTO alert_events (alert_id, region_id, at, action, from_state, to_state, actor_name, job_run_id)
SELECT id, region_id, $1, 'escalated', 'open', 'open', 'system', $3 FROM up
RETURNING id`, now, days, run); err != nil {
			return err
		}
		if len(events) > 0 {
			ch.FirstEvent, ch.LastEvent = events[0], events[len(events)-1]
			for _, e := range events {
				ch.FirstEvent, ch.LastEvent = min(ch.FirstEvent, e), max(ch.LastEvent, e)
			}
			return notify(tx, ch.FirstEvent, ch.LastEvent)
		}
		return nil
	})
	return ch, err
}
