package postgres

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/lib/pq"

	"github.com/lawvillage/lawvillage/internal/core"
)

const metricCols = `s.metric, s.region_id, s.period, s.numerator, s.denominator, s.value, s.threshold, s.comparator,
	s.status, s.setting_from, s.computed_at`

// RegionMetrics returns every metric snapshot of a region for a period.
func (db *DB) RegionMetrics(ctx context.Context, regionID int64, period string) ([]*core.MetricValue, error) {
	var rows []*core.MetricValue
	err := db.ReadInScope(ctx, func(tx *Tx) error {
		return tx.Select(&rows, `SELECT `+metricCols+` FROM metric_snapshots s WHERE s.region_id = $1 AND s.period = $2 ORDER BY s.metric`, regionID, period)
	})
	return rows, err
}

// MetricBreakdown returns a metric for each child of the region (towns of a
// district, villages of a town, ...) for a period, by code.
func (db *DB) MetricBreakdown(ctx context.Context, regionID int64, period, metric string) ([]*core.MetricValue, error) {
	var rows []*core.MetricValue
	err := db.ReadInScope(ctx, func(tx *Tx) error {
		return tx.Select(&rows, `SELECT `+metricCols+` FROM regions r JOIN metric_snapshots s ON s.region_id = r.id
			WHERE r.parent_id = $1 AND s.period = $2 AND s.metric = $3 ORDER BY r.code`, regionID, period, metric)
	})
	return rows, err
}

// MetricSeries returns a metric of a region for the periods (missing ones are left out).
func (db *DB) MetricSeries(ctx context.Context, regionID int64, metric string, periods []string) ([]*core.MetricValue, error) {
	var rows []*core.MetricValue
	err := db.ReadInScope(ctx, func(tx *Tx) error {
		return tx.Select(&rows, `SELECT `+metricCols+` FROM metric_snapshots s
			WHERE s.metric = $1 AND s.region_id = $2 AND s.period = ANY($3)`, metric, regionID, pq.Array(periods))
	})
	return rows, err
}

// MissedVillages returns a page of the villages under the path whose metric
// was not met in the period, by code.
func (db *DB) MissedVillages(ctx context.Context, path, period, metric string, p Page) ([]*core.Region, bool, error) {
	var rows []*core.Region
	err := db.ReadInScope(ctx, func(tx *Tx) error {
		return tx.Select(&rows, `SELECT `+regionCols+` FROM regions r JOIN metric_snapshots s ON s.region_id = r.id
			WHERE r.level = 5 AND r.path <@ $1::ltree AND s.period = $2 AND s.metric = $3 AND s.status = 'not_met' AND r.code > $4
			ORDER BY r.code LIMIT $5`, path, period, metric, p.After, p.First+1)
	})
	return trim(rows, p.First, err)
}

// CountMissedVillages counts the villages of MissedVillages.
func (db *DB) CountMissedVillages(ctx context.Context, path, period, metric string) (int, error) {
	var n int
	err := db.ReadInScope(ctx, func(tx *Tx) error {
		return tx.Get(&n, `SELECT count(*) FROM regions r JOIN metric_snapshots s ON s.region_id = r.id
			WHERE r.level = 5 AND r.path <@ $1::ltree AND s.period = $2 AND s.metric = $3 AND s.status = 'not_met'`, path, period, metric)
	})
	return n, err
}

const alertCols = `a.id, a.rule, a.region_id, a.period, a.severity, a.state, a.escalation_level, a.value, a.threshold,
	a.raised_at, a.escalated_at, a.acknowledged_at, a.resolved_at, a.version`

// AlertFilter narrows a list of alerts.
type AlertFilter struct {
	State, Severity, Period, Rule string
	MinEscalation                 int
}

func alertWhere(path string, f AlertFilter) (string, []any) {
	where := []string{`r.path <@ $1::ltree`}
	args := []any{path}
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(cond, "$?", "$"+strconv.Itoa(len(args))))
	}
	if f.State != "" {
		add(`a.state = $?`, f.State)
	}
	if f.Severity != "" {
		add(`a.severity = $?`, f.Severity)
	}
	if f.Period != "" {
		add(`a.period = $?`, f.Period)
	}
	if f.Rule != "" {
		add(`a.rule = $?`, f.Rule)
	}
	if f.MinEscalation > 0 {
		add(`a.escalation_level >= $?::bigint`, f.MinEscalation) // not smallint: any level asked for is valid
	}
	return strings.Join(where, " AND "), args
}

// Alerts returns a page of the alerts of regions under the path, newest first (cursor: id).
func (db *DB) Alerts(ctx context.Context, path string, f AlertFilter, p Page) ([]*core.Alert, bool, error) {
	where, args := alertWhere(path, f)
	after := int64(1<<62 - 1)
	if p.After != "" {
		n, err := strconv.ParseInt(p.After, 10, 64)
		if err != nil {
			return nil, false, core.Errorf(core.EINVALIDCURSOR, "分页游标无效", "invalid cursor")
		}
		after = n
	}
	args = append(args, after, p.First+1)
	var rows []*core.Alert
	err := db.ReadInScope(ctx, func(tx *Tx) error {
		return tx.Select(&rows, `SELECT `+alertCols+` FROM alerts a JOIN regions r ON r.id = a.region_id WHERE `+where+
			` AND a.id < $`+strconv.Itoa(len(args)-1)+` ORDER BY a.id DESC LIMIT $`+strconv.Itoa(len(args)), args...)
	})
	return trim(rows, p.First, err)
}

// CountAlerts counts the alerts of Alerts.
func (db *DB) CountAlerts(ctx context.Context, path string, f AlertFilter) (int, error) {
	where, args := alertWhere(path, f)
	var n int
	err := db.ReadInScope(ctx, func(tx *Tx) error {
		return tx.Get(&n, `SELECT count(*) FROM alerts a JOIN regions r ON r.id = a.region_id WHERE `+where, args...)
	})
	return n, err
}

// AlertsByIDs returns alerts in the order of ids (nil where missing or out of scope).
func (db *DB) AlertsByIDs(ctx context.Context, ids []int64) ([]*core.Alert, error) {
	var rows []*core.Alert
	err := db.ReadInScope(ctx, func(tx *Tx) error {
		return tx.Select(&rows, `SELECT `+alertCols+` FROM alerts a WHERE a.id = ANY($1)`, pq.Array(ids))
	})
	if err != nil {
		return nil, err
	}
	return orderByID(ids, rows, func(a *core.Alert) int64 { return a.ID }), nil
}

const alertEventCols = `e.id, e.alert_id, e.region_id, e.at, e.action, e.from_state, e.to_state, e.actor_name, e.comment`

// AlertEventsByAlerts returns each alert's history (oldest first), in the order of ids.
func (db *DB) AlertEventsByAlerts(ctx context.Context, ids []int64) ([][]*core.AlertEvent, error) {
	var rows []*core.AlertEvent
	err := db.ReadInScope(ctx, func(tx *Tx) error {
		return tx.Select(&rows, `SELECT `+alertEventCols+` FROM alert_events e WHERE e.alert_id = ANY($1) ORDER BY e.at, e.id`, pq.Array(ids))
	})
	if err != nil {
		return nil, err
	}
	return groupByID(ids, rows, func(e *core.AlertEvent) int64 { return e.AlertID }), nil
}

// AlertEventsInRange returns the events with ids in [first, last] of regions
// under the path that the caller may see (for subscriptions).
func (db *DB) AlertEventsInRange(ctx context.Context, path string, first, last int64) ([]*core.AlertEvent, error) {
	var rows []*core.AlertEvent
	err := db.ReadInScope(ctx, func(tx *Tx) error {
		return tx.Select(&rows, `SELECT `+alertEventCols+` FROM alert_events e JOIN regions r ON r.id = e.region_id
			WHERE e.id BETWEEN $1 AND $2 AND r.path <@ $3::ltree ORDER BY e.id`, first, last, path)
	})
	return rows, err
}

// AcknowledgeAlert records that someone has seen an open alert, with a comment.
func (db *DB) AcknowledgeAlert(ctx context.Context, id int64, comment string, expectedVersion *int) (*core.Alert, error) {
	var a core.Alert
	err := db.InScope(ctx, func(tx *Tx) error {
		comment = strings.TrimSpace(comment)
		if comment == "" {
			return core.Errorf(core.EINVALID, "请填写处理意见", "a comment is required").WithField("input", "comment")
		}
		var before core.Alert
		if err := tx.Get(&before, `SELECT `+alertCols+` FROM alerts a WHERE a.id = $1 FOR UPDATE`, id); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return core.NotFound("预警 / alert").WithField("input", "alertId")
			}
			return err
		}
		if expectedVersion != nil && *expectedVersion != before.Version {
			return conflict()
		}
		if before.State != "open" {
			return core.Errorf(core.EINVALID, "只能确认未处理的预警", "only an open alert can be acknowledged").WithField("input", "alertId")
		}
		if err := tx.Get(&a, `UPDATE alerts a SET state = 'acknowledged', acknowledged_at = now(), version = a.version + 1
			WHERE a.id = $1 RETURNING `+alertCols, id); err != nil {
			return err
		}
		actor := core.ActorFrom(ctx)
		var eventID int64
		if err := tx.Get(&eventID, `INSERT INTO alert_events (alert_id, region_id, at, action, from_state, to_state, actor_name, comment)
			VALUES ($1, $2, now(), 'acknowledged', 'open', 'acknowledged', $3, $4) RETURNING id`, id, a.RegionID, actor.Name, comment); err != nil {
			return err
		}
		if _, err := tx.Exec(`SELECT pg_notify('lv_alert_events', $1::text || '-' || $1::text)`, eventID); err != nil {
			return err
		}
		return audit(tx, "alert.acknowledge", "alert", id, &a.RegionID, before, a)
	})
	if err != nil {
		return nil, err
	}
	return &a, nil
}

// Listen subscribes to a PostgreSQL NOTIFY channel on a dedicated connection
// of the same database; the caller closes the listener.
func Listen(url, channel string) (*pq.Listener, error) {
	l := pq.NewListener(url, time.Second, 30*time.Second, nil)
	if err := l.Listen(channel); err != nil {
		l.Close()
		return nil, err
	}
	return l, nil
}

// LastAlertEventID returns the highest committed alert event id (0 when none).
func (db *DB) LastAlertEventID(ctx context.Context) (int64, error) {
	var id int64
	err := db.AsSystem(ctx, func(tx *Tx) error {
		return tx.Get(&id, `SELECT coalesce(max(id), 0) FROM alert_events`)
	})
	return id, err
}
