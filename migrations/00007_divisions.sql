-- +goose Up
-- Division adjustments (区划调整): villages are renamed, merged, split or moved
-- to another district. The hierarchy keeps its history: every region has
-- versions (code, name, parent, path) with the civil dates they were valid,
-- written by triggers on regions so that no path that changes a region can
-- forget them; a merged-away or split-up village is dissolved (it stays, with
-- its records, as history) and no longer counts in lists, metrics or the
-- creation rate. Each adjustment is recorded with its decision document, and
-- rules C1-C3 of the review standards are applied to the titles it touches.

ALTER TABLE regions
    ADD COLUMN established_on date,                          -- null: existed before the platform's records
    ADD COLUMN dissolved_on   date,                          -- from this date it no longer exists
    ADD COLUMN successor_id   bigint REFERENCES regions (id),  -- merged into
    ADD CONSTRAINT regions_lifetime CHECK (dissolved_on IS NULL OR established_on IS NULL OR dissolved_on > established_on);
CREATE INDEX regions_dissolved ON regions (dissolved_on) WHERE dissolved_on IS NOT NULL;

-- lv_exists_on: a region with this lifetime exists on the civil date d.
-- +goose StatementBegin
CREATE FUNCTION lv_exists_on(established date, dissolved date, d date) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT (established IS NULL OR established <= d) AND (dissolved IS NULL OR dissolved > d)
$$;
-- +goose StatementEnd

-- One row per division adjustment.
CREATE TABLE division_changes (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind              text NOT NULL CHECK (kind IN ('rename', 'merge', 'split', 'move')),
    effective_on      date NOT NULL,
    decision_document text NOT NULL CHECK (btrim(decision_document) <> ''),
    note              text NOT NULL DEFAULT '',
    region_ids        bigint[] NOT NULL,   -- every region involved
    paths             ltree[] NOT NULL,    -- their paths before and after (whoever held any of them reads the change)
    details           jsonb NOT NULL,      -- what changed: names and codes before and after, territory flags
    actor_id          bigint,
    actor_name        text NOT NULL,
    at                timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX division_changes_regions ON division_changes USING gin (region_ids);

-- The versions of every region. valid_from null: since before the records;
-- valid_to null: still valid (unless the region is dissolved, which closes it).
CREATE TABLE region_versions (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    region_id   bigint NOT NULL REFERENCES regions (id),
    valid_from  date,
    valid_to    date,
    code        text NOT NULL,
    name        text NOT NULL,
    level       smallint NOT NULL,
    kind        text,
    parent_id   bigint,
    path        ltree NOT NULL,
    change_id   bigint REFERENCES division_changes (id),  -- the change that opened it (null: loaded or corrected by an import)
    closed_by   bigint REFERENCES division_changes (id),  -- the change that closed it
    recorded_at timestamptz NOT NULL DEFAULT now(),
    CHECK (valid_to IS NULL OR valid_from IS NULL OR valid_to > valid_from)
);
CREATE UNIQUE INDEX region_versions_open ON region_versions (region_id) WHERE valid_to IS NULL;
CREATE INDEX region_versions_region ON region_versions (region_id, valid_from);
CREATE INDEX region_versions_code ON region_versions (code);
CREATE INDEX region_versions_path ON region_versions USING gist (path);

-- The versions of the regions that exist already.
INSERT INTO region_versions (region_id, valid_from, code, name, level, kind, parent_id, path)
SELECT id, NULL, code, name, level, kind, parent_id, path FROM regions;

-- The date a change takes effect: lv.effective_on when the transaction set it
-- (a division adjustment), else today in China Standard Time.
-- +goose StatementBegin
CREATE FUNCTION lv_effective_on() RETURNS date LANGUAGE sql STABLE AS $$
  SELECT coalesce(nullif(current_setting('lv.effective_on', true), '')::date, (now() AT TIME ZONE 'Asia/Shanghai')::date)
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION lv_region_versions_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO region_versions (region_id, valid_from, code, name, level, kind, parent_id, path, change_id)
  SELECT n.id, n.established_on, n.code, n.name, n.level, n.kind, n.parent_id, n.path,
         nullif(current_setting('lv.division_change', true), '')::bigint
  FROM new_regions n;
  RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER regions_versions_insert AFTER INSERT ON regions
  REFERENCING NEW TABLE AS new_regions FOR EACH STATEMENT EXECUTE FUNCTION lv_region_versions_insert();

-- A change of code, name, kind, parent or path closes the open version on the
-- effective date and opens a new one (a second change on the same date
-- rewrites that day's version); a dissolution closes the open version.
-- +goose StatementBegin
CREATE FUNCTION lv_region_versions_update() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  d date := lv_effective_on();
  c bigint := nullif(current_setting('lv.division_change', true), '')::bigint;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM new_regions n JOIN old_regions o ON o.id = n.id
                 WHERE (n.code, n.name, n.kind, n.parent_id, n.path, n.dissolved_on)
                       IS DISTINCT FROM (o.code, o.name, o.kind, o.parent_id, o.path, o.dissolved_on)) THEN
    RETURN NULL;  -- household counts, versions: no new version
  END IF;
  -- Same-day changes rewrite the version that opened that day.
  UPDATE region_versions v SET code = n.code, name = n.name, kind = n.kind, parent_id = n.parent_id, path = n.path,
         change_id = coalesce(c, v.change_id), recorded_at = now()
  FROM new_regions n JOIN old_regions o ON o.id = n.id
  WHERE (n.code, n.name, n.kind, n.parent_id, n.path) IS DISTINCT FROM (o.code, o.name, o.kind, o.parent_id, o.path)
    AND v.region_id = n.id AND v.valid_to IS NULL AND v.valid_from = d;
  -- Otherwise the open version closes and a new one opens.
  WITH x AS (
    SELECT n.* FROM new_regions n JOIN old_regions o ON o.id = n.id
    WHERE (n.code, n.name, n.kind, n.parent_id, n.path) IS DISTINCT FROM (o.code, o.name, o.kind, o.parent_id, o.path)),
  closed AS (
    UPDATE region_versions v SET valid_to = d, closed_by = c
    FROM x WHERE v.region_id = x.id AND v.valid_to IS NULL AND v.valid_from IS DISTINCT FROM d
    RETURNING v.region_id)
  INSERT INTO region_versions (region_id, valid_from, code, name, level, kind, parent_id, path, change_id)
  SELECT x.id, d, x.code, x.name, x.level, x.kind, x.parent_id, x.path, c
  FROM x WHERE x.id IN (SELECT region_id FROM closed);
  -- A dissolution closes the open version on the day the region ceased to exist.
  UPDATE region_versions v SET valid_to = n.dissolved_on, closed_by = c
  FROM new_regions n JOIN old_regions o ON o.id = n.id
  WHERE n.dissolved_on IS NOT NULL AND o.dissolved_on IS NULL AND v.region_id = n.id AND v.valid_to IS NULL;
  RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER regions_versions_update AFTER UPDATE ON regions
  REFERENCING OLD TABLE AS old_regions NEW TABLE AS new_regions FOR EACH STATEMENT EXECUTE FUNCTION lv_region_versions_update();

-- Rules C1-C3 as applied to a title by an adjustment. The year's review reads
-- the rulings not yet decided (C2 makes it propose cancellation); the
-- province's confirmation marks them decided.
CREATE TABLE title_division_rulings (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    change_id    bigint NOT NULL REFERENCES division_changes (id),
    title_id     bigint NOT NULL REFERENCES titles (id),
    village_id   bigint NOT NULL REFERENCES regions (id),
    rule         text NOT NULL CHECK (rule IN ('C1', 'C2', 'C3')),
    effective_on date NOT NULL,
    note         text NOT NULL,
    note_en      text NOT NULL,
    review_id    bigint REFERENCES reviews (id),   -- the review that decided it
    created_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (change_id, title_id, rule)
);
CREATE INDEX title_division_rulings_open ON title_division_rulings (village_id) WHERE review_id IS NULL;

ALTER TABLE title_events DROP CONSTRAINT title_events_action_check;
ALTER TABLE title_events ADD CONSTRAINT title_events_action_check CHECK (action IN ('awarded', 'status_changed', 'division_ruling'));

INSERT INTO settings (key, valid_from, value, note) VALUES
  ('division.backdate_days', '2000-01-01', '366', 'a division adjustment may take effect at most this many days before it is recorded (never in the future)');

ALTER TABLE division_changes ENABLE ROW LEVEL SECURITY;
ALTER TABLE division_changes FORCE ROW LEVEL SECURITY;
CREATE POLICY read_scope ON division_changes FOR SELECT
  USING (lv_scope_all() OR EXISTS (SELECT 1 FROM unnest(paths) AS p(path) WHERE lv_in_scope(p.path)));
CREATE POLICY insert_scope ON division_changes FOR INSERT
  WITH CHECK (lv_scope_all() OR NOT EXISTS (SELECT 1 FROM unnest(paths) AS p(path) WHERE NOT lv_in_scope(p.path)));
CREATE POLICY update_scope ON division_changes FOR UPDATE
  USING (lv_scope_all() OR NOT EXISTS (SELECT 1 FROM unnest(paths) AS p(path) WHERE NOT lv_in_scope(p.path)))
  WITH CHECK (lv_scope_all() OR NOT EXISTS (SELECT 1 FROM unnest(paths) AS p(path) WHERE NOT lv_in_scope(p.path)));

-- A version is readable by whoever held its path or holds the region now;
-- versions are written only by the triggers above.
ALTER TABLE region_versions ENABLE ROW LEVEL SECURITY;
ALTER TABLE region_versions FORCE ROW LEVEL SECURITY;
CREATE POLICY read_scope ON region_versions FOR SELECT
  USING (lv_scope_all() OR lv_in_scope(path) OR region_id IN (SELECT id FROM regions));
CREATE POLICY insert_scope ON region_versions FOR INSERT WITH CHECK (lv_scope_all() OR lv_in_scope(path));
CREATE POLICY update_scope ON region_versions FOR UPDATE
  USING (lv_scope_all() OR region_id IN (SELECT id FROM regions)) WITH CHECK (true);

ALTER TABLE title_division_rulings ENABLE ROW LEVEL SECURITY;
ALTER TABLE title_division_rulings FORCE ROW LEVEL SECURITY;
CREATE POLICY scope ON title_division_rulings USING (lv_scope_all() OR village_id IN (SELECT id FROM regions))
  WITH CHECK (lv_scope_all() OR village_id IN (SELECT id FROM regions));

-- +goose Down
DELETE FROM settings WHERE key = 'division.backdate_days';
ALTER TABLE title_events DROP CONSTRAINT title_events_action_check;
ALTER TABLE title_events ADD CONSTRAINT title_events_action_check CHECK (action IN ('awarded', 'status_changed'));
DROP TABLE title_division_rulings;
DROP TRIGGER regions_versions_update ON regions;
DROP TRIGGER regions_versions_insert ON regions;
DROP FUNCTION lv_region_versions_update, lv_region_versions_insert, lv_effective_on;
DROP TABLE region_versions, division_changes;
DROP FUNCTION lv_exists_on;
ALTER TABLE regions DROP CONSTRAINT regions_lifetime, DROP COLUMN successor_id, DROP COLUMN dissolved_on, DROP COLUMN established_on;
