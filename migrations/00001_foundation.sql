-- +goose Up
-- The foundation: hierarchy, titles, activities, evidence, tokens, settings,
-- the audit trail and job runs. Scope is enforced here, by row-level security:
-- every transaction of the application sets lv.scope to the caller's region
-- path ('*' for the system), and a row is visible or writable only inside it.

CREATE EXTENSION IF NOT EXISTS ltree;

-- lv_scope_all: the transaction runs as the system (jobs, CLI).
-- +goose StatementBegin
CREATE FUNCTION lv_scope_all() RETURNS boolean LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT coalesce(current_setting('lv.scope', true), '') = '*'
$$;
-- +goose StatementEnd

-- lv_in_scope: a region path lies inside the caller's scope. No scope set: nothing.
-- +goose StatementBegin
CREATE FUNCTION lv_in_scope(p ltree) RETURNS boolean LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT CASE coalesce(current_setting('lv.scope', true), '')
           WHEN '*' THEN true
           WHEN '' THEN false
           ELSE p <@ current_setting('lv.scope', true)::ltree
         END
$$;
-- +goose StatementEnd

CREATE TABLE regions (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code            text NOT NULL UNIQUE CHECK (code ~ '^[0-9]+$' AND length(code) IN (2, 4, 6, 9, 12)),
    name            text NOT NULL CHECK (btrim(name) <> ''),
    level           smallint NOT NULL CHECK (level BETWEEN 1 AND 5),
    kind            text CHECK (kind IN ('village', 'community')),
    parent_id       bigint REFERENCES regions (id),
    path            ltree NOT NULL UNIQUE,
    household_count integer CHECK (household_count >= 0),
    version         integer NOT NULL DEFAULT 1,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CHECK ((level = 5) = (kind IS NOT NULL)),
    CHECK ((level = 1) = (parent_id IS NULL))
);
CREATE INDEX regions_path_gist ON regions USING gist (path);
CREATE INDEX regions_parent ON regions (parent_id, code);
CREATE INDEX regions_level_code ON regions (level, code);

CREATE TABLE villager_groups (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    village_id bigint NOT NULL REFERENCES regions (id),
    name       text NOT NULL CHECK (btrim(name) <> ''),
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (village_id, name)
);

CREATE TABLE grids (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    village_id bigint NOT NULL REFERENCES regions (id),
    name       text NOT NULL CHECK (btrim(name) <> ''),
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (village_id, name)
);

CREATE TABLE titles (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    village_id        bigint NOT NULL REFERENCES regions (id),
    level             text NOT NULL CHECK (level IN ('provincial', 'national')),
    batch             smallint CHECK (batch >= 1),
    year              smallint NOT NULL CHECK (year BETWEEN 1990 AND 2100),
    status            text NOT NULL DEFAULT 'retained' CHECK (status IN ('retained', 'revoked', 'cancelled')),
    decision_document text,
    version           integer NOT NULL DEFAULT 1,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CHECK (level <> 'provincial' OR batch IS NOT NULL)
);
-- A village holds at most one active title of each level.
CREATE UNIQUE INDEX titles_one_active ON titles (village_id, level) WHERE status = 'retained';
CREATE INDEX titles_village ON titles (village_id);

CREATE TABLE title_events (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    title_id          bigint NOT NULL REFERENCES titles (id),
    village_id        bigint NOT NULL REFERENCES regions (id),
    action            text NOT NULL CHECK (action IN ('awarded', 'status_changed')),
    from_status       text,
    to_status         text NOT NULL,
    reason            text,
    decision_document text,
    decided_on        date,
    actor_id          bigint,
    actor_name        text NOT NULL,
    at                timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX title_events_title ON title_events (title_id, at);

CREATE TABLE activities (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    village_id   bigint NOT NULL REFERENCES regions (id),
    kind         text NOT NULL CHECK (kind IN ('responsibility_list', 'lecture', 'culture_activity',
                                               'volunteer_service', 'board_update', 'constitution_day')),
    occurred_on  date NOT NULL,
    title        text NOT NULL CHECK (btrim(title) <> ''),
    place        text NOT NULL DEFAULT '',
    organiser    text NOT NULL DEFAULT '',
    participants integer CHECK (participants >= 0),
    description  text NOT NULL DEFAULT '',
    created_by   bigint,
    version      integer NOT NULL DEFAULT 1,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    deleted_at   timestamptz
);
CREATE INDEX activities_village_date ON activities (village_id, occurred_on) WHERE deleted_at IS NULL;
CREATE INDEX activities_date_kind ON activities (occurred_on, kind) WHERE deleted_at IS NULL;

-- An upload is reserved before its object exists (presigned POST or multipart).
-- Unconfirmed uploads older than a set age are swept with their objects.
CREATE TABLE uploads (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    village_id    bigint NOT NULL REFERENCES regions (id),
    activity_id   bigint NOT NULL REFERENCES activities (id),
    object_key    text NOT NULL UNIQUE,
    filename      text NOT NULL,
    declared_type text NOT NULL,
    max_size      bigint NOT NULL,
    method        text NOT NULL CHECK (method IN ('presigned_post', 'multipart')),
    status        text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'confirmed')),
    created_by    bigint,
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL
);
CREATE INDEX uploads_pending ON uploads (created_at) WHERE status = 'pending';

CREATE TABLE evidence (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    village_id    bigint NOT NULL REFERENCES regions (id),
    activity_id   bigint NOT NULL REFERENCES activities (id),
    upload_id     bigint UNIQUE REFERENCES uploads (id),
    object_key    text NOT NULL UNIQUE,
    filename      text NOT NULL,
    content_type  text NOT NULL,
    size          bigint NOT NULL CHECK (size > 0),
    sha256        text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    created_by    bigint,
    created_at    timestamptz NOT NULL DEFAULT now(),
    retain_until  timestamptz NOT NULL,
    deleted_at    timestamptz,
    deleted_by    bigint,
    delete_reason text,
    purged_at     timestamptz
);
CREATE INDEX evidence_activity ON evidence (activity_id) WHERE deleted_at IS NULL;
CREATE INDEX evidence_village_sha ON evidence (village_id, sha256) WHERE deleted_at IS NULL;

CREATE TABLE tokens (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name            text NOT NULL CHECK (btrim(name) <> ''),
    role            text NOT NULL CHECK (role IN ('village_clerk', 'town_official', 'district_admin',
                                                  'city_official', 'province_official',
                                                  'partner_readonly', 'analyst_readonly')),
    scope_region_id bigint NOT NULL REFERENCES regions (id),
    hash            bytea NOT NULL UNIQUE,
    hint            text NOT NULL,
    created_by      bigint,
    created_at      timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz,
    revoked_at      timestamptz,
    revoked_by      bigint,
    last_used_at    timestamptz
);

-- Settings are kept with their history: the value in force at an instant is the
-- row with the latest valid_from at or before it.
CREATE TABLE settings (
    key        text NOT NULL,
    valid_from timestamptz NOT NULL,
    value      jsonb NOT NULL,
    note       text NOT NULL DEFAULT '',
    set_by     text NOT NULL DEFAULT 'migration',
    set_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (key, valid_from)
);
INSERT INTO settings (key, valid_from, value, note) VALUES
  ('evidence.max_bytes',            '2000-01-01', '52428800', 'largest evidence file, bytes (50 MiB)'),
  ('evidence.retention_days',       '2000-01-01', '3650', 'deleted evidence keeps its object this long after upload'),
  ('evidence.upload_ttl_seconds',   '2000-01-01', '3600', 'an unconfirmed upload is swept after this age'),
  ('evidence.download_ttl_seconds', '2000-01-01', '300', 'lifetime of a presigned download URL'),
  ('activity.requires_evidence',    '2000-01-01', 'true', 'an activity counts toward a duty only with at least one evidence file'),
  ('title.max_provincial_batch',    '2000-01-01', '14', 'provincial titles were awarded in batches 1..N');

-- The audit trail: append-only, written in the same transaction as the change.
CREATE TABLE audit_log (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    actor_id    bigint,
    actor_name  text NOT NULL,
    actor_role  text NOT NULL,
    action      text NOT NULL,
    object_type text NOT NULL,
    object_id   bigint,
    region_id   bigint REFERENCES regions (id),
    before      jsonb,
    after       jsonb
);
CREATE INDEX audit_log_object ON audit_log (object_type, object_id, at);
CREATE INDEX audit_log_region_at ON audit_log (region_id, at);

-- +goose StatementBegin
CREATE FUNCTION lv_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'insufficient_privilege';
END
$$;
-- +goose StatementEnd
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION lv_audit_append_only();

CREATE TABLE job_runs (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job         text NOT NULL,
    period      text NOT NULL DEFAULT '',
    instance    text NOT NULL,
    started_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    rows        bigint,
    outcome     text NOT NULL DEFAULT 'running' CHECK (outcome IN ('running', 'succeeded', 'failed')),
    error       text
);
CREATE INDEX job_runs_job ON job_runs (job, started_at DESC);

-- Row-level security: scope is enforced here for every read, count, aggregate and write.
ALTER TABLE regions ENABLE ROW LEVEL SECURITY;
ALTER TABLE regions FORCE ROW LEVEL SECURITY;
CREATE POLICY scope ON regions USING (lv_in_scope(path)) WITH CHECK (lv_in_scope(path));

-- Tables owned by a village: visible when the village is (the subquery is itself
-- filtered by the policy on regions).
-- +goose StatementBegin
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['villager_groups', 'grids', 'titles', 'title_events', 'activities', 'uploads', 'evidence'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY scope ON %I USING (lv_scope_all() OR village_id IN (SELECT id FROM regions)) '
                   'WITH CHECK (lv_scope_all() OR village_id IN (SELECT id FROM regions))', t);
  END LOOP;
END
$$;
-- +goose StatementEnd

ALTER TABLE tokens ENABLE ROW LEVEL SECURITY;
ALTER TABLE tokens FORCE ROW LEVEL SECURITY;
CREATE POLICY scope ON tokens USING (lv_scope_all() OR scope_region_id IN (SELECT id FROM regions))
  WITH CHECK (lv_scope_all() OR scope_region_id IN (SELECT id FROM regions));

ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_log FORCE ROW LEVEL SECURITY;
CREATE POLICY read_scope ON audit_log FOR SELECT USING (lv_scope_all() OR region_id IN (SELECT id FROM regions));
CREATE POLICY append ON audit_log FOR INSERT WITH CHECK (true);

-- +goose Down
DROP TABLE job_runs, audit_log, settings, tokens, evidence, uploads, activities,
  title_events, titles, grids, villager_groups, regions CASCADE;
DROP FUNCTION lv_audit_append_only, lv_in_scope, lv_scope_all;
