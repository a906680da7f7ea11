-- +goose Up
-- Governance records of each village (the compliance issue): households,
-- people, mediation, surveys, incidents, lawsuits, culture carriers. Every
-- table is owned by a village and scoped by row-level security like the rest.

CREATE TABLE households (
    id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    village_id           bigint NOT NULL REFERENCES regions (id),
    code                 text NOT NULL CHECK (btrim(code) <> ''),          -- 户号, unique in the village
    group_id             bigint REFERENCES villager_groups (id),
    grid_id              bigint REFERENCES grids (id),
    head_name            text NOT NULL DEFAULT '',                         -- personal data: masked outside the village/town
    phone                text NOT NULL DEFAULT '',                         -- personal data
    members              smallint CHECK (members >= 0),
    model_household_year smallint CHECK (model_household_year BETWEEN 1990 AND 2100), -- 学法用法示范户, year named
    has_family_rule      boolean NOT NULL DEFAULT false,                   -- 家规家训
    wechat_member        boolean NOT NULL DEFAULT false,                   -- a member in the 法润民生 WeChat group
    version              integer NOT NULL DEFAULT 1,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    deleted_at           timestamptz,
    UNIQUE (village_id, code)
);
CREATE INDEX households_village ON households (village_id) WHERE deleted_at IS NULL;
CREATE INDEX households_group ON households (group_id) WHERE deleted_at IS NULL;

-- Yearly volunteer-service participation of a household (普法志愿服务).
CREATE TABLE household_volunteer_years (
    household_id bigint NOT NULL REFERENCES households (id),
    village_id   bigint NOT NULL REFERENCES regions (id),
    year         smallint NOT NULL CHECK (year BETWEEN 1990 AND 2100),
    activity_id  bigint REFERENCES activities (id),
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (household_id, year)
);
CREATE INDEX household_volunteer_village_year ON household_volunteer_years (village_id, year);

-- Legal-savvy persons (法律明白人), at least one per grid.
CREATE TABLE legal_savvy_persons (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    village_id  bigint NOT NULL REFERENCES regions (id),
    grid_id     bigint NOT NULL REFERENCES grids (id),
    name        text NOT NULL CHECK (btrim(name) <> ''), -- personal data
    phone       text NOT NULL DEFAULT '',                -- personal data
    trained_on  date,
    active_from date NOT NULL,
    active_to   date,
    version     integer NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX legal_savvy_grid ON legal_savvy_persons (grid_id);

-- The village's legal adviser (法律顾问): 1 adviser + contact card + service catalogue + evaluations.
CREATE TABLE legal_advisers (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    village_id        bigint NOT NULL REFERENCES regions (id),
    name              text NOT NULL CHECK (btrim(name) <> ''),
    firm              text NOT NULL DEFAULT '',
    phone             text NOT NULL DEFAULT '',
    contact_card      boolean NOT NULL DEFAULT false,
    service_catalogue text NOT NULL DEFAULT '',
    active_from       date NOT NULL,
    active_to         date,
    created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX legal_advisers_village ON legal_advisers (village_id);

CREATE TABLE legal_adviser_evaluations (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    village_id  bigint NOT NULL REFERENCES regions (id),
    adviser_id  bigint NOT NULL REFERENCES legal_advisers (id),
    year        smallint NOT NULL CHECK (year BETWEEN 1990 AND 2100),
    score       numeric(5, 2) CHECK (score BETWEEN 0 AND 100),
    comment     text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (adviser_id, year)
);

-- Legal check-ups (法律体检): service records of the adviser.
CREATE TABLE legal_checkups (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    village_id  bigint NOT NULL REFERENCES regions (id),
    adviser_id  bigint REFERENCES legal_advisers (id),
    held_on     date NOT NULL,
    subject     text NOT NULL CHECK (btrim(subject) <> ''),
    findings    text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX legal_checkups_village ON legal_checkups (village_id, held_on);

-- Dispute mediation (纠纷调处).
CREATE TABLE mediation_cases (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    village_id      bigint NOT NULL REFERENCES regions (id),
    case_no         text NOT NULL CHECK (btrim(case_no) <> ''),
    received_on     date NOT NULL,
    concluded_on    date CHECK (concluded_on >= received_on),
    outcome         text NOT NULL DEFAULT 'pending' CHECK (outcome IN ('success', 'failure', 'pending')),
    turned_criminal boolean NOT NULL DEFAULT false,   -- 民转刑
    parties         text NOT NULL DEFAULT '',         -- personal data
    summary         text NOT NULL DEFAULT '',
    version         integer NOT NULL DEFAULT 1,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (village_id, case_no),
    CHECK ((outcome = 'pending') = (concluded_on IS NULL))
);
CREATE INDEX mediation_concluded ON mediation_cases (village_id, concluded_on);

-- Surveys: sense of safety (群众安全感) and deliberation-platform satisfaction (说事平台满意度).
CREATE TABLE surveys (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    village_id  bigint NOT NULL REFERENCES regions (id),
    kind        text NOT NULL CHECK (kind IN ('safety', 'deliberation_satisfaction')),
    period      text NOT NULL,                -- the period surveyed: 2026-05, 2026-Q2 or 2026
    surveyed_on date NOT NULL,
    respondents integer NOT NULL CHECK (respondents > 0),
    positive    integer NOT NULL CHECK (positive >= 0),
    created_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (positive <= respondents),
    UNIQUE (village_id, kind, period)
);
CREATE INDEX surveys_kind_date ON surveys (kind, surveyed_on);

-- Incidents supplied by partner departments: 民转刑, extreme violence and the
-- revocation situations A1-A4, A6.
CREATE TABLE incidents (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    village_id        bigint NOT NULL REFERENCES regions (id),
    kind              text NOT NULL CHECK (kind IN ('civil_to_criminal', 'extreme_violence', 'organisation_illegal',
                                                   'member_prosecuted', 'major_case_or_accident', 'mass_petition', 'other_breach')),
    occurred_on       date NOT NULL,
    source_department text NOT NULL CHECK (btrim(source_department) <> ''),
    description       text NOT NULL DEFAULT '',
    created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX incidents_village_date ON incidents (village_id, occurred_on);

-- Civil and administrative lawsuits filed by residents, per year.
CREATE TABLE lawsuits (
    village_id        bigint NOT NULL REFERENCES regions (id),
    year              smallint NOT NULL CHECK (year BETWEEN 1990 AND 2100),
    civil             integer NOT NULL CHECK (civil >= 0),
    administrative    integer NOT NULL CHECK (administrative >= 0),
    source_department text NOT NULL DEFAULT '',
    updated_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (village_id, year)
);

-- Rule-of-law culture position carriers (宣传载体), at least five kinds.
CREATE TABLE culture_carriers (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    village_id bigint NOT NULL REFERENCES regions (id),
    kind       text NOT NULL CHECK (kind IN ('courtyard', 'square', 'corridor', 'board', 'screen', 'park', 'library', 'other')),
    name       text NOT NULL CHECK (btrim(name) <> ''),
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (village_id, kind, name)
);

-- +goose StatementBegin
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['households', 'household_volunteer_years', 'legal_savvy_persons', 'legal_advisers',
                           'legal_adviser_evaluations', 'legal_checkups', 'mediation_cases', 'surveys', 'incidents',
                           'lawsuits', 'culture_carriers'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY scope ON %I USING (lv_scope_all() OR village_id IN (SELECT id FROM regions)) '
                   'WITH CHECK (lv_scope_all() OR village_id IN (SELECT id FROM regions))', t);
  END LOOP;
END
$$;
-- +goose StatementEnd

-- +goose Down
DROP TABLE culture_carriers, lawsuits, incidents, surveys, mediation_cases, legal_checkups,
  legal_adviser_evaluations, legal_advisers, legal_savvy_persons, household_volunteer_years, households;
