-- +goose Up
-- The yearly review (复核) of the demonstration titles: a review per year and
-- district moving through its stages, town proposals, on-site checks and their
-- findings per standard, rectification orders, the city's reproducible sample,
-- and the evaluated results (recommendation, score, ranks, elimination).
-- Scope is row-level security as everywhere else.

-- Interpretations of the plan, kept as settings with history (see DOMAIN.md).
INSERT INTO settings (key, valid_from, value, note) VALUES
  ('review.calendar', '2000-01-01',
   '{"survey": {"start": "05-01", "due": "05-31"}, "first_review": {"start": "06-01", "due": "07-30"}, "city_review": {"start": "08-01", "due": "09-30"}, "province_evaluation": {"start": "10-01", "due": "11-30"}}',
   'review stages of a year (month-day): survey in May, first review June-July due 30 July, city review August-September, province evaluation October-November; copied into a review when it is opened'),
  ('review.sample_rate', '2000-01-01', '0.15', 'the city checks on site at least this share of a district''s retained villages (rounded up)'),
  ('review.score_weights', '2000-01-01', '{"compliance": 0.4, "outcomes": 0.4, "inspection": 0.2}',
   'comprehensive score = 100 × (compliance × C + outcomes × O + inspection × I), rounded to 2 decimals; C = mean of min(1, value) of lecture_months, board_months, culture_quarters, responsibility_list, volunteer_coverage of the review year (missing = 0); O = mean of min(1, value) of mediation_success, safety, deliberation_satisfaction, legal_savvy_coverage, wechat_coverage over those with data (none = 0); I = (passed + 0.5 × rectified) / recorded current inspection findings of standards A and B (none = 0). Ties: higher score, then earlier title year (more years titled), then division code'),
  ('review.brand_per_district', '2000-01-01', '10', 'the top N retained villages of each district go to the brand-village catalogue (附件4)'),
  ('review.national_per_city', '2000-01-01', '3', 'the top N retained villages of each city are recommended for the national title'),
  ('review.metric_year_offsets', '2000-01-01', '{"A5": 0, "B4": 0, "B6": 0, "B7": 0, "B10": -1, "B11": 0}',
   'which year''s metric snapshots decide a computed standard, relative to the review year (Constitution Day, 4 December, is judged on the last full year)'),
  ('review.no_data_fails', '2000-01-01', 'false', 'a computed standard with no data (and no inspection finding) counts as not met; false: it is reported as unverified'),
  ('review.reminder_days', '2000-01-01', '7', 'a district is reminded (alert review_deadline_<stage>) from this many days before its current stage is due'),
  ('export.download_ttl_seconds', '2000-01-01', '300', 'lifetime of a presigned link to an exported table');

-- lv_scope_below: the caller's scope lies inside the area at p (a town reads its district's review).
-- +goose StatementBegin
CREATE FUNCTION lv_scope_below(p ltree) RETURNS boolean LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT CASE coalesce(current_setting('lv.scope', true), '')
           WHEN '' THEN false
           WHEN '*' THEN true
           ELSE current_setting('lv.scope', true)::ltree <@ p
         END
$$;
-- +goose StatementEnd

CREATE TABLE reviews (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    year              smallint NOT NULL CHECK (year BETWEEN 1990 AND 2100),
    region_id         bigint NOT NULL REFERENCES regions (id),  -- the district reviewed
    area_path         ltree NOT NULL,                            -- its path when opened (lets towns below read the review)
    stage             text NOT NULL DEFAULT 'survey'
                      CHECK (stage IN ('survey', 'first_review', 'city_review', 'province_evaluation', 'closed')),
    deadlines         jsonb NOT NULL,                            -- {stage: {start, due}} as civil dates, from review.calendar
    evaluated_at      timestamptz,
    villages_total    integer,
    titled            integer,
    kept              integer,
    revoked           integer,
    cancelled         integer,
    eliminated        integer,
    cap               numeric,
    rate_before       numeric,
    rate_after        numeric,
    decision_document text,
    decided_on        date,
    confirmed_at      timestamptz,
    version           integer NOT NULL DEFAULT 1,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (region_id, year)
);
CREATE INDEX reviews_year ON reviews (year, region_id);

CREATE TABLE review_stage_events (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    review_id   bigint NOT NULL REFERENCES reviews (id),
    region_id   bigint NOT NULL REFERENCES regions (id),
    from_stage  text,
    to_stage    text NOT NULL,
    note        text NOT NULL DEFAULT '',
    actor_id    bigint,
    actor_name  text NOT NULL,
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX review_stage_events_review ON review_stage_events (review_id, at);

-- Standards are A1-A6, B1-B11, C1-C3 of DOMAIN.md.
-- +goose StatementBegin
CREATE FUNCTION lv_review_standard(s text) RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT s ~ '^(A[1-6]|B([1-9]|1[01])|C[1-3])$'
$$;
-- +goose StatementEnd

-- A town's initial proposal to revoke or cancel a title, decided by the district.
CREATE TABLE review_proposals (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    review_id     bigint NOT NULL REFERENCES reviews (id),
    village_id    bigint NOT NULL REFERENCES regions (id),
    kind          text NOT NULL CHECK (kind IN ('revoke', 'cancel')),
    standards     text[] NOT NULL CHECK (cardinality(standards) > 0),
    explanation   text NOT NULL CHECK (btrim(explanation) <> ''),
    evidence_ids  bigint[] NOT NULL DEFAULT '{}',
    status        text NOT NULL DEFAULT 'submitted' CHECK (status IN ('submitted', 'accepted', 'rejected', 'withdrawn')),
    decision_note text NOT NULL DEFAULT '',
    decided_by    text,
    decided_at    timestamptz,
    proposed_by   text NOT NULL,
    version       integer NOT NULL DEFAULT 1,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX review_proposals_open ON review_proposals (review_id, village_id) WHERE status IN ('submitted', 'accepted');
CREATE INDEX review_proposals_village ON review_proposals (village_id);

-- On-site checks (现场检查) by the district, the city or the province.
CREATE TABLE review_checks (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    review_id    bigint NOT NULL REFERENCES reviews (id),
    village_id   bigint NOT NULL REFERENCES regions (id),
    stage        text NOT NULL CHECK (stage IN ('first_review', 'city_review', 'province_evaluation')),
    checked_on   date NOT NULL,
    inspector    text NOT NULL CHECK (btrim(inspector) <> ''),
    conclusion   text NOT NULL CHECK (conclusion IN ('pass', 'rectify', 'fail')),
    note         text NOT NULL DEFAULT '',
    evidence_ids bigint[] NOT NULL DEFAULT '{}',
    recorded_by  text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX review_checks_review_village ON review_checks (review_id, village_id);

-- Inspection findings per village and standard; a newer finding supersedes
-- the current one (history kept).
CREATE TABLE review_findings (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    review_id     bigint NOT NULL REFERENCES reviews (id),
    village_id    bigint NOT NULL REFERENCES regions (id),
    check_id      bigint REFERENCES review_checks (id),
    standard      text NOT NULL CHECK (lv_review_standard(standard)),
    result        text NOT NULL CHECK (result IN ('pass', 'fail')),
    note          text NOT NULL DEFAULT '',
    evidence_ids  bigint[] NOT NULL DEFAULT '{}',
    stage         text NOT NULL,
    recorded_by   text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    superseded_at timestamptz
);
CREATE UNIQUE INDEX review_findings_current ON review_findings (review_id, village_id, standard) WHERE superseded_at IS NULL;

-- Rectification orders (整改) with their due date and the re-check.
CREATE TABLE review_rectifications (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    review_id      bigint NOT NULL REFERENCES reviews (id),
    village_id     bigint NOT NULL REFERENCES regions (id),
    standard       text CHECK (standard IS NULL OR lv_review_standard(standard)),
    requirement    text NOT NULL CHECK (btrim(requirement) <> ''),
    issued_on      date NOT NULL,
    due_on         date NOT NULL,
    rechecked_on   date,
    recheck_result text CHECK (recheck_result IN ('pass', 'fail')),
    recheck_note   text NOT NULL DEFAULT '',
    issued_by      text NOT NULL,
    version        integer NOT NULL DEFAULT 1,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CHECK (due_on >= issued_on),
    CHECK ((rechecked_on IS NULL) = (recheck_result IS NULL))
);
CREATE INDEX review_rectifications_review_village ON review_rectifications (review_id, village_id);

-- The city's on-site sample of a district: seeded, so it can be drawn again.
CREATE TABLE review_samples (
    review_id  bigint PRIMARY KEY REFERENCES reviews (id),
    region_id  bigint NOT NULL REFERENCES regions (id),
    seed       bigint NOT NULL,
    rate       numeric NOT NULL CHECK (rate > 0 AND rate <= 1),
    stratified boolean NOT NULL,
    population integer NOT NULL,
    size       integer NOT NULL,
    method     text NOT NULL,
    drawn_by   text NOT NULL,
    drawn_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE review_sample_villages (
    review_id  bigint NOT NULL REFERENCES reviews (id),
    village_id bigint NOT NULL REFERENCES regions (id),
    draw_order integer NOT NULL,
    PRIMARY KEY (review_id, village_id)
);

-- The evaluation of every titled village of a review.
CREATE TABLE review_results (
    review_id      bigint NOT NULL REFERENCES reviews (id),
    village_id     bigint NOT NULL REFERENCES regions (id),
    title_id       bigint NOT NULL REFERENCES titles (id),
    batch          smallint,
    title_year     smallint NOT NULL,
    recommendation text NOT NULL CHECK (recommendation IN ('keep', 'revoke', 'cancel')),
    causes         text[] NOT NULL DEFAULT '{}',   -- standards (or ELIMINATION) behind a revoke or cancel
    explanation    text NOT NULL,
    explanation_en text NOT NULL,
    compliance     numeric,
    outcomes       numeric,
    inspection     numeric,
    score          numeric(6, 2),
    rank_district  integer,
    rank_city      integer,
    eliminated     boolean NOT NULL DEFAULT false,
    brand          boolean NOT NULL DEFAULT false,
    national       boolean NOT NULL DEFAULT false,
    evaluated_at   timestamptz NOT NULL,
    PRIMARY KEY (review_id, village_id)
);
CREATE INDEX review_results_village ON review_results (village_id);

-- Each standard of each village as evaluated, with the numbers behind it.
-- Derived from review_results' inputs and rewritten by every evaluation, so
-- without foreign keys (checking 20 rows per village would double the time).
CREATE TABLE review_standard_results (
    review_id  bigint NOT NULL,
    village_id bigint NOT NULL,
    standard   text NOT NULL,
    result     text NOT NULL CHECK (result IN ('pass', 'fail', 'no_data')),
    sources    text[] NOT NULL,    -- metric, households, finding, rectified, proposal
    note       text NOT NULL,
    note_en    text NOT NULL,
    numbers    jsonb NOT NULL DEFAULT '[]',
    PRIMARY KEY (review_id, village_id, standard)
);

ALTER TABLE reviews ENABLE ROW LEVEL SECURITY;
ALTER TABLE reviews FORCE ROW LEVEL SECURITY;
CREATE POLICY read_scope ON reviews FOR SELECT
  USING (lv_scope_all() OR region_id IN (SELECT id FROM regions) OR lv_scope_below(area_path));
CREATE POLICY insert_scope ON reviews FOR INSERT WITH CHECK (lv_scope_all() OR region_id IN (SELECT id FROM regions));
CREATE POLICY update_scope ON reviews FOR UPDATE USING (lv_scope_all() OR region_id IN (SELECT id FROM regions))
  WITH CHECK (lv_scope_all() OR region_id IN (SELECT id FROM regions));

ALTER TABLE review_stage_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE review_stage_events FORCE ROW LEVEL SECURITY;
CREATE POLICY read_scope ON review_stage_events FOR SELECT USING (lv_scope_all() OR review_id IN (SELECT id FROM reviews));
CREATE POLICY insert_scope ON review_stage_events FOR INSERT WITH CHECK (lv_scope_all() OR region_id IN (SELECT id FROM regions));

ALTER TABLE review_samples ENABLE ROW LEVEL SECURITY;
ALTER TABLE review_samples FORCE ROW LEVEL SECURITY;
CREATE POLICY scope ON review_samples USING (lv_scope_all() OR region_id IN (SELECT id FROM regions))
  WITH CHECK (lv_scope_all() OR region_id IN (SELECT id FROM regions));

-- +goose StatementBegin
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['review_proposals', 'review_checks', 'review_findings', 'review_rectifications',
                           'review_sample_villages', 'review_results', 'review_standard_results'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY scope ON %I USING (lv_scope_all() OR village_id IN (SELECT id FROM regions)) '
                   'WITH CHECK (lv_scope_all() OR village_id IN (SELECT id FROM regions))', t);
  END LOOP;
END
$$;
-- +goose StatementEnd

-- +goose Down
DROP TABLE review_standard_results, review_results, review_sample_villages, review_samples, review_rectifications,
  review_findings, review_checks, review_proposals, review_stage_events, reviews;
DROP FUNCTION lv_review_standard, lv_scope_below;
DELETE FROM settings WHERE key LIKE 'review.%' OR key = 'export.download_ttl_seconds';
