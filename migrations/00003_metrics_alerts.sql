-- +goose Up
-- Compliance metrics (snapshots per region and period), alerts with their
-- history, and webhook delivery.

-- Thresholds and interpretations are settings with history: the value used for
-- a period is the one in force at the period's last day, so past results keep
-- the setting they were computed with.
INSERT INTO settings (key, valid_from, value, note) VALUES
  ('threshold.mediation_success',          '2000-01-01', '0.90', 'mediation success rate, at least'),
  ('threshold.safety',                     '2000-01-01', '0.95', 'sense of safety, at least'),
  ('threshold.deliberation_satisfaction',  '2000-01-01', '0.90', 'deliberation platform satisfaction, at least'),
  ('threshold.model_households',           '2000-01-01', '0.05', 'model households share of a village and of each villager group, at least'),
  ('threshold.legal_savvy_coverage',       '2000-01-01', '1.0',  'grids with a legal-savvy person, at least'),
  ('threshold.wechat_coverage',            '2000-01-01', '1.0',  'households with a member in the WeChat group, at least'),
  ('threshold.volunteer_coverage',         '2000-01-01', '1.0',  'households taking part in volunteer service in the year, at least'),
  ('threshold.creation_rate',              '2000-01-01', '0.43', 'creation rate of an area, at most'),
  ('interpret.lawsuits_declining_years',   '2000-01-01', '3',    'lawsuits decline when count(Y-1) < count(Y-2) < ... over this many years before the review year Y'),
  ('reminder.lecture_day',                 '2000-01-01', '20',   'day of the month on which villages with no lecture yet get a reminder'),
  ('alert.escalation_days',                '2000-01-01', '14',   'an unresolved breach escalates to the next level up after this many days'),
  ('jobs.catch_up_periods',                '2000-01-01', '12',   'how many past periods a starting scheduler checks for missed runs');

CREATE TABLE metric_snapshots (
    metric       text NOT NULL,
    region_id    bigint NOT NULL REFERENCES regions (id),
    period       text NOT NULL,
    numerator    numeric NOT NULL,
    denominator  numeric,                 -- NULL for counts
    value        numeric,                 -- NULL: no data
    threshold    numeric NOT NULL,
    comparator   text NOT NULL CHECK (comparator IN ('>=', '<=', '=0')),
    status       text NOT NULL CHECK (status IN ('met', 'not_met', 'no_data')),
    setting_from timestamptz NOT NULL,    -- valid_from of the threshold setting used
    computed_at  timestamptz NOT NULL,
    job_run_id   bigint,
    PRIMARY KEY (metric, region_id, period)
);
CREATE INDEX metric_snapshots_region_period ON metric_snapshots (region_id, period);
CREATE INDEX metric_snapshots_period_metric ON metric_snapshots (period, metric, status);

CREATE TABLE alerts (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    rule             text NOT NULL,
    region_id        bigint NOT NULL REFERENCES regions (id),
    period           text NOT NULL,
    severity         text NOT NULL CHECK (severity IN ('reminder', 'breach', 'critical')),
    state            text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'acknowledged', 'resolved')),
    escalation_level smallint NOT NULL DEFAULT 0,   -- 0: the region itself; n: n levels up
    value            numeric,
    threshold        numeric,
    raised_at        timestamptz NOT NULL,
    escalated_at     timestamptz,
    acknowledged_at  timestamptz,
    resolved_at      timestamptz,
    version          integer NOT NULL DEFAULT 1,
    UNIQUE (rule, region_id, period)
);
CREATE INDEX alerts_open ON alerts (state, severity, raised_at) WHERE state <> 'resolved';
CREATE INDEX alerts_region ON alerts (region_id, period);

CREATE TABLE alert_events (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    alert_id    bigint NOT NULL REFERENCES alerts (id),
    region_id   bigint NOT NULL REFERENCES regions (id),
    at          timestamptz NOT NULL,
    action      text NOT NULL CHECK (action IN ('raised', 'reopened', 'acknowledged', 'resolved', 'escalated')),
    from_state  text,
    to_state    text NOT NULL,
    actor_name  text NOT NULL,
    comment     text NOT NULL DEFAULT '',
    job_run_id  bigint
);
CREATE INDEX alert_events_alert ON alert_events (alert_id, at);
CREATE INDEX alert_events_run ON alert_events (job_run_id);

CREATE TABLE webhooks (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    region_id  bigint NOT NULL REFERENCES regions (id),
    url        text NOT NULL CHECK (url ~ '^https?://'),
    format     text NOT NULL CHECK (format IN ('json', 'wecom', 'dingtalk')),
    active     boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE webhook_deliveries (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    webhook_id  bigint NOT NULL REFERENCES webhooks (id),
    region_id   bigint NOT NULL REFERENCES regions (id),   -- the town the digest is about
    job_run_id  bigint,
    events      integer NOT NULL,
    attempts    integer NOT NULL,
    status      text NOT NULL CHECK (status IN ('delivered', 'failed')),
    http_status integer,
    error       text,
    at          timestamptz NOT NULL DEFAULT now()
);

-- +goose StatementBegin
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['metric_snapshots', 'alerts', 'alert_events', 'webhooks', 'webhook_deliveries'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY scope ON %I USING (lv_scope_all() OR region_id IN (SELECT id FROM regions)) '
                   'WITH CHECK (lv_scope_all() OR region_id IN (SELECT id FROM regions))', t);
  END LOOP;
END
$$;
-- +goose StatementEnd

-- +goose Down
DROP TABLE webhook_deliveries, webhooks, alert_events, alerts, metric_snapshots;
DELETE FROM settings WHERE key LIKE 'threshold.%' OR key LIKE 'interpret.%' OR key LIKE 'reminder.%'
  OR key LIKE 'alert.%' OR key LIKE 'jobs.%';
