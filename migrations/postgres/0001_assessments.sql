-- Assessments, their revisions and the audit log (PostgreSQL).
-- Times are microseconds since the Unix epoch, UTC; documents are JSON.

CREATE TABLE assessments (
    id             TEXT PRIMARY KEY,
    tenant         TEXT NOT NULL,
    case_id        TEXT NOT NULL,
    -- the caller's idempotency key, unique per tenant; NULL when none was given
    request_id     TEXT,
    input_digest   TEXT NOT NULL,
    bundle_id      TEXT NOT NULL,
    bundle_version TEXT NOT NULL,
    bundle_digest  TEXT NOT NULL,
    title          TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    draft          TEXT NOT NULL,
    -- the latest revision, its review status and screening verdict
    revision       BIGINT NOT NULL,
    status         TEXT NOT NULL,
    verdict        TEXT NOT NULL
);
CREATE UNIQUE INDEX assessments_request ON assessments (tenant, request_id);
CREATE INDEX assessments_tenant_time ON assessments (tenant, created_at, id);
CREATE INDEX assessments_case ON assessments (tenant, case_id, created_at, id);

-- Revision 1 is the machine's; each review adds one. Never changed.
CREATE TABLE revisions (
    assessment_id TEXT NOT NULL REFERENCES assessments (id),
    revision      BIGINT NOT NULL,
    created_at    BIGINT NOT NULL,
    author        TEXT NOT NULL,
    status        TEXT NOT NULL,
    verdict       TEXT NOT NULL,
    note          TEXT NOT NULL,
    changes       TEXT NOT NULL,
    assessment    TEXT NOT NULL,
    PRIMARY KEY (assessment_id, revision)
);

-- Who did what to which assessment, and how it ended: identifiers only.
CREATE TABLE audit_log (
    seq           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at            BIGINT NOT NULL,
    caller        TEXT NOT NULL,
    peer          TEXT NOT NULL,
    tenant        TEXT NOT NULL,
    assessment_id TEXT,
    action        TEXT NOT NULL,
    result        TEXT NOT NULL
);
CREATE INDEX audit_log_tenant_time ON audit_log (tenant, at);

CREATE FUNCTION eva_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: rows are never updated or deleted', TG_TABLE_NAME;
END
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION eva_refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION eva_refuse_change();
CREATE TRIGGER revisions_append_only BEFORE UPDATE OR DELETE ON revisions
    FOR EACH ROW EXECUTE FUNCTION eva_refuse_change();
CREATE TRIGGER revisions_no_truncate BEFORE TRUNCATE ON revisions
    FOR EACH STATEMENT EXECUTE FUNCTION eva_refuse_change();
