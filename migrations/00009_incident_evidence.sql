-- +goose Up
-- Evidence files of incidents (案事件): the revocation situations A1-A4 rest
-- on them. An evidence file, and the upload that brings it in, now belongs to
-- exactly one owner: an activity or an incident. Scope is unchanged (the
-- policies on uploads and evidence go by village_id), and an incident's
-- evidence must lie in the incident's village: the foreign key carries both.
--
-- Incidents are now deleted softly, like activities: a deleted incident keeps
-- its row so that its evidence, kept until retention allows, still has an
-- owner; every reader skips deleted incidents.

ALTER TABLE incidents
    ADD COLUMN deleted_at timestamptz,
    ADD CONSTRAINT incidents_id_village UNIQUE (id, village_id);

ALTER TABLE uploads
    ALTER COLUMN activity_id DROP NOT NULL,
    ADD COLUMN incident_id bigint,
    ADD CONSTRAINT uploads_incident_fk FOREIGN KEY (incident_id, village_id) REFERENCES incidents (id, village_id),
    ADD CONSTRAINT uploads_one_owner CHECK (num_nonnulls(activity_id, incident_id) = 1);

ALTER TABLE evidence
    ALTER COLUMN activity_id DROP NOT NULL,
    ADD COLUMN incident_id bigint,
    ADD CONSTRAINT evidence_incident_fk FOREIGN KEY (incident_id, village_id) REFERENCES incidents (id, village_id),
    ADD CONSTRAINT evidence_one_owner CHECK (num_nonnulls(activity_id, incident_id) = 1);
CREATE INDEX evidence_incident ON evidence (incident_id) WHERE deleted_at IS NULL;

-- +goose Down
-- Going back is refused while any incident has evidence (their objects are
-- records); incidents deleted meanwhile are removed for good, as they were before.
SELECT set_config('lv.scope', '*', true);
-- +goose StatementBegin
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM uploads WHERE incident_id IS NOT NULL)
     OR EXISTS (SELECT 1 FROM evidence WHERE incident_id IS NOT NULL) THEN
    RAISE EXCEPTION 'incidents have evidence files; they must be removed before migration 00009 is undone';
  END IF;
END
$$;
-- +goose StatementEnd
DROP INDEX evidence_incident;
ALTER TABLE evidence DROP CONSTRAINT evidence_one_owner, DROP CONSTRAINT evidence_incident_fk, DROP COLUMN incident_id,
    ALTER COLUMN activity_id SET NOT NULL;
ALTER TABLE uploads DROP CONSTRAINT uploads_one_owner, DROP CONSTRAINT uploads_incident_fk, DROP COLUMN incident_id,
    ALTER COLUMN activity_id SET NOT NULL;
DELETE FROM incidents WHERE deleted_at IS NOT NULL;
ALTER TABLE incidents DROP CONSTRAINT incidents_id_village, DROP COLUMN deleted_at;
