-- +goose Up
-- Indexes for reading the audit trail (auditLog and auditHistory in the API):
-- newest first by id, filtered by object, actor, action or time. Scope is the
-- read policy of 00001 (region_id in the caller's scope); the table stays
-- append-only (trigger audit_log_append_only).

-- An object's history, newest first: replaces (object_type, object_id, at).
CREATE INDEX audit_log_object_id ON audit_log (object_type, object_id, id);
DROP INDEX audit_log_object;
CREATE INDEX audit_log_actor ON audit_log (actor_name, id);
CREATE INDEX audit_log_action ON audit_log (action, id);
-- Time ranges: rows are appended in time order, so a BRIN index is small and enough.
CREATE INDEX audit_log_at ON audit_log USING brin (at);

-- +goose Down
DROP INDEX audit_log_at, audit_log_action, audit_log_actor, audit_log_object_id;
CREATE INDEX audit_log_object ON audit_log (object_type, object_id, at);
